"""Polling one email inbox's mailbox over IMAP into conversations.

``inbox.state`` keeps the ``imap_cursor`` (UIDVALIDITY + last UID) and a public
``status`` (last poll, last error, backoff) that the inbox API shows. The cursor is
written in the same transaction as the messages it covers, so it moves only once
they are committed: a crash in between means fetching them again, and the ingest's
``(inbox_id, external_id)`` dedupe makes that harmless.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.channels.email.adapter import EmailInboxConfig
from meridian.channels.email.imap_poll import ImapCursor, ImapError, fetch_new
from meridian.channels.email.service import receive_email
from meridian.core.backoff import doubling
from meridian.core.clock import utcnow
from meridian.db.engine import Database
from meridian.inboxes.models import Inbox
from meridian.inboxes.service import channel_config

log = logging.getLogger(__name__)

BATCH = 200
# At most this many batches per job; the next minute's job picks up the rest.
MAX_BATCHES = 5
BACKOFF_BASE_SECONDS = 60
BACKOFF_CAP_SECONDS = 3600
# Skipped UIDs kept in the status for an operator to look at on the server.
MAX_SKIPPED_SHOWN = 20


@dataclass
class PollResult:
    polled: bool = False
    fetched: int = 0
    created: int = 0
    skipped_uids: list[int] = field(default_factory=list)
    error: str | None = None


async def imap_inbox_ids(db: Database) -> list[uuid.UUID]:
    """Every email inbox that has IMAP settings (across workspaces: a system job)."""
    async with db.session() as session:
        return list(
            await session.scalars(
                select(Inbox.id).where(Inbox.channel == "email", Inbox.config["imap_host"].astext != "")
            )
        )


def backoff(failures: int) -> timedelta:
    return timedelta(seconds=doubling(failures, base=BACKOFF_BASE_SECONDS, cap=BACKOFF_CAP_SECONDS))


def _due(status: dict[str, Any], now: datetime) -> bool:
    next_poll = status.get("next_poll_at")
    return not next_poll or datetime.fromisoformat(next_poll) <= now


async def poll_inbox(db: Database, *, inbox_id: uuid.UUID) -> PollResult:
    """Fetch and store what is new, in batches. Callers hold a per-inbox job lock,
    so two workers never poll one mailbox at once."""
    result = PollResult()
    for _ in range(MAX_BATCHES):
        more = await _poll_batch(db, inbox_id, result)
        if not more:
            break
    return result


async def _poll_batch(db: Database, inbox_id: uuid.UUID, result: PollResult) -> bool:
    async with db.session() as session:
        inbox = await session.get(Inbox, inbox_id)
        if inbox is None or inbox.channel != "email" or not inbox.config.get("imap_host"):
            return False
        if not _due(dict(inbox.state.get("status") or {}), utcnow()):
            return False
        try:
            config = EmailInboxConfig.model_validate(channel_config(inbox))
        except ValidationError as exc:
            result.error = f"invalid settings: {exc.errors()[0]['msg']}"
            await _record(session, inbox, error=result.error)
            return False
        cursor = ImapCursor.from_json(inbox.state.get("imap_cursor"))
    result.polled = True
    # No transaction is open while we talk to the mail server.
    try:
        fetched, new_cursor = await fetch_new(config, cursor, limit=BATCH)
    except ImapError as exc:
        await _record_error(db, inbox_id, str(exc), result)
        return False
    skipped = [uid for uid, raw in fetched if raw is None]
    try:
        async with db.session() as session:
            inbox = await session.get(Inbox, inbox_id, with_for_update=True)
            if inbox is None:
                return False
            for uid, raw in fetched:
                if raw is None:
                    # The server would not hand it over: note it and move on, never block.
                    log.warning("IMAP message skipped", extra={"inbox_id": str(inbox_id), "uid": uid})
                    continue
                try:
                    async with session.begin_nested():
                        received = await receive_email(session, inbox=inbox, raw=raw)
                except (OperationalError, InterfaceError):
                    raise
                except Exception:
                    # Not even the raw fallback could be stored. The mail stays on the
                    # server (we poll read-only); listing it beats blocking the mailbox.
                    log.exception("IMAP message could not be stored", extra={"inbox_id": str(inbox_id)})
                    skipped.append(uid)
                    continue
                result.created += int(received.outcome == "created")
            await _record(session, inbox, cursor=new_cursor, skipped=skipped)
    except Exception as exc:
        # Nothing was committed and the cursor did not move: the same mail comes again.
        log.exception("storing polled mail failed", extra={"inbox_id": str(inbox_id)})
        await _record_error(db, inbox_id, f"storing mail failed: {type(exc).__name__}: {exc}", result)
        return False
    result.fetched += len(fetched)
    result.skipped_uids += skipped
    return len(fetched) >= BATCH


async def _record_error(db: Database, inbox_id: uuid.UUID, error: str, result: PollResult) -> None:
    result.error = error
    async with db.session() as session:
        inbox = await session.get(Inbox, inbox_id, with_for_update=True)
        if inbox is not None:
            await _record(session, inbox, error=error)


async def _record(
    session: AsyncSession,
    inbox: Inbox,
    *,
    error: str | None = None,
    cursor: ImapCursor | None = None,
    skipped: list[int] | None = None,
) -> None:
    """Write the poll's outcome to ``inbox.state`` and commit."""
    now = utcnow()
    state = dict(inbox.state or {})
    status = dict(state.get("status") or {})
    status["last_poll_at"] = now.isoformat()
    if error is None:
        status.update(last_success_at=now.isoformat(), consecutive_failures=0, next_poll_at=None)
        status["last_error"] = None
        if skipped:
            status["skipped_uids"] = [*status.get("skipped_uids", []), *skipped][-MAX_SKIPPED_SHOWN:]
    else:
        failures = int(status.get("consecutive_failures") or 0) + 1
        status.update(
            consecutive_failures=failures,
            last_error=error[:500],
            last_error_at=now.isoformat(),
            next_poll_at=(now + backoff(failures)).isoformat(),
        )
        log.warning(
            "IMAP poll failed", extra={"inbox_id": str(inbox.id), "error": error, "failures": failures}
        )
    state["status"] = status
    if cursor is not None:
        state["imap_cursor"] = cursor.to_json()
    # A new dict, so SQLAlchemy sees the JSONB column change.
    inbox.state = state
    await session.commit()


def reset_backoff(inbox: Inbox) -> None:
    """Settings changed: the next poll should not wait out the old errors' backoff."""
    state = dict(inbox.state or {})
    status = dict(state.get("status") or {})
    status.update(next_poll_at=None, consecutive_failures=0)
    state["status"] = status
    inbox.state = state
