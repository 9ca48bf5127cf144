"""Drill 2: the outbound vendor (WhatsApp Cloud API stand-in) answers 500, 429 with
Retry-After, or nothing at all (timeouts) for ten minutes; replies queue as
``retrying``, back off (never sooner than Retry-After), and all arrive exactly once
after recovery, shown ``retrying`` then ``sent`` in the API and the console.

The clock is simulated: ``time_machine`` moves wall time forward 30 s per step (the
relay and its backoff read ``utcnow()``), while the real relay sends over real HTTP."""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import text

from meridian.db.engine import Database
from meridian.deliveries.relay import OutboxRelay
from tests.console.helpers import sign_in
from tests.drills.support import REPORT, WA_PHONE_ID, scaled, whatsapp_body, whatsapp_config, whatsapp_headers
from tests.factories import Factory
from tests.support.vendor_server import RecordedRequest, ScriptedResponse, vendor_server

pytestmark = pytest.mark.drill

SEND = f"/v21.0/{WA_PHONE_ID}/messages"
RETRY_AFTER = 120
STEP = timedelta(seconds=30)
OUTAGE = timedelta(minutes=10)
# The relay's HTTP timeout here; the vendor's "timeouts" hang longer than this.
CLIENT_TIMEOUT = 2.0


class Outage:
    """500 / 429 + Retry-After / a hang, in turn, until ``recover()``; then 200."""

    def __init__(self) -> None:
        self.down = True
        self.failures: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        with self._lock:
            if self.down:
                kind = ("500", "429", "500", "429", "timeout")[sum(self.failures.values()) % 5]
                self.failures[kind] += 1
            else:
                kind = "ok"
                self.accepted[request.json()["text"]["body"]] += 1
                wamid = f"wamid.OK{next(self._ids):06d}"
        if kind == "500":
            return ScriptedResponse(500, {"error": {"message": "An unknown error occurred", "code": 1}})
        if kind == "429":
            return ScriptedResponse(
                429,
                {"error": {"message": "(#130429) Rate limit hit", "code": 130429}},
                headers={"Retry-After": str(RETRY_AFTER)},
            )
        if kind == "timeout":
            return ScriptedResponse(200, {}, delay=CLIENT_TIMEOUT + 1.5)
        return ScriptedResponse(200, {"messaging_product": "whatsapp", "messages": [{"id": wamid}]})


async def _relay_round(relay: OutboxRelay, lanes: int = 8) -> int:
    """Run the relay until nothing is due at the (simulated) present."""

    async def lane() -> int:
        sent = 0
        while await relay.run_once():
            sent += 1
        return sent

    return sum(await asyncio.gather(*(lane() for _ in range(lanes))))


async def _statuses(
    client: httpx.AsyncClient, headers: dict[str, str], conversations: list[str]
) -> Counter[str]:
    seen: Counter[str] = Counter()
    for conversation in conversations:
        page = await client.get(f"/api/v1/conversations/{conversation}/messages", headers=headers)
        seen.update(m["delivery_status"] for m in page.json()["items"] if m["direction"] == "outgoing")
    return seen


async def _console_statuses(client: httpx.AsyncClient, email: str, conversation: str) -> set[str]:
    jar = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    async with jar:
        await sign_in(jar, email)
        page = await jar.get(f"/conversations/{conversation}/thread")
        assert page.status_code == 200, page.text
        return set(re.findall(r'data-delivery-status="([a-z]+)"', page.text))


