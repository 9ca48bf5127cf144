"""Polling a mailbox over IMAP (imapclient, run in a worker thread).

The cursor is (UIDVALIDITY, last UID seen): UIDs only grow within one UIDVALIDITY,
so "UID > last" is exactly the new mail (RFC 3501 2.3.1.1). When the server changes
UIDVALIDITY (mailbox recreated, restored from backup), the old UIDs mean nothing
and we read the whole mailbox again; the caller dedupes on Message-ID.

The mailbox is opened read-only with BODY.PEEK, so polling never marks a
customer's mail as read for the people who also use that mailbox.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient  # type: ignore[import-untyped]
from imapclient.exceptions import (  # type: ignore[import-untyped]
    IMAPClientAbortError,
    IMAPClientError,
    LoginError,
)

from meridian.channels.email.config import EmailConfig

DEFAULT_TIMEOUT = 30.0
BATCH_SIZE = 50
# RFC 2177: clients should re-issue IDLE at least every 29 minutes.
MAX_IDLE_SECONDS = 29 * 60


@dataclass(frozen=True)
class ImapCursor:
    uidvalidity: int
    last_uid: int

    def to_json(self) -> dict[str, int]:
        return {"uidvalidity": self.uidvalidity, "last_uid": self.last_uid}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ImapCursor | None:
        if not data:
            return None
        return cls(uidvalidity=int(data["uidvalidity"]), last_uid=int(data["last_uid"]))


class ImapError(Exception):
    """Polling failed as a whole; the cursor did not move. ``permanent`` when only a
    settings change helps (wrong password, certificate rejected, no such folder)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


async def fetch_new(
    config: EmailConfig | Mapping[str, Any],
    cursor: ImapCursor | None,
    *,
    limit: int = 500,
    batch_size: int = BATCH_SIZE,
    io_timeout: float = DEFAULT_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
) -> tuple[list[tuple[int, bytes | None]], ImapCursor]:
    """New messages as (uid, raw bytes) in UID order, and the cursor to store after
    they are saved. A message the server would not hand over comes as (uid, None)
    and the cursor still moves past it: one bad message never blocks the mailbox.
    At most ``limit`` messages per call; poll again at once when that many came.
    ``io_timeout`` bounds each socket operation: the work runs in a thread, which
    ``asyncio.timeout`` could not interrupt."""
    cfg = EmailConfig.coerce(config)
    return await asyncio.to_thread(_fetch_new, cfg, cursor, limit, batch_size, io_timeout, ssl_context)


async def idle_wait(
    config: EmailConfig | Mapping[str, Any],
    *,
    wait_seconds: float = 300.0,
    ssl_context: ssl.SSLContext | None = None,
) -> bool:
    """Wait until the server announces new mail (IMAP IDLE) or ``wait_seconds`` pass.

    True when something arrived; False on timeout or when the server has no IDLE
    (then it simply waited), so the caller polls after either way."""
    cfg = EmailConfig.coerce(config)
    wait = min(wait_seconds, MAX_IDLE_SECONDS)
    supported, arrived = await asyncio.to_thread(_idle, cfg, wait, ssl_context)
    if not supported:
        await asyncio.sleep(wait)
    return arrived


def idle_once(
    config: EmailConfig | Mapping[str, Any],
    wait: float,
    ssl_context: ssl.SSLContext | None = None,
    *,
    connected: Callable[[Any], None] | None = None,
) -> tuple[bool, bool]:
    """Blocking: one IDLE of up to ``wait`` seconds; (server offers IDLE, mail arrived).

    ``connected`` gets the client once logged in, so another thread can cut the IDLE
    short by shutting its socket down."""
    return _idle(EmailConfig.coerce(config), min(wait, MAX_IDLE_SECONDS), ssl_context, connected)


