"""The pure decision function: tie-breaks and edge cases the scenario table leaves out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from meridian.calendars import BusinessCalendar
from meridian.routing.engine import AgentView, Need, TeamView, decide
from tests.routing.support import WEEKDAYS_9_TO_6

MONDAY_NOON_UTC = datetime(2027, 6, 14, 12, 0, tzinfo=UTC)
ALWAYS = BusinessCalendar("UTC")
NEVER = BusinessCalendar("UTC", {})


def team(name: str, calendar: BusinessCalendar = ALWAYS, languages: tuple[str, ...] = ()) -> TeamView:
    return TeamView(uuid.uuid4(), name, languages, calendar)


def agent(
    name: str, *teams: TeamView, load: int = 0, cap: int = 8, last: datetime | None = None
) -> AgentView:
    return AgentView(
        id=uuid.uuid4(),
        name=name,
        languages=("en",),
        skills=frozenset(),
        team_ids=frozenset(t.id for t in teams),
        max_concurrent=cap,
        availability="online",
        load=load,
        last_assigned_at=last,
    )


def test_equal_load_goes_to_the_longest_idle() -> None:
    t = team("Support")
    busy_lately = agent("A", t, load=2, last=datetime(2027, 6, 14, 11, 59, tzinfo=UTC))
    idle_longer = agent("B", t, load=2, last=datetime(2027, 6, 14, 9, 0, tzinfo=UTC))
    never = agent("C", t, load=3, last=None)
    decision = decide(Need("en"), [t], [busy_lately, idle_longer, never], MONDAY_NOON_UTC)
    assert decision.agent_id == idle_longer.id


def test_load_is_a_ratio_of_capacity() -> None:
    t = team("Support")
    small = agent("Small", t, load=1, cap=2)  # half full
    large = agent("Large", t, load=3, cap=10)  # under a third
    assert decide(Need("en"), [t], [small, large], MONDAY_NOON_UTC).agent_id == large.id


def test_the_conversations_own_team_comes_before_load() -> None:
    own, other = team("Own"), team("Other")
    mine = agent("Mine", own, load=5)
    theirs = agent("Theirs", other, load=0)
    decision = decide(Need("en", preferred_team_id=own.id), [own, other], [mine, theirs], MONDAY_NOON_UTC)
    assert decision.agent_id == mine.id


def test_excluded_agent_and_team_are_never_chosen() -> None:
    a, b = team("A"), team("B")
    x, y = agent("X", a), agent("Y", b)
    assert (
        decide(Need("en", exclude_agent_ids=frozenset({x.id})), [a, b], [x, y], MONDAY_NOON_UTC).agent_id
        == y.id
    )
    assert (
        decide(Need("en", exclude_team_ids=frozenset({b.id})), [a, b], [x, y], MONDAY_NOON_UTC).agent_id
        == x.id
    )


def test_only_team_restricts_the_choice() -> None:
    a, b = team("A"), team("B")
    x, y = agent("X", a, load=5), agent("Y", b, load=0)
    assert (
        decide(Need("en", only_team_ids=frozenset({a.id})), [a, b], [x, y], MONDAY_NOON_UTC).agent_id == x.id
    )


def test_no_capacity_at_all_and_never_open_teams_queue_without_a_time() -> None:
    closed = team("Closed", NEVER)
    zero = agent("Zero", team("Open"), cap=0)
    assert decide(Need("en"), [closed], [agent("X", closed)], MONDAY_NOON_UTC).wait_until is None
    decision = decide(Need("en"), [], [zero], MONDAY_NOON_UTC)
    assert decision.outcome == "queued" and decision.reason == "no team with agents to route to"


def test_earliest_opening_wins_among_closed_teams() -> None:
    berlin = team("Berlin", BusinessCalendar("Europe/Berlin", WEEKDAYS_9_TO_6), ("de",))
    mexico = team("Mexico City", BusinessCalendar("America/Mexico_City", WEEKDAYS_9_TO_6), ("de",))
    saturday = datetime(2027, 6, 19, 20, 0, tzinfo=UTC)
    decision = decide(Need("de"), [berlin, mexico], [agent("B", berlin), agent("M", mexico)], saturday)
    # Monday 09:00 CEST (07:00 UTC) comes before Monday 09:00 in Mexico City (15:00 UTC).
    assert decision.team_id == berlin.id
    assert decision.wait_until == datetime(2027, 6, 21, 7, 0, tzinfo=UTC)


def test_spanish_at_every_hour_of_a_week_with_the_demo_teams() -> None:
    """The issue's "done when": at any hour a Spanish message goes to an open Spanish
    speaker if one exists, else waits for the first opening of a team that has one."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from tests.routing.support import TEAMS

    teams = {
        name: team(
            name,
            BusinessCalendar(spec["timezone"], WEEKDAYS_9_TO_6, spec["holidays"]),
            tuple(spec["languages"]),
        )
        for name, spec in TEAMS.items()
    }
    sofia = AgentView(
        uuid.uuid4(),
        "Sofia",
        ("es", "pt", "en"),
        frozenset(),
        frozenset({teams["Mexico City"].id}),
        8,
        "online",
        3,
    )
    lena = AgentView(
        uuid.uuid4(), "Lena", ("de", "en"), frozenset(), frozenset({teams["Berlin"].id}), 8, "online"
    )
    wei = AgentView(
        uuid.uuid4(), "Wei", ("zh-Hans", "en"), frozenset(), frozenset({teams["Shanghai"].id}), 8, "online"
    )
    mexico = ZoneInfo("America/Mexico_City")
    start = datetime(2027, 9, 13, 0, 30, tzinfo=UTC)  # a Monday; Thursday 09-16 is a Mexican holiday
    for hour in range(7 * 24):
        at = start + timedelta(hours=hour)
        decision = decide(Need("es"), list(teams.values()), [sofia, lena, wei], at)
        local = at.astimezone(mexico)
        open_now = local.weekday() < 5 and 9 <= local.hour < 18 and local.date().isoformat() != "2027-09-16"
        if open_now:
            assert decision.agent_id == sofia.id, (at, decision)
        else:
            assert decision.outcome == "queued" and decision.team_id == teams["Mexico City"].id, (
                at,
                decision,
            )
            assert decision.wait_until == teams["Mexico City"].calendar.next_opening(at), at
            assert decision.wait_until is not None and decision.wait_until.astimezone(mexico).hour == 9
