"""Rollups agree with the facts they are built from, before and after compaction, and a
rebuild from the report event log reproduces both exactly."""

from __future__ import annotations

import importlib
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, delete, func, make_url, select

from meridian.analytics import service
from meridian.analytics.models import (
    COUNTERS,
    DIMENSIONS,
    HISTOGRAMS,
    ReportEvent,
    ReportFact,
    ReportTagBackfill,
)
from meridian.analytics.query import Filters, day_range
from meridian.analytics.rebuild import rebuild_rollups, rebuild_workspace
from meridian.analytics.rollups import (
    CUBES,
    KEY_DIMENSIONS,
    ROLLUPS,
    compact,
    histogram_from,
    histogram_sums,
    key_hash,
)
from meridian.analytics.sources import ReportQuery, reads_facts
from meridian.db.engine import Database
from tests.analytics.helpers import drain, incoming, patch, reply
from tests.analytics.scenario import SINCE, UNTIL, Scenario
from tests.factories import Factory

COUNTS = ("conversations", "resolved", "reopens", "backlog", "first_responses", "csat_responses", "handoffs")
DURATIONS = ("first_response_p50_s", "first_response_p90_s", "resolution_p50_s", "next_response_p50_s")


async def both_ways(db: Database, q: ReportQuery) -> tuple[dict[str, Any], dict[str, Any]]:
    async with db.session() as session:
        exact = await service.overview(session, q)
        approximate = await service.overview(session, q, exact_limit=0)
    assert (exact["percentiles"], approximate["percentiles"]) == ("exact", "approximate")
    return exact, approximate


@pytest.mark.parametrize(
    "group_by", [None, "language", "channel", "team", "agent", "region", "inbox", "tier"]
)
async def test_rollups_and_facts_give_the_same_figures(
    db: Database, week: Scenario, group_by: str | None
) -> None:
    for filters, basis in (
        (Filters(), "calendar"),
        (Filters(language="es"), "business"),
        (Filters(team_id=week.berlin), "calendar"),
    ):
        q = ReportQuery(week.tenant.workspace_id, day_range(SINCE, UNTIL), filters, group_by, basis)
        exact, approximate = await both_ways(db, q)
        rows = {g["key"]: g for g in exact["groups"]}
        assert set(rows) == {g["key"] for g in approximate["groups"]}
        for group in approximate["groups"]:
            for name in COUNTS:
                assert group[name] == rows[group["key"]][name], (filters, group["key"], name)
            for name in DURATIONS:
                want = rows[group["key"]][name]
                # Histogram percentiles stay within their bucket's width (see buckets.py).
                assert group[name] == (None if want is None else pytest.approx(want, rel=0.2)), name


def same_figures(exact: dict[str, Any], approximate: dict[str, Any], label: object) -> None:
    rows = {g["key"]: g for g in exact["groups"]}
    assert set(rows) == {g["key"] for g in approximate["groups"]}, label
    for group, want in [
        *((g, rows[g["key"]]) for g in approximate["groups"]),
        (approximate["totals"], exact["totals"]),
    ]:
        for name in COUNTS:
            assert group[name] == want[name], (label, group.get("key"), name)
        for name in DURATIONS:
            # Histogram percentiles stay within their bucket's width (see buckets.py).
            assert group[name] == (None if want[name] is None else pytest.approx(want[name], rel=0.2)), name


@pytest.mark.parametrize("group_by", ["tag", None, "language"])
async def test_tag_reports_from_the_tag_cubes_equal_the_facts(
    db: Database, week: Scenario, group_by: str | None
) -> None:
    workspace_id = week.tenant.workspace_id
    for filters in (
        Filters(),
        Filters(language="de"),
        Filters(tag="billing"),
        Filters(tag="billing", language="es"),
    ):
        if (group_by == "tag") == (filters.tag is not None):
            continue  # (by tag within a tag reads the facts: test_units)
        q = ReportQuery(workspace_id, day_range(SINCE, UNTIL), filters, group_by, "business")
        assert not q.needs_facts and q.cube in ("k", "j")
        async with db.session() as session:
            from_cubes = await service.overview(session, q, exact_limit=0)
            series = await service.timeseries(session, q)
            # As before the tag cubes (migration 0025, until a rebuild): from the facts.
            session.add(ReportTagBackfill(workspace_id=workspace_id))
            await session.flush()
            from_facts = await service.overview(session, q)
            assert from_facts["percentiles"] == "exact"
            assert await service.timeseries(session, q) == series
            await session.rollback()
        assert from_cubes["percentiles"] == "approximate"
        same_figures(from_facts, from_cubes, filters)
        if group_by == "tag" and filters.tag is None:
            assert {g["key"]: g["conversations"] for g in from_cubes["groups"]} == (
                {"billing": 2, "shipping": 1, None: 3}
                if filters.language is None
                else {"billing": 1, None: 1}
            )


