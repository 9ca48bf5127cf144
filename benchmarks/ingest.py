"""Inbound throughput of `meridian serve`: signed messages at 32 concurrent connections.

    python -m benchmarks.ingest [--messages 4000] [--concurrency 32] [--data-dir DIR]
        [--web-processes N] [--drain-timeout 900]

Starts `meridian serve` (the shipped defaults: its web processes and its workers, the
embedded PostgreSQL) as a subprocess, creates a team with online agents, an API inbox
and a WhatsApp inbox routed to it, then sends half the messages as
``POST /api/v1/inboxes/{id}/incoming`` (bearer token) and half as WhatsApp Cloud API
webhooks signed with ``X-Hub-Signature-256`` (HMAC-SHA256 of the body with the app
secret), from 1,000 customers, each message new. Every 2xx means the message was
committed (the route commits before answering). Then it waits until every event has been
through its subscribers and every conversation has an agent (the end-to-end figure),
and checks that every acknowledged message is stored once with its ``message.created``
event. CPU time per message of serve, PostgreSQL and the client is reported: unlike
rates, it does not grow when other work shares the machine. In the same run a
do-nothing FastAPI endpoint on uvicorn, with as many processes as serve's web processes,
takes the same load from the same client: the ceiling. Resident memory of the serve
process tree (psutil) is read at idle, with the embedding model loaded by a
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
import tempfile
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
from fastapi import FastAPI, Request

app = FastAPI()

@app.post("/noop")
async def noop(request: Request) -> dict[str, str]:
    await request.body()
    return {"ok": "yes"}
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


# The desk both ingestion benchmarks set up (here over HTTP, ingest_cpu.py in process):
# one team of six online agents with room for everything, an API and a WhatsApp inbox.
TEAM: dict[str, Any] = {"name": "Support", "languages": ["en", "es", "de"]}


def agent_bodies(team_id: str) -> list[dict[str, Any]]:
    return [
        {
            "email": f"agent{n}-{uuid.uuid4().hex[:6]}@bench.meridian.test",
            "name": f"Agent {n}",
            "languages": ["en", "es", "de"],
            "team_ids": [team_id],
            "availability": "online",
            "max_concurrent": 1000,
        }
        for n in range(6)
    ]


def inbox_bodies(team_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The API inbox, then the WhatsApp one."""
    whatsapp = {
        "phone_number_id": PHONE_NUMBER_ID,
        "access_token": "bench-access-token",
        "app_secret": APP_SECRET,
        "verify_token": "bench-verify",
    }
    return (
        {"name": "API", "channel": "api", "config": {}, "team_id": team_id},
        {"name": "WhatsApp", "channel": "whatsapp", "config": whatsapp, "team_id": team_id},
    )


def setup(base: str, token: str) -> tuple[str, str]:
    # Generous timeout: a web process that is still loading its language models (which
    # holds the interpreter lock) answers nothing until it is done.
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{base}/api/v1", headers=auth, timeout=300) as api:

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = api.post(path, json=body)
            assert response.status_code in (200, 201), (path, response.status_code, response.text)
            data: dict[str, Any] = response.json()
            return data

        team = post("/teams", TEAM)
        for body in agent_bodies(team["id"]):
            post("/agents", body)
        api_inbox, wa = [post("/inboxes", body) for body in inbox_bodies(team["id"])]
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


