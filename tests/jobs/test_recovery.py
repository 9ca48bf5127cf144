"""A job whose worker is killed mid-run (kill -9) is retried and completes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time

from sqlalchemy import text

from meridian.db.engine import Database
from meridian.jobs.app import open_job_app
from meridian.jobs.tasks import recover_stalled

WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from meridian.jobs.app import job_app, open_job_app

    @job_app.task(name="tests.marker", queue="tests")
    async def marker(run: str) -> None:
        import psycopg
        async with await psycopg.AsyncConnection.connect(sys.argv[1], autocommit=True) as conn:
            await conn.execute("INSERT INTO test_job_marks(run, pid) VALUES (%s, pg_backend_pid())", (run,))
        if sys.argv[2] == "hang":
            await asyncio.sleep(3600)

    async def main():
        async with open_job_app(sys.argv[1]) as app:
            await app.run_worker_async(queues=["tests"], concurrency=1, update_heartbeat_interval=0.5,
                                           install_signal_handlers=False, wait=sys.argv[2] == "hang")

    asyncio.run(main())
    """
)


async def test_killed_worker_job_is_retried(db: Database) -> None:
    conninfo = db.psycopg_conninfo()
    async with db.session() as session:
        await session.execute(text("CREATE TABLE IF NOT EXISTS test_job_marks (run text, pid int)"))
        await session.commit()
    async with open_job_app(conninfo) as job_app:
        job_id = await job_app.configure_task("tests.marker", queue="tests").defer_async(run="r1")
        hanging = subprocess.Popen([sys.executable, "-c", WORKER, conninfo, "hang"])
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                async with db.session() as session:
                    started = await session.scalar(text("SELECT count(*) FROM test_job_marks WHERE run='r1'"))
                if started:
                    break
                await asyncio.sleep(0.2)
            assert started == 1, "the worker never started the job"
        finally:
            os.kill(hanging.pid, signal.SIGKILL)
            hanging.wait()
        status = await job_app.job_manager.list_jobs_async(id=job_id)
        assert status[0].status == "doing", "a killed worker leaves the job 'doing'"

        await asyncio.sleep(1.5)  # let its heartbeat go stale
        assert await recover_stalled(job_app, seconds_since_heartbeat=1) == 1
        finisher = subprocess.run([sys.executable, "-c", WORKER, conninfo, "finish"], timeout=120)
        assert finisher.returncode == 0
        jobs = await job_app.job_manager.list_jobs_async(id=job_id)
        assert jobs[0].status == "succeeded"
    async with db.session() as session:
        runs = await session.scalar(text("SELECT count(*) FROM test_job_marks WHERE run='r1'"))
    assert runs == 2, "the job ran again after its worker died"
