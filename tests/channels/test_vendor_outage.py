"""A vendor outage of several minutes: replies wait as ``retrying`` (never sooner than
the vendor's Retry-After), and once the vendor is back each one is delivered once."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
from sqlalchemy import select

from meridian.core.clock import utcnow
from meridian.db.engine import Database
from meridian.deliveries.models import Delivery, DeliveryAttempt
from tests.channels.samples import load_sample
from tests.factories import Factory
from tests.support.outbox import drain
from tests.support.vendor_server import RecordedRequest, ScriptedResponse, vendor_server

TOKEN = "777000:OUTAGE-token"
SECRET = "outage_secret"
PATH = f"/bot{TOKEN}/sendMessage"


class FlakyTelegram:
    """Down (500 / 429 with Retry-After) until ``recover()``; then accepts each send."""

    def __init__(self) -> None:
        self.down = True
        self.accepted: list[str] = []
        self._failures = 0
        self._lock = threading.Lock()

    def recover(self) -> None:
        self.down = False

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        with self._lock:
            if self.down:
                self._failures += 1
                if self._failures % 2 == 0:
                    # Bot API flood control: retry_after in the body, and the HTTP header.
                    return ScriptedResponse(
                        429,
                        {
                            "ok": False,
                            "error_code": 429,
                            "description": "Too Many Requests: retry after 90",
                            "parameters": {"retry_after": 90},
                        },
                        headers={"Retry-After": "90"},
                    )
                return ScriptedResponse(
                    500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
                )
            self.accepted.append(request.json()["text"])
            return ScriptedResponse(
                200, {"ok": True, "result": {"message_id": 5000 + len(self.accepted), "date": 1}}
            )


async def test_outage_then_each_reply_delivered_once(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    vendor = FlakyTelegram()
    with vendor_server() as telegram:
        telegram.respond(PATH, vendor)
        inbox = await client.post(
            "/api/v1/inboxes",
            headers=tenant.headers,
            json={
                "name": "Telegram",
                "channel": "telegram",
                "config": {"bot_token": TOKEN, "secret_token": SECRET, "api_base_url": telegram.url},
            },
        )
        hook = await client.post(
            f"/webhooks/telegram/{inbox.json()['id']}",
            content=load_sample("telegram_update_message.json"),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "content-type": "application/json"},
        )
        assert hook.status_code == 200
        [conv] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"]
        texts = ["first", "second", "third"]
        ids = []
        for body in texts:
            sent = await client.post(
                f"/api/v1/conversations/{conv['id']}/messages", headers=tenant.headers, json={"body": body}
            )
            ids.append(sent.json()["id"])

        # Several minutes of outage, compressed: every due attempt fails.
        for _ in range(3):
            await drain(db)
        messages = (
            await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=tenant.headers)
        ).json()
        statuses = {m["id"]: m["delivery_status"] for m in messages["items"] if m["direction"] == "outgoing"}
        assert set(statuses.values()) == {"retrying"}
        assert vendor.accepted == []
        async with db.session() as session:
            rows = list(
                await session.scalars(select(Delivery).where(Delivery.inbox_id == inbox.json()["id"]))
            )
            # A 429's Retry-After is a floor for the next attempt.
            last_codes = {
                row.id: await session.scalar(
                    select(DeliveryAttempt.http_status)
                    .where(DeliveryAttempt.delivery_id == row.id)
                    .order_by(DeliveryAttempt.number.desc())
                    .limit(1)
                )
                for row in rows
            }
        assert all(row.state == "retrying" and row.attempts == 3 for row in rows)
        assert 429 in last_codes.values() and 500 in last_codes.values()
        for row in rows:
            if last_codes[row.id] == 429:
                assert row.next_attempt_at >= utcnow() + timedelta(seconds=85)

        vendor.recover()
        await drain(db)
        await drain(db)  # nothing is sent twice once it went through
    assert sorted(vendor.accepted) == sorted(texts)
    messages = (
        await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=tenant.headers)
    ).json()
    outgoing = [m for m in messages["items"] if m["direction"] == "outgoing"]
    assert [m["delivery_status"] for m in outgoing] == ["sent"] * 3
    assert len({m["external_id"] for m in outgoing}) == 3
