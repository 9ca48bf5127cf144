"""Analytics: small rollup cubes, so reports read few rows whatever the workspace's size.

Until now a report grouped by language, channel, team, region, inbox or tier read cube
"g" (every dimension but the agent), whose tuples per period grow with the cross
product of all of them, and a report by agent read cube "a" (agent x team x region x
language). The new cubes keep one grouping each (with the dimensions it determines),
alone or with the language: "l" (language, tier), "c" (channel, inbox), "o" (team,
region), "p" (agent, team, region), "x" (language, channel, inbox), "y" (language,
team, region).

Each is a projection of "g" ("p" of "a"), so its rows are derived here in SQL from the
rows that exist, per grain, already compacted: no rebuild is needed. The index of pending deltas gains ``key_hash``: compaction walks it in key order.

Rows are keyed by
``key_hash``, which the application computes in Python; the formula is copied here (not
imported) so this revision stays what it was. Rerunning the derivation first deletes
what a previous run (or an application already writing these cubes) left.

Revision ID: 0024_analytics_cubes
Revises: 0023_api_tokens
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0024_analytics_cubes"
down_revision: str | Sequence[str] | None = "0023_api_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMENSIONS = ("language", "channel", "inbox_id", "team_id", "agent_id", "region", "tier")
COUNTERS = (
    "conversations",
    "first_responses",
    "first_response_sum_s",
    "resolved",
    "resolution_sum_s",
    "next_responded",
    "ever_resolved",
    "reopened",
    "fcr",
    "bot_engaged",
    "bot_deflected",
    "handed_off",
    "handoffs",
    "sla_met",
    "sla_breached",
    "csat_sent",
    "csat_count",
    "csat_sum",
    "resolutions",
    "reopens",
    "backlog_delta",
)
HISTOGRAMS = ("fr_c", "fr_b", "res_c", "res_b", "nr_c", "nr_b")
BUCKETS = 48
# New cube -> (the cube it is a projection of, the dimensions it keeps).
NEW_CUBES = {
    "l": ("g", ("language", "tier")),
    "c": ("g", ("channel", "inbox_id")),
    "o": ("g", ("team_id", "region")),
    "x": ("g", ("language", "channel", "inbox_id")),
    "y": ("g", ("language", "team_id", "region")),
    "p": ("a", ("agent_id", "team_id", "region")),
}


def key_hash(workspace_id: Any, cube: str, grain: str, period: Any, dims: tuple[Any, ...]) -> int:
    # rollups.key_hash as of this revision.
    key = (str(workspace_id), cube, grain, period, dims)
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _derive_sql(source: str, kept: tuple[str, ...]) -> str:
    counters = ", ".join(f"sum({name}) AS {name}" for name in COUNTERS)
    arrays = ", ".join(
        "ARRAY["
        + ", ".join(f"coalesce(sum({name}[{i}]), 0)" for i in range(1, BUCKETS + 1))
        + f"]::int[] AS {name}"
        for name in HISTOGRAMS
    )
    group = ", ".join(["workspace_id", "grain", "period", *kept])
    nonzero = " OR ".join(f"sum({name}) <> 0" for name in COUNTERS)
    return f"""
        CREATE TEMPORARY TABLE derived_rollups ON COMMIT DROP AS
        SELECT row_number() OVER () AS n, {group}, {counters}, {arrays}
        FROM report_rollups WHERE cube = '{source}'
        GROUP BY {group}
        HAVING {nonzero}
    """


def upgrade() -> None:
    # Compaction walks pending deltas in key order (it rescanned them all per batch).
    op.drop_index("ix_report_rollups_pending", table_name="report_rollups")
    op.create_index(
        "ix_report_rollups_pending",
        "report_rollups",
        ["workspace_id", "key_hash"],
        postgresql_where=sa.text("NOT compacted"),
    )
    derive(op.get_bind())


def derive(bind: sa.Connection) -> None:
    """(Re)write the new cubes from "g" and "a"; tests call it on a live database."""
    raw: Any = bind.connection.driver_connection  # psycopg: COPY for the key hashes
    bind.execute(sa.text(f"DELETE FROM report_rollups WHERE cube IN {tuple(NEW_CUBES)}"))
    for cube, (source, kept) in NEW_CUBES.items():
        bind.execute(sa.text(_derive_sql(source, kept)))
        bind.execute(
            sa.text("CREATE TEMPORARY TABLE derived_keys (n bigint, key_hash bigint) ON COMMIT DROP")
        )
        rows = bind.execute(
            sa.text(f"SELECT n, workspace_id, grain, period, {', '.join(kept)} FROM derived_rollups")
        )
        with raw.cursor().copy("COPY derived_keys (n, key_hash) FROM STDIN") as copy:
            for row in rows:
                values = dict(zip(kept, row[4:], strict=True))
                dims = tuple(values.get(name) for name in DIMENSIONS)
                copy.write_row((row[0], key_hash(row[1], cube, row[2], row[3], dims)))
        columns = [
            "workspace_id",
            "key_hash",
            "compacted",
            "cube",
            "grain",
            "period",
            *kept,
            *COUNTERS,
            *HISTOGRAMS,
        ]
        selected = ["d.workspace_id", "k.key_hash", "true", f"'{cube}'", "d.grain", "d.period"]
        selected += [f"d.{name}" for name in (*kept, *COUNTERS, *HISTOGRAMS)]
        bind.execute(
            sa.text(
                f"INSERT INTO report_rollups ({', '.join(columns)}) SELECT {', '.join(selected)} "
                "FROM derived_rollups d JOIN derived_keys k USING (n)"
            )
        )
        bind.execute(sa.text("DROP TABLE derived_rollups"))
        bind.execute(sa.text("DROP TABLE derived_keys"))


def downgrade() -> None:
    op.drop_index("ix_report_rollups_pending", table_name="report_rollups")
    op.create_index(
        "ix_report_rollups_pending",
        "report_rollups",
        ["workspace_id"],
        postgresql_where=sa.text("NOT compacted"),
    )
    op.execute(sa.text(f"DELETE FROM report_rollups WHERE cube IN {tuple(NEW_CUBES)}"))
