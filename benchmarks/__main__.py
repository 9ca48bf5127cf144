"""Run every benchmark in sequence: ``python -m benchmarks [--quick] [--only NAME ...]``.

Ingestion and realtime start their own `meridian serve` on a fresh embedded database;
the inbox, search and analytics benchmarks read the workspace that ``generate`` fills in
``--data-dir`` (kept between runs: generate again only with ``--regenerate`` or a new
directory). ``--quick`` is the development size (scale 0.01, fewer requests). Every
benchmark prints its figures and appends them to ``benchmarks/results/<name>.jsonl``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks._common import DEFAULT_DATA_DIR, machine

NAMES = [
    "language_detection",
    "routing_accuracy",
    "ingest",
    "ingest_cpu",
    "realtime",
    "generate",
    "inbox",
    "search",
    "analytics",
]


def commands(args: argparse.Namespace) -> dict[str, list[str]]:
    quick = args.quick
    data = ["--data-dir", str(args.data_dir)]
    scale = "0.01" if quick else str(args.scale)
    return {
        "language_detection": ["benchmarks/language_detection.py"],
        "routing_accuracy": ["benchmarks/routing_accuracy.py"],
        "ingest": ["-m", "benchmarks.ingest", "--messages", "1000" if quick else "10000"],
        "ingest_cpu": ["-m", "benchmarks.ingest_cpu", "--messages", "100" if quick else "400"],
        "realtime": ["-m", "benchmarks.realtime", "--webhooks", "20" if quick else "100"],
        "generate": ["-m", "benchmarks.generate", "--scale", scale, *data],
        "inbox": ["-m", "benchmarks.inbox", "--repeat", "50" if quick else "200", *data],
        "search": [
            "-m",
            "benchmarks.search",
            *data,
            *(["--chunks", "2000", "--embed", "200"] if quick else []),
        ],
        "analytics": ["benchmarks/analytics_overview.py", "--generated", *data],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="development size: scale 0.01, fewer requests")
    parser.add_argument("--only", action="append", choices=NAMES, help="run only this benchmark (repeatable)")
    parser.add_argument("--scale", type=float, default=1.0, help="generator scale (1.0: 1M conversations)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--regenerate", action="store_true", help="empty --data-dir and generate again")
    args = parser.parse_args()
    if args.quick and args.data_dir == DEFAULT_DATA_DIR:
        args.data_dir = DEFAULT_DATA_DIR.with_name("data-quick")
    selected = args.only or NAMES
    generated = (args.data_dir / "generated").exists()
    if args.regenerate and args.data_dir.exists():
        shutil.rmtree(args.data_dir)
        generated = False
    print(f"machine: {machine()}")
    failed = []
    for name in selected:
        if name == "generate" and generated:
            print(f"\n== generate: skipped, {args.data_dir} holds a generated workspace (--regenerate)")
            continue
        print(f"\n== {name}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, *commands(args)[name]])
        if name == "generate" and code == 0:
            (args.data_dir / "generated").touch()
        print(
            f"== {name}: {'ok' if code == 0 else f'FAILED ({code})'} in {time.perf_counter() - started:.0f} s"
        )
        if code:
            failed.append(name)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
