"""Row-level security on the search tables (migration 0022): policed like every other
table, searched through SECURITY DEFINER functions that keep their index plans."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.tenancy import bind_workspace
from meridian.db.engine import Database
from tests.factories import Factory

SEARCH_TABLES = ("vault_message_search", "kb_chunks", "translation_segments")


async def _seed(session: AsyncSession, workspace_id: uuid.UUID, word: str) -> dict[str, uuid.UUID]:
    """One row of each search table holding ``word``; their ids."""
    ids = {"conversation": uuid.uuid4(), "article": uuid.uuid4(), "chunk": uuid.uuid4()}
    params = {"ws": workspace_id, "word": word, **ids}
    await session.execute(
        text(
            "INSERT INTO vault_message_search (message_id, workspace_id, conversation_id, contact_id, "
            "region, text) VALUES (gen_random_uuid(), :ws, :conversation, gen_random_uuid(), 'default', "
            "'where is my parcel ' || :word)"
        ),
        params,
    )
    await session.execute(
        text(
            "INSERT INTO kb_articles (id, workspace_id, slug, locale, title, body, body_html, status, "
            "version, outdated, indexed_version, helpful_yes, helpful_no) VALUES (:article, :ws, "
            ":word, 'en', 'Parcels', '', '', 'published', 1, false, 1, 0, 0)"
        ),
        params,
    )
    await session.execute(
        text(
            "INSERT INTO kb_chunks (id, workspace_id, article_id, position, locale, config, text, tsv) "
            "VALUES (:chunk, :ws, :article, 0, 'en', 'english', 'Tracking a parcel ' || :word, "
            "to_tsvector('english', 'Tracking a parcel ' || :word))"
        ),
        params,
    )
    await session.execute(
        text(
            "INSERT INTO translation_segments (id, workspace_id, source_lang, target_lang, source_hash, "
            "source_text, target_text, origin, uses, region) VALUES (gen_random_uuid(), :ws, 'en', 'de', "
            "md5(:word), 'where is my parcel ' || :word, 'wo ist mein Paket ' || :word, 'machine', 0, "
            "'default')"
        ),
        params,
    )
    return ids


@pytest.fixture
async def seeded(db: Database, factory: Factory) -> AsyncIterator[tuple[uuid.UUID, uuid.UUID, str, str]]:
    a, b = await factory.tenant("A"), await factory.tenant("B")
    word_a, word_b = f"zq{uuid.uuid4().hex[:8]}", f"zq{uuid.uuid4().hex[:8]}"
    async with db.session() as session:
        await _seed(session, a.workspace_id, word_a)
        await _seed(session, b.workspace_id, word_b)
        await session.commit()
    yield a.workspace_id, b.workspace_id, word_a, word_b


async def test_a_tenant_session_reads_no_other_workspace_rows_of_the_search_tables(
    db: Database, seeded: tuple[uuid.UUID, uuid.UUID, str, str]
) -> None:
    a, b, _, _ = seeded
    async with db.session() as session:
        await bind_workspace(session, a)
        assert await session.scalar(text("SELECT current_user")) == "meridian_tenant"
        for table in SEARCH_TABLES:
            # No WHERE at all: the policy is the only thing in the way.
            seen = set((await session.scalars(text(f"SELECT DISTINCT workspace_id FROM {table}"))).all())
            assert seen == {a}, table
            # Nor can a write reach B's rows.
            hit = await session.execute(text(f"DELETE FROM {table} WHERE workspace_id = :b"), {"b": b})
            assert hit.rowcount == 0, table  # type: ignore[attr-defined]
        await session.rollback()
    # Unbound (jobs, the CLI): both workspaces, as before.
    async with db.session() as session:
        seen = set(
            (
                await session.scalars(
                    text(
                        "SELECT DISTINCT workspace_id FROM vault_message_search WHERE workspace_id IN (:a, :b)"
                    ),
                    {"a": a, "b": b},
                )
            ).all()
        )
        assert seen == {a, b}


SEARCHES = {
    "messages": "SELECT count(*) FROM meridian_search_messages(:ws, '%' || :word || '%', NULL, NULL, 10)",
    "kb": "SELECT count(*) FROM meridian_kb_full_text(:ws, :word, 10)",
    # Fuzzy: A's own sentence is similar to B's, so count only rows that hold the word.
    "memory": (
        "SELECT count(*) FROM meridian_tm_similar(:ws, 'en', 'de', 'where is my parcel ' || :word, 0.3, 5) "
        "WHERE source_text LIKE '%' || :word"
    ),
}


@pytest.mark.parametrize("search", sorted(SEARCHES))
async def test_the_search_functions_obey_the_sessions_workspace_not_their_argument(
    db: Database, seeded: tuple[uuid.UUID, uuid.UUID, str, str], search: str
) -> None:
    a, b, word_a, word_b = seeded
    query = text(SEARCHES[search])
    async with db.session() as session:
        await bind_workspace(session, a)
        assert await session.scalar(query, {"ws": a, "word": word_a}) == 1
        # Asking for B by name from a session bound to A finds nothing.
        assert await session.scalar(query, {"ws": b, "word": word_b}) == 0
        # Nor does asking for A with B's text (the workspace filter is really applied).
        assert await session.scalar(query, {"ws": a, "word": word_b}) == 0
    async with db.session() as session:
        # Unbound system work searches the workspace it names.
        assert await session.scalar(query, {"ws": b, "word": word_b}) == 1


async def test_a_role_without_the_table_cannot_search_it_through_the_function(db: Database) -> None:
    async with db.session() as session:
        grants = (
            await session.execute(
                text(
                    "SELECT p.proname, has_function_privilege('public', p.oid, 'EXECUTE'), "
                    "has_function_privilege('meridian_tenant', p.oid, 'EXECUTE'), "
                    "p.prosecdef, pg_get_userbyid(p.proowner) = pg_get_userbyid(c.relowner) "
                    "FROM pg_proc p JOIN pg_class c ON c.relname = CASE p.proname "
                    "WHEN 'meridian_search_messages' THEN 'vault_message_search' "
                    "WHEN 'meridian_kb_full_text' THEN 'kb_chunks' ELSE 'translation_segments' END "
                    "WHERE p.proname IN ('meridian_search_messages', 'meridian_kb_full_text', "
                    "'meridian_tm_similar')"
                )
            )
        ).all()
    assert sorted(grants) == [
        (name, False, True, True, True)
        for name in ("meridian_kb_full_text", "meridian_search_messages", "meridian_tm_similar")
    ]


@pytest.mark.parametrize("owner", ["superuser", "app role"])
async def test_the_functions_keep_their_index_plans_under_the_policy(db: Database, owner: str) -> None:
    """Through the function, the trigram indexes serve a bound tenant session, whether the
    tables belong to a superuser (embedded, tests) or to the app's own non-superuser role.
    Everything happens in one transaction that is rolled back, role included."""
    a, b = uuid.uuid4(), uuid.uuid4()
    needle = uuid.uuid4().hex[:12]
    role = f"meridian_test_owner_{uuid.uuid4().hex[:8]}"
    async with db.session() as session:
        for ws in (a, b):
            await session.execute(
                text(
                    "INSERT INTO workspaces (id, name, default_locale, languages, settings) "
                    "VALUES (:ws, 'bench', 'en', '[]', '{}')"
                ),
                {"ws": ws},
            )
        # Enough rows per workspace that scanning one is dearer than the trigram index.
        await session.execute(
            text(
                "INSERT INTO vault_message_search (message_id, workspace_id, conversation_id, contact_id, "
                "region, text) SELECT gen_random_uuid(), CASE WHEN i % 2 = 0 THEN CAST(:a AS uuid) "
                "ELSE CAST(:b AS uuid) END, gen_random_uuid(), gen_random_uuid(), 'default', "
                "'parcel ' || md5(i::text) || CASE WHEN i < 3 THEN :needle ELSE '' END "
                "FROM generate_series(1, 20000) AS i"
            ),
            {"a": a, "b": b, "needle": needle},
        )
        await session.execute(
            text(
                "INSERT INTO translation_segments (id, workspace_id, source_lang, target_lang, source_hash, "
                "source_text, target_text, origin, uses, region) SELECT gen_random_uuid(), CASE WHEN i % 2 "
                "= 0 THEN CAST(:a AS uuid) ELSE CAST(:b AS uuid) END, 'en', 'de', md5(i::text), "
                "md5(i::text) || ' ' || md5((i + 1)::text), 'x', 'machine', 0, 'default' "
                "FROM generate_series(1, 20000) AS i"
            ),
            {"a": a, "b": b},
        )
        for table, index in (
            ("vault_message_search", "ix_vault_message_search_text_trgm"),
            ("translation_segments", "ix_translation_segments_source_trgm"),
        ):
            await session.execute(text(f"ANALYZE {table}"))
            # New rows sit in the GIN pending list (autovacuum merges it) and make the index
            # look as dear as a scan of the table; merge now so the planner sees the index.
            await session.execute(text("SELECT gin_clean_pending_list(CAST(:i AS regclass))"), {"i": index})
        if owner == "app role":
            await session.execute(text(f"CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS"))
            await session.execute(text(f"GRANT meridian_tenant TO {role}"))
            for table in ("vault_message_search", "translation_segments"):
                await session.execute(text(f"ALTER TABLE {table} OWNER TO {role}"))
            for fn in (
                "meridian_search_messages(uuid, text, text[], text[], integer)",
                "meridian_tm_similar(uuid, text, text, text, real, integer)",
            ):
                await session.execute(text(f"ALTER FUNCTION {fn} OWNER TO {role}"))
            # The app connects as that role.
            await session.execute(text(f"SET LOCAL ROLE {role}"))
            assert not await session.scalar(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            )
        # What auth/tenancy.py does for a request.
        await session.execute(text("SELECT set_config('meridian.workspace_id', :a, true)"), {"a": str(a)})
        await session.execute(text("SET LOCAL ROLE meridian_tenant"))

        async def scans(index: str) -> int:
            return int(
                await session.scalar(
                    text("SELECT pg_stat_get_xact_numscans(CAST(:i AS regclass))"), {"i": index}
                )
                or 0
            )

        before = await scans("ix_vault_message_search_text_trgm")
        found = (
            await session.scalars(
                text("SELECT * FROM meridian_search_messages(:a, :p, NULL, NULL, 10)"),
                {"a": a, "p": f"%{needle}%"},
            )
        ).all()
        assert len(found) == 1  # row 2 is A's; row 1 (B's) holds the needle too
        assert await scans("ix_vault_message_search_text_trgm") > before

        before = await scans("ix_translation_segments_source_trgm")
        similar = (
            await session.execute(
                text("SELECT source_text FROM meridian_tm_similar(:a, 'en', 'de', :t, 0.3, 5)"),
                {"a": a, "t": _md5(3)},
            )
        ).all()
        # Rows 2 (A's) and 3 (B's) hold that text; only A's comes back.
        assert [row[0] for row in similar] == [f"{_md5(2)} {_md5(3)}"]
        assert await scans("ix_translation_segments_source_trgm") > before
        await session.rollback()


def _md5(i: int) -> str:
    import hashlib

    return hashlib.md5(str(i).encode()).hexdigest()
