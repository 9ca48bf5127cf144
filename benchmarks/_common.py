"""What every benchmark shares: the embedded server, `meridian serve` as a subprocess,
percentiles, and the JSON lines written to benchmarks/results/."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_DATA_DIR = RESULTS / "data"


def use_data_dir(data_dir: Path | None) -> Path:
    """Point this process (and the `meridian serve` it starts) at one data directory.

    The embedded PostgreSQL and the secret key (which derives the vault's region key)
    live there, so the generator, the measuring scripts and the server agree on both."""
    path = (data_dir or Path(tempfile.mkdtemp(prefix="meridian-bench-"))).resolve()
    path.mkdir(parents=True, exist_ok=True)
    os.environ["MERIDIAN_DATA_DIR"] = str(path)
    os.environ.pop("MERIDIAN_DATABASE_URL", None)
    from meridian.config import get_settings

    get_settings.cache_clear()
    return path


def start_database(data_dir: Path) -> str:
    """Start (or join) the embedded server in ``data_dir``, migrated; its SQLAlchemy URL."""
    from meridian.db.embedded import start_embedded
    from meridian.db.migrate import upgrade

    url = start_embedded(data_dir)
    upgrade(url)
    return url


def plain_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, *, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def meridian_serve(data_dir: Path, *, env: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """`meridian serve` (uvicorn, the web app and its workers) as a real subprocess."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environ = {
        **os.environ,
        "MERIDIAN_DATA_DIR": str(data_dir),
        "MERIDIAN_PUBLIC_URL": base,
        "MERIDIAN_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    log = open(data_dir / f"serve-{port}.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("meridian")), "serve", "--port", str(port)],
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_http(f"{base}/healthz")
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def tree_rss_mb(pid: int) -> float:
    import psutil

    root = psutil.Process(pid)
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def latency(samples_s: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(samples_s),
        "p50_ms": round(percentile(samples_s, 50) * 1000, 2),
        "p99_ms": round(percentile(samples_s, 99) * 1000, 2),
        "max_ms": round(max(samples_s) * 1000, 2) if samples_s else float("nan"),
    }


def machine() -> dict[str, Any]:
    return {"nproc": os.cpu_count(), "loadavg": [round(x, 2) for x in os.getloadavg()]}


def record(name: str, figures: dict[str, Any]) -> None:
    """Append one JSON line to benchmarks/results/<name>.jsonl (gitignored)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    line = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **machine(), **figures}
    with open(RESULTS / f"{name}.jsonl", "a") as out:
        out.write(json.dumps(line, default=str) + "\n")
    print(f"  load average {line['loadavg']} -> results/{name}.jsonl")
