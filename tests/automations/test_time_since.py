""" "Time since" rules: the periodic pass, episodes, business time, concurrency, dry runs."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import time_machine
from sqlalchemy import select

from meridian.agents.models import Agent
from meridian.automations.tasks import time_since_pass
from meridian.db.engine import Database
from meridian.events.models import DomainEvent
from tests.console.helpers import sign_in
from tests.factories import Factory
from tests.routing import support

# Monday 2027-06-14, 10:00 UTC = 12:00 in Berlin.
MONDAY = datetime(2027, 6, 14, 10, 0, tzinfo=UTC)


async def _events(db: Database, conversation_id: uuid.UUID, type_: str) -> list[DomainEvent]:
    async with db.session() as session:
        return list(
            await session.scalars(
                select(DomainEvent)
                .where(DomainEvent.conversation_id == conversation_id, DomainEvent.type == type_)
                .order_by(DomainEvent.id)
            )
        )


async def _pass(db: Database, at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        counts = await time_since_pass(db, at=at)
        await support.settle(db)
    return counts["fired"]


async def test_pending_for_48_hours_gets_a_localized_nudge_and_is_resolved_once(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, name="Lena")
    inbox = await support.api_inbox(db, tenant.workspace_id)
    rule = await client.post(
        "/api/v1/automations",
        headers=tenant.headers,
        json={
            "name": "Close quiet pending",
            "event": "time_since",
            "conditions": {"since": "status_change", "after_minutes": 48 * 60, "status": "pending"},
            "actions": [
                {
                    "type": "send_reply",
                    "body": "We are closing this for now.",
                    "bodies": {"es": "Cerramos esta conversación por ahora."},
                },
                {"type": "set_status", "status": "resolved"},
            ],
        },
    )
    assert rule.status_code == 201, rule.text
    macro = await client.post(
        "/api/v1/macros",
        headers=tenant.headers,
        json={
            "name": "Ask and wait",
            "actions": [
                {"type": "send_reply", "body": "Could you send a photo?"},
                {"type": "set_status", "status": "pending"},
            ],
        },
    )
    with time_machine.travel(MONDAY, tick=False):
        arrived = await support.incoming(db, inbox, identifier="ana", language="es")
        await support.settle(db)
    pending_at = MONDAY + timedelta(hours=1)
    with time_machine.travel(pending_at, tick=False):
        applied = await client.post(
            f"/api/v1/conversations/{arrived.conversation_id}/macros/{macro.json()['id']}",
            headers=agent.headers,
        )
        assert applied.status_code == 200, applied.text
        await support.settle(db)

    # 47 h after it went pending: nothing yet.
    assert await _pass(db, pending_at + timedelta(hours=47)) == 0
    assert (await support.conversation(db, arrived.conversation_id)).status == "pending"
    # 48 h: the customer gets the Spanish text and the conversation is resolved.
    assert await _pass(db, pending_at + timedelta(hours=48)) == 1
    conv = await support.conversation(db, arrived.conversation_id)
    assert conv.status == "resolved"
    replies = [
        b for m, b in await support.thread(db, arrived.conversation_id) if m.author_kind == "automation"
    ]
    assert replies == ["Cerramos esta conversación por ahora."]
    (fired,) = await _events(db, arrived.conversation_id, "automation.fired")
    assert fired.payload["automation_id"] == rule.json()["id"]
    assert fired.payload["since"] == "status_change"
    assert fired.payload["since_at"] == pending_at.isoformat()
    assert fired.payload["elapsed_minutes"] == 48 * 60
    assert fired.payload["actions"] == ["send_reply", "set_status"]
    # Once per episode: later passes leave it alone.
    assert await _pass(db, pending_at + timedelta(hours=49)) == 0
    assert await support.failures(db, tenant.workspace_id) == []


async def test_a_new_customer_message_starts_a_new_episode(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox = await support.api_inbox(db, tenant.workspace_id)
    rule = await client.post(
        "/api/v1/automations",
        headers=tenant.headers,
        json={
            "name": "Unanswered for 30 minutes",
            "event": "time_since",
            "conditions": {"since": "last_customer_message", "after_minutes": 30, "assigned": False},
            "actions": [{"type": "add_tag", "tag": "waiting"}, {"type": "notify", "message": "Waiting"}],
        },
    )
    assert rule.status_code == 201, rule.text
    with time_machine.travel(MONDAY, tick=False):
        first = await support.incoming(db, inbox, identifier="ben", language="en")
        await support.settle(db)
    assert await _pass(db, MONDAY + timedelta(minutes=29)) == 0
    assert await _pass(db, MONDAY + timedelta(minutes=31)) == 1
    assert await _pass(db, MONDAY + timedelta(minutes=50)) == 0
    later = MONDAY + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        again = await support.incoming(
            db, inbox, identifier="ben", language="en", body="Hello? Anyone there?"
        )
        await support.settle(db)
    assert again.conversation_id == first.conversation_id
    assert await _pass(db, later + timedelta(minutes=31)) == 1
    assert len(await _events(db, first.conversation_id, "automation.notification")) == 2


async def test_concurrent_passes_fire_once(client: httpx.AsyncClient, db: Database, factory: Factory) -> None:
    tenant = await factory.tenant()
    inbox = await support.api_inbox(db, tenant.workspace_id)
    rule = await client.post(
        "/api/v1/automations",
        headers=tenant.headers,
        json={
            "name": "Nudge supervisors",
            "event": "time_since",
            "conditions": {"since": "last_customer_message", "after_minutes": 30},
            "actions": [{"type": "notify", "message": "Nobody answered in 30 minutes"}],
        },
    )
    assert rule.status_code == 201, rule.text
    with time_machine.travel(MONDAY, tick=False):
        arrivals = [await support.incoming(db, inbox, identifier=f"c{i}", language="en") for i in range(3)]
        await support.settle(db)
    at = MONDAY + timedelta(hours=1)
    with time_machine.travel(at, tick=False):
        results = await asyncio.gather(*(time_since_pass(db, at=at) for _ in range(4)))
    assert sum(r["fired"] for r in results) == 3
    for arrived in arrivals:
        assert len(await _events(db, arrived.conversation_id, "automation.notification")) == 1


async def test_business_time_counts_only_open_hours(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    teams = await support.make_teams(db, tenant.workspace_id, ["Berlin"])
    inbox = await support.api_inbox(db, tenant.workspace_id, team_id=teams["Berlin"])
    rule = await client.post(
        "/api/v1/automations",
        headers=tenant.headers,
        json={
            "name": "Two business hours without an answer",
            "event": "time_since",
            "conditions": {"since": "last_customer_message", "after_minutes": 120, "business_time": True},
            "actions": [{"type": "raise_priority"}],
        },
    )
    assert rule.status_code == 201, rule.text
    # Friday 17:30 in Berlin: 30 minutes before closing.
    friday = datetime(2027, 6, 18, 15, 30, tzinfo=UTC)
    with time_machine.travel(friday, tick=False):
        arrived = await support.incoming(db, inbox, identifier="jonas", language="de")
        await support.settle(db)
    # Three calendar hours later, and all weekend: 30 business minutes.
    assert await _pass(db, friday + timedelta(hours=3)) == 0
    assert await _pass(db, datetime(2027, 6, 20, 20, 0, tzinfo=UTC)) == 0
    # Monday 10:29 Berlin: 119 minutes; 10:30: 120.
    monday = datetime(2027, 6, 21, 8, 29, tzinfo=UTC)
    assert await _pass(db, monday) == 0
    assert await _pass(db, monday + timedelta(minutes=1)) == 1
    assert (await support.conversation(db, arrived.conversation_id)).priority == "high"


async def test_dry_run_and_validation(client: httpx.AsyncClient, db: Database, factory: Factory) -> None:
    tenant = await factory.tenant()
    inbox = await support.api_inbox(db, tenant.workspace_id)
    with time_machine.travel(MONDAY, tick=False):
        arrived = await support.incoming(db, inbox, identifier="kim", language="en")
        await support.settle(db)
    rule = await client.post(
        "/api/v1/automations",
        headers=tenant.headers,
        json={
            "name": "No agent reply for an hour",
            "event": "time_since",
            "conditions": {"since": "last_customer_message", "after_minutes": 60},
            "actions": [{"type": "add_tag", "tag": "late"}],
        },
    )
    assert rule.status_code == 201, rule.text
    url = f"/api/v1/automations/{rule.json()['id']}/dry-run"
    body = {"conversation_id": str(arrived.conversation_id)}
    with time_machine.travel(MONDAY + timedelta(minutes=45), tick=False):
        early = (await client.post(url, headers=tenant.headers, json=body)).json()
    assert early["matched"] is False
    checks = {c["name"]: c for c in early["conditions"]}
    assert checks["time_since"]["detail"] == (
        "45 min since the customer's last message (calendar time; needs 1 h 0 min)"
    )
    with time_machine.travel(MONDAY + timedelta(minutes=61), tick=False):
        due = (await client.post(url, headers=tenant.headers, json=body)).json()
    assert due["matched"] is True and due["actions"] == ["add tag 'late'"]
    assert (await support.conversation(db, arrived.conversation_id)).tags == []  # a dry run changes nothing
    assert await _pass(db, MONDAY + timedelta(minutes=61)) == 1
    with time_machine.travel(MONDAY + timedelta(minutes=62), tick=False):
        after = (await client.post(url, headers=tenant.headers, json=body)).json()
    assert after["matched"] is False
    assert [c["name"] for c in after["conditions"] if not c["passed"]] == ["episode"]

    base = {"name": "x", "actions": [{"type": "raise_priority"}]}
    refused = [
        {**base, "event": "time_since"},
        {**base, "event": "time_since", "conditions": {"since": "created"}},
        {**base, "event": "time_since", "conditions": {"since": "yesterday", "after_minutes": 5}},
        {**base, "event": "time_since", "conditions": {"since": "created", "after_minutes": 0}},
        {**base, "event": "message.created", "conditions": {"after_minutes": 5}},
    ]
    for payload in refused:
        response = await client.post("/api/v1/automations", headers=tenant.headers, json=payload)
        assert response.status_code == 422, (payload, response.text)
    plain = await client.post(
        "/api/v1/automations", headers=tenant.headers, json={**base, "event": "message.created"}
    )
    switched = await client.patch(
        f"/api/v1/automations/{plain.json()['id']}", headers=tenant.headers, json={"event": "time_since"}
    )
    assert switched.status_code == 422, switched.text
    kept = await client.get(f"/api/v1/automations/{plain.json()['id']}", headers=tenant.headers)
    assert kept.json()["event"] == "message.created"


async def test_console_form_offers_time_rules(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    async with factory.db.session() as session:
        admin = await session.get(Agent, tenant.admin_id)
        assert admin is not None
    client.cookies.clear()
    csrf = await sign_in(client, admin.email, password="correct horse 1")
    blank = await client.get("/admin/automations/new")
    assert 'value="time_since"' in blank.text and 'name="cond_since"' in blank.text
    form = {
        "csrf_token": csrf,
        "name": "Unassigned for 30 minutes",
        "event": "time_since",
        "cond_since": "created",
        "cond_after_minutes": "30",
        "cond_business_time": "1",
        "cond_assigned": "no",
        "action_type": ["notify"],
        "action_target": [""],
        "action_text": ["Nobody took this one"],
        "enabled": "1",
        "position": "0",
    }
    created = await client.post("/admin/automations/new", data=form)
    assert created.status_code == 303, created.text
    rule_id = created.headers["location"].split("/")[3].split("?")[0]
    api = (await client.get(f"/api/v1/automations/{rule_id}", headers=tenant.headers)).json()
    assert api["event"] == "time_since"
    assert api["conditions"] == {
        "since": "created",
        "after_minutes": 30,
        "business_time": True,
        "assigned": False,
    }
    page = await client.get(f"/admin/automations/{rule_id}")
    assert 'value="created" selected' in page.text and 'value="no" selected' in page.text
    # A time rule without its duration is refused and nothing is saved.
    refused = await client.post(
        "/admin/automations/new", data={**form, "name": "Broken", "cond_after_minutes": ""}
    )
    assert refused.status_code == 422
    listed = (await client.get("/api/v1/automations", headers=tenant.headers)).json()["items"]
    assert [r["name"] for r in listed] == ["Unassigned for 30 minutes"]
