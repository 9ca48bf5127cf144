"""Drill 1: ``kill -9`` of the web server and of the worker at random moments while
10,000 signed inbound messages (API channel and WhatsApp webhooks, some sent twice on
purpose) and 2,000 agent replies flow. Afterwards every acknowledged inbound message
exists exactly once, no conversation is duplicated, and every stored reply reached the
vendor stand-in, by idempotency key."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from meridian.channels.api.adapter import generate_webhook_secret
from meridian.db.engine import Database
from tests.drills.support import (
    REPORT,
    WA_PHONE_ID,
    Process,
    process_env,
    scaled,
    whatsapp_body,
    whatsapp_config,
    whatsapp_headers,
)
from tests.factories import Factory
from tests.support.live_server import free_port
from tests.support.vendor_server import RecordedRequest, ScriptedResponse, vendor_server

pytestmark = pytest.mark.drill

API_HOOK = "/hooks/api"
WA_SEND = f"/v21.0/{WA_PHONE_ID}/messages"
CONCURRENCY = 16
# A client (vendor or script) gives up on one message after this long.
GIVE_UP = 600.0


class Chaos:
    """Kills the server, the worker or both at random moments; restarts them."""

    def __init__(self, server: Process, worker: Process, base: str, seed: int) -> None:
        self.server, self.worker, self.base = server, worker, base
        self.rng = random.Random(seed)
        self.stop = asyncio.Event()

    async def run(self) -> None:
        while not self.stop.is_set():
            try:
                await asyncio.wait_for(self.stop.wait(), timeout=self.rng.uniform(1.0, 6.0))
                return
            except TimeoutError:
                pass
            victim = self.rng.choice(("server", "worker", "both", "server"))
            if victim in ("server", "both"):
                self.server.kill9()
            if victim in ("worker", "both"):
                self.worker.kill9()
            await asyncio.sleep(self.rng.uniform(0.1, 1.0))
            self.restart()
            # Let it serve a little before the next blow, or no progress is ever made.
            await asyncio.to_thread(self.server.wait_ready, f"{self.base}/healthz")

    def restart(self) -> None:
        if not self.server.alive:
            self.server.start()
        if not self.worker.alive:
            self.worker.start()


class Driver:
    def __init__(self, base: str, token: str, api_inbox: str, wa_inbox: str, contacts: int) -> None:
        self.base = base
        self.headers = {"authorization": f"Bearer {token}"}
        self.api_inbox, self.wa_inbox = api_inbox, wa_inbox
        self.contacts = contacts
        self.acked: dict[str, str] = {}  # external id -> "api" | "wa"
        self.lost: list[str] = []  # never acknowledged within GIVE_UP
        self.refused: list[tuple[str, int]] = []  # a 4xx: a bug in the driver or the server
        self.deliberate_retries = 0
        self.client_retries = 0
        self.api_conversations: set[str] = set()
        self.replies: dict[str, str] = {}  # reply message id -> conversation id
        self.ambiguous_replies = 0

    async def _post(self, client: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response | None:
        deadline = time.monotonic() + GIVE_UP
        delay = 0.1
        while time.monotonic() < deadline:
            try:
                answer = await client.post(url, **kwargs)
            except httpx.HTTPError:
                answer = None
            if answer is not None and answer.status_code < 500:
                return answer
            # Connection refused or reset (a kill), or 503: what a vendor does, again later.
            self.client_retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        return None

    async def inbound(self, client: httpx.AsyncClient, i: int) -> None:
        contact = str(16_500_000_000 + i % self.contacts)
        twice = i % 25 == 0
        if i % 2 == 0:
            key = f"drill-api-{i}"
            json = {"contact": {"identifier": contact}, "body": f"api message {i}", "external_id": key}
            url = f"{self.base}/api/v1/inboxes/{self.api_inbox}/incoming"
            kwargs: dict[str, Any] = {"json": json, "headers": self.headers}
        else:
            key = f"wamid.DRILL{i:08d}"
            body = whatsapp_body(key, contact, f"whatsapp message {i}")
            url = f"{self.base}/webhooks/whatsapp/{self.wa_inbox}"
            kwargs = {"content": body, "headers": whatsapp_headers(body)}
        for attempt in range(2 if twice else 1):
            answer = await self._post(client, url, **kwargs)
            if answer is None:
                self.lost.append(key)
                return
            if answer.status_code >= 300:
                self.refused.append((key, answer.status_code))
                return
            self.acked[key] = "api" if i % 2 == 0 else "wa"
            if i % 2 == 0:
                self.api_conversations.add(answer.json()["conversation_id"])
            self.deliberate_retries += attempt

    async def reply(self, client: httpx.AsyncClient, conversation_id: str, n: int) -> None:
        url = f"{self.base}/api/v1/conversations/{conversation_id}/messages"
        deadline = time.monotonic() + GIVE_UP
        while True:
            try:
                answer = await client.post(url, json={"body": f"reply {n}"}, headers=self.headers)
            except httpx.ConnectError:
                # Refused: the request never reached a server, so sending again is safe.
                if time.monotonic() > deadline:
                    self.ambiguous_replies += 1
                    return
                self.client_retries += 1
                await asyncio.sleep(0.5)
                continue
            except httpx.HTTPError:
                # Cut off after sending: no idempotency key on this endpoint, so an agent
                # looks at the thread before sending again. Whether it was stored is
                # checked below.
                self.ambiguous_replies += 1
                return
            if answer.status_code == 503 and time.monotonic() < deadline:
                # 503 means nothing was stored (tests/drills/test_db_restart.py proves it).
                self.client_retries += 1
                await asyncio.sleep(0.5)
                continue
            break
        if answer.status_code >= 500:
            self.ambiguous_replies += 1
        elif answer.status_code >= 300:
            self.refused.append((f"reply {n}", answer.status_code))
        else:
            self.replies[answer.json()["id"]] = conversation_id


async def _wa_conversations(db: Database, inbox_id: str) -> list[str]:
    async with db.session() as session:
        rows = await session.execute(
            text("SELECT id FROM conversations WHERE inbox_id = :i LIMIT 500"), {"i": inbox_id}
        )
        return [str(r[0]) for r in rows]


async def test_kill9_server_and_worker(
    database_url: str, factory: Factory, db: Database, tmp_path: Path
) -> None:
    inbound_total = scaled(10_000, 100)
    replies_total = scaled(2_000, 20)
    tenant = await factory.tenant()
    wamids = itertools.count(1)

    def wa_accept(request: RecordedRequest) -> ScriptedResponse:
        to = request.json()["to"]
        wamid = f"wamid.OUT{next(wamids):08d}"
        return ScriptedResponse(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            },
        )

    with vendor_server() as vendor:
        vendor.respond(API_HOOK, lambda _: ScriptedResponse(200, {}))
        vendor.respond(WA_SEND, wa_accept)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = process_env(database_url, tmp_path / "data", port)
        server = Process(["serve", "--port", str(port)], env, tmp_path / "serve.log")
        worker = Process(["worker"], env, tmp_path / "worker.log")
        server.start()
        worker.start()
        try:
            await asyncio.to_thread(server.wait_ready, f"{base}/healthz")
            async with httpx.AsyncClient(timeout=30) as client:
                headers = {"authorization": f"Bearer {tenant.token}"}
                api_inbox = await client.post(
                    f"{base}/api/v1/inboxes",
                    headers=headers,
                    json={
                        "name": "Drill API",
                        "channel": "api",
                        "config": {
                            "webhook_url": vendor.url + API_HOOK,
                            "webhook_secret": generate_webhook_secret(),
                        },
                    },
                )
                wa_inbox = await client.post(
                    f"{base}/api/v1/inboxes",
                    headers=headers,
                    json={
                        "name": "Drill WA",
                        "channel": "whatsapp",
                        "config": whatsapp_config(vendor.url + "/v21.0"),
                    },
                )
                assert api_inbox.status_code == wa_inbox.status_code == 201, (api_inbox.text, wa_inbox.text)
            api_id, wa_id = api_inbox.json()["id"], wa_inbox.json()["id"]
            driver = Driver(base, tenant.token, api_id, wa_id, contacts=max(10, inbound_total // 8))
            chaos = Chaos(server, worker, base, seed=inbound_total)
            started = time.monotonic()

            async def inbound_lane(lane: int) -> None:
                async with httpx.AsyncClient(timeout=15) as client:
                    for i in range(lane, inbound_total, CONCURRENCY):
                        await driver.inbound(client, i)

            async def reply_lane(lane: int, lanes: int) -> None:
                rng = random.Random(lane)
                wa_pool: list[str] = []
                async with httpx.AsyncClient(timeout=15) as client:
                    for n in range(lane, replies_total, lanes):
                        if n % 50 == 0 or not wa_pool:
                            wa_pool = await _wa_conversations(db, wa_id)
                        api_pool = sorted(driver.api_conversations)
                        while not api_pool or not wa_pool:
                            await asyncio.sleep(0.5)
                            api_pool = sorted(driver.api_conversations)
                            wa_pool = await _wa_conversations(db, wa_id)
                        pool = api_pool if n % 2 == 0 else wa_pool
                        await driver.reply(client, rng.choice(pool), n)
                        # Replies trickle in over the whole run, as agents' do.
                        await asyncio.sleep(inbound_total / replies_total * 0.01)

            chaos_task = asyncio.create_task(chaos.run())
            await asyncio.gather(
                *(inbound_lane(lane) for lane in range(CONCURRENCY)),
                *(reply_lane(lane, 4) for lane in range(4)),
            )
            chaos.stop.set()
            await chaos_task
            chaos.restart()
            traffic_seconds = time.monotonic() - started

            # Every stored reply must leave: leases of sends cut by a kill expire after 60 s.
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                async with db.session() as session:
                    waiting = await session.scalar(
                        text(
                            "SELECT count(*) FROM deliveries WHERE inbox_id IN (:a, :w) "
                            "AND state IN ('pending', 'retrying')"
                        ),
                        {"a": api_id, "w": wa_id},
                    )
                if waiting == 0:
                    break
                await asyncio.sleep(1)
            settle_seconds = time.monotonic() - started - traffic_seconds
        finally:
            server.stop()
            worker.stop()
        api_requests = vendor.requests_to(API_HOOK)
        wa_requests = vendor.requests_to(WA_SEND)

    async with db.session() as session:
        incoming = Counter(
            {
                str(r[0]): int(r[1])
                for r in await session.execute(
                    text(
                        "SELECT external_id, count(*) FROM messages WHERE inbox_id IN (:a, :w) "
                        "AND direction = 'incoming' GROUP BY external_id"
                    ),
                    {"a": api_id, "w": wa_id},
                )
            }
        )
        duplicated_conversations = await session.scalar(
            text(
                "SELECT count(*) FROM (SELECT contact_id, inbox_id FROM conversations "
                "WHERE inbox_id IN (:a, :w) GROUP BY contact_id, inbox_id HAVING count(*) > 1) d"
            ),
            {"a": api_id, "w": wa_id},
        )
        conversations = await session.scalar(
            text("SELECT count(*) FROM conversations WHERE inbox_id IN (:a, :w)"), {"a": api_id, "w": wa_id}
        )
        outgoing = [
            (str(r[0]), str(r[1]), r[2], r[3], r[4])
            for r in await session.execute(
                text(
                    "SELECT m.id, m.inbox_id, d.idempotency_key, d.state, d.external_id FROM messages m "
                    "LEFT JOIN deliveries d ON d.message_id = m.id "
                    "WHERE m.inbox_id IN (:a, :w) AND m.direction = 'outgoing'"
                ),
                {"a": api_id, "w": wa_id},
            )
        ]

    kills = f"{server.kills} server and {worker.kills} worker kill -9s"
    assert not driver.refused, driver.refused[:10]
    assert not driver.lost, f"{len(driver.lost)} messages never acknowledged: {driver.lost[:5]}"
    missing = [key for key in driver.acked if incoming[key] == 0]
    doubled = [key for key, count in incoming.items() if count > 1]
    assert not missing, f"{len(missing)} acknowledged messages are not stored: {missing[:5]}"
    assert not doubled, doubled[:5]
    assert duplicated_conversations == 0
    # Everything sent: the drill's replies, and any notice Meridian itself sent.
    stored_replies = {row[0] for row in outgoing}
    assert set(driver.replies) <= stored_replies, "an acknowledged reply is not stored"
    assert all(row[3] == "delivered" for row in outgoing), Counter(row[3] for row in outgoing)

    api_keys = Counter(r.headers["webhook-id"] for r in api_requests)
    expected_api = {row[2] for row in outgoing if row[1] == api_id}
    assert set(api_keys) == expected_api, "every API-channel reply reached the vendor, nothing else did"
    wa_sent = Counter(r.json()["to"] for r in wa_requests)
    wa_outgoing = [row for row in outgoing if row[1] == wa_id]
    wa_accepted = {f"wamid.OUT{n:08d}" for n in range(1, len(wa_requests) + 1)}
    assert all(row[4] in wa_accepted for row in wa_outgoing), (
        "a WhatsApp reply is marked sent but never reached"
    )
    api_dupes = sum(c - 1 for c in api_keys.values())
    wa_dupes = len(wa_requests) - len(wa_outgoing)
    assert wa_dupes >= 0 and sum(wa_sent.values()) == len(wa_requests)

    REPORT.add(
        "kill -9",
        f"{len(driver.acked)} inbound acknowledged ({driver.deliberate_retries} sent twice on purpose, "
        f"{driver.client_retries} client retries after refused/reset/503) in {traffic_seconds:.0f} s "
        f"under {kills}: 0 lost, 0 duplicated; {conversations} conversations, 0 duplicated",
    )
    REPORT.add(
        "kill -9",
        f"{len(driver.replies)} replies acknowledged + {len(stored_replies) - len(driver.replies)} other outgoing "
        f"(replies whose answer a kill cut off: {driver.ambiguous_replies}; notices): all "
        f"{len(stored_replies)} delivered within {settle_seconds:.0f} s after the last kill; "
        f"re-sends to the vendor after a kill between its 2xx and our commit: {api_dupes} "
        f"(API channel, same webhook-id, deduplicated by the receiver) and {wa_dupes} "
        f"(WhatsApp, whose Cloud API has no idempotency key)",
    )
