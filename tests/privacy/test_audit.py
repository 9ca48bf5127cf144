"""The audit log: entries for sensitive actions, a hash chain that detects tampering."""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
from typing import Any

import httpx
from sqlalchemy import text

from meridian.audit.service import record, verify_workspace
from meridian.db.engine import Database
from tests.console.helpers import sign_in
from tests.factories import Factory


def _cli_verify(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MERIDIAN_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-c", "from meridian.cli import main; main()", "audit", "verify"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


async def _entries(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/audit", headers=headers, params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_sensitive_actions_are_audited(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, role="agent")
    await sign_in(client, agent.email)
    client.cookies.clear()
    promoted = await client.patch(
        f"/api/v1/agents/{agent.id}", headers=tenant.headers, json={"role": "supervisor"}
    )
    assert promoted.status_code == 200
    # Not a permission change: no entry.
    await client.patch(f"/api/v1/agents/{agent.id}", headers=tenant.headers, json={"name": "Renamed"})
    contact = (await client.post("/api/v1/contacts", headers=tenant.headers, json={"name": "Ana"})).json()
    assert (
        await client.get(f"/api/v1/contacts/{contact['id']}/export", headers=tenant.headers)
    ).status_code == 200
    assert (
        await client.post(f"/api/v1/contacts/{contact['id']}/erase", headers=tenant.headers)
    ).status_code == 202

    items = (await _entries(client, tenant.headers))["items"]
    assert [e["action"] for e in items] == [
        "contact.erasure_requested",
        "contact.exported",
        "agent.access_changed",
        "agent.signed_in",
    ]
    assert [e["seq"] for e in items] == [4, 3, 2, 1]
    access = items[2]
    assert access["actor_id"] == str(tenant.admin_id) and access["target"] == f"agent:{agent.id}"
    assert access["details"]["role"] == ["agent", "supervisor"]
    assert items[3]["actor_id"] == str(agent.id)
    assert all(e["prev_hash"] == nxt["hash"] for e, nxt in itertools.pairwise(items))

    page = await _entries(client, tenant.headers, limit=3)
    rest = await _entries(client, tenant.headers, limit=3, cursor=page["next_cursor"])
    assert [e["seq"] for e in page["items"] + rest["items"]] == [4, 3, 2, 1] and rest["next_cursor"] is None
    only = await _entries(client, tenant.headers, action="contact.exported")
    assert [e["seq"] for e in only["items"]] == [3]
    assert (await client.get("/api/v1/audit", headers=agent.headers)).status_code == 403
    other = await factory.tenant()
    assert (await _entries(client, other.headers))["items"] == []
    verdict = (await client.get("/api/v1/audit/verify", headers=tenant.headers)).json()
    assert verdict == {"ok": True, "entries": 4, "head": items[0]["hash"], "problem": None}


async def test_verify_names_an_altered_or_removed_entry(
    factory: Factory, db: Database, database_url: str
) -> None:
    tenant = await factory.tenant()
    async with db.session() as session:
        for n in range(5):
            await record(
                session,
                workspace_id=tenant.workspace_id,
                actor_id=tenant.admin_id,
                action="settings.changed",
                target=f"setting:{n}",
                details={"n": n, "note": "ünïcödé ✓"},
            )
        await session.commit()
    ws = {"w": tenant.workspace_id}
    async with db.session() as session:
        assert (await verify_workspace(session, tenant.workspace_id)).ok
        third = (
            await session.execute(
                text("SELECT id, details FROM audit_log WHERE workspace_id = :w AND seq = 3"), ws
            )
        ).one()
        await session.execute(
            text("UPDATE audit_log SET details = '{\"n\": 99}' WHERE workspace_id = :w AND seq = 3"), ws
        )
        await session.commit()
    try:
        async with db.session() as session:
            report = await verify_workspace(session, tenant.workspace_id)
        assert report.problem == f"entry #3 (id {third.id}, settings.changed) was altered"
        result = await asyncio.to_thread(_cli_verify, database_url)
        assert result.returncode == 1
        assert f"workspace {tenant.workspace_id}: entry #3 (id {third.id}, settings.changed) was altered" in (
            result.stderr
        )

        # Recomputing the altered entry's own hash moves the break to its successor's link.
        async with db.session() as session:
            from meridian.audit.models import AuditEntry
            from meridian.audit.service import entry_hash

            row = await session.get(AuditEntry, third.id)
            assert row is not None
            row.hash = entry_hash(row)
            await session.commit()
            report = await verify_workspace(session, tenant.workspace_id)
        assert report.problem is not None and report.problem.startswith(f"entry #3 (id {third.id}")

        async with db.session() as session:
            await session.execute(text("DELETE FROM audit_log WHERE workspace_id = :w AND seq = 3"), ws)
            await session.commit()
            report = await verify_workspace(session, tenant.workspace_id)
        assert report.problem is not None and report.problem.startswith(
            "entry #3 was removed before entry #4"
        )
        result = await asyncio.to_thread(_cli_verify, database_url)
        assert result.returncode == 1 and "entry #3 was removed" in result.stderr
    finally:
        # Other tests verify every workspace in this database: leave it intact.
        async with db.session() as session:
            await session.execute(text("DELETE FROM audit_log WHERE workspace_id = :w"), ws)
            await session.commit()
    result = await asyncio.to_thread(_cli_verify, database_url)
    assert result.returncode == 0, result.stderr
    assert "audit log intact" in result.stdout


async def test_concurrent_appends_keep_one_chain(factory: Factory, db: Database) -> None:
    tenant = await factory.tenant()

    async def append(n: int) -> None:
        async with db.session() as session:
            await record(session, workspace_id=tenant.workspace_id, action="test.append", details={"n": n})
            await session.commit()

    await asyncio.gather(*(append(n) for n in range(12)))
    async with db.session() as session:
        report = await verify_workspace(session, tenant.workspace_id)
    assert report.ok and report.entries == 12
