"""Row-level security on the search tables, searched through SECURITY DEFINER functions.

0021 left ``vault_message_search``, ``kb_chunks`` and ``translation_segments`` without a
policy: their trigram, full-text and bigram operators are not LEAKPROOF, so under a
policy PostgreSQL evaluates the policy first and will not use those operators as index
conditions (a trigram search went from 14 ms to 213 ms). Here they get the same
``workspace_isolation`` policy as every other table, so a tenant session reads none of
another workspace's rows by any query, and the searches that need their indexes go
through functions that run as the tables' owner, to whom the policy does not apply.

Each function takes the workspace the caller filters by, as the app's queries always
did, but the wall is the transaction's ``meridian.workspace_id``: when the session is
bound to a workspace and asked about another one, the function returns nothing. An
unbound session (jobs, the help center) sees what an unbound session sees elsewhere.

Not FORCE on these three: forcing would subject the owner, and so the functions, to the
policy again when the app's role owns the tables. The tenant role (``SET LOCAL ROLE
meridian_tenant``, auth/tenancy.py) is what binds requests to them.

The function bodies are written out here, not imported, so the revision stays what it
was; ``vault/searchsql.py`` holds the app's copy of the message search, which regional
databases get at start.

Revision ID: 0022_rls
Revises: 0021_privacy_row_level_security
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0022_rls"
down_revision: str | Sequence[str] | None = "0021_privacy_row_level_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CJK = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"

# What 0021's policy reads; NULL when the session is not bound. The functions compare it
# with their workspace argument themselves: they run as the owner, past the policy.
BOUND = "nullif(nullif(current_setting('meridian.workspace_id', true), ''), '*')::uuid"

# EXECUTE ... USING plans each call with its values (a custom plan: the LIKE pattern's
# selectivity and the bigram index's predicate are seen), as the app's own queries were.
SEARCH_MESSAGES = f"""
CREATE OR REPLACE FUNCTION meridian_search_messages(
    p_workspace uuid, p_pattern text, p_grams text[], p_regions text[], p_limit integer
) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    bound uuid := {BOUND};
BEGIN
    IF bound IS NOT NULL AND bound IS DISTINCT FROM p_workspace THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE
        'SELECT DISTINCT m.conversation_id FROM (SELECT conversation_id FROM vault_message_search '
        'WHERE workspace_id = $1 AND text LIKE $2'
        || CASE WHEN p_grams IS NULL THEN '' ELSE
               format(' AND text ~ %L AND meridian_cjk_bigrams(text) @> $3', '{CJK}{{2}}') END
        || CASE WHEN p_regions IS NULL THEN '' ELSE ' AND region = ANY ($4)' END
        || ' LIMIT $5 * 5) AS m LIMIT $5'
    USING p_workspace, p_pattern, p_grams, p_regions, p_limit;
END $fn$
"""

KB_FULL_TEXT = f"""
CREATE OR REPLACE FUNCTION meridian_kb_full_text(p_workspace uuid, p_query text, p_limit integer)
RETURNS TABLE (chunk_id uuid, rank real)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    bound uuid := {BOUND};
BEGIN
    IF bound IS NOT NULL AND bound IS DISTINCT FROM p_workspace THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE $q$
        WITH q AS (
          SELECT cfg, replace(plainto_tsquery(CAST(cfg AS regconfig), $2)::text, ' & ', ' | ') AS tsq
          FROM (SELECT DISTINCT config AS cfg FROM kb_chunks WHERE workspace_id = $1) AS configs
        )
        SELECT c.id, ts_rank_cd(c.tsv, CAST(q.tsq AS tsquery)) AS rank
        FROM kb_chunks c
        JOIN q ON q.cfg = c.config
        JOIN kb_articles a ON a.id = c.article_id
        WHERE c.workspace_id = $1 AND a.status = 'published' AND q.tsq <> '' AND c.position >= 0
          AND c.tsv @@ CAST(q.tsq AS tsquery)
        ORDER BY rank DESC, c.id
        LIMIT $3
    $q$ USING p_workspace, p_query, p_limit;
END $fn$
"""

# ``%`` is pg_trgm's "similar" operator, which the trigram index serves.
TM_SIMILAR = f"""
CREATE OR REPLACE FUNCTION meridian_tm_similar(
    p_workspace uuid, p_source_lang text, p_target_lang text, p_text text, p_floor real, p_limit integer
) RETURNS TABLE (source_text text, target_text text, origin text, provider text, score real)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    bound uuid := {BOUND};
BEGIN
    IF bound IS NOT NULL AND bound IS DISTINCT FROM p_workspace THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE $q$
        SELECT s.source_text, s.target_text, s.origin::text, s.provider::text,
               similarity(s.source_text, $4) AS score
        FROM translation_segments s
        WHERE s.workspace_id = $1 AND s.source_lang = $2 AND s.target_lang = $3
          AND s.source_text % $4 AND similarity(s.source_text, $4) >= $5
        ORDER BY score DESC, (s.origin = 'human') DESC
        LIMIT $6
    $q$ USING p_workspace, p_source_lang, p_target_lang, p_text, p_floor, p_limit;
