"""Who is reading content: agents' region grants and the audit of cross-region reads.

The auth dependencies name the calling agent once per request (``set_reader``); the
vault's read functions consult it, so every API route and console page that shows
content obeys the grants without passing the principal down. Code running with no
reader (background jobs, subscribers, the CLI) acts for the system and reads all
regions, as it did before grants existed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

CROSS_REGION_READ = "content.read_cross_region"


@dataclass(frozen=True)
class Reader:
    workspace_id: uuid.UUID
    agent_id: uuid.UUID
    home_region: str
    # None: every region (admins, and agents nobody restricted).
    regions: frozenset[str] | None

    def may_read(self, region: str) -> bool:
        return self.regions is None or region == self.home_region or region in self.regions


_reader: ContextVar[Reader | None] = ContextVar("meridian_vault_reader", default=None)


def set_reader(reader: Reader | None) -> None:
    _reader.set(reader)


def current_reader() -> Reader | None:
    return _reader.get()


def may_read(region: str) -> bool:
    reader = _reader.get()
    return reader is None or reader.may_read(region)


def withheld_text(region: str) -> str:
    """What API clients see instead of content they have no grant for."""
    return f"content in region {region} — no access"


async def note_reads(session: AsyncSession, *, regions: Iterable[str], what: str, count: int) -> None:
    """Audit a read of content outside the reader's home region (grants already checked).

    The entry is written in its own transaction on the home database so read-only
    requests (which never commit) still leave it; when the caller's transaction already
    appended an audit entry it holds the chain's lock, so the entry joins that
    transaction instead of waiting on itself.
    """
    reader = _reader.get()
    if reader is None or count == 0:
        return
    crossed = sorted({r for r in regions if r != reader.home_region})
    if not crossed:
        return
    from meridian.audit.models import AuditEntry
    from meridian.audit.service import record
    from meridian.db.engine import get_database

    details = {"regions": crossed, "what": what, "count": count, "home_region": reader.home_region}

    async def write(db: AsyncSession) -> None:
        await record(
            db,
            workspace_id=reader.workspace_id,
            actor_id=reader.agent_id,
            action=CROSS_REGION_READ,
            target=",".join(crossed),
            details=details,
        )

    pending = [*session.new, *session.identity_map.values()]
    if session.in_transaction() and any(isinstance(o, AuditEntry) for o in pending):
        await write(session)
        return
    async with get_database().session() as own:
        await write(own)
        await own.commit()
