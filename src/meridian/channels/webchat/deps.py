"""Who is calling the visitor API, and how often they may."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.channels.webchat.cors import check_origin
from meridian.channels.webchat.ratelimit import TokenBucket
from meridian.channels.webchat.service import webchat_inbox
from meridian.channels.webchat.tokens import InvalidToken, VisitorClaims, read_token
from meridian.core.errors import ProblemError
from meridian.inboxes.models import Inbox

# (burst, refill per second) per key: generous for a person typing, tight for a script.
LIMITS: dict[str, tuple[float, float]] = {
    "session": (20, 0.2),  # per IP: minting visitors
    "message": (20, 0.5),  # per visitor
    "typing": (10, 0.5),  # per visitor; the widget sends at most one every 3 s
    "read": (30, 0.5),  # per visitor: thread loads and stream (re)connects
}

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="meridian-webchat"'}


@dataclass(frozen=True)
class Visitor:
    claims: VisitorClaims
    inbox: Inbox

    @property
    def id(self) -> str:
        return self.claims.visitor_id


def client_ip(request: Request) -> str:
    # Behind a proxy, uvicorn's --proxy-headers puts the real address here.
    return request.client.host if request.client else "unknown"


def rate_limit(request: Request, bucket: str, key: str, cost: float = 1.0) -> None:
    limiters: dict[str, TokenBucket] | None = getattr(request.app.state, "webchat_limiters", None)
    if limiters is None:
        limiters = {name: TokenBucket(capacity=c, per_second=r) for name, (c, r) in LIMITS.items()}
        request.app.state.webchat_limiters = limiters
    wait = limiters[bucket].take(f"{bucket}:{key}", cost)
    if wait > 0:
        raise ProblemError(
            429, "too many requests from this chat; slow down", headers={"Retry-After": str(int(wait) + 1)}
        )


async def authenticate(request: Request, session: AsyncSession, token: str) -> Visitor:
    try:
        claims = read_token(token)
    except InvalidToken as exc:
        raise ProblemError(401, str(exc), headers=_CHALLENGE) from None
    inbox = await webchat_inbox(session, claims.inbox_id)
    check_origin(request, inbox, claims.origin)
    return Visitor(claims, inbox)


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(
            401,
            "a visitor token is required: 'Authorization: Bearer <token>' from "
            "POST /widget/api/{inbox_id}/sessions",
            headers=_CHALLENGE,
        )
    return token.strip()