async def rollup_state(db: Database, workspace_id: Any) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    c = ROLLUPS.c
    key = [c.cube, c.grain, c.period, *(c[d] for d in KEY_DIMENSIONS)]
    sums = [func.sum(c[name]).label(name) for name in COUNTERS]
    hists = [col for name in HISTOGRAMS for col in histogram_sums(name)]
    stmt = select(*key, *sums, *hists).where(c.workspace_id == workspace_id).group_by(*key)
    out = {}
    async with db.session() as session:
        for row in await session.execute(stmt):
            values = tuple(int(row._mapping[n]) for n in COUNTERS)
            histograms = tuple(tuple(histogram_from(row, n)) for n in HISTOGRAMS)
            if any(values):
                out[tuple(row[: len(key)])] = (values, histograms)
    return out


async def fact_state(db: Database, workspace_id: Any) -> dict[Any, dict[str, Any]]:
    async with db.session() as session:
        rows = await session.scalars(select(ReportFact).where(ReportFact.workspace_id == workspace_id))
        return {
            row.conversation_id: {k: v for k, v in vars(row).items() if not k.startswith("_")} for row in rows
        }


async def test_compaction_and_rebuild_reproduce_the_incremental_figures(db: Database, week: Scenario) -> None:
    workspace_id = week.tenant.workspace_id
    q = ReportQuery(workspace_id, day_range(SINCE, UNTIL), Filters(), "team")
    by_tag = ReportQuery(workspace_id, day_range(SINCE, UNTIL), Filters(language="de"), "tag")
    async with db.session() as session:
        tagged = await service.overview(session, by_tag, exact_limit=0)
    before_facts = await fact_state(db, workspace_id)
    before_rollups = await rollup_state(db, workspace_id)
    async with db.session() as session:
        incremental = await service.overview(session, q, exact_limit=0)
        assert await compact(session, workspace_id) >= 1
        await session.commit()
    async with db.session() as session:
        pending = await session.scalar(
            select(func.count()).where(ROLLUPS.c.workspace_id == workspace_id, ROLLUPS.c.compacted.is_(False))
        )
        assert pending == 0
        assert await service.overview(session, q, exact_limit=0) == incremental
        assert await service.overview(session, by_tag, exact_limit=0) == tagged
    assert await rollup_state(db, workspace_id) == before_rollups

    result = await rebuild_workspace(db, workspace_id)
    assert result.conversations == len(before_facts) == 6  # five plus the rating's own (excluded)
    assert await fact_state(db, workspace_id) == before_facts
    assert await rollup_state(db, workspace_id) == before_rollups
    async with db.session() as session:
        assert await service.overview(session, q, exact_limit=0) == incremental
        assert await service.overview(session, by_tag, exact_limit=0) == tagged

    # From the facts alone, in creation order, written compacted in one pass.
    result = await rebuild_rollups(db, workspace_id)
    assert result.conversations == 6 and result.rollup_rows == len(before_rollups)
    assert await fact_state(db, workspace_id) == before_facts
    assert await rollup_state(db, workspace_id) == before_rollups
    async with db.session() as session:
        pending = await session.scalar(
            select(func.count()).where(ROLLUPS.c.workspace_id == workspace_id, ROLLUPS.c.compacted.is_(False))
        )
        assert pending == 0
        assert await service.overview(session, q, exact_limit=0) == incremental
        assert await service.overview(session, by_tag, exact_limit=0) == tagged


async def test_the_migration_derives_the_small_cubes_as_the_recorder_writes_them(
    db: Database, week: Scenario, database_url: str
) -> None:
    workspace_id = week.tenant.workspace_id
    before = await rollup_state(db, workspace_id)
    assert {key[0] for key in before} == set(CUBES)
    migration = importlib.import_module("meridian.migrations.versions.0024_analytics_cubes")
    engine = create_engine(make_url(database_url).set(drivername="postgresql+psycopg"))
    try:
        with engine.begin() as connection:
            migration.derive(connection)
    finally:
        engine.dispose()
    assert await rollup_state(db, workspace_id) == before
    c = ROLLUPS.c
    async with db.session() as session:
        rows = await session.execute(
            select(c.cube, c.grain, c.period, *(c[d] for d in DIMENSIONS), c.key_hash).where(
                c.workspace_id == workspace_id, c.cube.in_(migration.NEW_CUBES)
            )
        )
        derived = list(rows)
    assert derived
    # The same key hashes as the recorder's: later deltas fold into the derived rows.
    for cube, grain, period, *dims, hashed in derived:
        assert hashed == key_hash(workspace_id, (cube, grain, period, tuple(dims)))


