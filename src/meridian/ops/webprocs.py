"""Several web processes behind one `meridian serve`, its background workers beside them.

One Python process runs on one core at a time, and ingestion is Python CPU per request
(ORM, contact and vault writes, signature checks). With one process, requests and the
event dispatcher (routing, SLA, analytics subscribers) also shared one event loop, and
under inbound load the dispatcher fell minutes behind. So ``serve`` binds its socket
once, starts ``web_processes`` children (``meridian serve-web``) that accept on the
inherited socket (the kernel hands each new connection to a process waiting in
``accept``), and runs the background workers (dispatcher, outbox relay, jobs) and the
mail receivers itself: one of each per ``serve``, as before.

A child dies with its parent (``PR_SET_PDEATHSIG``): a ``kill -9`` of ``serve`` takes
the whole tree down at once and never leaves an orphan holding the port, which is what a
process manager (and the kill -9 drill) expects. A child that exits on its own is started
again by the parent.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this process when ``parent_pid`` (our parent) dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
    if os.getppid() != parent_pid:
        # The parent died before the line above took effect: nobody is left to serve for.
        os._exit(0)


class WebProcesses:
    """The extra web processes of one ``serve``, started, watched and stopped together."""

    def __init__(self, *, count: int, fd: int, host: str, port: int) -> None:
        self._count = count
        self._fd = fd
        self._args = ["serve-web", "--fd", str(fd), "--parent-pid", str(os.getpid())]
        self._args += ["--host", host, "--port", str(port)]
        self._procs: list[subprocess.Popen[bytes]] = []
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False

    def _spawn(self) -> subprocess.Popen[bytes]:
        # Spawned from the main thread: PR_SET_PDEATHSIG follows the thread that forked.
        command = [sys.executable, "-c", "from meridian.cli import app; app()", *self._args]
        return subprocess.Popen(command, pass_fds=(self._fd,))  # noqa: S603 - our own command line

    def start(self) -> None:
        self._procs = [self._spawn() for _ in range(self._count)]
        self._watch = asyncio.create_task(self._restart_exited(), name="web-processes")

    async def _restart_exited(self) -> None:
        while not self._stopping:
            await asyncio.sleep(1.0)
            for index, proc in enumerate(self._procs):
                if proc.poll() is not None and not self._stopping:
                    log.warning("web process exited; starting another", extra={"returncode": proc.returncode})
                    self._procs[index] = self._spawn()

    async def stop(self, grace: float = 25.0) -> None:
        self._stopping = True
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        for proc in self._procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self._procs:
            try:
                await asyncio.to_thread(proc.wait, grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                await asyncio.to_thread(proc.wait)
