"""ASGI middleware shared by every route: body size limit and database outages."""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


def _problem_bytes(status: int, title: str, detail: str) -> bytes:
    return json.dumps(
        {
            "type": f"https://meridian.dev/problems/{status}",
            "title": title,
            "status": status,
            "detail": detail,
        }
    ).encode()


class BodySizeLimit:
    """Refuse bodies over the limit before any handler reads them (413, nothing stored).

    Checks Content-Length up front and counts bytes as they stream, so a chunked
    upload without a length cannot slip past.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await self._reject(send, 400, "Bad request", "Content-Length is not a number")
                    return
                if declared > self.max_bytes:
                    await self._reject(send, 413, "Request body too large", self._detail())
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send, 413, "Request body too large", self._detail())

    def _detail(self) -> str:
        return f"the body is larger than {self.max_bytes} bytes"

    async def _reject(self, send: Send, status: int, title: str, detail: str) -> None:
        body = _problem_bytes(status, title, detail)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class DatabaseUnavailable:
    """A request that cannot reach PostgreSQL gets 503 with Retry-After, never a 2xx:
    nothing was stored, so the client (or vendor) must try again."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started or not _is_database_outage(exc):
                raise
            log.warning("database unavailable: %s", exc)
            body = _problem_bytes(503, "Service unavailable", "the database is unavailable; try again")
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"application/problem+json"),
                        (b"retry-after", b"5"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})


def _is_database_outage(exc: BaseException) -> bool:
    import psycopg
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    # One walk over causes, contexts and exception-group members with one shared "seen"
    # set: a group member's __context__ often points back at the group, and a client
    # disconnect produces exactly such cycles.
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (OperationalError, InterfaceError, psycopg.OperationalError)):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, (ConnectionRefusedError, ConnectionResetError, OSError)) and not isinstance(
            current, FileNotFoundError
        ):
            return True
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)
    return False
