"""The agent's working screens: views with counts, filters, saved views, sorting, actions, password."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from meridian.audit.models import AuditEntry
from meridian.auth.models import AgentSession
from meridian.conversations.models import Conversation
from meridian.conversations.service import ConversationFilter, list_conversations
from meridian.core.clock import utcnow
from tests.console.helpers import csrf_from, incoming, sign_in
from tests.factories import Factory, Tenant


async def _patch(client: httpx.AsyncClient, tenant: Tenant, conversation_id: str, **fields: object) -> None:
    response = await client.patch(
        f"/api/v1/conversations/{conversation_id}", headers=tenant.headers, json=fields
    )
    assert response.status_code == 200, response.text


async def _set_sla(factory: Factory, conversation_id: str, status: str, due: datetime | None) -> None:
    sla = {"status": status, "first_response_due_at": due.isoformat() if due else None}
    async with factory.db.session() as session:
        await session.execute(
            update(Conversation).where(Conversation.id == uuid.UUID(conversation_id)).values(sla=sla)
        )
        await session.commit()


def _count(html: str, view: str) -> int:
    match = re.search(rf'data-view-count="{view}">(\d+)<', html)
    assert match, f"no count for {view}"
    return int(match.group(1))


def _listed(html: str) -> list[str]:
    return re.findall(r'data-conversation-id="([0-9a-f-]+)"', html)


async def test_views_count_mine_unassigned_and_my_teams(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    support = await factory.team(tenant, name="Support")
    billing = await factory.team(tenant, name="Billing")
    agent = await factory.agent(tenant, name="Ana", team_ids=[support])
    colleague = await factory.agent(tenant, name="Bo", team_ids=[support])
    mine = (await incoming(client, tenant.headers, inbox_id, "mine"))["conversation_id"]
    queue = (await incoming(client, tenant.headers, inbox_id, "queue"))["conversation_id"]
    team_conv = (await incoming(client, tenant.headers, inbox_id, "team"))["conversation_id"]
    hidden = (await incoming(client, tenant.headers, inbox_id, "billing"))["conversation_id"]
    await _patch(client, tenant, mine, assignee_id=str(agent.id))
    await _patch(client, tenant, team_conv, team_id=str(support), assignee_id=str(colleague.id))
    await _patch(client, tenant, hidden, team_id=str(billing))

    await sign_in(client, agent.email)
    page = await client.get("/?view=teams")
    assert page.status_code == 200
    # The Billing team's queue is not this agent's to see.
    counts = (_count(page.text, "mine"), _count(page.text, "unassigned"), _count(page.text, "teams"))
    assert counts == (1, 1, 1)
    assert 'data-view-count="all"' not in page.text  # agents have no "All"
    assert _listed(page.text) == [team_conv]
    assert set(_listed((await client.get("/?view=unassigned")).text)) == {queue}
    assert hidden not in (await client.get("/?view=unassigned&status=any")).text
    # The live fragment keeps the view and the filters.
    fragment = await client.get("/inbox/list?view=teams&priority=urgent")
    assert 'hx-get="/inbox/list?view=teams&amp;status=open&amp;priority=urgent' in fragment.text
    assert _count(fragment.text, "teams") == 0


async def test_view_counts_stop_at_the_cap(
    client: httpx.AsyncClient, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the cap a view shows "N+" instead of counting every conversation; below it, exact."""
    from meridian.console import queries

    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    client.cookies.clear()
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    agent = await factory.agent(tenant, name="Ana")
    for text in ("one", "two", "three"):
        await incoming(client, tenant.headers, inbox_id, text)
    mine = (await incoming(client, tenant.headers, inbox_id, "four"))["conversation_id"]
    await _patch(client, tenant, mine, assignee_id=str(agent.id))

    await sign_in(client, agent.email)
    page = await client.get("/?view=unassigned")
    assert page.status_code == 200
    assert 'data-view-count="unassigned">2+<' in page.text
    assert _count(page.text, "mine") == 1


