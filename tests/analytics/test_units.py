"""The pure parts: histogram buckets and percentiles, folding facts, their contributions."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from meridian.analytics.buckets import BUCKETS, bucket_bounds, bucket_of, percentile
from meridian.analytics.facts import contribution, fold
from meridian.analytics.measures import exact_percentile
from meridian.analytics.models import ReportEvent
from meridian.analytics.rollups import deltas, sparse_array

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
