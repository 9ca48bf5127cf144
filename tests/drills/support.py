"""What the fault drills share: real ``meridian serve`` / ``meridian worker`` processes
that can be killed and restarted, signed vendor payloads, and a report of what each
drill proved."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.channels.samples import load_sample

ROOT = Path(__file__).resolve().parents[2]
MERIDIAN = Path(sys.executable).with_name("meridian")


def scale() -> float:
    """``MERIDIAN_DRILL_SCALE`` (or ``--drill-scale``) shrinks a drill for development."""
    return float(os.environ.get("MERIDIAN_DRILL_SCALE", "1"))


def scaled(full: int, minimum: int = 10) -> int:
    return max(minimum, round(full * scale()))


@dataclass
class Report:
    """Lines a drill proved; printed in pytest's terminal summary."""

    lines: list[str] = field(default_factory=list)

    def add(self, drill: str, text: str) -> None:
        self.lines.append(f"[{drill}] {text}")
        print(f"[{drill}] {text}", flush=True)


REPORT = Report()


def process_env(database_url: str, data_dir: Path, port: int | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MERIDIAN_DATABASE_URL=database_url,
        MERIDIAN_DATA_DIR=str(data_dir),
        MERIDIAN_LOG_LEVEL="WARNING",
        MERIDIAN_LOG_JSON="false",
        MERIDIAN_WORKERS_CONCURRENCY="4",
        # The drills are about messages, not knowledge-base search: skip loading the
        # embedding model, which makes each restart seconds (and 1 GB) heavier.
        MERIDIAN_KB_EMBEDDER="none",
    )
    if port is not None:
        env["MERIDIAN_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    env.update(extra)
    return env


class Process:
    """One ``meridian`` subprocess that a drill may ``kill -9`` and start again."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args = args
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(MERIDIAN), *self.args], env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
            )
        self.starts += 1

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()

    def wait_ready(self, url: str, timeout: float = 900) -> None:
        """Wait until ``url`` answers 200; fail at once, with the log, if the process died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (
                self.proc is not None
                and self.proc.poll() is not None
                and self.proc.returncode != -signal.SIGKILL
            ):
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"meridian {self.args[0]} exited with {self.proc.returncode}:\n{tail}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f} s")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def wait_http(url: str, *, timeout: float = 300, status: int = 200) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(url, timeout=2)
            if answer.status_code == status:
                return
            last = answer.status_code
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer {status} (last: {last!r})")


# --- WhatsApp Cloud API webhooks ---------------------------------------------------

WA_PHONE_ID = "106540352242922"
WA_SECRET = "drill-app-secret"
WA_TOKEN = "drill-access-token"


def whatsapp_config(api_base_url: str) -> dict[str, str]:
    return {
        "phone_number_id": WA_PHONE_ID,
        "access_token": WA_TOKEN,
        "app_secret": WA_SECRET,
        "verify_token": "drill-verify",
        "api_base_url": api_base_url,
    }


_WA_SAMPLE = json.loads(load_sample("whatsapp_inbound_text.json"))


def whatsapp_body(wamid: str, wa_id: str, text: str) -> bytes:
    payload = copy.deepcopy(_WA_SAMPLE)
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = wa_id
    value["contacts"][0]["profile"]["name"] = f"Customer {wa_id}"
    message = value["messages"][0]
    message.update({"from": wa_id, "id": wamid, "timestamp": str(int(time.time()))})
    message["text"]["body"] = text
    return json.dumps(payload).encode()


def whatsapp_headers(body: bytes, secret: str = WA_SECRET) -> dict[str, str]:
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"content-type": "application/json", "x-hub-signature-256": signature}
