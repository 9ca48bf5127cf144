"""API tokens in and out: an agent's own tokens, the secret only in the answer that mints it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints

TokenStatus = Literal["active", "expired", "revoked"]
TokenName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TokenName
    # None: valid until revoked. Must lie in the future (and within ten years).
    expires_at: AwareDatetime | None = None


class TokenOut(BaseModel):
    id: str
    name: str
    # The token's first characters ("mrd_AbC12345"), to recognize it in a script's config.
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    status: TokenStatus


class TokenCreated(TokenOut):
    # Shown once: only its SHA-256 is stored.
    token: str


class TokenList(BaseModel):
    items: list[TokenOut]
