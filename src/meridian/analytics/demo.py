"""Six weeks of believable history for the demo workspace's dashboard.

Conversations, messages and contacts are written as rows in the past (no domain
events: nothing to route or answer), and their report events go through the same
``fold`` and rollups as live ones. Volumes follow the customers' daytime in their own
time zones, first responses wait for the owning team's business hours, and a few
conversations are answered by the bot, reopened, handed between regions or rated.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from meridian.agents.models import Agent, AgentTeam
from meridian.analytics import rollups
from meridian.analytics.dimensions import hour_of_week, team_calendar
from meridian.analytics.facts import Fact, fold
from meridian.analytics.models import ReportAgentDay, ReportEvent, ReportFact
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.conversations.service import next_number
from meridian.core.clock import utcnow
from meridian.core.ids import new_id
from meridian.db.engine import Database
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.teams.models import Team
from meridian.vault import service as vault

DAYS = 42
# language -> (share, customer time zone, team, what they write)
CUSTOMERS: dict[str, tuple[float, str, str, str]] = {
    "en": (0.28, "America/New_York", "Mexico City", "Hi, where is my order? It was due yesterday."),
    "es": (0.18, "America/Mexico_City", "Mexico City", "Hola, ¿dónde está mi pedido? Debía llegar ayer."),
    "de": (0.12, "Europe/Berlin", "Berlin", "Hallo, wo bleibt meine Bestellung? Sie sollte gestern kommen."),
    "pt": (0.08, "America/Sao_Paulo", "Mexico City", "Olá, onde está meu pedido? Deveria ter chegado ontem."),
    "fr": (0.08, "Europe/Paris", "Berlin", "Bonjour, où est ma commande ? Elle devait arriver hier."),
    "zh-Hans": (0.09, "Asia/Shanghai", "Shanghai", "你好，我的订单在哪里？本应昨天送到。"),
    "ja": (0.08, "Asia/Tokyo", "Shanghai", "注文した商品がまだ届きません。昨日届く予定でした。"),
    "ar": (0.05, "Asia/Riyadh", "Berlin", "مرحبا، أين طلبي؟ كان من المفترض أن يصل أمس."),
    "ko": (
        0.04,
        "Asia/Seoul",
        "Shanghai",
        "안녕하세요, 주문한 상품이 어제 도착했어야 하는데 아직 안 왔어요.",
    ),
}
REPLY = "Thanks for waiting, I'm checking this for you now."
# The demo's own conversations (demo/seed.py) are what a visitor should find in the
# inbox views; the history keeps only this many of its own open, the most recent with
# an owner, as a believable queue. Everything else it tells is already resolved.
OPEN_HANDFUL = 4
TIERS = ["standard"] * 8 + ["premium", "vip"]
TAGS = ["shipping", "returns", "billing", "account"]


DEMO_FIRST_RESPONSE_TARGET = timedelta(hours=1)


@dataclass
class Story:
    """One past conversation: its row values and the report events that tell it."""

    language: str
    created: datetime
    team: Team
    agent_id: uuid.UUID | None
    inbox: Inbox
    tier: str
    tags: list[str]
    events: list[tuple[str, datetime, dict[str, Any]]] = field(default_factory=list)
    status: str = "open"


def _local_daytime(day: datetime, zone: ZoneInfo, rng: random.Random) -> datetime:
    hour = min(23, max(0, int(rng.gauss(14, 3.5))))
    local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=zone)
    return local.astimezone(day.tzinfo)


def _story(
    rng: random.Random,
    day: datetime,
    teams: dict[str, Team],
    agents: dict[uuid.UUID, list[uuid.UUID]],
    inboxes: list[Inbox],
) -> Story:
    language = rng.choices(list(CUSTOMERS), [c[0] for c in CUSTOMERS.values()])[0]
    _, zone, team_name, _ = CUSTOMERS[language]
    created = _local_daytime(day, ZoneInfo(zone), rng)
    team = teams[team_name]
    story = Story(
        language,
        created,
        team,
        rng.choice(agents[team.id] or [None]),
        rng.choice(inboxes),
        rng.choice(TIERS),
        rng.sample(TAGS, rng.choice((0, 1, 1, 2))),
    )
    calendar = team_calendar(team)
    if rng.random() < 0.1:
        # The bot answers from the help center, and that is the end of it.
        answered = created + timedelta(seconds=rng.uniform(5, 40))
        story.events += [
            ("reply", answered, {"author": "bot"}),
            ("resolved", answered + timedelta(minutes=rng.uniform(3, 30)), {}),
        ]
        story.agent_id = None
    else:
        start = created
        if calendar is not None and not calendar.is_open(created):
            start = calendar.next_opening(created) or created
        first = start + timedelta(seconds=rng.lognormvariate(7.0, 0.9))
        story.events.append(("assigned", start, {}))
        story.events.append(("first_response", first, {}))
        # The demo's SLA: a first answer within an hour of the team's opening, as the
        # SLA job records it (met when answered, breached when the hour runs out).
        due = start + DEMO_FIRST_RESPONSE_TARGET
        story.events.append(("sla_met", first, {}) if first <= due else ("sla_breached", due, {}))
        if language in ("en", "ar") and rng.random() < 0.15:
            # Follow the sun: the next region picks it up.
            story.events.append(
                (
                    "handoff",
                    first + timedelta(hours=rng.uniform(2, 6)),
                    {"team": "Berlin" if team_name != "Berlin" else "Shanghai"},
                )
            )
        if rng.random() < 0.25:
            asked = first + timedelta(minutes=rng.uniform(20, 300))
            story.events += [
                ("customer_message", asked, {}),
                ("reply", asked + timedelta(seconds=rng.lognormvariate(7.5, 1)), {"author": "human"}),
            ]
        # Old conversations are nearly all closed; the last few days still have a queue.
        if rng.random() < (0.97 if (utcnow() - created).days > 3 else 0.6):
            story.events.append(("resolved", first + timedelta(seconds=rng.lognormvariate(9.0, 1.1)), {}))
    story.events.sort(key=lambda item: item[1])
    now = utcnow()
    story.events = [event for event in story.events if event[1] < now]
    resolved = [at for kind, at, _ in story.events if kind == "resolved"]
    if resolved:
        story.status = "resolved"
        if rng.random() < 0.06:
            reopened = resolved[-1] + timedelta(hours=rng.uniform(4, 30))
            again = reopened + timedelta(hours=rng.uniform(1, 8))
            if again < now:
                story.events += [("reopened", reopened, {}), ("resolved", again, {})]
        if rng.random() < 0.55:
            story.events.append(("csat_sent", resolved[-1], {}))
            if rng.random() < 0.45:
                slow = sum(1 for kind, *_ in story.events if kind == "reopened") + (story.agent_id is None)
                rating = max(1, min(5, round(rng.gauss(4.4 - slow, 0.8))))
                story.events.append(
                    ("csat", resolved[-1] + timedelta(hours=rng.uniform(0.1, 20)), {"rating": rating})
                )
    return story


async def seed_demo_history(db: Database, workspace_id: uuid.UUID, *, days: int = DAYS, seed: int = 9) -> int:
    """Write the history once; returns how many conversations it added."""
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
    async with db.session() as session:
        if await session.scalar(
            select(ReportFact.conversation_id).where(ReportFact.workspace_id == workspace_id).limit(1)
        ):
            return 0
        teams = {
            t.name: t for t in await session.scalars(select(Team).where(Team.workspace_id == workspace_id))
        }
        if not {"Berlin", "Shanghai", "Mexico City"} <= set(teams):
            return 0
        members: dict[uuid.UUID, list[uuid.UUID]] = {t.id: [] for t in teams.values()}
        rows = await session.execute(
            select(AgentTeam.team_id, Agent.id)
            .join(Agent, Agent.id == AgentTeam.agent_id)
            .where(Agent.workspace_id == workspace_id)
        )
        for team_id, agent_id in rows:
            members.setdefault(team_id, []).append(agent_id)
        inboxes = list(await session.scalars(select(Inbox).where(Inbox.workspace_id == workspace_id)))
        today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        stories: list[Story] = []
        for offset in range(days, 0, -1):
            day = today - timedelta(days=offset)
            volume = rng.randint(10, 18) if day.weekday() < 5 else rng.randint(3, 7)
            stories += [_story(rng, day, teams, members, inboxes) for _ in range(volume)]
        _close_all_but_a_handful(stories, rng)
        facts: list[Fact] = []
        for story in stories:
            # The vault reads keys as it writes; autoflushing before each read costs the most.
            with session.no_autoflush:
                facts.append(await _write(session, workspace_id, story, teams))
        await rollups.append(session, workspace_id, rollups.totals(facts), compacted=True)
        slots = select(Agent.id, Agent.max_concurrent).where(Agent.workspace_id == workspace_id)
        capacity: dict[uuid.UUID, int] = {agent: n for agent, n in await session.execute(slots)}
        session.add_all(_agent_days(workspace_id, stories, capacity, rng))
        await session.commit()
    return len(facts)


def _agent_days(
    workspace_id: uuid.UUID, stories: list[Story], capacity: dict[uuid.UUID, int], rng: random.Random
) -> list[ReportAgentDay]:
    """Sampled agent time as the occupancy job would have written it: a shift on the days
    an agent took conversations, busier and more loaded the more they took."""
    taken: dict[tuple[uuid.UUID, Any], int] = {}
    for story in stories:
        if story.agent_id is not None:
            key = (story.agent_id, story.created.astimezone(UTC).date())
            taken[key] = taken.get(key, 0) + 1
    rows = []
    for (agent_id, day), count in sorted(taken.items(), key=lambda item: (str(item[0][0]), item[0][1])):
        slots = max(1, capacity.get(agent_id, 10))
        online = rng.randint(6 * 3600, 8 * 3600) // 60 * 60
        busy = int(online * min(0.95, 0.45 + 0.08 * count + rng.uniform(0, 0.1)))
        carried = min(slots * 0.9, 1.0 + 0.3 * count + rng.uniform(0, 0.5))
        rows.append(
            ReportAgentDay(
                workspace_id=workspace_id,
                agent_id=agent_id,
                day=day,
                online_s=online,
                busy_s=busy,
                load_s=int(busy * carried),
                capacity_s=online * slots,
            )
        )
    return rows


def _close_all_but_a_handful(stories: list[Story], rng: random.Random) -> None:
    """Resolve every open story except the ``OPEN_HANDFUL`` most recent assigned ones."""
    still_open = [s for s in stories if s.status != "resolved"]
    keep = {
        id(s) for s in sorted((s for s in still_open if s.agent_id), key=lambda s: s.created)[-OPEN_HANDFUL:]
    }
    now = utcnow()
    for story in still_open:
        if id(story) in keep:
            continue
        last = story.events[-1][1] if story.events else story.created
        # Resolved as the others are (hours after the last word), but always in the past.
        at = min(last + timedelta(seconds=rng.lognormvariate(9.0, 1.1)), now - timedelta(minutes=5))
        story.events.append(("resolved", max(at, last + timedelta(seconds=1)), {}))
        story.status = "resolved"


async def _write(session: Any, workspace_id: uuid.UUID, story: Story, teams: dict[str, Team]) -> Fact:
    zone = ZoneInfo(CUSTOMERS[story.language][1])
    contact = Contact(
        id=new_id(),
        workspace_id=workspace_id,
        region="default",
        locale=story.language,
        timezone=str(zone),
        tier=story.tier,
        attributes={},
    )
    session.add(contact)
    await vault.put_contact(
        session,
        workspace_id=workspace_id,
        contact_id=contact.id,
        region="default",
        name=f"Demo customer {contact.id.hex[:6]}",
        email=None,
        phone=None,
    )
    team = story.team
    last = story.events[-1][1] if story.events else story.created
    resolved_at = max((at for kind, at, _ in story.events if kind == "resolved"), default=None)
    conversation = Conversation(
        id=new_id(),
        workspace_id=workspace_id,
        number=await next_number(session, workspace_id),
        inbox_id=story.inbox.id,
        contact_id=contact.id,
        status=story.status,
        priority="normal",
        assignee_id=story.agent_id,
        team_id=team.id,
        language=story.language,
        tags=story.tags,
        custom_attributes={},
        last_activity_at=last,
        last_incoming_at=story.created,
        resolved_at=resolved_at if story.status == "resolved" else None,
        created_at=story.created,
        updated_at=last,
    )
    session.add(conversation)
    fact: Fact | None = None
    events: list[ReportEvent] = []
    dims: dict[str, Any] = {
        "language": story.language,
        "channel": story.inbox.channel,
        "inbox_id": story.inbox.id,
        "team_id": team.id,
        "agent_id": None,
        "region": team.region,
        "tier": story.tier,
        "tags": story.tags,
    }
    timeline = [
        ("conversation_created", story.created, {}),
        ("customer_message", story.created, {}),
        *story.events,
    ]
    for kind, at, data in timeline:
        if kind == "assigned":
            dims["agent_id"] = story.agent_id
        if kind == "handoff":
            team = teams[data["team"]]
            dims.update(team_id=team.id, region=team.region)
            conversation.team_id = team.id
        values = {
            "workspace_id": workspace_id,
            "conversation_id": conversation.id,
            "kind": kind,
            "at": at,
            **dims,
        }
        values["data"] = (
            {"number": conversation.number, "local_how": hour_of_week(at, zone)}
            if kind == "conversation_created"
            else {k: v for k, v in data.items() if k == "author"}
        )
        values["value"] = data.get("rating")
        if kind in ("customer_message", "reply", "first_response"):
            author = "customer" if kind == "customer_message" else data.get("author", "human")
            await _message(session, conversation, contact, author, at, story.language)
        if kind in ("first_response", "resolved") and fact is not None:
            values.update(_durations(team, fact.created_at, at))
        elif (
            kind == "reply"
            and data.get("author") == "human"
            and fact is not None
            and fact.waiting_since is not None
        ):
            values.update(_durations(team, fact.waiting_since, at))
        event = ReportEvent(**values)
        session.add(event)
        events.append(event)
        fact = fold(fact, event)
    assert fact is not None
    # One round trip for the whole conversation; the fact then learns its events' ids.
    await session.flush()
    fact.last_event_id = max(event.id for event in events)
    session.add(ReportFact(**fact.values()))
    return fact


def _durations(team: Team, start: datetime, end: datetime) -> dict[str, float]:
    calendar = team_calendar(team)
    business = (
        calendar.working_seconds_between(start, end)
        if calendar is not None
        else (end - start).total_seconds()
    )
    return {"calendar_s": max(0.0, (end - start).total_seconds()), "business_s": business}


async def _message(
    session: Any, conversation: Conversation, contact: Contact, author: str, at: datetime, language: str
) -> None:
    incoming = author == "customer"
    message = Message(
        id=new_id(),
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        inbox_id=conversation.inbox_id,
        contact_id=contact.id,
        direction="incoming" if incoming else "outgoing",
        author_kind=author,
        content_type="text",
        language=language if incoming else "en",
        delivery_status="received" if incoming else "read",
        meta={},
        created_at=at,
    )
    session.add(message)
    body = CUSTOMERS[language][3] if incoming else REPLY
    await vault.put_message(
        session,
        workspace_id=conversation.workspace_id,
        message_id=message.id,
        conversation_id=conversation.id,
        contact_id=contact.id,
        region="default",
        body=body,
    )