def test_the_rebuild_command_reports_what_it_recomputed(
    week: Scenario, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from meridian.cli import app
    from meridian.config import get_settings

    monkeypatch.setenv("MERIDIAN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["analytics", "rebuild", "--workspace", str(week.tenant.workspace_id)]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"{week.tenant.workspace_id}: 6 conversations from" in result.output
    monkeypatch.setenv("MERIDIAN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["analytics", "rebuild", "--rollups-only", "--workspace", str(week.tenant.workspace_id)]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"{week.tenant.workspace_id}: rollups of 6 conversations recomputed" in result.output
    both = CliRunner().invoke(app, ["analytics", "rebuild", "--rollups-only", "--replay"])
    assert both.exit_code == 2
    bad = CliRunner().invoke(app, ["analytics", "rebuild", "--workspace", "nope"])
    assert bad.exit_code == 2


async def test_replay_recovers_history_recorded_before_analytics(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    h = tenant.headers
    inbox_id, _ = await factory.inbox(tenant)
    first = await incoming(
        client, h, inbox_id, "Hello, my parcel never arrived at my house.", identifier="r1"
    )
    await reply(client, h, first["conversation_id"], "Sorry! Sending a new one.")
    await patch(client, h, first["conversation_id"], status="resolved")
    await incoming(client, h, inbox_id, "Hi, can I change my delivery address please?", identifier="r2")
    await drain(db)
    recorded = await fact_state(db, tenant.workspace_id)
    async with db.session() as session:
        # As if analytics had been installed after these conversations happened.
        await session.execute(delete(ReportEvent).where(ReportEvent.workspace_id == tenant.workspace_id))
        await session.commit()
    result = await rebuild_workspace(db, tenant.workspace_id, replay=True)
    assert result.replayed > 0 and result.conversations == 2
    replayed = await fact_state(db, tenant.workspace_id)
    ignore = {"last_event_id"}
    assert {k: {f: v for f, v in f.items() if f not in ignore} for k, f in replayed.items()} == {
        k: {f: v for f, v in f.items() if f not in ignore} for k, f in recorded.items()
    }


async def test_adding_and_removing_a_tag_moves_the_tag_figures(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    h = tenant.headers
    inbox_id, _ = await factory.inbox(tenant)
    first = await incoming(client, h, inbox_id, "Hello, I was charged twice for my order.", identifier="t1")
    second = await incoming(client, h, inbox_id, "Hi, where is my parcel? It is late.", identifier="t2")
    await patch(client, h, first["conversation_id"], tags=["billing"])
    await drain(db)
    days = day_range(None, None)
    by_tag = ReportQuery(tenant.workspace_id, days, Filters(), "tag")
    billing = ReportQuery(tenant.workspace_id, days, Filters(tag="billing"), None)

    async def figures() -> tuple[dict[str | None, int], int, int]:
        async with db.session() as session:
            report = await service.overview(session, by_tag, exact_limit=0)
            filtered = await service.overview(session, billing, exact_limit=0)
        groups = {g["key"]: g["conversations"] for g in report["groups"] if g["conversations"]}
        return groups, report["totals"]["conversations"], filtered["totals"]["conversations"]

    assert await figures() == ({"billing": 1, None: 1}, 2, 1)
    await patch(client, h, first["conversation_id"], tags=["refund", "urgent"])
    await patch(client, h, second["conversation_id"], tags=["billing"])
    await drain(db)
    assert await figures() == ({"billing": 1, "refund": 1, "urgent": 1}, 2, 1)
    await patch(client, h, second["conversation_id"], tags=[])
    await drain(db)
    assert await figures() == ({"refund": 1, "urgent": 1, None: 1}, 2, 0)
    async with db.session() as session:
        # The same as from scratch.
        assert (await service.overview(session, by_tag, exact_limit=0))["percentiles"] == "approximate"
    await rebuild_workspace(db, tenant.workspace_id)
    assert await figures() == ({"refund": 1, "urgent": 1, None: 1}, 2, 0)


async def test_tag_reports_read_the_facts_until_a_rebuild_writes_the_tag_cubes(
    db: Database, week: Scenario
) -> None:
    workspace_id = week.tenant.workspace_id
    q = ReportQuery(workspace_id, day_range(SINCE, UNTIL), Filters(), "tag")
    async with db.session() as session:
        # What migration 0025 leaves for a workspace that had facts.
        session.add(ReportTagBackfill(workspace_id=workspace_id))
        await session.commit()
    async with db.session() as session:
        assert await reads_facts(session, q)
        assert (await service.overview(session, q))["percentiles"] == "exact"
    await rebuild_rollups(db, workspace_id)
    async with db.session() as session:
        assert not await reads_facts(session, q)
        assert (await service.overview(session, q, exact_limit=0))["percentiles"] == "approximate"
