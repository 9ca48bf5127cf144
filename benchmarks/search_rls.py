"""Row-level security on the search tables: what a policy costs, and what the functions save.

``python -m benchmarks.search_rls [--url postgresql://...] [--messages 200000]``

Fills a fresh database (embedded PostgreSQL unless ``--url`` names a server) with two
workspaces' message search text, KB passages and translation segments, the measured
workspace holding ``--share`` of each, then times every search with ``EXPLAIN ANALYZE``
(median of ``--repeat`` runs) four ways: as before migration 0022 (no policy applies),
directly under the policy as a bound tenant session, through the SECURITY DEFINER function
as a bound tenant, and the same when the tables and functions belong to a non-superuser
owner (the app's own role) rather than a superuser. docs/privacy.md quotes the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import statistics
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from benchmarks._common import plain_url, use_data_dir

OWNER = "meridian_bench_owner"
SEARCH_TABLES = ("vault_message_search", "kb_chunks", "translation_segments", "kb_articles")
FUNCTIONS = (
    "meridian_search_messages(uuid, text, text[], text[], integer)",
    "meridian_kb_full_text(uuid, text, integer)",
    "meridian_tm_similar(uuid, text, text, text, real, integer)",
)

# Correlated with the row (``p``), so each passage gets its own vector.
_RANDOM_VECTOR = ", (SELECT array_agg(random() + 0 * g + 0 * p)::vector FROM generate_series(1, 384) AS g)"


def fill(conn: psycopg.Connection[Any], *, a: uuid.UUID, b: uuid.UUID, args: argparse.Namespace) -> bool:
    for ws, name in ((a, "measured"), (b, "other")):
        conn.execute(
            "INSERT INTO workspaces (id, name, default_locale, languages, settings) "
            "VALUES (%s, %s, 'en', '[]', '{}')",
            (ws, name),
        )
    share = args.share
    conn.execute(
        """
        INSERT INTO vault_message_search (message_id, workspace_id, conversation_id, contact_id, region, text)
        SELECT gen_random_uuid(), CASE WHEN i %% %(every)s = 0 THEN %(a)s ELSE %(b)s END::uuid,
               gen_random_uuid(), gen_random_uuid(), 'default',
               'hello, my order ' || md5(i::text) || ' has not arrived, tracking says '
               || (i * 7919 %% 100000) || ' '
               || chr(19968 + i %% 20000) || chr(19968 + (i * 7) %% 20000) || 'です'
        FROM generate_series(1, %(n)s) AS i
        """,
        {"every": round(1 / share), "a": a, "b": b, "n": args.messages},
    )
    conn.execute(
        """
        INSERT INTO kb_articles (id, workspace_id, slug, locale, title, body, body_html, status, version,
                                 outdated, indexed_version, helpful_yes, helpful_no)
        SELECT gen_random_uuid(), CASE WHEN i %% %(every)s = 0 THEN %(a)s ELSE %(b)s END::uuid,
               'a' || i, 'en', 'Article ' || i, '', '', 'published', 1, false, 1, 0, 0
        FROM generate_series(1, %(n)s) AS i
        """,
        {"every": round(1 / args.small_share), "a": a, "b": b, "n": args.chunks // 4},
    )
    vectors = conn.execute(
        "SELECT 1 FROM information_schema.columns "
        "WHERE table_name = 'kb_chunks' AND column_name = 'embedding'"
    ).fetchone()
    conn.execute(
        f"""
        INSERT INTO kb_chunks (id, workspace_id, article_id, position, locale, config, text, tsv
                               {", embedding" if vectors else ""})
        SELECT gen_random_uuid(), art.workspace_id, art.id, p, 'en', 'english', t, to_tsvector('english', t)
               {_RANDOM_VECTOR if vectors else ""}
        FROM kb_articles art, generate_series(0, 3) AS p,
             LATERAL (SELECT 'To reset your password open settings and choose w'
                      || (abs(hashtext(art.id::text || p)) % 50) || ' then confirm '
                      || md5(art.id::text || p) AS t) AS body
        """
    )
    conn.execute(
        """
        INSERT INTO translation_segments (id, workspace_id, source_lang, target_lang, source_hash,
                                          source_text, target_text, origin, uses, region)
        SELECT gen_random_uuid(), CASE WHEN i %% %(every)s = 0 THEN %(a)s ELSE %(b)s END::uuid, 'en', 'de',
               md5(i::text), md5(i::text) || ' ' || md5((i + 1)::text),
               'bitte ' || md5(i::text), 'machine', 0, 'default'
        FROM generate_series(1, %(n)s) AS i
        """,
        {"every": round(1 / args.small_share), "a": a, "b": b, "n": args.segments},
    )
    for table in SEARCH_TABLES:
        conn.execute(f"ANALYZE {table}")
    return vectors is not None


def searches(
    a: uuid.UUID, *, vectors: bool, args: argparse.Namespace
) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """name -> (direct query, function query, parameters)."""
    every = round(1 / args.share)
    needle = f"%{hashlib.md5(str(every * 7).encode()).hexdigest()[:10]}%"
    i = every * 11
    pair = chr(19968 + i % 20000) + chr(19968 + (i * 7) % 20000)
    segment = hashlib.md5(str(round(1 / args.small_share) * 3).encode()).hexdigest() + " order"
    cjk = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]{2}"
    out = {
        "message search (trigram)": (
            "SELECT DISTINCT conversation_id FROM (SELECT conversation_id FROM vault_message_search "
            "WHERE workspace_id = %(ws)s AND text LIKE %(p)s LIMIT 250) m LIMIT 50",
            "SELECT * FROM meridian_search_messages(%(ws)s, %(p)s, NULL, NULL, 50)",
            {"ws": a, "p": needle},
        ),
        "message search (CJK pair)": (
            "SELECT DISTINCT conversation_id FROM (SELECT conversation_id FROM vault_message_search "
            f"WHERE workspace_id = %(ws)s AND text LIKE %(p)s AND text ~ '{cjk}' "
            "AND meridian_cjk_bigrams(text) @> %(g)s LIMIT 250) m LIMIT 50",
            "SELECT * FROM meridian_search_messages(%(ws)s, %(p)s, %(g)s, NULL, 50)",
            {"ws": a, "p": f"%{pair}%", "g": [pair]},
        ),
        "KB full text": (
            _KB_FULL_TEXT,
            "SELECT * FROM meridian_kb_full_text(%(ws)s, %(q)s, 30)",
            {"ws": a, "q": "w23"},
        ),
        "translation memory (similar)": (
            "SELECT source_text, similarity(source_text, %(t)s) AS score FROM translation_segments "
            "WHERE workspace_id = %(ws)s AND source_lang = 'en' AND target_lang = 'de' "
            "AND source_text %% %(t)s AND similarity(source_text, %(t)s) >= 0.3 "
            "ORDER BY score DESC LIMIT 5",
            "SELECT * FROM meridian_tm_similar(%(ws)s, 'en', 'de', %(t)s, 0.3, 5)",
            {"ws": a, "t": segment},
        ),
    }
    if vectors:
        out["KB vector (HNSW)"] = (
            "SELECT c.id FROM kb_chunks c JOIN kb_articles a ON a.id = c.article_id "
            "WHERE c.workspace_id = %(ws)s AND a.status = 'published' AND c.embedding IS NOT NULL "
            "ORDER BY c.embedding <=> (SELECT embedding FROM kb_chunks LIMIT 1), c.id LIMIT 30",
            "",
            {"ws": a},
        )
    return out


_KB_FULL_TEXT = """
WITH q AS (
  SELECT cfg, replace(plainto_tsquery(CAST(cfg AS regconfig), %(q)s)::text, ' & ', ' | ') AS tsq
  FROM (SELECT DISTINCT config AS cfg FROM kb_chunks WHERE workspace_id = %(ws)s) AS configs
)
SELECT c.id, ts_rank_cd(c.tsv, CAST(q.tsq AS tsquery)) AS rank
FROM kb_chunks c JOIN q ON q.cfg = c.config JOIN kb_articles a ON a.id = c.article_id
WHERE c.workspace_id = %(ws)s AND a.status = 'published' AND q.tsq <> '' AND c.position >= 0
  AND c.tsv @@ CAST(q.tsq AS tsquery)
