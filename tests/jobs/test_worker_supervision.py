"""The procrastinate worker is started again when it stops on an error (its job listener
fails as soon as the database restarts), and ``stop()`` ends it for good."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from procrastinate import App
from procrastinate.exceptions import ConnectorException

from meridian.db.engine import Database
from meridian.jobs.runtime import Workers


class FlakyApp:
    """Stands in for procrastinate's App: the first run fails like a lost listener, the
    second runs until cancelled, then returns as a gracefully stopped worker does."""

    def __init__(self) -> None:
        self.runs = 0
        self.second_started = asyncio.Event()

    async def run_worker_async(self, **_: Any) -> None:
        self.runs += 1
        if self.runs == 1:
            raise ConnectorException("Database error.")
        self.second_started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            return  # graceful shutdown swallows the cancellation


async def test_the_worker_is_restarted_after_an_error_and_stops_when_asked(db: Database) -> None:
    workers = Workers(db)
    app = FlakyApp()
    task = asyncio.create_task(workers._run_worker(cast(App, app), "test-worker"))
    await asyncio.wait_for(app.second_started.wait(), timeout=10)
    assert app.runs == 2
    workers._stopping = True
    task.cancel()
    await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), timeout=10)
    assert task.done() and app.runs == 2