class _Connection:
    """One HTTP/1.1 keep-alive connection over asyncio streams.

    The load client is deliberately this thin: httpx's pool costs about a millisecond
    of client CPU per request, so on two cores the client, not the server under test,
    capped the do-nothing ceiling at ~170 req/s. Raw keep-alive requests cost a few
    tens of microseconds, which leaves the cores to the servers being measured."""

    def __init__(self, host: str, port: int, *, local: str | None = None) -> None:
        self.host, self.port, self.local = host, port, local
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, headers: dict[str, str], body: bytes) -> int:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(
                self.host, self.port, local_addr=(self.local, 0) if self.local else None
            )
        assert self._reader is not None
        head = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        try:
            return await self._response(self._reader)
        except BaseException:
            self.close()
            raise

    async def _response(self, reader: asyncio.StreamReader) -> int:
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value
            elif name == "connection":
                close = value == "close"
        if chunked:
            while (size := int((await reader.readline()).split(b";")[0], 16)) > 0:
                await reader.readexactly(size + 2)
            await reader.readline()
        elif length:
            await reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def load(base: str, requests: list[Request], concurrency: int) -> tuple[float, list[float], int]:
    """Send ``requests`` over ``concurrency`` connections; (seconds, latencies of 2xx, failures).

    Connection ``k`` comes from 127.0.0.k+1 (all of 127/8 is loopback on Linux): vendors
    deliver from pools of addresses, and the per-address webhook rate limit should meet
    the benchmark as it meets them, not one address carrying every vendor's traffic."""
    host, port = base.removeprefix("http://").split(":")
    samples: list[float] = []
    failures = 0
    errors: dict[str, int] = {}
    queue = iter(requests)

    async def worker(k: int) -> None:
        nonlocal failures
        connection = _Connection(host, int(port), local=f"127.0.0.{k % 250 + 2}")
        for path, headers, body in queue:
            t0 = time.perf_counter()
            try:
                async with asyncio.timeout(30):
                    status = await connection.post(
                        path, {**headers, "Content-Type": "application/json"}, body
                    )
            except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError) as exc:
                failures += 1
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                continue
            if 200 <= status < 300:
                samples.append(time.perf_counter() - t0)
            else:
                failures += 1
                errors[str(status)] = errors.get(str(status), 0) + 1
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
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


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children, reaped ones included.

    Unlike wall-clock rates, CPU per message does not grow when other work shares the
    machine, so it is the figure to compare between runs on a busy host."""
    import psutil

    root = psutil.Process(pid)
    times = root.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in root.children(recursive=True):
        try:
            t = child.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            continue
    return total


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])


def ceiling(requests: list[Request], concurrency: int, processes: int) -> tuple[float, list[float]]:
    """The same load on a do-nothing FastAPI endpoint, on as many uvicorn processes as serve."""
    port = free_port()
    app_dir = Path(tempfile.mkdtemp(prefix="meridian-noop-"))
    (app_dir / "noop_app.py").write_text(NOOP_APP)
    command = [sys.executable, "-m", "uvicorn", "noop_app:app", "--app-dir", str(app_dir)]
    command += ["--port", str(port), "--workers", str(processes), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(command)
    try:
        wait_http(f"http://127.0.0.1:{port}/docs")
        noop: list[Request] = [("/noop", {}, body) for _, _, body in requests]
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
            "unassigned_conversations": count(
                "SELECT count(*) FROM conversations WHERE workspace_id = %s AND assignee_id IS NULL"
            ),
            "message_created_events": count(
                "SELECT count(*) FROM domain_events WHERE workspace_id = %s AND type = 'message.created'"
            ),
            "undispatched_events": count(
                "SELECT count(*) FROM domain_events WHERE workspace_id = %s AND dispatched_at IS NULL"
            ),
        }


def wait_drained(url: str, workspace_id: str, *, timeout: float = 900) -> tuple[float, int]:
    """Wait until every event of the workspace went through its subscribers (routing,
    SLA, analytics, ...) and every conversation has an agent, at most ``timeout`` s;
    (the monotonic time then, what was still waiting: 0 when drained)."""
    import psycopg

    deadline = time.monotonic() + timeout
    waiting = -1
    with psycopg.connect(plain_url(url), autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM domain_events"
                "        WHERE workspace_id = %s AND dispatched_at IS NULL)"
                " + (SELECT count(*) FROM conversations WHERE workspace_id = %s AND assignee_id IS NULL)",
                (workspace_id, workspace_id),
            ).fetchone()
            waiting = int(row[0]) if row else 0
            if waiting == 0:
                break
            time.sleep(0.1)
    return time.monotonic(), waiting


def run(
    data_dir: Path, messages: int, concurrency: int, web_processes: int | None, drain_timeout: float
) -> dict[str, Any]:
    url = start_database(data_dir)
    workspace_id, token = bootstrap(url)
    figures: dict[str, Any] = {"messages": messages, "concurrency": concurrency}
    env = {"MERIDIAN_WEB_PROCESSES": str(web_processes)} if web_processes else None
    with meridian_serve(data_dir, env=env) as (base, pid):
        api_inbox, wa_inbox = setup(base, token)
        warm: list[Request] = [api_request(api_inbox, token, n) for n in range(50)]
        asyncio.run(load(base, warm, 8))
        wait_drained(url, workspace_id)
        time.sleep(3)
        import psutil

        # serve's web processes are its `serve-web` children (none: it serves alone).
        web = [p for p in psutil.Process(pid).children() if "serve-web" in " ".join(p.cmdline())]
        processes = len(web) or 1
        figures["web_processes"] = processes
        figures["rss_idle_mb"] = round(tree_rss_mb(pid), 1)
        builders: list[Callable[[int], Request]] = [
            lambda n: api_request(api_inbox, token, n),
            lambda n: whatsapp_request(wa_inbox, n),
        ]
        requests = [builders[n % 2](n + 50) for n in range(messages)]
        pg = postmaster_pid(data_dir)
        cpu_before = tree_cpu_s(pid), tree_cpu_s(pg), time.process_time()
        with PeakRss(pid) as rss:
            started = time.monotonic()
            seconds, samples, failures = asyncio.run(load(base, requests, concurrency))
            cpu_acked = tree_cpu_s(pid), tree_cpu_s(pg), time.process_time()
            drained, backlog = wait_drained(url, workspace_id, timeout=drain_timeout)
        cpu_after = tree_cpu_s(pid), tree_cpu_s(pg)
        figures["rss_load_peak_mb"] = round(rss.peak, 1)
        figures["failures"] = failures
        figures["msg_per_s"] = round(len(samples) / seconds, 1)
        figures["latency"] = latency(samples)
        # End to end: from the first request until the last message is routed and every
        # subscriber has run (what an agent waits for, not only what the vendor waits for).
        # None when the subscribers had not caught up within --drain-timeout: then the
        # backlog (events not yet through their subscribers + unassigned conversations) says
        # how far behind they were.
        figures["drain_backlog"] = backlog
        figures["end_to_end_s"] = round(drained - started, 2) if backlog == 0 else None
        figures["end_to_end_msg_per_s"] = (
            round(len(samples) / (drained - started), 1) if backlog == 0 else None
        )
        figures["drain_after_last_2xx_s"] = round(drained - started - seconds, 2)
        n = max(1, len(samples))
        figures["cpu_ms_per_msg"] = {
            "serve_until_2xx": round((cpu_acked[0] - cpu_before[0]) * 1000 / n, 2),
            "serve_incl_subscribers": round((cpu_after[0] - cpu_before[0]) * 1000 / n, 2),
            "postgres": round((cpu_after[1] - cpu_before[1]) * 1000 / n, 2),
            "load_client": round((cpu_acked[2] - cpu_before[2]) * 1000 / n, 3),
        }
        figures["check"] = verify(url, workspace_id, len(samples) + len(warm))
    client_cpu = time.process_time()
    c_seconds, c_samples = ceiling(requests, concurrency, figures["web_processes"])
    figures["ceiling_client_cpu_ms_per_req"] = round(
        (time.process_time() - client_cpu) * 1000 / max(1, len(c_samples)), 3
    )
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
    parser.add_argument(
        "--web-processes", type=int, default=None, help="serve's web processes (default: serve's own)"
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=900,
        help="how long to wait after the last 2xx for every subscriber to catch up",
    )
    args = parser.parse_args(argv)
    figures = run(
        use_data_dir(args.data_dir), args.messages, args.concurrency, args.web_processes, args.drain_timeout
    )
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
    if f["drain_backlog"] == 0:
        print(
            f"  end to end (every message routed, every subscriber run): {f['end_to_end_msg_per_s']} msg/s,"
            f" drained {f['drain_after_last_2xx_s']} s after the last 2xx"
        )
    else:
        print(
            f"  end to end: NOT drained {f['drain_after_last_2xx_s']} s after the last 2xx:"
            f" {f['drain_backlog']} events/conversations still waiting for subscribers"
        )
    print(f"  {f['web_processes']} web processes")
    print(f"  CPU ms per message: {f['cpu_ms_per_msg']}; no-op client {f['ceiling_client_cpu_ms_per_req']}")
    print(
        f"  serve RSS: idle {f['rss_idle_mb']} MB (embedding model loaded), peak {f['rss_load_peak_mb']} MB"
    )
    print(f"  check: {f['check']}")
    record("ingest", figures)


if __name__ == "__main__":
    main()
