"""Message search (``GET /conversations?q=``): CJK words of two characters, region grants."""

from __future__ import annotations

import secrets
import uuid

import httpx
from sqlalchemy import text

from meridian.core.ids import new_id
from meridian.db.engine import Database
from meridian.vault import access
from meridian.vault import service as vault
from meridian.vault.bigrams import cjk_bigrams
from tests.factories import Factory, Tenant


async def _incoming(client: httpx.AsyncClient, tenant: Tenant, inbox_id: uuid.UUID, body: str) -> str:
    r = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=tenant.headers,
        json={"contact": {"identifier": f"c-{secrets.token_hex(6)}"}, "body": body},
    )
    assert r.status_code == 202, r.text
    return str(r.json()["conversation_id"])


async def _search(client: httpx.AsyncClient, tenant: Tenant, q: str) -> set[str]:
    r = await client.get("/api/v1/conversations", params={"q": q}, headers=tenant.headers)
    assert r.status_code == 200, r.text
    return {c["id"] for c in r.json()["items"]}


async def test_two_character_cjk_words_are_found_exactly(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    refund = await _incoming(client, tenant, inbox_id, "这个月被扣了两次款，请退还其中一笔。")
    apart = await _incoming(client, tenant, inbox_id, "退 还 (two characters, not a word)")
    japanese = await _incoming(client, tenant, inbox_id, "二重に請求されています。返金してください。")
    korean = await _incoming(client, tenant, inbox_id, "배송 조회가 안 됩니다")
    mixed = await _incoming(client, tenant, inbox_id, "Order 4711: 退还 please")

    assert await _search(client, tenant, "退还") == {refund, mixed}
    assert await _search(client, tenant, "返金") == {japanese}
    assert await _search(client, tenant, "배송") == {korean}
    # A pair across the word boundary is still a substring, and a longer needle needs all pairs.
    assert await _search(client, tenant, "请退还其") == {refund}
    assert await _search(client, tenant, "退还其中两") == set()
    # One character has no pair: the trigram/LIKE path answers, still exactly.
    assert await _search(client, tenant, "退") == {refund, apart, mixed}
    assert await _search(client, tenant, "order 4711: 退还") == {mixed}


async def test_python_and_database_bigrams_agree(db: Database) -> None:
    samples = [
        "你好，我的订单还没有到",
        "注文した商品がまだ届きません。アップロード",
        "안녕하세요 배송 조회",
        "mixed 退还 text 返 金 and ｶﾀｶﾅ",
        "no cjk at all, ça va",
        "一",
    ]
    async with db.session() as session:
        for sample in samples:
            stored = vault.search_text(sample)
            in_db = await session.scalar(text("SELECT meridian_cjk_bigrams(:v)"), {"v": stored})
            assert sorted(in_db) == cjk_bigrams(stored), sample


async def _message(db: Database, workspace_id: uuid.UUID, region: str, body: str) -> uuid.UUID:
    conversation_id = new_id()
    async with db.session() as session:
        await vault.put_message(
            session,
            workspace_id=workspace_id,
            message_id=new_id(),
            conversation_id=conversation_id,
            contact_id=new_id(),
            region=region,
            body=body,
        )
        await session.commit()
    return conversation_id


async def test_search_in_the_home_database_obeys_region_grants(db: Database, factory: Factory) -> None:
    """Regions without their own database share the home tables; a reader without a grant
    for one must not find its messages there either."""
    tenant = await factory.tenant()
    home = await _message(db, tenant.workspace_id, "default", "Wo ist mein Paket 9931?")
    eu = await _message(db, tenant.workspace_id, "eu", "Où est mon colis 9931 ?")

    async def found(reader: access.Reader | None) -> set[uuid.UUID]:
        access.set_reader(reader)
        try:
            async with db.session() as session:
                return set(
                    await vault.search_conversations(
                        session, workspace_id=tenant.workspace_id, query="9931", limit=10
                    )
                )
        finally:
            access.set_reader(None)

    agent = tenant.admin_id
    assert await found(None) == {home, eu}
    assert await found(access.Reader(tenant.workspace_id, agent, "default", None)) == {home, eu}
    assert await found(access.Reader(tenant.workspace_id, agent, "default", frozenset())) == {home}
    assert await found(access.Reader(tenant.workspace_id, agent, "default", frozenset({"eu"}))) == {home, eu}
    assert await found(access.Reader(tenant.workspace_id, agent, "eu", frozenset())) == {eu}
