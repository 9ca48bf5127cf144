"""Visitor ids and visitor tokens: signed by us, scoped to one inbox, never agent tokens.

A visitor id is a random value signed for one inbox, so a site cannot make one up
(or replay one issued for another inbox) to read someone else's conversation. The
visitor token is a short-lived itsdangerous signature over (inbox, visitor, origin);
it grants only the visitor API, and agent tokens are opaque database-backed strings
that never verify here.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer

from meridian.core.clock import utcnow
from meridian.core.crypto import derive_key

TOKEN_TTL = timedelta(hours=24)
_SIGNING_SALT = "meridian.webchat.visitor-token"


@dataclass(frozen=True)
class VisitorClaims:
    inbox_id: uuid.UUID
    visitor_id: str
    origin: str | None
    locale: str | None = None
    # When the token stops working; a stream opened with it ends then.
    expires_at: datetime | None = None


class InvalidToken(Exception):
    pass


def _key() -> bytes:
    return derive_key("webchat")


def _visitor_signer(inbox_id: uuid.UUID) -> Signer:
    return Signer(_key(), salt=f"meridian.webchat.visitor-id:{inbox_id}")


def new_visitor_id(inbox_id: uuid.UUID) -> str:
    return _visitor_signer(inbox_id).sign(secrets.token_urlsafe(18)).decode()


def valid_visitor_id(inbox_id: uuid.UUID, visitor_id: str) -> bool:
    return len(visitor_id) <= 128 and _visitor_signer(inbox_id).validate(visitor_id)


def issue_token(claims: VisitorClaims) -> tuple[str, datetime]:
    serializer = URLSafeTimedSerializer(_key(), salt=_SIGNING_SALT)
    payload = {"i": str(claims.inbox_id), "v": claims.visitor_id, "o": claims.origin, "l": claims.locale}
    return str(serializer.dumps(payload)), utcnow() + TOKEN_TTL


def read_token(token: str) -> VisitorClaims:
    serializer = URLSafeTimedSerializer(_key(), salt=_SIGNING_SALT)
    try:
        payload, signed_at = serializer.loads(
            token, max_age=int(TOKEN_TTL.total_seconds()), return_timestamp=True
        )
        inbox_id = uuid.UUID(payload["i"])
        visitor_id = payload["v"]
        origin = payload["o"]
        locale = payload.get("l")
    except (BadSignature, KeyError, TypeError, ValueError):
        raise InvalidToken("the visitor token is invalid or expired") from None
    if not isinstance(visitor_id, str) or not all(v is None or isinstance(v, str) for v in (origin, locale)):
        raise InvalidToken("the visitor token is malformed")
    if not valid_visitor_id(inbox_id, visitor_id):
        raise InvalidToken("the visitor token does not belong to this inbox")
    return VisitorClaims(inbox_id, visitor_id, origin, locale, signed_at + TOKEN_TTL)
