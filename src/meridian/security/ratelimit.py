"""Rate limits on sign-in and on the endpoints anyone on the internet can call.

In-process token buckets (``channels.webchat.ratelimit.TokenBucket``), keyed by client
IP, and for sign-in also by the account being tried, so spreading guesses over many
IPs does not help against one account. Per process: with N web processes an attacker
gets N times the budget. That blunts password guessing and floods; a shared limit
(a proxy's ``limit_req``, or a PostgreSQL-backed counter) is for anything stricter.
Behind a proxy, run with ``--proxy-headers`` (``serve`` does) so the client IP is
the real one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meridian.channels.webchat.ratelimit import TokenBucket
from meridian.core.errors import PROBLEM_JSON


@dataclass(frozen=True)
class Rule:
    name: str
    applies: Callable[[str, str], bool]
    bucket: TokenBucket


def default_rules() -> list[Rule]:
    return [
        # Ten tries, then one every six seconds, per IP.
        Rule(
            "login-ip", lambda m, p: m == "POST" and p == "/login", TokenBucket(capacity=10, per_second=1 / 6)
        ),
        # Vendors retry in bursts; generous, but a flood from one address stops.
        Rule("webhooks", lambda m, p: p.startswith("/webhooks/"), TokenBucket(capacity=300, per_second=50)),
        Rule("help", lambda m, p: p.startswith("/help"), TokenBucket(capacity=120, per_second=10)),
        Rule(
            "unsubscribe", lambda m, p: p.startswith("/unsubscribe/"), TokenBucket(capacity=30, per_second=1)
        ),
    ]


def _too_many(retry_after: float) -> tuple[Message, Message]:
    body = (
        b'{"type":"about:blank","title":"Too many requests","status":429,'
        b'"detail":"too many requests; try again later"}'
    )
    start: Message = {
        "type": "http.response.start",
        "status": 429,
        "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"retry-after", str(max(1, math.ceil(retry_after))).encode()),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class RateLimit:
    def __init__(self, app: ASGIApp, *, rules: list[Rule] | None = None) -> None:
        self.app = app
        self.rules = default_rules() if rules is None else rules
        # Five tries, then one a minute, per account (the email being signed in to).
        self.login_account = TokenBucket(capacity=5, per_second=1 / 60)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        client = (scope.get("client") or ("unknown", 0))[0]
        for rule in self.rules:
            if rule.applies(method, path):
                wait = rule.bucket.take(f"{rule.name}:{client}")
                if wait:
                    await self._reject(send, wait)
                    return
        if method == "POST" and path == "/login":
            replay = await self._check_account(receive, send)
            if replay is None:
                return
            receive = replay
        await self.app(scope, receive, send)

    async def _check_account(self, receive: Receive, send: Send) -> Receive | None:
        """Read the (small) sign-in form to key on the account, then replay it."""
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False) and sum(map(len, chunks)) < 64 * 1024
        body = b"".join(chunks)
        email = parse_qs(body.decode("utf-8", "replace")).get("email", [""])[0].strip().lower()
        if email:
            wait = self.login_account.take(f"login-account:{email}")
            if wait:
                await self._reject(send, wait)
                return None
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    @staticmethod
    async def _reject(send: Send, retry_after: float) -> None:
        start, body = _too_many(retry_after)
        await send(start)
        await send(body)
