from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEntryOut(BaseModel):
    id: int
    seq: int
    actor_id: str | None
    actor_kind: str
    action: str
    target: str | None
    details: dict[str, Any]
    created_at: datetime
    prev_hash: str
    hash: str


class AuditList(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None = None


class AuditVerification(BaseModel):
    ok: bool
    entries: int
    head: str
    problem: str | None