async def test_filters_narrow_the_list_and_the_counts(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    api_inbox, _ = await factory.inbox(tenant)
    other_inbox, _ = await factory.inbox(tenant, name="Second API")
    supervisor = await factory.agent(tenant, role="supervisor")
    first = (await incoming(client, tenant.headers, api_inbox, "first"))["conversation_id"]
    second = (await incoming(client, tenant.headers, other_inbox, "second"))["conversation_id"]
    await _patch(client, tenant, first, priority="urgent", tags=["refund", "vip"])
    await _set_sla(factory, first, "breached", utcnow() - timedelta(minutes=5))
    await _set_sla(factory, second, "warning", utcnow() + timedelta(minutes=5))
    await sign_in(client, supervisor.email)

    assert _listed((await client.get("/?view=all&priority=urgent")).text) == [first]
    assert _listed((await client.get("/?view=all&tag=refund")).text) == [first]
    assert _listed((await client.get(f"/?view=all&inbox={other_inbox}")).text) == [second]
    assert set(_listed((await client.get("/?view=all&channel=api")).text)) == {first, second}
    assert _listed((await client.get("/?view=all&channel=email")).text) == []
    assert _listed((await client.get("/?view=all&sla=breached")).text) == [first]
    assert _listed((await client.get("/?view=all&sla=warning")).text) == [second]
    assert _listed((await client.get("/?view=all&sla=ok")).text) == []
    filtered = await client.get("/?view=all&tag=vip")
    assert _count(filtered.text, "all") == 1 and _count(filtered.text, "unassigned") == 1
    # Unknown values are ignored, not errors.
    assert (await client.get("/?view=all&priority=whenever&sla=late&inbox=x")).status_code == 200


async def test_sort_by_sla_due_pages_by_keyset(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    now = utcnow()
    ids = [(await incoming(client, tenant.headers, inbox_id, f"m{i}"))["conversation_id"] for i in range(5)]
    dues = [now + timedelta(minutes=30), None, now + timedelta(minutes=10), now + timedelta(minutes=20), None]
    for ident, due in zip(ids, dues, strict=True):
        await _set_sla(factory, ident, "active", due)
    expected = [ids[2], ids[3], ids[0], *sorted([ids[1], ids[4]], key=uuid.UUID)]

    seen: list[str] = []
    cursor = None
    async with factory.db.session() as session:
        for _ in range(5):
            rows, cursor = await list_conversations(
                session,
                principal=tenant.principal,
                filters=ConversationFilter(),
                limit=2,
                cursor=cursor,
                sort="sla_due",
            )
            seen += [str(r.id) for r in rows]
            if cursor is None:
                break
    assert seen == expected

    supervisor = await factory.agent(tenant, role="supervisor")
    await sign_in(client, supervisor.email)
    assert _listed((await client.get("/?view=all&sort=sla_due")).text) == expected
    by_activity = _listed((await client.get("/?view=all&sort=activity")).text)
    assert by_activity == list(reversed(ids))


async def test_saved_views_are_private_to_their_agent(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    agent = await factory.agent(tenant, name="Ana")
    colleague = await factory.agent(tenant, name="Bo")
    urgent = (await incoming(client, tenant.headers, inbox_id, "urgent"))["conversation_id"]
    await incoming(client, tenant.headers, inbox_id, "calm")
    await _patch(client, tenant, urgent, priority="urgent")

    csrf = await sign_in(client, agent.email)
    refused = await client.post("/inbox/views", data={"name": "Urgent", "priority": "urgent"})
    assert refused.status_code == 403
    saved = await client.post(
        "/inbox/views",
        data={
            "name": "Urgent ones",
            "view": "unassigned",
            "priority": "urgent",
            "sort": "sla_due",
            "csrf_token": csrf,
        },
    )
    assert saved.status_code == 303
    location = saved.headers["location"]
    view_id = re.search(r"saved=([0-9a-f-]+)", location)
    assert view_id
    page = await client.get(location)
    assert _listed(page.text) == [urgent]
    assert "Urgent ones" in page.text and 'aria-current="page" data-saved-view' in page.text
    assert (await client.post("/inbox/views", data={"name": " ", "csrf_token": csrf})).status_code == 422

    client.cookies.clear()
    other_csrf = await sign_in(client, colleague.email)
    assert (await client.get(f"/?view=unassigned&saved={view_id.group(1)}")).status_code == 404
    assert "Urgent ones" not in (await client.get("/")).text
    gone = await client.post(f"/inbox/views/{view_id.group(1)}/delete", data={"csrf_token": other_csrf})
    assert gone.status_code == 404

    other = await factory.tenant("Other")
    stranger = await factory.agent(other)
    client.cookies.clear()
    await sign_in(client, stranger.email)
    assert (await client.get(f"/inbox/list?view=unassigned&saved={view_id.group(1)}")).status_code == 404

    client.cookies.clear()
    csrf = await sign_in(client, agent.email)
    deleted = await client.post(f"/inbox/views/{view_id.group(1)}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303
    assert (await client.get(location)).status_code == 404


async def test_assign_to_agent_or_team_snooze_and_tags(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    team = await factory.team(tenant, name="Billing")
    agent = await factory.agent(tenant, name="Ana", timezone="Asia/Tokyo", team_ids=[team])
    colleague = await factory.agent(tenant, name="Bo")
    conversation_id = (await incoming(client, tenant.headers, inbox_id, "Hi"))["conversation_id"]
    csrf = await sign_in(client, agent.email)
    base = f"/conversations/{conversation_id}"
    page = await client.get(base)
    assert '<select id="assignee" name="assignee">' in page.text and "Billing" in page.text
    assert 'id="shortcuts"' in page.text and 'id="resolve-form"' in page.text

    async def api() -> dict[str, object]:
        data: dict[str, object] = (
            await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)
        ).json()
        return data

    done = await client.post(
        f"{base}/assign", data={"assignee": str(colleague.id), "team": str(team), "csrf_token": csrf}
    )
    assert done.status_code == 303
    state = await api()
    assert (state["assignee_id"], state["team_id"]) == (str(colleague.id), str(team))
    bad = await client.post(f"{base}/assign", data={"assignee": str(uuid.uuid4()), "csrf_token": csrf})
    assert bad.status_code == 422
    assert (await api())["assignee_id"] == str(colleague.id)

    # 09:00 on the agent's wall clock in Tokyo is 00:00 UTC.
    snoozed = await client.post(
        f"{base}/status", data={"status": "snoozed", "snoozed_until": "2031-01-02T09:00", "csrf_token": csrf}
    )
    assert snoozed.status_code == 303
    state = await api()
    assert state["status"] == "snoozed"
    assert datetime.fromisoformat(str(state["snoozed_until"])) == datetime(2031, 1, 2, 0, 0, tzinfo=UTC)
    for when in ("", "yesterday", "2001-01-01T09:00"):
        refused = await client.post(
            f"{base}/status", data={"status": "snoozed", "snoozed_until": when, "csrf_token": csrf}
        )
        assert refused.status_code == 422
    page = await client.get(base)
    assert 'value="2031-01-02T09:00"' in page.text

    assert (
        await client.post(f"{base}/tags", data={"add": "refund, vip", "csrf_token": csrf})
    ).status_code == 303
    assert (await api())["tags"] == ["refund", "vip"]
    assert (await client.post(f"{base}/tags", data={"remove": "vip", "csrf_token": csrf})).status_code == 303
    assert (await api())["tags"] == ["refund"]
    too_long = await client.post(f"{base}/tags", data={"add": "x" * 65, "csrf_token": csrf})
    assert too_long.status_code == 422

    resolved = await client.post(f"{base}/status", data={"status": "resolved", "csrf_token": csrf})
    assert resolved.status_code == 303 and (await api())["status"] == "resolved"


async def test_actions_on_another_workspaces_conversation_are_not_found(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    other = await factory.tenant("Other")
    other_inbox, _ = await factory.inbox(other)
    foreign = (await incoming(client, other.headers, other_inbox, "secret"))["conversation_id"]
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    csrf = await sign_in(client, agent.email)
    for path, data in (("tags", {"add": "x"}), ("assign", {"to": "me"}), ("priority", {"priority": "low"})):
        response = await client.post(f"/conversations/{foreign}/{path}", data={**data, "csrf_token": csrf})
        assert response.status_code == 404
    state = (await client.get(f"/api/v1/conversations/{foreign}", headers=other.headers)).json()
    assert (state["tags"], state["assignee_id"], state["priority"]) == ([], None, "normal")


async def test_password_change_checks_the_current_one_and_ends_other_sessions(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    await sign_in(client, agent.email)
    other_device = dict(client.cookies)
    client.cookies.clear()
    csrf = await sign_in(client, agent.email)
    url = "/profile/password"

    wrong = await client.post(
        url,
        data={
            "current_password": "nope-nope",
            "new_password": "new-secret-1",
            "confirm_password": "new-secret-1",
            "csrf_token": csrf,
        },
    )
    assert wrong.status_code == 422 and "Your current password is wrong." in wrong.text
    mismatch = await client.post(
        url,
        data={
            "current_password": "password123",
            "new_password": "new-secret-1",
            "confirm_password": "other-1234",
            "csrf_token": csrf,
        },
    )
    assert mismatch.status_code == 422 and "do not match" in mismatch.text
    short = await client.post(
        url,
        data={
            "current_password": "password123",
            "new_password": "short",
            "confirm_password": "short",
            "csrf_token": csrf,
        },
    )
    assert short.status_code == 422
    changed = await client.post(
        url,
        data={
            "current_password": "password123",
            "new_password": "new-secret-1",
            "confirm_password": "new-secret-1",
            "csrf_token": csrf,
        },
    )
    assert changed.status_code == 303
    page = await client.get(changed.headers["location"])
    assert "Your password was changed." in page.text  # this session stays signed in

    async with factory.db.session() as session:
        open_sessions = await session.scalars(
            select(AgentSession).where(AgentSession.agent_id == agent.id, AgentSession.ended_at.is_(None))
        )
        assert len(list(open_sessions)) == 1
        actions = list(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.workspace_id == tenant.workspace_id)
            )
        )
        assert actions.count("agent.password_changed") == 1

    stale = httpx.Cookies(other_device)
    client.cookies.clear()
    client.cookies.update(stale)
    assert (await client.get("/")).status_code == 303  # the other device was signed out
    client.cookies.clear()
    form = await client.get("/login")
    old = await client.post(
        "/login", data={"email": agent.email, "password": "password123", "csrf_token": csrf_from(form.text)}
    )
    assert old.status_code == 401
    await sign_in(client, agent.email, password="new-secret-1")
