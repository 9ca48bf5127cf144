"""SSE: an event published by another process reaches a connected client."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator

import httpx

from tests.factories import Factory
from tests.support.live_server import live_server

PUBLISHER = textwrap.dedent(
    """
    import asyncio, sys, uuid
    from meridian.db.engine import make_database
    from meridian.events.service import publish

    async def main():
        db = make_database(sys.argv[1], pool_size=1)
        async with db.session() as session:
            await publish(session, workspace_id=uuid.UUID(sys.argv[2]), type="conversation.updated",
                          payload={"from": "another process"})
            await session.commit()
        await db.dispose()

    asyncio.run(main())
    """
)


async def _read_events(lines: AsyncIterator[str], want: int) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    current: dict[str, str] = {}
    async for line in lines:
        if line.startswith(("id:", "event:", "data:")):
            key, _, value = line.partition(":")
            current[key] = value.strip()
        elif line == "" and "data" in current:
            events.append(
                {"id": current.get("id"), "type": current.get("event"), **json.loads(current["data"])}
            )
            current = {}
            if len(events) >= want:
                break
    return events


async def test_event_from_other_process_reaches_stream_and_resume_works(
    database_url: str, factory: Factory
) -> None:
    tenant = await factory.tenant()
    other = await factory.tenant("Other")
    with live_server(database_url) as base:
        async with httpx.AsyncClient(base_url=base, timeout=20) as http:
            async with http.stream("GET", "/api/v1/events", headers=tenant.headers) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                lines = response.aiter_lines()
                assert (await lines.__anext__()).startswith("retry:")
                # Another workspace's event must not arrive; ours must.
                for ws in (other.workspace_id, tenant.workspace_id):
                    subprocess.run(
                        [sys.executable, "-c", PUBLISHER, database_url, str(ws)], check=True, timeout=60
                    )
                events = await _read_events(lines, 1)
            assert events[0]["type"] == "conversation.updated"
            assert events[0]["workspace_id"] == str(tenant.workspace_id)
            assert events[0]["data"] == {"from": "another process"}

            # Reconnecting with Last-Event-ID replays what came after it.
            first_id = int(str(events[0]["id"]))
            subprocess.run(
                [sys.executable, "-c", PUBLISHER, database_url, str(tenant.workspace_id)],
                check=True,
                timeout=60,
            )
            headers = {**tenant.headers, "Last-Event-ID": str(first_id - 1)}
            async with http.stream("GET", "/api/v1/events", headers=headers) as response:
                replayed = await _read_events(response.aiter_lines(), 2)
            assert [int(str(e["id"])) for e in replayed][0] == first_id
            assert all(e["workspace_id"] == str(tenant.workspace_id) for e in replayed)
