"""Merging contacts by hand: one timeline, an exact unmerge, erasure that reaches both."""

from __future__ import annotations

import secrets
import uuid

import httpx
from sqlalchemy import select

from meridian.audit.models import AuditEntry
from meridian.db.engine import Database
from meridian.events.models import DomainEvent
from meridian.privacy.erasure import process_pending_erasures
from tests.factories import Factory, Tenant
from tests.privacy.support import pg_dump


async def _inbox(client: httpx.AsyncClient, tenant: Tenant, name: str) -> str:
    created = await client.post(
        "/api/v1/inboxes", headers=tenant.headers, json={"name": name, "channel": "api", "config": {}}
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _writes(
    client: httpx.AsyncClient, tenant: Tenant, inbox_id: str, identifier: str, body: str, **contact: str
) -> tuple[str, str]:
    """(conversation id, contact id) of a customer message arriving through the API channel."""
    response = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=tenant.headers,
        json={
            "contact": {"identifier": identifier, **contact},
            "body": body,
            "external_id": secrets.token_hex(6),
        },
    )
    assert response.status_code == 202, response.text
    conversation_id = response.json()["conversation_id"]
    conversation = await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)
    return conversation_id, conversation.json()["contact"]["id"]


async def _timeline(client: httpx.AsyncClient, tenant: Tenant, contact_id: str) -> set[str]:
    response = await client.get(f"/api/v1/contacts/{contact_id}/conversations", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return {c["id"] for c in response.json()["items"]}


async def _bodies(client: httpx.AsyncClient, tenant: Tenant, conversation_id: str) -> list[str]:
    response = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return [m["body"] for m in response.json()["items"]]


async def _identities(client: httpx.AsyncClient, tenant: Tenant, contact_id: str) -> set[str]:
    contact = (await client.get(f"/api/v1/contacts/{contact_id}", headers=tenant.headers)).json()
    return {i["identifier"] for i in contact["identities"]}


async def test_merge_joins_histories_and_unmerge_restores_exactly(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    shop, app = await _inbox(client, tenant, "Shop"), await _inbox(client, tenant, "App")
    tok = secrets.token_hex(4)
    conv_a, contact_a = await _writes(client, tenant, shop, f"mail-{tok}", "parcel late", name="Ana")
    conv_b, contact_b = await _writes(client, tenant, app, f"chat-{tok}", "still waiting", name="Ana P.")
    assert contact_a != contact_b
    identities_a = await _identities(client, tenant, contact_a)
    identities_b = await _identities(client, tenant, contact_b)

    merged = await client.post(
        f"/api/v1/contacts/{contact_a}/merge", headers=agent.headers, json={"other_contact_id": contact_b}
    )
    assert merged.status_code == 201, merged.text
    merge = merged.json()
    assert merge["conversation_ids"] == [conv_b] and len(merge["identity_ids"]) == len(identities_b)

    # One timeline, every message still readable under the key it was sealed with.
    assert await _timeline(client, tenant, contact_a) == {conv_a, conv_b}
    assert await _identities(client, tenant, contact_a) == identities_a | identities_b
    assert await _bodies(client, tenant, conv_b) == ["still waiting"]
    conversation = (await client.get(f"/api/v1/conversations/{conv_b}", headers=tenant.headers)).json()
    assert conversation["contact"]["id"] == contact_a and conversation["contact"]["name"] == "Ana"
    listed = (await client.get("/api/v1/contacts", headers=tenant.headers)).json()["items"]
    assert contact_b not in {c["id"] for c in listed}
    # The customer writing again from the merged identity reaches the surviving contact.
    conv_c, contact_c = await _writes(client, tenant, shop, f"chat-{tok}", "hello again")
    assert contact_c == contact_a
    reply = await client.post(
        f"/api/v1/conversations/{conv_b}/messages", headers=tenant.headers, json={"body": "On its way"}
    )
    assert reply.status_code == 201, reply.text

    async with db.session() as session:
        events = list(
            await session.scalars(
                select(DomainEvent.type).where(
                    DomainEvent.workspace_id == tenant.workspace_id, DomainEvent.type.like("contact.%merged")
                )
            )
        )
        assert events == ["contact.merged"]

    assert (
        await client.post(
            f"/api/v1/contacts/{contact_a}/unmerge", headers=agent.headers, json={"merge_id": merge["id"]}
        )
    ).status_code == 403, "unmerge needs a supervisor"
    undone = await client.post(
        f"/api/v1/contacts/{contact_a}/unmerge", headers=tenant.headers, json={"merge_id": merge["id"]}
    )
    assert undone.status_code == 200, undone.text
    assert undone.json()["unmerged_at"] is not None

    assert await _timeline(client, tenant, contact_b) == {conv_b}
    # What moved went back; the conversation opened after the merge stays with the survivor.
    assert await _timeline(client, tenant, contact_a) == {conv_a, conv_c}
    assert await _identities(client, tenant, contact_a) == identities_a
    assert await _identities(client, tenant, contact_b) == identities_b
    assert await _bodies(client, tenant, conv_b) == ["still waiting", "On its way"]
    listed = (await client.get("/api/v1/contacts", headers=tenant.headers)).json()["items"]
    assert {contact_a, contact_b} <= {c["id"] for c in listed}
    again = await client.post(
        f"/api/v1/contacts/{contact_a}/unmerge", headers=tenant.headers, json={"merge_id": merge["id"]}
    )
    assert again.status_code == 409

    history = (await client.get(f"/api/v1/contacts/{contact_a}/merges", headers=tenant.headers)).json()
    assert [m["id"] for m in history["items"]] == [merge["id"]]
    async with db.session() as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action)
                .where(
                    AuditEntry.workspace_id == tenant.workspace_id, AuditEntry.action.like("contact.%merged")
                )
                .order_by(AuditEntry.seq)
            )
        )
    assert actions == ["contact.merged", "contact.unmerged"]
    verify = await client.get("/api/v1/audit/verify", headers=tenant.headers)
    assert verify.json()["ok"] is True