ORDER BY rank DESC, c.id LIMIT 30
"""


@contextmanager
def as_(conn: psycopg.Connection[Any], *, role: str | None, bound: uuid.UUID | None) -> Iterator[None]:
    with conn.transaction():
        if role:
            conn.execute(f"SET LOCAL ROLE {role}")
        if bound:
            conn.execute("SELECT set_config('meridian.workspace_id', %s, true)", (str(bound),))
            conn.execute("SET LOCAL ROLE meridian_tenant")
        yield


def explain(
    conn: psycopg.Connection[Any], sql: str, params: dict[str, Any], repeat: int
) -> tuple[float, str, int]:
    times, plan, rows = [], "", 0
    for _ in range(repeat):
        [[doc]] = conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).fetchall()  # type: ignore[misc]
        # Planning counts: the function plans its query inside its own execution.
        times.append(float(doc[0]["Planning Time"]) + float(doc[0]["Execution Time"]))
        plan = doc[0]["Plan"]
        rows = int(plan["Actual Rows"])
    return statistics.median(times), _scans(plan), rows


def _scans(node: dict[str, Any]) -> str:
    found: list[str] = []

    def walk(n: dict[str, Any]) -> None:
        if "Scan" in n["Node Type"] and n.get("Relation Name") != "kb_articles":
            found.append(n["Node Type"] + (f" {n['Index Name']}" if "Index Name" in n else ""))
        for child in n.get("Plans", []):
            walk(child)

    walk(node)
    return ", ".join(found)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a PostgreSQL server (default: the embedded one)")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--chunks", type=int, default=8_000)
    parser.add_argument("--segments", type=int, default=20_000)
    parser.add_argument("--share", type=float, default=0.05, help="the measured workspace's share of rows")
    parser.add_argument(
        "--small-share", type=float, default=0.5, help="its share of KB passages and translation segments"
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from sqlalchemy.engine import make_url

    from meridian.db.embedded import start_embedded, to_sqlalchemy_url
    from meridian.db.migrate import upgrade

    server = make_url(
        to_sqlalchemy_url(args.url) if args.url else start_embedded(use_data_dir(args.data_dir))
    )
    name = f"meridian_rls_bench_{uuid.uuid4().hex[:8]}"
    admin_url = plain_url(server.set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    target = server.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(target)
        a, b = uuid.uuid4(), uuid.uuid4()
        with psycopg.connect(plain_url(target), autocommit=True) as conn:
            with conn.transaction():
                vectors = fill(conn, a=a, b=b, args=args)
            conn.execute(
                f"DO $$ BEGIN CREATE ROLE {OWNER} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
            )
            conn.execute(f"GRANT meridian_tenant TO {OWNER}")
            version = conn.execute("SHOW server_version").fetchone()
            results = run(conn, a=a, vectors=vectors, args=args)
        print(json.dumps({"server": version[0] if version else "?", **results}, indent=1, ensure_ascii=False))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            # Roles are per cluster; another run may still be using it.
            with contextlib.suppress(psycopg.Error):
                admin.execute(f"DROP ROLE IF EXISTS {OWNER}")


def run(
    conn: psycopg.Connection[Any], *, a: uuid.UUID, vectors: bool, args: argparse.Namespace
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, (direct, function, params) in searches(a, vectors=vectors, args=args).items():
        row: dict[str, Any] = {}
        with as_(conn, role=None, bound=None):
            row["no policy (before)"] = explain(conn, direct, params, args.repeat)
        with as_(conn, role=None, bound=a):
            row["policy, direct query"] = explain(conn, direct, params, args.repeat)
        if function:
            with as_(conn, role=None, bound=a):
                row["policy, function"] = explain(conn, function, params, args.repeat)
        out[label] = row
    # The app's role owns the tables (no superuser anywhere): the functions must still
    # bypass the policy, and a bound session must still be confined.
    with conn.transaction():
        for table in SEARCH_TABLES:
            conn.execute(f"ALTER TABLE {table} OWNER TO {OWNER}")
        for fn in FUNCTIONS:
            conn.execute(f"ALTER FUNCTION {fn} OWNER TO {OWNER}")
    for label, (_, function, params) in searches(a, vectors=vectors, args=args).items():
        if function:
            with as_(conn, role=OWNER, bound=a):
                out[label]["non-superuser owner, function"] = explain(conn, function, params, args.repeat)
    with as_(conn, role=OWNER, bound=a):
        seen = conn.execute("SELECT count(DISTINCT workspace_id) FROM vault_message_search").fetchone()
    out["non-superuser owner: workspaces a bound session sees"] = seen[0] if seen else None
    return out


if __name__ == "__main__":
    main()