END $fn$
"""

FUNCTIONS = {
    "meridian_search_messages(uuid, text, text[], text[], integer)": "vault_message_search",
    "meridian_kb_full_text(uuid, text, integer)": "kb_chunks",
    "meridian_tm_similar(uuid, text, text, text, real, integer)": "translation_segments",
}

SEARCH_TABLES = """
CREATE OR REPLACE FUNCTION meridian_rls_search_tables() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['vault_message_search', 'kb_chunks', 'translation_segments']
$$
"""

# 0021's function, with the search tables policed but not forced (see above).
SECURE_TABLES = """
CREATE OR REPLACE FUNCTION meridian_secure_tenant_tables() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    secured integer := 0;
    rule text;
    search boolean;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meridian_tenant') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
            ON ALL TABLES IN SCHEMA public TO meridian_tenant;
        GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO meridian_tenant;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public
            GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
            ON TABLES TO meridian_tenant;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public
            GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO meridian_tenant;
        -- Here too, not only in 0022: a DBA may create the role after the upgrade and
        -- then run `meridian migrate` again for the grants (docs/privacy.md).
        GRANT EXECUTE ON FUNCTION
            meridian_search_messages(uuid, text, text[], text[], integer),
            meridian_kb_full_text(uuid, text, integer),
            meridian_tm_similar(uuid, text, text, text, real, integer)
            TO meridian_tenant;
    END IF;
    FOR t IN
        SELECT c.oid, c.relname, a.attname, c.relrowsecurity, c.relforcerowsecurity
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND NOT a.attisdropped
        WHERE n.nspname = 'public'
          AND c.relkind IN ('r', 'p')
          AND c.relname NOT LIKE 'procrastinate%'
          AND ((a.attname = 'workspace_id' AND a.atttypid = 'uuid'::regtype)
               OR (c.relname = 'workspaces' AND a.attname = 'id'))
    LOOP
        search := t.relname = ANY (meridian_rls_search_tables());
        -- ALTER TABLE takes an exclusive lock: only when something is missing, so a
        -- start under traffic does not queue behind every table.
        IF NOT t.relrowsecurity THEN
            EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
        END IF;
        IF NOT t.relforcerowsecurity AND NOT search THEN
            EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.relname);
        ELSIF t.relforcerowsecurity AND search THEN
            EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t.relname);
        END IF;
        IF NOT EXISTS (
            SELECT 1 FROM pg_policy WHERE polrelid = t.oid AND polname = 'workspace_isolation'
        ) THEN
            rule := format(
                '(SELECT meridian_rls_workspace()) IS NULL OR %I = (SELECT meridian_rls_workspace())',
                t.attname
            );
            EXECUTE format(
                'CREATE POLICY workspace_isolation ON %I USING (%s) WITH CHECK (%s)',
                t.relname, rule, rule
            );
        END IF;
        secured := secured + 1;
    END LOOP;
    RETURN secured;
END $$
"""

# SECURITY DEFINER runs as the function's owner: make that the table's owner (a no-op
# when the migrating role owns both, as usual). Nobody else may call them: the tenant
# role, and the owner (the app's unbound sessions) by ownership. A role that was never
# given the table must not search it through the owner's rights.
OWN_AND_GRANT = """
DO $$
DECLARE
    f record;
BEGIN
    FOR f IN SELECT * FROM (VALUES {rows}) AS v(fn, tbl) LOOP
        EXECUTE format(
            'ALTER FUNCTION %s OWNER TO %I', f.fn,
            (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = f.tbl::regclass)
        );
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f.fn);
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meridian_tenant') THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO meridian_tenant', f.fn);
        END IF;
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f.fn, current_user);
    END LOOP;
END $$
"""


def upgrade() -> None:
    op.execute(SEARCH_MESSAGES)
    op.execute(KB_FULL_TEXT)
    op.execute(TM_SIMILAR)
    rows = ", ".join(f"('{fn}', '{table}')" for fn, table in FUNCTIONS.items())
    op.execute(OWN_AND_GRANT.replace("{rows}", rows))
    op.execute(SEARCH_TABLES)
    op.execute(SECURE_TABLES)
    op.execute("DROP FUNCTION IF EXISTS meridian_rls_exempt_tables()")
    op.execute("SELECT meridian_secure_tenant_tables()")


def downgrade() -> None:
    for table in ("vault_message_search", "kb_chunks", "translation_segments"):
        op.execute(f"DROP POLICY IF EXISTS workspace_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for fn in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    # Back to 0021's own per-table function (it skips the exempt list again): the
    # migration environment runs it after a downgrade too.
    previous = importlib.import_module("meridian.migrations.versions.0021_privacy_row_level_security")
    op.execute(previous.EXEMPT_TABLES)
    op.execute(previous.SECURE_TABLES)
    op.execute("DROP FUNCTION IF EXISTS meridian_rls_search_tables()")
