"""Inbound throughput of `meridian serve`: signed messages at 32 concurrent connections.

    python -m benchmarks.ingest [--messages 4000] [--concurrency 32] [--data-dir DIR]

Starts `meridian serve` (one uvicorn process with its workers, the shipped defaults,
the embedded PostgreSQL) as a subprocess, creates a team with online agents, an API
inbox and a WhatsApp inbox routed to it, then sends half the messages as
``POST /api/v1/inboxes/{id}/incoming`` (bearer token) and half as WhatsApp Cloud API
webhooks signed with ``X-Hub-Signature-256`` (HMAC-SHA256 of the body with the app
secret), from 1,000 customers, each message new. Every 2xx means the message was
committed (the route commits before answering); afterwards the script checks that
every acknowledged message is stored once, routed, and has its ``message.created``
event. In the same run a do-nothing FastAPI endpoint on uvicorn (one worker, like
serve) takes the same load from the same client: the ceiling. Resident memory of the
serve process tree (psutil) is read at idle, with the embedding model loaded by a
knowledge-base search, and at its peak under the load.
Targets: at least 40% of the ceiling, p99 under 250 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from benchmarks._common import (
    free_port,
    latency,
    meridian_serve,
    plain_url,
    record,
    start_database,
    tree_rss_mb,
    use_data_dir,
    wait_http,
)

APP_SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "106540352242922"
CUSTOMERS = 1000

NOOP_APP = """
import sys
import uvicorn
from fastapi import FastAPI, Request

app = FastAPI()

@app.post("/noop")
async def noop(request: Request) -> dict[str, str]:
    await request.body()
    return {"ok": "yes"}

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def bootstrap(url: str) -> tuple[str, str]:
    from meridian.db.engine import make_database
    from meridian.workspaces.service import bootstrap_workspace

    async def run() -> tuple[str, str]:
        db = make_database(url, pool_size=1)
        async with db.session() as session:
            made = await bootstrap_workspace(
                session=session,
                name=f"Ingest benchmark {uuid.uuid4().hex[:6]}",
                email=f"ingest-{uuid.uuid4().hex[:8]}@bench.meridian.test",
                password="bench-password",
            )
        await db.dispose()
        return str(made.workspace.id), made.token

    return asyncio.run(run())


def setup(base: str, token: str) -> tuple[str, str]:
    with httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"}) as api:

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = api.post(path, json=body)
            assert response.status_code in (200, 201), (path, response.status_code, response.text)
            data: dict[str, Any] = response.json()
            return data

        team = post("/teams", {"name": "Support", "languages": ["en", "es", "de"]})
        for n in range(6):
            post(
                "/agents",
                {
                    "email": f"agent{n}-{uuid.uuid4().hex[:6]}@bench.meridian.test",
                    "name": f"Agent {n}",
                    "languages": ["en", "es", "de"],
                    "team_ids": [team["id"]],
                    "availability": "online",
                    "max_concurrent": 1000,
                },
            )
        api_inbox = post("/inboxes", {"name": "API", "channel": "api", "config": {}, "team_id": team["id"]})
        wa_config = {
            "phone_number_id": PHONE_NUMBER_ID,
            "access_token": "bench-access-token",
            "app_secret": APP_SECRET,
            "verify_token": "bench-verify",
        }
        wa = post(
            "/inboxes",
            {"name": "WhatsApp", "channel": "whatsapp", "config": wa_config, "team_id": team["id"]},
        )
        # The first knowledge-base search loads the embedding model: measure memory with it.
        api.get("/kb/search", params={"q": "where is my order"}, timeout=120)
        return api_inbox["id"], wa["id"]


TEXTS = [
    "Hi, where is my order? It should have arrived on Monday.",
    "Hola, me cobraron dos veces este mes, ¿pueden devolver un pago?",
    "Hallo, die App stürzt beim Hochladen eines Fotos ab.",
    "Can I change the delivery address after shipping?",
]


def api_request(inbox_id: str, token: str, n: int) -> tuple[str, dict[str, str], bytes]:
    customer = n % CUSTOMERS
    body = {
        "contact": {"identifier": f"customer-{customer}", "name": f"Customer {customer}"},
        "body": f"{TEXTS[n % len(TEXTS)]} (#{n})",
        "external_id": f"bench-{uuid.uuid4().hex}",
    }
    return (
        f"/api/v1/inboxes/{inbox_id}/incoming",
        {"Authorization": f"Bearer {token}"},
        json.dumps(body).encode(),
    )


