"""A real uvicorn server in a background thread, for tests that need real HTTP
(streams, browsers): its own event loop and its own database pool."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(database_url: str, *, run_workers: bool = False, demo: bool = False) -> Iterator[str]:
    from meridian.app import create_app
    from meridian.db.engine import make_database

    port = free_port()
    holder: dict[str, uvicorn.Server] = {}

    def run() -> None:
        async def main() -> None:
            db = make_database(database_url, pool_size=5)
            app = create_app(db=db, run_workers=run_workers, demo=demo)
            server = uvicorn.Server(
                uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
            )
            holder["server"] = server
            try:
                await server.serve()
            finally:
                await db.dispose()

        asyncio.run(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    # Generous: start-up loads language models, and CI machines can be heavily shared.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        server = holder.get("server")
        if server is not None and server.started:
            break
        time.sleep(0.05)
    else:
        raise RuntimeError("live server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        holder["server"].should_exit = True
        thread.join(timeout=30)
