"""Row-level security: a query that forgets its workspace filter still sees one workspace."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from meridian.app import create_app
from meridian.auth.deps import CurrentPrincipal, Session
from meridian.auth.tenancy import bind_workspace
from meridian.db.engine import Database
from tests.factories import Factory, Tenant


async def _contact(client: httpx.AsyncClient, tenant: Tenant, name: str) -> str:
    response = await client.post("/api/v1/contacts", headers=tenant.headers, json={"name": name})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_a_bound_session_sees_only_its_workspace_without_any_where(
    db: Database, factory: Factory, client: httpx.AsyncClient
) -> None:
    a, b = await factory.tenant("A"), await factory.tenant("B")
    a_contact = await _contact(client, a, "Ada")
    b_contact = await _contact(client, b, "Bea")

    async with db.session() as session:
        await bind_workspace(session, a.workspace_id)
        assert await session.scalar(text("SELECT current_user")) == "meridian_tenant"
        # No workspace filter at all: the policy is the only thing in the way.
        ids = {str(r) for r in (await session.scalars(text("SELECT id FROM contacts"))).all()}
        workspaces = set((await session.scalars(text("SELECT DISTINCT workspace_id FROM agents"))).all())
        assert a_contact in ids and b_contact not in ids
        assert workspaces == {a.workspace_id}
        assert (await session.scalars(text("SELECT id FROM workspaces"))).all() == [a.workspace_id]
        # Updates and deletes cannot reach the other workspace either.
        hit = await session.execute(
            text("UPDATE contacts SET attributes = '{}' WHERE id = :id"), {"id": b_contact}
        )
        assert hit.rowcount == 0  # type: ignore[attr-defined]
        await session.commit()
        # The binding survives a commit: the next transaction is confined again.
        assert (
            await session.scalar(text("SELECT count(*) FROM contacts WHERE id = :id"), {"id": b_contact}) == 0
        )
        assert await session.scalar(text("SELECT current_setting('meridian.workspace_id')")) == str(
            a.workspace_id
        )

    async with db.session() as session:
        await bind_workspace(session, a.workspace_id)
        # Writing a row into another workspace is refused, not silently hidden.
        with pytest.raises(ProgrammingError, match="row-level security"):
            await session.execute(
                text("UPDATE contacts SET workspace_id = :b WHERE id = :id"),
                {"b": b.workspace_id, "id": a_contact},
            )

    # An unbound session (jobs, the dispatcher, the CLI) sees every workspace, and the
    # pooled connection came back without the role or the setting.
    async with db.session() as session:
        assert await session.scalar(text("SELECT current_user")) != "meridian_tenant"
        seen = {
            str(r)
            for r in (
                await session.scalars(
                    text("SELECT id FROM contacts WHERE id IN (:a, :b)"), {"a": a_contact, "b": b_contact}
                )
            ).all()
        }
        assert seen == {a_contact, b_contact}


async def test_a_request_session_is_bound_to_the_callers_workspace(
    db: Database, factory: Factory, client: httpx.AsyncClient
) -> None:
    """A route that forgets the workspace filter, behind the real auth dependencies."""
    a, b = await factory.tenant("A"), await factory.tenant("B")
    await _contact(client, a, "Ada")
    b_contact = await _contact(client, b, "Bea")

    async def leaky(session: Session, principal: CurrentPrincipal) -> dict[str, Any]:
        rows = (await session.scalars(text("SELECT DISTINCT workspace_id FROM contacts"))).all()
        return {
            "workspaces": [str(r) for r in rows],
            "user": await session.scalar(text("SELECT current_user")),
        }

    application: FastAPI = create_app(db=db)
    application.add_api_route("/_test/leaky", leaky, methods=["GET"])
    async with LifespanManager(application) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as own:
            answer = (await own.get("/_test/leaky", headers=a.headers)).json()
    assert answer == {"workspaces": [str(a.workspace_id)], "user": "meridian_tenant"}
    # And the product's own endpoint for another workspace's contact is still a 404.
    assert (await client.get(f"/api/v1/contacts/{b_contact}", headers=a.headers)).status_code == 404


async def test_every_workspace_table_has_the_policy_and_job_tables_do_not(db: Database) -> None:
    async with db.session() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                    "EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid "
                    "AND p.polname = 'workspace_isolation') "
                    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind = 'r' AND (c.relname = 'workspaces' "
                    "OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid "
                    "AND a.attname = 'workspace_id' AND NOT a.attisdropped))"
                )
            )
        ).all()
        jobs = (
            await session.execute(
                text(
                    "SELECT c.relname FROM pg_class c WHERE c.relname LIKE 'procrastinate%' "
                    "AND c.relkind = 'r' AND c.relrowsecurity"
                )
            )
        ).all()
    names = {r[0] for r in rows}
    assert {"contacts", "messages", "vault_messages", "audit_log", "workspaces"} <= names
    assert {"vault_message_search", "kb_chunks", "translation_segments"} <= names
    assert [r[0] for r in rows if not (r[1] and r[3])] == []
    # Every table is forced but the search tables: their SECURITY DEFINER functions run
    # as the owner, who must stay outside the policy to keep the indexes (migration 0022).
    unforced = sorted(r[0] for r in rows if not r[2])
    assert unforced == ["kb_chunks", "translation_segments", "vault_message_search"]
    assert jobs == []
