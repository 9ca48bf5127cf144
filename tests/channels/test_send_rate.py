"""The outbox keeps within each vendor's send rate: deferred, never failed, never lost."""

from __future__ import annotations

import asyncio
import itertools
import uuid

import httpx
from sqlalchemy import func, select, text

from meridian.channels.base import Rate, RateLimit
from meridian.channels.registry import get_adapter
from meridian.db.engine import Database
from meridian.deliveries.models import Delivery, DeliveryAttempt
from meridian.deliveries.ratelimit import acquire, buckets
from meridian.deliveries.relay import OutboxRelay
from tests.channels.samples import load_sample
from tests.factories import Factory
from tests.support.vendor_server import RecordedRequest, ScriptedResponse, vendor_server


async def test_ten_telegram_replies_to_one_chat_arrive_a_second_apart(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    token, secret = "777000:RATE-token", "rate_secret"
    with vendor_server() as telegram:
        created = await client.post(
            "/api/v1/inboxes",
            headers=tenant.headers,
            json={
                "name": "Telegram",
                "channel": "telegram",
                "config": {"bot_token": token, "secret_token": secret, "api_base_url": telegram.url},
            },
        )
        inbox_id = created.json()["id"]
        hook = await client.post(
            f"/webhooks/telegram/{inbox_id}",
            content=load_sample("telegram_update_message.json"),
            headers={"X-Telegram-Bot-Api-Secret-Token": secret, "content-type": "application/json"},
        )
        assert hook.status_code == 200
        [conv] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"]
        path = f"/bot{token}/sendMessage"
        ids = itertools.count(5000)

        def accept(request: RecordedRequest) -> ScriptedResponse:
            return ScriptedResponse(200, {"ok": True, "result": {"message_id": next(ids), "date": 1}})

        telegram.respond(path, accept)
        texts = [f"Update {n}" for n in range(10)]
        for body in texts:
            reply = await client.post(
                f"/api/v1/conversations/{conv['id']}/messages", headers=tenant.headers, json={"body": body}
            )
            assert reply.status_code == 201

        # Two relays stand for two worker processes sharing the budget through PostgreSQL.
        relays = [OutboxRelay(db, concurrency=3, poll_interval=0.2) for _ in range(2)]
        for relay in relays:
            await relay.start()
        try:
            async with asyncio.timeout(120):
                while True:
                    async with db.session() as session:
                        open_ = await session.scalar(
                            select(func.count())
                            .select_from(Delivery)
                            .where(
                                Delivery.inbox_id == uuid.UUID(inbox_id),
                                Delivery.state.in_(("pending", "retrying")),
                            )
                        )
                    if open_ == 0:
                        break
                    await asyncio.sleep(0.2)
        finally:
            for relay in relays:
                await relay.stop()

        sent = telegram.requests_to(path)
        assert sorted(r.json()["text"] for r in sent) == sorted(texts), "each reply exactly once"
        arrivals = sorted(r.received_at for r in sent)
        gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
        assert min(gaps) >= 1.0, gaps
        messages = (
            await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=tenant.headers)
        ).json()["items"]
        assert {m["delivery_status"] for m in messages if m["direction"] == "outgoing"} == {"sent"}
        async with db.session() as session:
            # Waiting for the bucket is not an attempt: one ok attempt per reply, nothing failed.
            outcomes = list(
                await session.scalars(
                    select(DeliveryAttempt.outcome)
                    .join(Delivery, Delivery.id == DeliveryAttempt.delivery_id)
                    .where(Delivery.inbox_id == uuid.UUID(inbox_id))
                )
            )
        assert outcomes == ["ok"] * 10


async def test_buckets_allow_a_burst_then_defer(db: Database) -> None:
    inbox = uuid.uuid4()
    limit = RateLimit(per_inbox=Rate(100, burst=100), per_recipient=Rate(0.5, burst=3))
    async with db.session() as session:
        waits = []
        for _ in range(4):
            waits.append(await acquire(session, buckets(limit, inbox_id=inbox, recipient="+15550001")))
            await session.commit()
        # Three at once, then the fourth waits about one interval (2 s) and is not charged.
        assert waits[:3] == [0.0, 0.0, 0.0]
        assert 0.0 < waits[3] <= 2.0
        assert await acquire(session, buckets(limit, inbox_id=inbox, recipient="+15550001")) > 0.0
        # Another recipient of the same inbox has its own bucket.
        assert await acquire(session, buckets(limit, inbox_id=inbox, recipient="+15550002")) == 0.0
        await session.commit()
        keys = list(
            await session.scalars(
                text("SELECT key FROM send_rate_buckets WHERE key LIKE :p"), {"p": f"%{inbox}%"}
            )
        )
    assert len(keys) == 3 and not any("+1555" in key for key in keys), "recipients are stored hashed"


def test_adapters_declare_the_documented_rates() -> None:
    telegram = get_adapter("telegram").rate_limit
    assert telegram is not None and telegram.per_recipient is not None and telegram.per_inbox is not None
    assert telegram.per_recipient.interval >= 1.0 and telegram.per_inbox.per_second <= 30
    whatsapp = get_adapter("whatsapp").rate_limit
    assert whatsapp is not None and whatsapp.per_inbox is not None and whatsapp.per_inbox.per_second <= 80
    sms = get_adapter("sms").rate_limit
    assert sms is not None and sms.per_inbox is not None and sms.per_inbox.per_second <= 1
    assert buckets(None, inbox_id=uuid.uuid4(), recipient="x") == []
