"""CORS for the visitor API, per inbox.

Starlette's CORSMiddleware takes one static origin list for the whole app; here each
inbox has its own ``allowed_origins``, so a handler decides which origin it approved
(``allow_origin``) and ``WidgetRoute`` adds the headers to whatever it answers,
problem documents included, so the widget can read why a request failed.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.channels.webchat.adapter import normalize_origin
from meridian.config import get_settings
from meridian.core.errors import ProblemError
from meridian.inboxes.models import Inbox

ALLOW_HEADERS = "authorization, content-type, last-event-id"
PREFLIGHT_MAX_AGE = "600"


def own_origin() -> str:
    return normalize_origin(get_settings().public_url.rstrip("/") + "/")


def check_origin(request: Request, inbox: Inbox, token_origin: str | None = None) -> str | None:
    """Refuse a browser on a site the inbox does not list; approve CORS for one that is.

    No Origin header means no cross-origin browser request (a same-origin GET, a
    server, curl), which the origin list cannot and need not police.
    """
    header = request.headers.get("origin")
    if header is None:
        return None
    try:
        origin = normalize_origin(header)
    except ValueError:
        raise ProblemError(403, f"origin {header!r} may not use this chat") from None
    allowed = {*inbox.config.get("allowed_origins", []), own_origin()}
    if origin not in allowed:
        raise ProblemError(403, f"origin {header} is not in this inbox's allowed_origins")
    if token_origin is not None and origin != token_origin:
        raise ProblemError(403, "this visitor token was issued to another site")
    allow_origin(request, header)
    return origin


# In the request's own scope: ``request.state`` can be shared with the app's lifespan state.
_SCOPE_KEY = "meridian.webchat.cors_origin"


def allow_origin(request: Request, origin: str) -> None:
    request.scope[_SCOPE_KEY] = origin


def cors_headers(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def preflight_headers(origin: str, methods: str) -> dict[str, str]:
    return {
        **cors_headers(origin),
        "Access-Control-Allow-Methods": methods,
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
    }


async def listed_by_any_inbox(session: AsyncSession, origin: str) -> bool:
    """Preflights carry no token, so for token endpoints they can only ask: is this
    origin some web chat inbox's? The real request is then checked against its own."""
    if origin == own_origin():
        return True
    found = await session.scalar(
        select(Inbox.id)
        .where(Inbox.channel == "webchat", Inbox.config["allowed_origins"].contains([origin]))
        .limit(1)
    )
    return found is not None


class WidgetRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_cors(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception as exc:
                render = _exception_handler(request, exc)
                if render is None:
                    raise
                response = await render(request, exc)
            origin = request.scope.get(_SCOPE_KEY)
            if origin:
                response.headers.update(cors_headers(origin))
            return response

        return with_cors


def _exception_handler(
    request: Request, exc: Exception
) -> Callable[[Request, Exception], Coroutine[Any, Any, Response]] | None:
    # The app's own problem-document handlers, found the way Starlette finds them (by MRO).
    handlers = request.app.exception_handlers
    for cls in type(exc).__mro__:
        if cls in handlers:
            handler: Callable[[Request, Exception], Coroutine[Any, Any, Response]] = handlers[cls]
            return handler
    return None
