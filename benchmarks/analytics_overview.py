"""How fast the analytics reports answer over a large workspace.

    python benchmarks/analytics_overview.py [--conversations 1000000] [--database-url URL]
    python benchmarks/analytics_overview.py --generated [--data-dir DIR]

Creates a scratch database (on MERIDIAN_DATABASE_URL's server, or the embedded one),
fills one workspace with a year of synthetic conversations (6 teams in 4 regions,
60 agents, 10 inboxes on 9 channels, 12 languages, 3 tiers), writes their facts and
rollups through the same code the live recorder uses, then times each report.
The database is dropped afterwards unless --keep is given.

With ``--generated`` it times the same reports over the workspace that
``python -m benchmarks.generate`` filled (conversations, messages, and their facts and
rollups) in ``--data-dir`` instead.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from meridian.analytics import drill, rollups, service
from meridian.analytics.facts import Fact, utc_day
from meridian.analytics.models import ReportFact
from meridian.analytics.query import DayRange, Filters
from meridian.analytics.sources import ReportQuery
from meridian.db.embedded import start_embedded, to_sqlalchemy_url
from meridian.db.engine import Database, make_database
from meridian.db.migrate import upgrade
from meridian.workspaces.models import Workspace

ROOT = str(Path(__file__).resolve().parents[1])
LANGUAGES = ["en", "es", "de", "fr", "pt", "ja", "zh-Hans", "ar", "ko", "it", "nl", "tr"]
TEAMS = [("eu", ["de", "fr", "it", "nl", "en", "tr"]), ("eu", ["en", "de"]), ("latam", ["es", "pt", "en"])]
TEAMS += [
    ("apac", ["ja", "ko", "zh-Hans", "en"]),
    ("apac", ["zh-Hans", "en"]),
    ("mena", ["ar", "en", "fr", "tr"]),
]
CHANNELS = [
    "api",
    "email",
    "whatsapp",
    "webchat",
    "sms",
    "telegram",
    "line",
    "messenger",
    "instagram",
    "email",
]
TIERS = ["free"] * 14 + ["pro"] * 5 + ["vip"]
TAGS = ["billing", "shipping", "returns", "refund", "account", "bug", "feedback", "urgent"]


def synthetic_facts(
    workspace_id: uuid.UUID,
    count: int,
    start: date,
    rng: random.Random,
    *,
    span: tuple[float, float] = (0, 1),
) -> list[Fact]:
    """``count`` conversations created in the ``span`` fraction of the year after ``start``."""
    teams = [(uuid.uuid4(), region, langs, [uuid.uuid4() for _ in range(10)]) for region, langs in TEAMS]
    inboxes = [(uuid.uuid4(), channel) for channel in CHANNELS]
    weights = [1 / (rank + 1) for rank in range(len(LANGUAGES))]
    facts = []
    for _ in range(count):
        language = rng.choices(LANGUAGES, weights)[0]
        team_id, region, _, agents = rng.choice([t for t in teams if language in t[2]] or teams)
        inbox_id, channel = rng.choice(inboxes)
        created = datetime.combine(start, datetime.min.time(), tzinfo=UTC) + timedelta(
            seconds=rng.uniform(*span) * 365 * 86400
        )
        fact = Fact(workspace_id, uuid.uuid4(), created, local_how=rng.randrange(168))
        fact.language, fact.channel, fact.inbox_id, fact.team_id = language, channel, inbox_id, team_id
        fact.agent_id = rng.choice(agents) if rng.random() < 0.9 else None
        fact.region, fact.tier = region, rng.choice(TIERS)
        fact.tags = sorted(set(rng.sample(TAGS, rng.choice((0, 1, 1, 2)))))
        first = rng.lognormvariate(math.log(900), 1.3)
        fact.first_response_s, fact.first_response_bs = first, first * rng.uniform(0.3, 1)
        fact.first_response_at, fact.human_replies = created + timedelta(seconds=first), rng.randint(1, 4)
        if rng.random() < 0.3:
            fact.next_responses = rng.randint(1, 3)
            fact.next_response_total_s = fact.next_responses * rng.lognormvariate(math.log(600), 1)
            fact.next_response_total_bs = fact.next_response_total_s * 0.7
        if rng.random() < 0.85:
            resolution = first + rng.lognormvariate(math.log(6 * 3600), 1.2)
            fact.status, fact.resolution_s, fact.resolution_bs = "resolved", resolution, resolution * 0.4
            fact.resolved_at = created + timedelta(seconds=resolution)
            fact.timeline = [[utc_day(fact.resolved_at).isoformat(), "resolved"]]
            fact.sla = rng.choice(["met"] * 8 + ["breached", "none"])
            if rng.random() < 0.2:
                fact.csat_sent_at, fact.csat_rating = fact.resolved_at, rng.choice([1, 2, 3, 4, 4, 5, 5, 5])
        fact.handoffs = 1 if rng.random() < 0.04 else 0
        facts.append(fact)
    return facts


async def fill(db: Database, workspace_id: uuid.UUID, count: int, start: date) -> None:
    rng = random.Random(2026)
    batch = 50_000
    started = time.perf_counter()
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        # In creation order, as a live workspace fills up: batches share few rollup keys.
        span = (offset / count, (offset + size) / count)
        facts = synthetic_facts(workspace_id, size, start, rng, span=span)
        async with db.session() as session:
            await session.execute(insert(ReportFact), [fact.values() for fact in facts])
            await rollups.append(session, workspace_id, rollups.totals(facts))
            await session.commit()
        print(f"  {offset + len(facts):>9,} conversations written ({time.perf_counter() - started:.0f} s)")
    async with db.session() as session:
        await rollups.compact(session, workspace_id)
        await session.commit()
        await session.execute(text("ANALYZE report_rollups"))
        await session.execute(text("ANALYZE report_conversations"))
        await session.commit()


async def timed(run: Callable[[], Awaitable[Any]], repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def measure(db: Database, workspace_id: uuid.UUID, start: date) -> None:
    year = DayRange(start, start + timedelta(days=365))
    cases: list[tuple[str, Callable[[Any], Awaitable[Any]]]] = []
    for group in (None, "language", "channel", "team", "agent", "region", "inbox", "tier"):
        q = ReportQuery(workspace_id, year, Filters(), group)
        cases.append((f"overview group_by={group}", lambda s, q=q: service.overview(s, q)))
    for filters in (Filters(language="es"), Filters(language="de", tier="vip")):
        q = ReportQuery(workspace_id, year, filters, "team")
        cases.append((f"overview by team, {filters.as_query()}", lambda s, q=q: service.overview(s, q)))
    odd = ReportQuery(
        workspace_id, DayRange(start + timedelta(days=17), start + timedelta(days=350)), Filters(), "agent"
    )
    cases.append(("overview by agent, unaligned 333 days", lambda s: service.overview(s, odd)))
    q = ReportQuery(workspace_id, year, Filters(), None)
    cases.append(("timeseries by day", lambda s: service.timeseries(s, q)))
    cases.append(("timeseries by week", lambda s: service.timeseries(s, q, interval="week")))
    cases.append(("heatmap", lambda s: drill.heatmap(s, q)))
    cases.append(
        (
            "drill-down, first 50",
            lambda s: drill.conversations(s, q, metric="sla_breached", key=None, limit=50, cursor=None),
        )
    )
    tagged = ReportQuery(
        workspace_id, DayRange(start, start + timedelta(days=30)), Filters(tag="refund"), "team"
    )
    cases.append(("overview, tag filter, 30 days (facts)", lambda s: service.overview(s, tagged)))
    print(f"\n{'report (a year, median of 3)':<48} seconds")
    for name, run in cases:

        async def once(run: Callable[[Any], Awaitable[Any]] = run) -> None:
            async with db.session() as session:
                await run(session)

        print(f"{name:<48} {await timed(once):7.3f}")


async def measure_generated(data_dir: Path | None) -> None:
    sys.path.insert(0, ROOT)
    from benchmarks._common import DEFAULT_DATA_DIR, start_database, use_data_dir
    from benchmarks.generate import bench_workspace

    url = await asyncio.to_thread(start_database, use_data_dir(data_dir or DEFAULT_DATA_DIR))
    workspace_id = bench_workspace(url)
    if workspace_id is None:
        raise SystemExit("no generated workspace here: run `python -m benchmarks.generate` first")
    db = make_database(url, pool_size=2)
    async with db.session() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM report_conversations WHERE workspace_id = :ws"), {"ws": workspace_id}
        )
    print(f"the generated workspace: {count:,} conversations")
    await measure(db, workspace_id, (datetime.now(UTC) - timedelta(days=365)).date())
    await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("MERIDIAN_DATABASE_URL"))
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--generated", action="store_true", help="the workspace of benchmarks.generate")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    if args.generated:
        await measure_generated(args.data_dir)
        return
    server = make_url(
        to_sqlalchemy_url(args.database_url)
        if args.database_url
        else start_embedded(Path(tempfile.mkdtemp(prefix="meridian-bench-")))
    )
    name = f"meridian_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        db = make_database(url, pool_size=2)
        workspace_id = uuid.uuid4()
        async with db.session() as session:
            session.add(Workspace(id=workspace_id, name="Benchmark", languages=[], settings={}))
            await session.commit()
        start = date(2025, 1, 1)
        print(f"writing {args.conversations:,} conversations (facts and rollups)...")
        await fill(db, workspace_id, args.conversations, start)
        await measure(db, workspace_id, start)
        await db.dispose()
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