def _fetch_new(
    cfg: EmailConfig,
    cursor: ImapCursor | None,
    limit: int,
    batch_size: int,
    timeout: float,
    ssl_context: ssl.SSLContext | None,
) -> tuple[list[tuple[int, bytes | None]], ImapCursor]:
    with _session(cfg, timeout, ssl_context) as client:
        selected = client.select_folder(cfg.imap_folder, readonly=True)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        same_mailbox = cursor is not None and cursor.uidvalidity == uidvalidity
        last = cursor.last_uid if cursor is not None and same_mailbox else 0
        # "N:*" always matches the highest UID even when it is below N (RFC 3501 section 9,
        # seq-range), so filter.
        uids = sorted(uid for uid in client.search(["UID", f"{last + 1}:*"]) if uid > last)
        uids = uids[:limit]
        results: list[tuple[int, bytes | None]] = []
        for start in range(0, len(uids), batch_size):
            results.extend(fetch_uids(client, uids[start : start + batch_size]))
        return results, ImapCursor(uidvalidity, max(uids, default=last))


def fetch_uids(client: Any, uids: Sequence[int]) -> list[tuple[int, bytes | None]]:
    """Fetch ``uids`` on a selected ``IMAPClient``; (uid, None) for each one the server
    refused or did not return (expunged meanwhile, corrupt on the server)."""
    if not uids:
        return []
    try:
        response = client.fetch(list(uids), [b"BODY.PEEK[]"])
    except IMAPClientAbortError:
        raise
    except IMAPClientError:
        if len(uids) == 1:
            return [(uids[0], None)]
        # Find the one bad message: fetch the batch one by one.
        return [item for uid in uids for item in fetch_uids(client, [uid])]
    results: list[tuple[int, bytes | None]] = []
    for uid in uids:
        data = response.get(uid, {}).get(b"BODY[]")
        results.append((uid, bytes(data) if data is not None else None))
    return results


def _idle(
    cfg: EmailConfig,
    wait: float,
    ssl_context: ssl.SSLContext | None,
    connected: Callable[[Any], None] | None = None,
) -> tuple[bool, bool]:
    with _session(cfg, DEFAULT_TIMEOUT, ssl_context) as client:
        if connected is not None:
            connected(client)
        if not client.has_capability("IDLE"):
            return False, False
        client.select_folder(cfg.imap_folder, readonly=True)
        client.idle()
        try:
            responses = client.idle_check(timeout=wait)
        finally:
            client.idle_done()
        return True, any(
            isinstance(r, tuple) and len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses
        )


@contextmanager
def _session(cfg: EmailConfig, timeout: float, ssl_context: ssl.SSLContext | None) -> Iterator[Any]:
    if not cfg.imap_host:
        raise ImapError("the inbox has no imap_host", permanent=True)
    client: Any = None
    try:
        client = IMAPClient(
            cfg.imap_host,
            port=cfg.imap_port_or_default,
            ssl=cfg.security == "ssl",
            ssl_context=ssl_context,
            timeout=timeout,
        )
        if cfg.security == "starttls":
            client.starttls(ssl_context)
        client.login(cfg.username or "", cfg.password or "")
        yield client
    except ImapError:
        raise
    except LoginError as exc:
        # RFC 5530: [UNAVAILABLE] means the server's own backend failed, not the password.
        temporary = "UNAVAILABLE" in str(exc).upper()
        raise ImapError(f"IMAP login failed: {exc}", permanent=not temporary) from exc
    except ssl.SSLCertVerificationError as exc:
        raise ImapError(f"TLS certificate rejected: {exc}", permanent=True) from exc
    except IMAPClientAbortError as exc:
        raise ImapError(f"IMAP connection lost: {exc}") from exc
    except IMAPClientError as exc:
        # A NO/BAD to SELECT or STARTTLS: wrong folder or settings, not bad luck.
        raise ImapError(f"IMAP server refused: {exc}", permanent=True) from exc
    except OSError as exc:
        raise ImapError(f"IMAP server unreachable: {type(exc).__name__}: {exc}") from exc
    finally:
        if client is not None:
            try:
                client.logout()
            except (IMAPClientError, OSError):
                # The connection is already broken; closing the socket is all that is left.
                with suppress(OSError):
                    client.shutdown()
