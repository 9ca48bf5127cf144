"""How fast the analytics reports answer over a large workspace.

    python benchmarks/analytics_overview.py [--conversations 1000000] [--wide] [--database-url URL]
    python benchmarks/analytics_overview.py --generated [--data-dir DIR]

Creates a scratch database (on MERIDIAN_DATABASE_URL's server, or the embedded one),
fills one workspace with a year of synthetic conversations (6 teams in 4 regions,
60 agents, 10 inboxes on 9 channels, 12 languages, 3 tiers; with ``--wide`` the
generator's shape and more: 50 teams in 5 regions, 500 agents, 9 inboxes, 20 languages,
3 tiers), writes their facts and rollups through the same code the live recorder uses,
then times each report. The database is dropped afterwards unless --keep is given.
``--compare`` also times each report as it read the rollups before the small cubes
(cube "t", "a" or "g"), on the same data.

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
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from meridian.analytics import drill, service
from meridian.analytics.facts import Fact, utc_day
from meridian.analytics.models import DIMENSIONS, ReportFact
from meridian.analytics.query import DayRange, Filters
from meridian.analytics.rebuild import rebuild_rollups
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


WIDE_LANGUAGES = [*LANGUAGES, "ru", "pl", "sv", "hi", "th", "vi", "id", "he"]


@dataclass(frozen=True)
class Shape:
    teams: list[tuple[str, list[str]]]
    languages: list[str]
    weights: list[float]
    channels: list[str]


NARROW = Shape(TEAMS, LANGUAGES, [1 / (rank + 1) for rank in range(len(LANGUAGES))], CHANNELS)


def wide_shape() -> Shape:
    """benchmarks.generate's workspace (50 teams of 10 agents, each team English and three
    other languages; 20 languages, Zipf-like; one inbox per channel), in five regions."""
    rng = random.Random(50)
    regions = ["eu", "latam", "apac", "mena", "na"]
    others = WIDE_LANGUAGES[1:20]
    teams = [(regions[n % 5], ["en", *rng.sample(others, 3)]) for n in range(50)]
    weights = [1 / (rank + 1) ** 0.8 for rank in range(20)]
    return Shape(teams, WIDE_LANGUAGES[:20], weights, CHANNELS[:9])


def synthetic_facts(
    workspace_id: uuid.UUID,
    count: int,
    start: date,
    rng: random.Random,
    *,
    span: tuple[float, float] = (0, 1),
    shape: Shape = NARROW,
) -> list[Fact]:
    """``count`` conversations created in the ``span`` fraction of the year after ``start``."""
    # Ids from a seeded generator: every batch of one run sees the same teams and inboxes.
    ids = random.Random(7)
    teams = [
        (
            uuid.UUID(int=ids.getrandbits(128)),
            region,
            langs,
            [uuid.UUID(int=ids.getrandbits(128)) for _ in range(10)],
        )
        for region, langs in shape.teams
    ]
    inboxes = [(uuid.UUID(int=ids.getrandbits(128)), channel) for channel in shape.channels]
    facts = []
    for _ in range(count):
        language = rng.choices(shape.languages, shape.weights)[0]
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


async def fill(db: Database, workspace_id: uuid.UUID, count: int, start: date, shape: Shape = NARROW) -> None:
    rng = random.Random(2026)
    batch = 50_000
    started = time.perf_counter()
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        span = (offset / count, (offset + size) / count)
        facts = synthetic_facts(workspace_id, size, start, rng, span=span, shape=shape)
        async with db.session() as session:
            await session.execute(insert(ReportFact), [fact.values() for fact in facts])
            await session.commit()
        print(f"  {offset + len(facts):>9,} conversations written ({time.perf_counter() - started:.0f} s)")
    # The rollups as ``meridian analytics rebuild --rollups-only`` computes them.
    started = time.perf_counter()
    result = await rebuild_rollups(db, workspace_id)
    seconds = time.perf_counter() - started
    print(f"  rollups rebuilt from the facts: {result.rollup_rows:,} rows, {seconds:.0f} s")
    async with db.session() as session:
        per_cube = await session.execute(
            text("SELECT cube, count(*) FROM report_rollups WHERE workspace_id = :ws GROUP BY 1 ORDER BY 2"),
            {"ws": workspace_id},
        )
        print("  rollup rows per cube: " + ", ".join(f"{cube} {count:,}" for cube, count in per_cube))
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


OLD_CUBES = {"t": frozenset[str](), "a": frozenset({"language", "team_id", "agent_id", "region"})}


@dataclass(frozen=True)
class LegacyQuery(ReportQuery):
    """A report query as it chose its cube before the small cubes: "t", "a" or "g"."""

    @property
    def cube(self) -> str:
        if self.group_by == "agent" or self.filters.agent_id is not None:
            return "a"
        return "t" if self.group_by is None and not self.filters.as_query() else "g"

    @property
    def needs_facts(self) -> bool:
        if self.filters.tag is not None or self.group_by == "tag":
            return True
        kept = OLD_CUBES.get(self.cube, frozenset(DIMENSIONS) - {"agent_id"})
        return not self.filters.dimensions() <= kept


Run = Callable[[Any, ReportQuery], Awaitable[Any]]


def overview(s: Any, q: ReportQuery) -> Awaitable[Any]:
    return service.overview(s, q)


async def measure(db: Database, workspace_id: uuid.UUID, start: date, *, compare: bool = False) -> None:
    year = DayRange(start, start + timedelta(days=365))
    es = Filters(language="es")
    cases: list[tuple[str, ReportQuery, Run]] = []
    for group in (None, "language", "channel", "team", "agent", "region", "inbox", "tier"):
        cases.append(
            (f"overview group_by={group}", ReportQuery(workspace_id, year, Filters(), group), overview)
        )
    for group in (None, "channel", "team", "agent", "region", "inbox", "tier"):
        cases.append(
            (f"overview group_by={group}, language es", ReportQuery(workspace_id, year, es, group), overview)
        )
    by_team = ReportQuery(workspace_id, year, Filters(language="de", tier="vip"), "team")
    cases.append(("overview by team, language de, tier vip", by_team, overview))
    odd = DayRange(start + timedelta(days=17), start + timedelta(days=350))
    cases.append(
        (
            "overview by agent, unaligned 333 days",
            ReportQuery(workspace_id, odd, Filters(), "agent"),
            overview,
        )
    )
    q = ReportQuery(workspace_id, year, Filters(), None)
    q_es = ReportQuery(workspace_id, year, es, None)
    cases.append(("timeseries by day", q, lambda s, q: service.timeseries(s, q)))
    cases.append(("timeseries by week", q, lambda s, q: service.timeseries(s, q, interval="week")))
    cases.append(("timeseries by day, language es", q_es, lambda s, q: service.timeseries(s, q)))
    cases.append(("heatmap", q, lambda s, q: drill.heatmap(s, q)))
    cases.append(("heatmap, language es", q_es, lambda s, q: drill.heatmap(s, q)))
    cases.append(
        (
            "drill-down, first 50",
            q,
            lambda s, q: drill.conversations(s, q, metric="sla_breached", key=None, limit=50, cursor=None),
        )
    )
    tagged = ReportQuery(
        workspace_id, DayRange(start, start + timedelta(days=30)), Filters(tag="refund"), "team"
    )
    cases.append(("overview, tag filter, 30 days, by team (facts)", tagged, overview))
    refund = Filters(tag="refund")
    cases.append(("overview group_by=tag", ReportQuery(workspace_id, year, Filters(), "tag"), overview))
    cases.append(("overview group_by=tag, language es", ReportQuery(workspace_id, year, es, "tag"), overview))
    cases.append(("overview, tag refund", ReportQuery(workspace_id, year, refund, None), overview))
    cases.append(
        ("overview by language, tag refund", ReportQuery(workspace_id, year, refund, "language"), overview)
    )
    cases.append(
        (
            "timeseries by day, tag refund",
            ReportQuery(workspace_id, year, refund, None),
            lambda s, q: service.timeseries(s, q),
        )
    )
    print(
        f"\n{'report (a year, median of 3)':<48} {'cube':>4} seconds" + ("  before (cube)" if compare else "")
    )
    for name, query, run in cases:

        async def once(query: ReportQuery = query, run: Run = run) -> None:
            async with db.session() as session:
                await run(session, query)

        cube = "f" if query.needs_facts else query.cube
        line = f"{name:<48} {cube:>4} {await timed(once):7.3f}"
        if compare:
            legacy = LegacyQuery(query.workspace_id, query.days, query.filters, query.group_by, query.basis)
            old_cube = "f" if legacy.needs_facts else legacy.cube
            line += f"  {await timed(lambda legacy=legacy, run=run: once(legacy, run)):7.3f} ({old_cube})"
        print(line, flush=True)


async def measure_generated(data_dir: Path | None, *, compare: bool = False) -> None:
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
    await measure(db, workspace_id, (datetime.now(UTC) - timedelta(days=365)).date(), compare=compare)
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
    parser.add_argument(
        "--wide", action="store_true", help="the generator's shape (500 agents, 20 languages)"
    )
    parser.add_argument(
        "--compare", action="store_true", help="also time the reads as before the small cubes"
    )
    args = parser.parse_args()
    if args.generated:
        await measure_generated(args.data_dir, compare=args.compare)
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
        await fill(db, workspace_id, args.conversations, start, wide_shape() if args.wide else NARROW)
        await measure(db, workspace_id, start, compare=args.compare)
        await db.dispose()
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
