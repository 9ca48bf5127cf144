"""``meridian serve`` with several web processes: one port, children that die with it,
the background workers in serve's own process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.live_server import free_port


def _start(database_url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    # The log goes to a file: a pipe nobody reads would block the servers once full.
    env = {
        **os.environ,
        "MERIDIAN_DATABASE_URL": database_url,
        "MERIDIAN_DATA_DIR": str(data_dir),
        "MERIDIAN_WORKERS_CONCURRENCY": "1",
        "MERIDIAN_KB_EMBEDDER": "none",
    }
    command = [sys.executable, "-c", "from meridian.cli import main; main()", "serve"]
    command += ["--port", str(port), "--web-processes", "2"]
    log = (data_dir / "serve.log").open("ab")
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def _web_children(pid: int) -> list[psutil.Process]:
    """Live ``serve-web`` children (a killed one is a zombie until serve reaps it)."""
    found = []
    for child in psutil.Process(pid).children():
        try:
            if "serve-web" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:  # ZombieProcess is one
            continue
    return found


def _until(check: object, timeout: float = 600) -> None:
    # Generous: on a shared two-core machine a start-up has taken minutes.
    assert callable(check)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not true within {timeout:.0f} s: {check}")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=60).status_code == 200
    except httpx.HTTPError:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _gone(proc: psutil.Process) -> bool:
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.slow
async def test_a_killed_child_is_replaced_and_children_die_with_serve(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    healthz = f"http://127.0.0.1:{port}/healthz"
    process = _start(database_url, tmp_path, port)
    try:
        await asyncio.to_thread(_until, lambda: _answers(healthz))
        children = _web_children(process.pid)
        assert len(children) == 2
        # The workers run in serve's own process, the requests in its children.
        assert "serve-web" not in " ".join(psutil.Process(process.pid).cmdline())
        assert all(await asyncio.gather(*(asyncio.to_thread(_answers, healthz) for _ in range(20))))

        victim = children[0]
        victim.kill()
        await asyncio.to_thread(
            _until,
            lambda: len(pids := {c.pid for c in _web_children(process.pid)}) == 2 and victim.pid not in pids,
        )
        survivors = _web_children(process.pid)
        assert children[1].pid in {c.pid for c in survivors}
        await asyncio.to_thread(_until, lambda: _answers(healthz))

        # kill -9 of serve: the kernel takes its children down too, and the port is free.
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        for child in survivors:
            await asyncio.to_thread(_until, lambda c=child: _gone(c), 30)
        await asyncio.to_thread(_until, lambda: _port_free(port), 30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.slow
async def test_a_clean_stop_stops_the_children(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    process = _start(database_url, tmp_path, port)
    try:
        log_path = tmp_path / "serve.log"
        await asyncio.to_thread(
            _until, lambda: log_path.read_text(errors="replace").count("Application startup complete") == 2
        )
        assert _answers(f"http://127.0.0.1:{port}/healthz")
        children = _web_children(process.pid)
        process.terminate()
        await asyncio.to_thread(process.wait, 120)
        log = log_path.read_text(errors="replace")
        assert process.returncode == 0, log[-3000:]
        assert all(_gone(child) for child in children)
        # Each web process shut down cleanly (not killed), then serve stopped its workers.
        assert log.count("Application shutdown complete") == 2, log[-3000:]
        assert _port_free(port)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
