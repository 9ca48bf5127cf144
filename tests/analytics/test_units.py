"""The pure parts: histogram buckets and percentiles, folding facts, their contributions."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from meridian.analytics.buckets import BUCKETS, bucket_bounds, bucket_of, percentile
from meridian.analytics.facts import Delta, Fact, contribution, fold
from meridian.analytics.measures import exact_percentile
from meridian.analytics.models import DIMENSIONS, ReportEvent
from meridian.analytics.query import DayRange, Filters
from meridian.analytics.rollups import CUBES, GRAINS, TAG_CUBES, deltas, period_of, sparse_array, totals
from meridian.analytics.sources import ReportQuery

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def event(kind: str, minutes: float, **fields: object) -> ReportEvent:
    values: dict[str, object] = {
        "id": random.randint(1, 10**9),
        "workspace_id": uuid.UUID(int=1),
        "conversation_id": uuid.UUID(int=2),
        "kind": kind,
        "at": START + timedelta(minutes=minutes),
        "tags": [],
        "data": {},
        "language": "es",
    }
    values.update(fields)
    return ReportEvent(**values)


def test_every_duration_lands_in_the_bucket_that_bounds_it() -> None:
    for seconds in (0, 0.5, 1, 1.3, 59, 60, 3600, 86400, 30 * 86400, 10**9):
        index = bucket_of(seconds)
        low, high = bucket_bounds(index)
        assert 0 <= index < BUCKETS
        assert low <= seconds < high or index == BUCKETS - 1


def test_histogram_percentiles_track_exact_ones() -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(7, 1.5) for _ in range(5000)]
    histogram = [0] * BUCKETS
    for value in values:
        histogram[bucket_of(value)] += 1
    for fraction in (0.5, 0.9):
        exact = exact_percentile(values, fraction)
        assert exact is not None
        assert percentile(histogram, fraction) == pytest.approx(exact, rel=0.05)
    assert percentile([0] * BUCKETS, 0.5) is None


def test_sparse_arrays_keep_only_the_touched_buckets() -> None:
    assert sparse_array({3: 1, 5: 2}) == "[4:6]={1,0,2}"
    assert sparse_array({2: 0}) is None


def test_a_bot_resolution_is_a_deflection_until_a_person_steps_in() -> None:
    fact = fold(None, event("conversation_created", 0))
    fact = fold(fact, event("customer_message", 0))
    fact = fold(fact, event("reply", 1, data={"author": "bot"}))
    resolved = fold(fact, event("resolved", 2, calendar_s=120.0, business_s=120.0))
    day = contribution(resolved)[date(2026, 3, 2)].counters
    assert (day["bot_deflected"], day["bot_engaged"], day["fcr"], day.get("first_responses", 0)) == (
        1,
        1,
        1,
        0,
    )
    reopened = fold(resolved, event("reopened", 60 * 24))
    helped = fold(reopened, event("first_response", 60 * 24 + 5, calendar_s=86700.0, business_s=300.0))
    again = fold(helped, event("resolved", 60 * 24 + 10, calendar_s=87000.0, business_s=600.0))
    counted = contribution(again)
    assert counted[date(2026, 3, 2)].counters.get("bot_deflected", 0) == 0
    assert counted[date(2026, 3, 2)].counters["reopened"] == 1
    assert counted[date(2026, 3, 3)].counters["resolutions"] == 1
    # Backlog over both days nets to zero: opened, resolved, reopened, resolved.
    assert sum(d.counters["backlog_delta"] for d in counted.values()) == 0


def test_an_excluded_conversation_adds_nothing_and_its_retraction_is_exact() -> None:
    fact = fold(None, event("conversation_created", 0))
    gone = fold(fact, event("excluded", 1))
    assert contribution(gone) == {}
    changes = deltas(fact, gone)
    assert changes and all(delta.counters.get("conversations", 0) == -1 for delta in changes.values())
    # Moving a conversation to another language moves it between rollup keys, nothing more.
    moved = fold(fact, event("updated", 2, language="pt"))
    net = deltas(fact, moved)
    assert sum(d.counters.get("conversations", 0) for d in net.values()) == 0
    assert {key[3][0] for key, d in net.items() if d.counters.get("conversations", 0) > 0} == {"pt"}


@pytest.mark.parametrize(
    ("group_by", "filters", "cube"),
    [
        (None, Filters(), "t"),
        ("language", Filters(), "l"),
        ("tier", Filters(language="es"), "l"),
        ("channel", Filters(), "c"),
        ("inbox", Filters(channel="email"), "c"),
        ("team", Filters(), "o"),
        ("region", Filters(), "o"),
        ("agent", Filters(), "p"),
        ("agent", Filters(region="eu"), "p"),
        ("channel", Filters(language="es"), "x"),
        ("team", Filters(language="es"), "y"),
        ("agent", Filters(language="es"), "a"),
        ("team", Filters(channel="email"), "g"),
        ("team", Filters(language="de", tier="vip"), "g"),
        ("tag", Filters(), "k"),
        (None, Filters(tag="billing"), "k"),
        ("tag", Filters(language="es"), "j"),
        ("language", Filters(tag="billing"), "j"),
    ],
)
def test_a_report_reads_the_smallest_cube_that_keeps_its_grouping_and_filters(
    group_by: str | None, filters: Filters, cube: str
) -> None:
    q = ReportQuery(uuid.uuid4(), DayRange(date(2026, 1, 1), date(2026, 2, 1)), filters, group_by)
    assert (q.cube, q.needs_facts) == (cube, False)
    kept = CUBES[cube]
    assert q.dimensions <= kept
    # No cube listed before it would do.
    assert not any(q.dimensions <= CUBES[other] for other in list(CUBES)[: list(CUBES).index(cube)])


def test_what_no_cube_keeps_is_read_from_the_facts() -> None:
    days = DayRange(date(2026, 1, 1), date(2026, 2, 1))
    assert ReportQuery(uuid.uuid4(), days, Filters(channel="email"), "agent").needs_facts
    # Tags with any other dimension than the language: no tag cube keeps it.
    assert ReportQuery(uuid.uuid4(), days, Filters(tag="billing"), "team").needs_facts
    assert ReportQuery(uuid.uuid4(), days, Filters(channel="email"), "tag").needs_facts
    assert ReportQuery(uuid.uuid4(), days, Filters(tag="billing", tier="vip"), None).needs_facts
    # By tag within a tag: the other tags of those conversations, which no row keeps.
    assert ReportQuery(uuid.uuid4(), days, Filters(tag="billing"), "tag").needs_facts


def _naive(facts: list[tuple[Fact, int]]) -> dict[object, tuple[object, object]]:
    """Every key's sum, computed the plain way: each fact into each cube and grain."""
    sums: dict[object, Delta] = {}
    for fact, sign in facts:
        for day, delta in contribution(fact).items():
            for cube, kept in CUBES.items():
                dims = tuple(v if n in kept else None for n, v in zip(DIMENSIONS, fact.dims(), strict=True))
                # Tag cubes: once per tag, an untagged fact under None; others: no tag.
                tags: list[str | None] = list(fact.tags) or [None] if cube in TAG_CUBES else [None]
                for tag, grain in ((tag, grain) for tag in tags for grain in GRAINS):
                    key = (cube, grain, period_of(day, grain), (*dims, tag))
                    sums.setdefault(key, Delta()).add(delta, sign)
    return {
        key: (
            {n: v for n, v in d.counters.items() if v},
            {h: {i: c for i, c in b.items() if c} for h, b in d.histograms.items() if any(b.values())},
        )
        for key, d in sums.items()
        if not d.is_zero()
    }


