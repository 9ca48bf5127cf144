"""``meridian serve`` with MERIDIAN_SMTP_PORT receives mail into the right inbox."""

from __future__ import annotations

import asyncio
import os
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from meridian.db.engine import Database
from tests.email.dovecot import free_port
from tests.email.support import create_email_inbox, customer_mail, message_rows, unique_address
from tests.factories import Factory


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 600) -> None:
    # Generous: serve's web processes each load the language models before they accept,
    # which took minutes on a two-core machine shared by several test runs.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"meridian serve exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("meridian serve did not start")


def _send(port: int, raw: bytes, rcpt: str) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo("mx.example.org")
        smtp.mail("alice@example.org")
        code, reply = smtp.rcpt(rcpt)
        if code != 250:
            return code, reply
        return smtp.data(raw)


@pytest.mark.slow
async def test_serve_receives_mail_when_the_smtp_port_is_set(
    client: httpx.AsyncClient, factory: Factory, db: Database, database_url: str, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    inbox = await create_email_inbox(client, tenant)
    http_port, smtp_port = free_port(), free_port()
    env = {
        **os.environ,
        "MERIDIAN_DATABASE_URL": database_url,
        "MERIDIAN_SMTP_PORT": str(smtp_port),
        "MERIDIAN_DATA_DIR": str(tmp_path),
        "MERIDIAN_WORKERS_CONCURRENCY": "1",
    }
    command = [
        sys.executable,
        "-c",
        "from meridian.cli import main; main()",
        "serve",
        "--port",
        str(http_port),
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await asyncio.to_thread(_wait_for, f"http://127.0.0.1:{http_port}/healthz", process)
        refused = await asyncio.to_thread(_send, smtp_port, b"x", unique_address("nobody"))
        assert refused[0] == 550
        raw = customer_mail(to=inbox["config"]["from_address"], message_id="<served@example.org>")
        code, reply = await asyncio.to_thread(_send, smtp_port, raw, inbox["config"]["from_address"])
        assert code == 250, reply
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=60)
    assert "Application shutdown complete" in stderr.decode(), stderr.decode()[-2000:]
    # A clean stop ends with status 0: uvicorn's re-raise of SIGTERM, which killed the
    # process before its own clean-up (and the embedded PostgreSQL's stop) ran, is off.
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert [m.external_id for m in await message_rows(db, inbox["id"])] == ["served@example.org"]
