"""Knowledge-base full text without per-row work: configurations found by index, query parsed once.

0022's ``meridian_kb_full_text`` took 100-160 ms over 10,000 passages (issue #10), and
EXPLAIN ANALYZE showed why:

- the workspace's configurations came from ``SELECT DISTINCT config`` over all its
  passages, and the planner pushed the ``tsq <> ''`` test into that scan, so
  ``plainto_tsquery`` ran once per passage (10,000 times) instead of once per
  configuration: about 85 ms of the total;
- the OR-ed query stayed text until it met each row, so ``CAST(q.tsq AS tsquery)`` was
  parsed again for every ``@@`` recheck and every ``ts_rank_cd``.

Here the configurations are read from a new ``(workspace_id, config)`` index one
probe each (a loose index scan: a handful of configurations among thousands of
passages), the query is built and cast to ``tsquery`` once per configuration, and the
tsvector GIN index and the new index are ANDed per configuration. Same rows, same ranks,
same order: only the work per call changed (about 20-35 ms on a loaded 2-core machine).

The CJK bigram ranking (used where pg_trgm cannot see CJK characters, as under the
embedded server's C locale) computed ``strpos`` for every gram on every passage: 55 ms a
question. Passages get the message search's bigram index (``meridian_cjk_bigrams``,
migration 0017), and ``meridian_kb_bigrams`` ranks only the passages that hold at least
one of the question's pairs. A passage without any scores 0, below the ranking's floor,
so the ranked passages that count are the same. It is a SECURITY DEFINER function for
0022's reason: ``&&`` is not LEAKPROOF, so under kb_chunks' policy a direct query could
not use the index.

Revision ID: 0026_kb_search_speed
Revises: 0025_analytics_tag_cube
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0026_kb_search_speed"
down_revision: str | Sequence[str] | None = "0025_analytics_tag_cube"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOUND = "nullif(nullif(current_setting('meridian.workspace_id', true), ''), '*')::uuid"

# CREATE OR REPLACE keeps 0022's owner and grants (SECURITY DEFINER as the table owner).
# The configurations are looked up in static SQL, then passed to the ranked query as an
# array: EXECUTE ... USING plans with the array's real length, so the planner expects a
# few configurations and probes the indexes per configuration instead of scanning.
KB_FULL_TEXT = f"""
CREATE OR REPLACE FUNCTION meridian_kb_full_text(p_workspace uuid, p_query text, p_limit integer)
RETURNS TABLE (chunk_id uuid, rank real)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    bound uuid := {BOUND};
    configs text[];
BEGIN
    IF bound IS NOT NULL AND bound IS DISTINCT FROM p_workspace THEN
        RETURN;
    END IF;
    WITH RECURSIVE found (cfg) AS (
        (SELECT k.config FROM kb_chunks k WHERE k.workspace_id = p_workspace ORDER BY k.config LIMIT 1)
        UNION ALL
        SELECT (SELECT k.config FROM kb_chunks k
                WHERE k.workspace_id = p_workspace AND k.config > found.cfg ORDER BY k.config LIMIT 1)
        FROM found WHERE found.cfg IS NOT NULL
    )
    SELECT array_agg(found.cfg) INTO configs FROM found WHERE found.cfg IS NOT NULL;
    IF configs IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE $q$
        WITH q AS MATERIALIZED (
            SELECT cfg, CAST(words AS tsquery) AS tsq
            FROM (SELECT cfg, replace(plainto_tsquery(CAST(cfg AS regconfig), $2)::text, ' & ', ' | ') AS words
                  FROM unnest($4) AS cfg) AS w
            WHERE words <> ''
        )
        SELECT c.id, ts_rank_cd(c.tsv, q.tsq) AS rank
        FROM q
        JOIN kb_chunks c ON c.config = q.cfg AND c.tsv @@ q.tsq
        JOIN kb_articles a ON a.id = c.article_id
        WHERE c.workspace_id = $1 AND a.status = 'published' AND c.position >= 0
        ORDER BY rank DESC, c.id
        LIMIT $3
    $q$ USING p_workspace, p_query, p_limit, configs;
END $fn$
"""


CJK = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
# The partial index's predicate, repeated verbatim in the query so the planner uses it.
HAS_PAIR = f"text ~ '{CJK}{{2}}'"
BIGRAM_INDEX = (
    "CREATE INDEX ix_kb_chunks_cjk_bigrams ON kb_chunks "
    f"USING gin (meridian_cjk_bigrams(text)) WHERE {HAS_PAIR}"
)

# The caller passes only CJK character pairs (kb/search.py): a passage that contains one
# has it inside a CJK run of two or more, so the index holds it.
KB_BIGRAMS = f"""
CREATE OR REPLACE FUNCTION meridian_kb_bigrams(p_workspace uuid, p_grams text[], p_limit integer)
RETURNS TABLE (chunk_id uuid, rank double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    bound uuid := {BOUND};
BEGIN
    IF bound IS NOT NULL AND bound IS DISTINCT FROM p_workspace THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE $q$
        SELECT c.id, (SELECT count(*) FROM unnest($2) AS g WHERE strpos(c.text, g) > 0)
                     / CAST(cardinality($2) AS float) AS rank
        FROM kb_chunks c JOIN kb_articles a ON a.id = c.article_id
        WHERE c.workspace_id = $1 AND a.status = 'published' AND c.position >= 0
          AND meridian_cjk_bigrams(c.text) && $2 AND c.{HAS_PAIR}
        ORDER BY rank DESC, c.id
        LIMIT $3
    $q$ USING p_workspace, p_grams, p_limit;
END $fn$
"""

# 0022's ownership and grants, for the new function (CREATE OR REPLACE kept the other's).
OWN_AND_GRANT = """
DO $$
DECLARE
    fn text := 'meridian_kb_bigrams(uuid, text[], integer)';
BEGIN
    EXECUTE format(
        'ALTER FUNCTION %s OWNER TO %I', fn,
        (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'kb_chunks'::regclass)
    );
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', fn);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meridian_tenant') THEN
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO meridian_tenant', fn);
    END IF;
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', fn, current_user);
END $$
"""


def upgrade() -> None:
    op.create_index("ix_kb_chunks_ws_config", "kb_chunks", ["workspace_id", "config"])
    op.execute(BIGRAM_INDEX)
    op.execute(KB_FULL_TEXT)
    op.execute(KB_BIGRAMS)
    op.execute(OWN_AND_GRANT)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS meridian_kb_bigrams(uuid, text[], integer)")
    previous = importlib.import_module("meridian.migrations.versions.0022_rls")
    op.execute(previous.KB_FULL_TEXT)
    op.execute("DROP INDEX IF EXISTS ix_kb_chunks_cjk_bigrams")
    op.drop_index("ix_kb_chunks_ws_config", table_name="kb_chunks")