async def test_vendor_outage_then_every_reply_once(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    replies_total = scaled(200, 20)
    tenant = await factory.tenant()
    supervisor = await factory.agent(tenant, role="admin")
    vendor_answer = Outage()
    with vendor_server() as vendor, time_machine.travel(datetime.now(UTC), tick=True) as clock:
        vendor.respond(SEND, vendor_answer)
        inbox = await client.post(
            "/api/v1/inboxes",
            headers=tenant.headers,
            json={
                "name": "WA outage",
                "channel": "whatsapp",
                "config": whatsapp_config(vendor.url + "/v21.0"),
            },
        )
        assert inbox.status_code == 201, inbox.text
        inbox_id = inbox.json()["id"]
        conversations: list[str] = []
        for n in range(max(2, replies_total // 10)):
            body = whatsapp_body(f"wamid.IN{n:06d}", str(4_915_100_000_000 + n), f"where is my order {n}?")
            hook = await client.post(
                f"/webhooks/whatsapp/{inbox_id}", content=body, headers=whatsapp_headers(body)
            )
            assert hook.status_code == 200, hook.text
        async with db.session() as session:
            conversations = [
                str(r[0])
                for r in await session.execute(
                    text("SELECT id FROM conversations WHERE inbox_id = :i ORDER BY number"), {"i": inbox_id}
                )
            ]
        texts = [f"outage reply {n}" for n in range(replies_total)]
        for n, body_text in enumerate(texts):
            sent = await client.post(
                f"/api/v1/conversations/{conversations[n % len(conversations)]}/messages",
                headers=tenant.headers,
                json={"body": body_text},
            )
            assert sent.status_code == 201, sent.text

        relay = OutboxRelay(db, concurrency=1, http=httpx.AsyncClient(timeout=CLIENT_TIMEOUT))
        real_started = time.monotonic()
        try:
            outage_started = datetime.now(UTC)
            outage_ends = outage_started + OUTAGE
            steps = 0
            while datetime.now(UTC) < outage_ends:
                await _relay_round(relay)
                clock.shift(STEP)
                steps += 1
            during = await _statuses(client, tenant.headers, conversations)
            console_during = await _console_statuses(client, supervisor.email, conversations[0])
            assert set(during) == {"retrying"}, during
            assert console_during == {"retrying"}
            assert not vendor_answer.accepted

            vendor_answer.down = False
            recovered_at = datetime.now(UTC)
            for _ in range(120):  # at most an hour of simulated time
                await _relay_round(relay)
                async with db.session() as session:
                    waiting = await session.scalar(
                        text(
                            "SELECT count(*) FROM deliveries WHERE inbox_id = :i AND state IN ('pending','retrying')"
                        ),
                        {"i": inbox_id},
                    )
                if not waiting:
                    break
                clock.shift(STEP)
            drained_after = datetime.now(UTC) - recovered_at
            await _relay_round(relay)  # nothing is sent twice once it went through
        finally:
            await relay.stop()
        after = await _statuses(client, tenant.headers, conversations)
        console_after = await _console_statuses(client, supervisor.email, conversations[0])

    assert after == Counter({"sent": replies_total}), after
    assert console_after == {"sent"}
    assert sorted(vendor_answer.accepted) == sorted(texts)
    assert set(vendor_answer.accepted.values()) == {1}, "a reply reached the vendor twice"

    async with db.session() as session:
        attempts = list(
            await session.execute(
                text(
                    "SELECT a.delivery_id, a.number, a.started_at, a.finished_at, a.http_status, a.outcome "
                    "FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id "
                    "WHERE d.inbox_id = :i ORDER BY a.delivery_id, a.number"
                ),
                {"i": inbox_id},
            )
        )
    by_delivery: dict[object, list[tuple[object, ...]]] = {}
    for row in attempts:
        by_delivery.setdefault(row[0], []).append(tuple(row))
    honoured = 0
    for rows in by_delivery.values():
        for previous, following in itertools.pairwise(rows):
            if previous[4] == 429:
                # Retry-After is a floor: the next try starts no sooner (simulated time).
                assert following[2] >= previous[3] + timedelta(seconds=RETRY_AFTER - 1)
                honoured += 1
        assert rows[-1][5] == "ok" and all(r[5] == "transient" for r in rows[:-1])
    tries = Counter(len(rows) for rows in by_delivery.values())
    REPORT.add(
        "vendor outage",
        f"{replies_total} replies through {(recovered_at - outage_started).total_seconds() / 60:.1f} minutes "
        f"of outage ({steps} simulated 30 s steps plus the real time the relay took) "
        f"({vendor_answer.failures['500']} x 500, {vendor_answer.failures['429']} x 429 Retry-After "
        f"{RETRY_AFTER} s, {vendor_answer.failures['timeout']} timeouts) in {time.monotonic() - real_started:.0f} s "
        f"real time: all 'retrying' in the API and the console, {honoured} retries after a 429 "
        f"all >= {RETRY_AFTER} s later; after recovery all {replies_total} 'sent' within "
        f"{drained_after.total_seconds() / 60:.1f} simulated minutes, each exactly once at the vendor "
        f"(attempts per reply: {dict(sorted(tries.items()))})",
    )
