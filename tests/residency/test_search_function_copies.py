"""The search functions written twice stay one function.

Migrations (0022_rls, later revisions) create the home database's SECURITY DEFINER
search functions; ``vault/searchsql.py`` installs its own copy in every regional
database at start. The home database is migrated, so its copy is the migration's: each
function searchsql.py creates (in a scratch schema, rolled back) must be defined exactly
like its namesake at home, or a search would behave differently by region.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, create_engine, text

from meridian.vault import searchsql

CREATED = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(\w+)\s*\(", re.IGNORECASE)

DEFINITIONS = """
SELECT p.oid::regprocedure::text AS signature, pg_get_functiondef(p.oid) AS definition,
       p.proacl IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0) AS closed_to_public
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = :schema AND p.proname = :name
"""


@pytest.fixture
def scratch(database_url: str) -> Iterator[tuple[Connection, str]]:
    engine = create_engine(database_url)
    schema = f"searchsql_{uuid.uuid4().hex[:10]}"
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            # Unqualified CREATE FUNCTION lands in the first schema of the path.
            conn.execute(text(f'SET LOCAL search_path TO "{schema}", public'))
            conn.execute(text(searchsql.FUNCTION_DDL))
            conn.execute(text(searchsql.REVOKE_DDL))
            yield conn, schema
        finally:
            transaction.rollback()
    engine.dispose()


def _definitions(conn: Connection, schema: str, name: str) -> dict[str, tuple[str, bool]]:
    rows = conn.execute(text(DEFINITIONS), {"schema": schema, "name": name}).all()
    # Name the schema the same way on both sides, so only the definitions are compared.
    return {
        row.signature.removeprefix(f"{schema}."): (
            row.definition.replace(f"{schema}.{name}(", f"public.{name}("),
            row.closed_to_public,
        )
        for row in rows
    }


def test_searchsql_creates_the_functions_the_migrations_made(scratch: tuple[Connection, str]) -> None:
    conn, schema = scratch
    names = sorted(set(CREATED.findall(searchsql.FUNCTION_DDL)))
    assert names == ["meridian_search_messages"], "a new function in searchsql.py: compare it here too"
    for name in names:
        regional = _definitions(conn, schema, name)
        home = _definitions(conn, "public", name)
        assert regional, f"searchsql.py did not create {name}"
        assert set(regional) == set(home), f"{name}: overloads differ, home {set(home)} vs {set(regional)}"
        for signature, (definition, closed) in regional.items():
            assert definition == home[signature][0], (
                f"{signature} differs between the migration (home) and vault/searchsql.py (regions)"
            )
            # Both copies run with the owner's rights: neither may be callable by everyone.
            assert closed and home[signature][1], signature