async def test_merging_into_a_contact_merged_elsewhere_keeps_one_level(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox = await _inbox(client, tenant, "Shop")
    tok = secrets.token_hex(4)
    convs, people = {}, {}
    for who in ("a", "b", "c"):
        convs[who], people[who] = await _writes(client, tenant, inbox, f"{who}-{tok}", f"from {who}")

    async def merge(into: str, other: str) -> httpx.Response:
        return await client.post(
            f"/api/v1/contacts/{people[into]}/merge",
            headers=tenant.headers,
            json={"other_contact_id": people[other]},
        )

    first = await merge("b", "c")
    assert first.status_code == 201
    assert (await merge("c", "a")).status_code == 409, "c is merged; merging into it is refused"
    assert (await merge("a", "c")).status_code == 409, "c already belongs to b"
    second = await merge("a", "b")
    assert second.status_code == 201
    assert await _timeline(client, tenant, people["a"]) == set(convs.values())
    # Undoing the second merge gives b back its own merged contact c.
    undone = await client.post(
        f"/api/v1/contacts/{people['a']}/unmerge",
        headers=tenant.headers,
        json={"merge_id": second.json()["id"]},
    )
    assert undone.status_code == 200
    assert await _timeline(client, tenant, people["b"]) == {convs["b"], convs["c"]}
    assert await _timeline(client, tenant, people["a"]) == {convs["a"]}


def _strings(tok: str) -> dict[str, str]:
    return {
        "name_a": f"Åsa Lindqvist {tok}",
        "name_b": f"Åsa L. {tok}",
        "mail": f"I wrote by mail {tok}",
        "chat": f"私の注文{tok}はどこですか",
        "reply": f"Your parcel {tok} ships today",
    }


async def test_erasure_after_merge_shreds_both_contacts(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox = await _inbox(client, tenant, "Shop")
    tok = secrets.token_hex(6)
    s = _strings(tok)
    conv_a, contact_a = await _writes(client, tenant, inbox, f"a-{tok}", s["mail"], name=s["name_a"])
    conv_b, contact_b = await _writes(client, tenant, inbox, f"b-{tok}", s["chat"], name=s["name_b"])
    merged = await client.post(
        f"/api/v1/contacts/{contact_a}/merge", headers=tenant.headers, json={"other_contact_id": contact_b}
    )
    assert merged.status_code == 201
    assert tok in await pg_dump(db), "the search index holds the message text before erasure"

    erase = await client.post(f"/api/v1/contacts/{contact_a}/erase", headers=tenant.headers)
    assert erase.status_code == 202, erase.text
    assert await _bodies(client, tenant, conv_b) == [""], "the merged contact's content is unreadable at once"
    assert await process_pending_erasures(db) >= 1
    dump = await pg_dump(db)
    assert [k for k, v in s.items() if v in dump or v.casefold() in dump] == []
    b = (await client.get(f"/api/v1/contacts/{contact_b}", headers=tenant.headers)).json()
    assert b["erased"] is True and b["name"] is None


async def test_erasure_after_unmerge_reaches_replies_written_during_the_merge(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox = await _inbox(client, tenant, "Shop")
    tok = secrets.token_hex(6)
    s = _strings(tok)
    _, contact_a = await _writes(client, tenant, inbox, f"a-{tok}", "hello", name="Kept")
    conv_b, contact_b = await _writes(client, tenant, inbox, f"b-{tok}", s["chat"], name=s["name_b"])
    merge = (
        await client.post(
            f"/api/v1/contacts/{contact_a}/merge",
            headers=tenant.headers,
            json={"other_contact_id": contact_b},
        )
    ).json()
    # Written while the conversation belonged to contact a: sealed with a's key.
    reply = await client.post(
        f"/api/v1/conversations/{conv_b}/messages", headers=tenant.headers, json={"body": s["reply"]}
    )
    assert reply.status_code == 201
    undone = await client.post(
        f"/api/v1/contacts/{contact_a}/unmerge", headers=tenant.headers, json={"merge_id": merge["id"]}
    )
    assert undone.status_code == 200
    assert await _bodies(client, tenant, conv_b) == [s["chat"], s["reply"]]

    erase = await client.post(f"/api/v1/contacts/{contact_b}/erase", headers=tenant.headers)
    assert erase.status_code == 202
    assert await _bodies(client, tenant, conv_b) == ["", ""]
    assert await process_pending_erasures(db) >= 1
    dump = await pg_dump(db)
    assert [k for k in ("name_b", "chat", "reply") if s[k] in dump or s[k].casefold() in dump] == []
    kept = (await client.get(f"/api/v1/contacts/{contact_a}", headers=tenant.headers)).json()
    assert kept["erased"] is False and kept["name"] == "Kept"


async def test_merge_refuses_bad_input_and_other_workspaces(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant, stranger = await factory.tenant(), await factory.tenant("Other")
    inbox, theirs = await _inbox(client, tenant, "Shop"), await _inbox(client, stranger, "Shop")
    tok = secrets.token_hex(4)
    conv, mine = await _writes(client, tenant, inbox, f"x-{tok}", "hi")
    _, other = await _writes(client, tenant, inbox, f"y-{tok}", "hi")
    _, foreign = await _writes(client, stranger, theirs, f"z-{tok}", "hi")

    async def merge(
        contact_id: str, body: object, headers: dict[str, str] = tenant.headers
    ) -> httpx.Response:
        return await client.post(f"/api/v1/contacts/{contact_id}/merge", headers=headers, json=body)

    assert (await merge(mine, {"other_contact_id": foreign})).status_code == 404
    assert (await merge(foreign, {"other_contact_id": mine})).status_code == 404
    assert (await merge(mine, {"other_contact_id": other}, stranger.headers)).status_code == 404
    assert (await merge(mine, {"other_contact_id": str(uuid.uuid4())})).status_code == 404
    assert (await merge("not-an-id", {"other_contact_id": other})).status_code == 404
    assert (await merge(mine, {"other_contact_id": mine})).status_code == 422
    assert (await merge(mine, {"other_contact_id": "nope"})).status_code == 422
    assert (await merge(mine, {})).status_code == 422
    assert (await merge(mine, {"other_contact_id": other, "extra": 1})).status_code == 422
    unmerge = await client.post(
        f"/api/v1/contacts/{mine}/unmerge", headers=tenant.headers, json={"merge_id": str(uuid.uuid4())}
    )
    assert unmerge.status_code == 404
    # Nothing changed.
    assert await _timeline(client, tenant, mine) == {conv}
    assert (await client.get(f"/api/v1/contacts/{mine}/merges", headers=tenant.headers)).json()["items"] == []

    merge_id = (await merge(mine, {"other_contact_id": other})).json()["id"]
    cross = await client.post(
        f"/api/v1/contacts/{mine}/unmerge", headers=stranger.headers, json={"merge_id": merge_id}
    )
    assert cross.status_code == 404
    wrong_contact = await client.post(
        f"/api/v1/contacts/{other}/unmerge", headers=tenant.headers, json={"merge_id": merge_id}
    )
    assert wrong_contact.status_code == 404
