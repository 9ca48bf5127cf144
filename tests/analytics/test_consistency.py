"""Rollups agree with the facts they are built from, before and after compaction, and a
rebuild from the report event log reproduces both exactly."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select

from meridian.analytics import service
from meridian.analytics.models import COUNTERS, DIMENSIONS, HISTOGRAMS, ReportEvent, ReportFact
from meridian.analytics.query import Filters, day_range
from meridian.analytics.rebuild import rebuild_workspace
from meridian.analytics.rollups import ROLLUPS, compact, histogram_from, histogram_sums
from meridian.analytics.sources import ReportQuery
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


async def rollup_state(db: Database, workspace_id: Any) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    c = ROLLUPS.c
    key = [c.cube, c.grain, c.period, *(c[d] for d in DIMENSIONS)]
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
    assert await rollup_state(db, workspace_id) == before_rollups

    result = await rebuild_workspace(db, workspace_id)
    assert result.conversations == len(before_facts) == 6  # five plus the rating's own (excluded)
    assert await fact_state(db, workspace_id) == before_facts
    assert await rollup_state(db, workspace_id) == before_rollups
    async with db.session() as session:
        assert await service.overview(session, q, exact_limit=0) == incremental


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
