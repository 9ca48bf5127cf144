"""The routing decision, as a pure function of the conversation's needs and the teams.

Order of concerns (each narrows the candidates left by the one before):

1. Language: agents who speak the customer's language (primary subtag, so es-MX
   matches es); failing that anywhere, members of teams that list the language;
   failing that, anyone (the translation layer bridges the gap). This choice is made
   over everybody, open or not, so a Spanish customer at night waits for a Spanish
   speaker rather than going to whoever is awake.
2. Skills the conversation needs (``skill:<name>`` tags, learned preferences), when
   some candidate has them all; otherwise they are ignored and the reason says so.
3. Open now: the team's calendar is open and the agent is online. Nobody open means
   waiting for the earliest opening among the remaining teams.
4. Capacity: open assigned conversations below ``max_concurrent``.
5. Choice: the returning customer's last agent, then the conversation's own team,
   then the best proficiency in the customer's language (native, fluent, basic), then
   the lowest load ratio, then the longest idle since the last assignment.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from meridian.agents.languages import RANK, level_in
from meridian.calendars import BusinessCalendar
from meridian.languages.tags import primary_language

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class TeamView:
    id: uuid.UUID
    name: str
    languages: tuple[str, ...]
    calendar: BusinessCalendar


@dataclass(frozen=True)
class AgentView:
    id: uuid.UUID
    name: str
    languages: tuple[str, ...]
    skills: frozenset[str]
    team_ids: frozenset[uuid.UUID]
    max_concurrent: int
    availability: str
    load: int = 0
    last_assigned_at: datetime | None = None
    # Level per spoken tag (agents/languages.py); a tag left out is "fluent".
    proficiency: Mapping[str, str] = field(default_factory=dict, hash=False)
    # Open conversations per channel, and the agent's limits per channel (within
    # max_concurrent; a channel without a limit is bounded by max_concurrent alone).
    channel_loads: Mapping[str, int] = field(default_factory=dict, hash=False)
    channel_capacity: Mapping[str, int] = field(default_factory=dict, hash=False)

    def has_room(self, channel: str | None) -> bool:
        if self.load >= self.max_concurrent:
            return False
        limit = self.channel_capacity.get(channel) if channel else None
        return limit is None or self.channel_loads.get(channel or "", 0) < limit


@dataclass(frozen=True)
class Need:
    language: str | None
    skills: frozenset[str] = frozenset()
    # The conversation's channel (the inbox's), for agents' per-channel capacity.
    channel: str | None = None
    # Human-readable notes on where a need came from ("asked for a senior agent before").
    notes: tuple[str, ...] = ()
    preferred_team_id: uuid.UUID | None = None
    sticky_agent_id: uuid.UUID | None = None
    exclude_agent_ids: frozenset[uuid.UUID] = frozenset()
    exclude_team_ids: frozenset[uuid.UUID] = frozenset()
    # Non-empty: only these teams (an automation moved the conversation to a team).
    only_team_ids: frozenset[uuid.UUID] = frozenset()


@dataclass(frozen=True)
class Decision:
    outcome: Literal["assigned", "queued"]
    team_id: uuid.UUID | None
    agent_id: uuid.UUID | None
    reason: str
    # Set when nobody who can take it is open: the earliest opening that can.
    wait_until: datetime | None = None
    load: int | None = None
    capacity: int | None = None
    steps: tuple[str, ...] = field(default=())


def primary(tag: str | None) -> str | None:
    if not tag:
        return None
    try:
        return primary_language(tag)
    except ValueError:
        return None


def _speaks(languages: Sequence[str], wanted: str) -> bool:
    return any(primary(tag) == wanted for tag in languages)


Pair = tuple[TeamView, AgentView]


def _language_tier(need: Need, pairs: list[Pair]) -> tuple[list[Pair], str]:
    wanted = primary(need.language)
    if wanted is None:
        return pairs, "language unknown"
    speakers = [(t, a) for t, a in pairs if _speaks(a.languages, wanted)]
    if speakers:
        return speakers, f"{need.language} speaker"
    covering = [(t, a) for t, a in pairs if _speaks(t.languages, wanted)]
    if covering:
        return covering, f"no {need.language} speaker, team covers {need.language}"
    return pairs, f"no {need.language} speaker anywhere"


def _skill_filter(need: Need, pairs: list[Pair]) -> tuple[list[Pair], str | None]:
    if not need.skills:
        return pairs, None
    wanted = ", ".join(sorted(need.skills))
    skilled = [(t, a) for t, a in pairs if need.skills <= a.skills]
    if skilled:
        return skilled, f"needs {wanted}"
    return pairs, f"nobody has {wanted}, skills ignored"


def _local(team: TeamView, at: datetime) -> str:
    zone = team.calendar.timezone
    return f"{at.astimezone(zone):%a %Y-%m-%d %H:%M} {zone.key}"


def decide(need: Need, teams: Sequence[TeamView], agents: Sequence[AgentView], at: datetime) -> Decision:
    teams = [
        t
        for t in teams
        if t.id not in need.exclude_team_ids and (not need.only_team_ids or t.id in need.only_team_ids)
    ]
    pairs: list[Pair] = [
        (t, a)
        for t in teams
        for a in agents
        if t.id in a.team_ids and a.id not in need.exclude_agent_ids and a.max_concurrent > 0
    ]
    if not pairs:
        return Decision("queued", need.preferred_team_id, None, "no team with agents to route to")
    pairs, language_step = _language_tier(need, pairs)
    pairs, skill_step = _skill_filter(need, pairs)
    steps = tuple(s for s in (language_step, skill_step, *need.notes) if s)
    head = ", ".join(steps)

    open_teams = {t.id for t, _ in pairs if t.calendar.is_open(at)}
    if not open_teams:
        return _wait_for_opening(need, pairs, at, head, steps)
    online = [(t, a) for t, a in pairs if t.id in open_teams and a.availability == "online"]
    if not online:
        team = _pick_team(need, [t for t, _ in pairs if t.id in open_teams])
        return Decision("queued", team.id, None, f"{head}, team {team.name} open, nobody online", steps=steps)
    free = [(t, a) for t, a in online if a.has_room(need.channel)]
    if not free:
        team = _pick_team(need, [t for t, _ in online])
        return Decision(
            "queued", team.id, None, f"{head}, team {team.name} open, everyone at capacity", steps=steps
        )

    wanted = primary(need.language)

    def level(agent: AgentView) -> str | None:
        return level_in(agent.languages, agent.proficiency, wanted) if wanted else None

    def rank(pair: Pair) -> tuple[bool, bool, int, float, datetime, str]:
        team, agent = pair
        return (
            agent.id != need.sticky_agent_id,
            team.id != need.preferred_team_id,
            -RANK.get(level(agent) or "", 0),
            agent.load / agent.max_concurrent,
            agent.last_assigned_at or _NEVER,
            str(agent.id),
        )

    team, agent = min(free, key=rank)
    parts = [head]
    if agent.id == need.sticky_agent_id:
        parts.append("returning customer's last agent")
    # Say so when the level decided between agents otherwise on a par.
    rivals = {level(a) for t, a in free if rank((t, a))[:2] == rank((team, agent))[:2]}
    chosen = level(agent)
    if chosen is not None and len(rivals) > 1:
        others = sorted((r or "none" for r in rivals - {chosen}), key=lambda r: -RANK.get(r, 0))
        parts.append(f"{chosen} in {need.language} over {', '.join(others)}")
    parts += [f"team {team.name} open", f"load {agent.load}/{agent.max_concurrent}"]
    if need.channel and need.channel in agent.channel_capacity:
        used = agent.channel_loads.get(need.channel, 0)
        parts.append(f"{need.channel} {used}/{agent.channel_capacity[need.channel]}")
    return Decision(
        "assigned",
        team.id,
        agent.id,
        ", ".join(parts),
        load=agent.load,
        capacity=agent.max_concurrent,
        steps=steps,
    )


def _pick_team(need: Need, teams: Sequence[TeamView]) -> TeamView:
    return min(teams, key=lambda t: (t.id != need.preferred_team_id, t.name, str(t.id)))


def _wait_for_opening(
    need: Need, pairs: list[Pair], at: datetime, head: str, steps: tuple[str, ...]
) -> Decision:
    openings: list[tuple[datetime, bool, str, TeamView]] = []
    for team in {t.id: t for t, _ in pairs}.values():
        opening = team.calendar.next_opening(at)
        if opening is not None:
            openings.append((opening, team.id != need.preferred_team_id, team.name, team))
    if not openings:
        return Decision("queued", need.preferred_team_id, None, f"{head}, no team ever opens", steps=steps)
    opening, _, _, team = min(openings, key=lambda o: o[:3])
    return Decision(
        "queued",
        team.id,
        None,
        f"{head}, no team open; team {team.name} opens {_local(team, opening)}",
        wait_until=opening,
        steps=steps,
    )