def whatsapp_request(inbox_id: str, n: int, text: str | None = None) -> tuple[str, dict[str, str], bytes]:
    wa_id = f"1650555{n % CUSTOMERS:04d}"
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": PHONE_NUMBER_ID,
                            },
                            "contacts": [{"profile": {"name": f"Customer {n % CUSTOMERS}"}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": f"wamid.bench{uuid.uuid4().hex}",
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": text or f"{TEXTS[n % len(TEXTS)]} (#{n})"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return f"/webhooks/whatsapp/{inbox_id}", {"X-Hub-Signature-256": signature}, body


Request = tuple[str, dict[str, str], bytes]


async def load(base: str, requests: list[Request], concurrency: int) -> tuple[float, list[float], int]:
    """Send ``requests`` over ``concurrency`` connections; (seconds, latencies of 2xx, failures)."""
    samples: list[float] = []
    failures = 0
    errors: dict[str, int] = {}
    queue = iter(requests)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal failures
            for path, headers, body in queue:
                t0 = time.perf_counter()
                try:
                    response = await client.post(
                        path, content=body, headers={**headers, "Content-Type": "application/json"}
                    )
                except httpx.HTTPError as exc:
                    failures += 1
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    continue
                if 200 <= response.status_code < 300:
                    samples.append(time.perf_counter() - t0)
                else:
                    failures += 1
                    errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        if errors:
            print(f"  errors: {errors}")
        return time.perf_counter() - started, samples, failures


class PeakRss:
    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self.peak = max(self.peak, tree_rss_mb(self.pid))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def ceiling(requests: list[Request], concurrency: int) -> tuple[float, list[float]]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", NOOP_APP, str(port)])
    try:
        wait_http(f"http://127.0.0.1:{port}/docs")
        noop = [("/noop", {}, body) for _, _, body in requests]
        seconds, samples, _ = asyncio.run(load(f"http://127.0.0.1:{port}", noop, concurrency))
        return seconds, samples
    finally:
        proc.terminate()
        proc.wait()


def verify(url: str, workspace_id: str, acknowledged: int) -> dict[str, int]:
    import psycopg

    with psycopg.connect(plain_url(url)) as conn:

        def count(sql: str) -> int:
            row = conn.execute(sql, (workspace_id,)).fetchone()
            return int(row[0]) if row else 0

        return {
            "acknowledged": acknowledged,
            "stored_incoming": count(
                "SELECT count(*) FROM messages WHERE workspace_id = %s AND direction = 'incoming'"
            ),
            "distinct_external_ids": count(
                "SELECT count(DISTINCT external_id) FROM messages"
                " WHERE workspace_id = %s AND direction = 'incoming'"
            ),
            "conversations": count("SELECT count(*) FROM conversations WHERE workspace_id = %s"),
            "unrouted_conversations": count(
                "SELECT count(*) FROM conversations WHERE workspace_id = %s AND team_id IS NULL"
            ),
            "message_created_events": count(
                "SELECT count(*) FROM domain_events WHERE workspace_id = %s AND type = 'message.created'"
            ),
        }


def run(data_dir: Path, messages: int, concurrency: int) -> dict[str, Any]:
    url = start_database(data_dir)
    workspace_id, token = bootstrap(url)
    figures: dict[str, Any] = {"messages": messages, "concurrency": concurrency}
    with meridian_serve(data_dir) as (base, pid):
        api_inbox, wa_inbox = setup(base, token)
        warm: list[Request] = [api_request(api_inbox, token, n) for n in range(50)]
        asyncio.run(load(base, warm, 8))
        time.sleep(3)
        figures["rss_idle_mb"] = round(tree_rss_mb(pid), 1)
        builders: list[Callable[[int], Request]] = [
            lambda n: api_request(api_inbox, token, n),
            lambda n: whatsapp_request(wa_inbox, n),
        ]
        requests = [builders[n % 2](n + 50) for n in range(messages)]
        with PeakRss(pid) as rss:
            seconds, samples, failures = asyncio.run(load(base, requests, concurrency))
        figures["rss_load_peak_mb"] = round(rss.peak, 1)
        figures["failures"] = failures
        figures["msg_per_s"] = round(len(samples) / seconds, 1)
        figures["latency"] = latency(samples)
        time.sleep(2)  # events and routing jobs finish
        figures["check"] = verify(url, workspace_id, len(samples) + len(warm))
    c_seconds, c_samples = ceiling(requests, concurrency)
    figures["ceiling_req_per_s"] = round(len(c_samples) / c_seconds, 1)
    figures["ceiling_latency"] = latency(c_samples)
    figures["ratio"] = round(figures["msg_per_s"] / figures["ceiling_req_per_s"], 3)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--data-dir", type=Path, default=None, help="default: a fresh temporary directory")
    args = parser.parse_args(argv)
    figures = run(use_data_dir(args.data_dir), args.messages, args.concurrency)
    lat, cl, f = figures["latency"], figures["ceiling_latency"], figures
    print(f"\ningestion, {args.messages} signed messages (API + WhatsApp) at {args.concurrency} connections")
    print(
        f"  meridian serve: {f['msg_per_s']:8.1f} msg/s  p50 {lat['p50_ms']:.1f}  p99 {lat['p99_ms']:.1f} ms"
    )
    print(
        f"  no-op FastAPI: {f['ceiling_req_per_s']:.1f} req/s"
        f"  p50 {cl['p50_ms']:.1f}  p99 {cl['p99_ms']:.1f} ms"
    )
    print(f"  ratio {f['ratio']:.1%} (target >= 40%), p99 target < 250 ms, failures {f['failures']}")
    print(
        f"  serve RSS: idle {f['rss_idle_mb']} MB (embedding model loaded), peak {f['rss_load_peak_mb']} MB"
    )
    print(f"  check: {f['check']}")
    record("ingest", figures)


if __name__ == "__main__":
    main()
