"""Row-level security: a second wall between workspaces.

Every table with a ``workspace_id`` column (and ``workspaces`` by its ``id``) gets a
``workspace_isolation`` policy: a row is visible and writable only when its workspace is
the one named by the transaction setting ``meridian.workspace_id``, or when that setting
is unset or ``*`` (system work: jobs, the dispatcher, the outbox relay, webhooks before
their workspace is known). Requests set it from the authenticated principal
(``db/tenancy.py``) together with ``SET LOCAL ROLE meridian_tenant``: superusers and
table owners bypass policies, and tests and the embedded server connect as a superuser,
so without the role switch the policy would be decoration. ``FORCE`` makes the policy
apply to a non-superuser owner as well.

``meridian_secure_tenant_tables()`` does the per-table work idempotently; the migration
environment calls it after every upgrade, so tables added by later revisions are covered
without each revision having to remember. procrastinate's tables have no
``workspace_id`` and are never touched.

Revision ID: 0021_privacy_row_level_security
Revises: 0020_auth_roles
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0021_privacy_row_level_security"
down_revision: str | Sequence[str] | None = "0020_auth_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Roles are per cluster, not per database: several Meridian databases (tests, regions)
# share one, so creating it must tolerate a concurrent creator.
CREATE_ROLE = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meridian_tenant') THEN
        CREATE ROLE meridian_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
    WHEN insufficient_privilege THEN
        RAISE WARNING 'cannot create role meridian_tenant (needs CREATEROLE): ask the DBA to run '
            '"CREATE ROLE meridian_tenant NOLOGIN; GRANT meridian_tenant TO %"; until then '
            'row-level security applies only when the app role owns the tables', current_user;
END $$;
"""

# A non-superuser app role must be a member to SET ROLE; a superuser already may.
GRANT_MEMBERSHIP = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meridian_tenant')
       AND NOT pg_has_role(current_user, 'meridian_tenant', 'MEMBER') THEN
        EXECUTE format('GRANT meridian_tenant TO %I', current_user);
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'cannot grant meridian_tenant to %', current_user;
END $$;
"""

# NULL means "no workspace named": system work that sees every row. The policy wraps the
# call in a scalar subquery so it is evaluated once per query (an InitPlan), not per row.
CURRENT_WORKSPACE = """
CREATE OR REPLACE FUNCTION meridian_rls_workspace() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN coalesce(current_setting('meridian.workspace_id', true), '') IN ('', '*') THEN NULL
        ELSE current_setting('meridian.workspace_id', true)::uuid
    END
$$;
"""

# Search tables are queried with trigram, full-text and vector operators, none of which
# is LEAKPROOF: under a policy PostgreSQL must check the policy first and will not use
# their GIN/HNSW indexes (measured: a trigram search over a 10,000-message workspace
# went from 14 ms to 213 ms). Only the vault and the KB search read them, always by
# workspace_id; docs/privacy.md lists them as outside the second wall.
EXEMPT_TABLES = """
CREATE OR REPLACE FUNCTION meridian_rls_exempt_tables() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['vault_message_search', 'kb_chunks', 'translation_segments']
$$;
"""

SECURE_TABLES = """
CREATE OR REPLACE FUNCTION meridian_secure_tenant_tables() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    secured integer := 0;
    rule text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meridian_tenant') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
            ON ALL TABLES IN SCHEMA public TO meridian_tenant;
        GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO meridian_tenant;
        -- Tables of later revisions and the per-workspace number sequences that
        -- create_workspace makes at run time.
        ALTER DEFAULT PRIVILEGES IN SCHEMA public
            GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
            ON TABLES TO meridian_tenant;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public
            GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO meridian_tenant;
    END IF;
    FOR t IN
        SELECT c.oid, c.relname, a.attname, c.relrowsecurity, c.relforcerowsecurity
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND NOT a.attisdropped
        WHERE n.nspname = 'public'
          AND c.relkind IN ('r', 'p')
          AND c.relname NOT LIKE 'procrastinate%'
          AND c.relname NOT IN (SELECT unnest(meridian_rls_exempt_tables()))
          AND ((a.attname = 'workspace_id' AND a.atttypid = 'uuid'::regtype)
               OR (c.relname = 'workspaces' AND a.attname = 'id'))
    LOOP
        -- ALTER TABLE takes an exclusive lock: only when something is missing, so a
        -- start under traffic does not queue behind every table.
        IF NOT t.relrowsecurity THEN
            EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
        END IF;
        IF NOT t.relforcerowsecurity THEN
            EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.relname);
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
END $$;
"""


def upgrade() -> None:
    op.execute(CREATE_ROLE)
    op.execute(GRANT_MEMBERSHIP)
    op.execute(CURRENT_WORKSPACE)
    op.execute(EXEMPT_TABLES)
    op.execute(SECURE_TABLES)
    op.execute("SELECT meridian_secure_tenant_tables()")


def downgrade() -> None:
    op.execute(
        """
        DO $$
        DECLARE t record;
        BEGIN
            FOR t IN
                SELECT c.relname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
                WHERE p.polname = 'workspace_isolation'
            LOOP
                EXECUTE format('DROP POLICY workspace_isolation ON %I', t.relname);
                EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t.relname);
                EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t.relname);
            END LOOP;
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meridian_tenant') THEN
                REVOKE ALL ON ALL TABLES IN SCHEMA public FROM meridian_tenant;
                REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM meridian_tenant;
                ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM meridian_tenant;
                ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM meridian_tenant;
            END IF;
        END $$;
        """
    )
    op.execute("DROP FUNCTION IF EXISTS meridian_secure_tenant_tables()")
    op.execute("DROP FUNCTION IF EXISTS meridian_rls_workspace()")
    op.execute("DROP FUNCTION IF EXISTS meridian_rls_exempt_tables()")
    # The role stays: it is shared by every database of the cluster.
