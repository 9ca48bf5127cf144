"""CPU and SQL statements per inbound message, in one process, without the load.

    python -m benchmarks.ingest_cpu [--messages 200] [--data-dir DIR] [--database-url URL]

`ingest.py` measures `meridian serve` under 32 connections, where the CPU per message
includes the server's idle work and whatever the machine's load does to a drain that
takes minutes. This script isolates the two costs that change when the code changes:
the app (as `create_app` builds it, through httpx's ASGI transport) takes the same
signed messages as `ingest.py` (half API channel, half WhatsApp webhooks, each from a
new customer, one team of six online agents), then the event dispatcher runs every
subscriber until nothing is left. For each phase it prints the process's CPU time
(user + system) and the SQL statements sent per message. The request figure includes
httpx's client side, about a millisecond. The embedded PostgreSQL by default; its own
CPU is not counted here (`ingest.py` reports it).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from benchmarks._common import record, start_database, use_data_dir
from benchmarks.ingest import TEAM, agent_bodies, api_request, inbox_bodies, whatsapp_request


async def measure(url: str, messages: int) -> dict[str, Any]:
    from asgi_lifespan import LifespanManager
    from sqlalchemy import event

    from meridian.app import create_app
    from meridian.db.engine import make_database, set_database
    from meridian.events.dispatch import dispatch_batch, load_subscribers
    from meridian.languages.detect import warm_up
    from meridian.workspaces.service import bootstrap_workspace

    db = make_database(url, pool_size=10)
    set_database(db)
    statements = [0]

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def count(*_: object) -> None:
        statements[0] += 1

    warm_up()
    load_subscribers()
    async with db.session() as session:
        made = await bootstrap_workspace(
            session=session,
            name=f"Ingest CPU {uuid.uuid4().hex[:6]}",
            email=f"cpu-{uuid.uuid4().hex[:8]}@bench.meridian.test",
            password="bench-password",
        )
    app = create_app(db=db)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://127.0.0.1") as c,
    ):
        auth = {"Authorization": f"Bearer {made.token}"}

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await c.post(f"/api/v1{path}", json=body, headers=auth)
            assert response.status_code in (200, 201), response.text
            data: dict[str, Any] = response.json()
            return data

        team = await post("/teams", TEAM)
        for body in agent_bodies(team["id"]):
            await post("/agents", body)
        api, wa = [await post("/inboxes", body) for body in inbox_bodies(team["id"])]

        def build(n: int) -> tuple[str, dict[str, str], bytes]:
            if n % 2:
                return whatsapp_request(wa["id"], n)
            return api_request(api["id"], made.token, n)

        async def send(numbers: range) -> None:
            for n in numbers:
                path, headers, body = build(n)
                headers = {**headers, "Content-Type": "application/json"}
                response = await c.post(path, content=body, headers=headers)
                assert response.status_code < 300, response.text

        async def drain() -> None:
            while await dispatch_batch(db):
                pass

        # Warm-up: compiled-statement caches, prepared statements, first-use imports.
        await send(range(20))
        await drain()
        statements[0] = 0
        started = time.process_time()
        await send(range(100, 100 + messages))
        request_cpu, request_statements = time.process_time() - started, statements[0]
        statements[0] = 0
        started = time.process_time()
        await drain()
        subscriber_cpu, subscriber_statements = time.process_time() - started, statements[0]
    await db.dispose()
    return {
        "messages": messages,
        "request_cpu_ms": round(request_cpu * 1000 / messages, 2),
        "subscribers_cpu_ms": round(subscriber_cpu * 1000 / messages, 2),
        "request_statements": round(request_statements / messages, 1),
        "subscriber_statements": round(subscriber_statements / messages, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, default=None, help="default: a fresh temporary directory")
    parser.add_argument(
        "--database-url", default=None, help="an existing (empty or migrated) database, not the embedded one"
    )
    args = parser.parse_args(argv)
    if args.database_url:
        from meridian.db.embedded import to_sqlalchemy_url
        from meridian.db.migrate import upgrade

        url = to_sqlalchemy_url(args.database_url)
        upgrade(url)
    else:
        url = start_database(use_data_dir(args.data_dir))
    figures = asyncio.run(measure(url, args.messages))
    print(
        f"\nper inbound message ({args.messages}, new customers, half API, half WhatsApp):"
        f"\n  request:     {figures['request_cpu_ms']:6.1f} ms CPU,"
        f" {figures['request_statements']:5.1f} statements"
        f"\n  subscribers: {figures['subscribers_cpu_ms']:6.1f} ms CPU,"
        f" {figures['subscriber_statements']:5.1f} statements"
    )
    record("ingest_cpu", figures)


if __name__ == "__main__":
    main()