def _plain(changes: dict[object, Delta]) -> dict[object, tuple[object, object]]:
    return {
        key: (
            {n: v for n, v in d.counters.items() if v},
            {h: {i: c for i, c in b.items() if c} for h, b in d.histograms.items() if any(b.values())},
        )
        for key, d in changes.items()
    }


def test_shared_deltas_add_up_like_one_fact_at_a_time() -> None:
    rng = random.Random(9)
    teams = [uuid.UUID(int=n) for n in range(1, 4)]
    facts = []
    for n in range(60):
        created = START + timedelta(days=rng.randrange(40), hours=rng.randrange(24))
        fact = Fact(
            uuid.UUID(int=1), uuid.UUID(int=100 + n), created, language=rng.choice(["es", "de", None])
        )
        fact.team_id, fact.channel, fact.tier = rng.choice(teams), rng.choice(["email", "sms"]), "vip"
        fact.tags = sorted(rng.sample(["billing", "refund", "bug"], rng.choice((0, 1, 1, 2))))
        fact.first_response_s = fact.first_response_bs = rng.uniform(10, 9000)
        if rng.random() < 0.6:
            fact.status, fact.resolution_s, fact.resolution_bs = "resolved", 86400.0, 3600.0
            fact.timeline = [[(created + timedelta(days=rng.randrange(9))).date().isoformat(), "resolved"]]
        facts.append(fact)
    assert _plain(totals(facts)) == _naive([(fact, 1) for fact in facts])
    old, new = facts[0], Fact(**{**facts[0].values(), "team_id": teams[2], "language": "ko"})
    assert _plain(deltas(old, new)) == _naive([(old, -1), (new, 1)])
    # A tag added and one removed: the old tag's rows lose the fact, the new one's gain
    # it, and no other cube changes (the same dimensions otherwise).
    tagged = Fact(**{**facts[2].values(), "tags": ["billing"]})
    retagged = Fact(**{**facts[2].values(), "tags": ["bug", "refund"]})
    moved = deltas(tagged, retagged)
    assert _plain(moved) == _naive([(tagged, -1), (retagged, 1)])
    assert {key[0] for key in moved} == TAG_CUBES
    per_tag: dict[object, int] = {}
    for (cube, grain, _, dims), delta in moved.items():
        if cube == "k" and grain == "m":
            per_tag[dims[-1]] = per_tag.get(dims[-1], 0) + delta.counters.get("conversations", 0)
    assert per_tag == {"billing": -1, "bug": 1, "refund": 1}
    # A change on one day appends one row per cube and grain.
    answered = Fact(**{**facts[1].values(), "first_response_s": 1.0, "first_response_bs": 1.0})
    if facts[1].status != "resolved":
        # (A tag cube has a row per tag of the conversation.)
        extra = max(len(facts[1].tags) - 1, 0) * len(TAG_CUBES)
        assert len(deltas(facts[1], answered)) == (len(CUBES) + extra) * len(GRAINS)
