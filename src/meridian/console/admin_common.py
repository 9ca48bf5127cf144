"""Pieces shared by the console's admin screens: the entity a URL names, the form save,
form parsing, field errors.

The admin gates themselves are in ``console.deps`` (one per screen); a missing entity raises
``PageNotFound``, which ``console.errors`` renders. Admin forms post to the same
service actions as the REST API; a rejected value comes back as a
``pydantic.ValidationError`` or a ``ProblemError`` with JSON pointers, and both are
turned into ``{field: message}`` so each message is shown next to its field.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.console.deps import AdminDoor
from meridian.console.errors import PageNotFound
from meridian.console.render import render
from meridian.core.errors import NotFound, ProblemError

T = TypeVar("T")
Rejected = ValidationError | ProblemError

GENERAL = "_"


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def path_entity(getter: Callable[..., Awaitable[T]], param: str) -> Any:
    """A dependency: the entity the path parameter ``param`` names, in the admin's workspace.

    ``Annotated[Team, path_entity(get_team, "team_id")]``: ``getter`` is a service read
    called as ``getter(session, workspace_id=..., <param>=...)``. Not an id, or another
    workspace's id, is the 404 page; the admin gate runs first, so a non-admin never
    learns whether an id exists:
    each route declares its own gate before this dependency.
    """

    async def dependency(request: Request, principal: AdminDoor, session: Session) -> T:
        parsed = parse_uuid(str(request.path_params.get(param, "")))
        if parsed is not None:
            try:
                return await getter(session, workspace_id=principal.workspace_id, **{param: parsed})
            except NotFound:
                pass
        raise PageNotFound(principal)

    return Depends(dependency)


async def save_form(
    session: AsyncSession,
    save: Callable[[], Awaitable[T]],
    *,
    rejected: Callable[[Rejected], Awaitable[Response]],
    done: str | Callable[[T], str | Response],
    refresh: Sequence[object] = (),
) -> Response:
    """Validate and save (``save`` builds the schema and calls the action), then redirect.

    A rejected value rolls the transaction back, so nothing of the attempt stays, and
    the form comes back from ``rejected`` with the messages. ``refresh`` names the rows
    the form shows: the rollback expired them, and they are read again as stored.
    """
    try:
        saved = await save()
    except (ValidationError, ProblemError) as exc:
        await session.rollback()
        for row in refresh:
            await session.refresh(row)
        return await rejected(exc)
    outcome = done if isinstance(done, str) else done(saved)
    # 303: the browser follows with a GET, so a reload never posts the form twice.
    return RedirectResponse(outcome, status_code=303) if isinstance(outcome, str) else outcome


def split_list(value: str) -> list[str]:
    """'en, es; pt-BR' -> ['en', 'es', 'pt-BR']: list fields are typed as one line."""
    return [part.strip() for part in value.replace(";", ",").replace("\n", ",").split(",") if part.strip()]


def field_errors(exc: ValidationError | ProblemError) -> dict[str, str]:
    """Map an error to the form field it is about (the first path segment)."""
    out: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]]
            key = loc[0] if loc else GENERAL
            message = str(error["msg"]).removeprefix("Value error, ")
            out.setdefault(key, message)
        return out
    for item in exc.errors or []:
        pointer = [p for p in str(item.get("pointer", "")).split("/") if p]
        # /config/<key> errors belong to the channel setting itself.
        key = pointer[1] if pointer[:1] == ["config"] and len(pointer) > 1 else (pointer or [GENERAL])[0]
        out.setdefault(key, str(item.get("message", exc.detail)))
    if not out:
        out[GENERAL] = exc.detail
    return out


def admin_page(
    request: Request, principal: Principal, template: str, *, status_code: int = 200, **context: Any
) -> Response:
    return render(
        request,
        template,
        principal=principal,
        status_code=status_code,
        errors=context.pop("errors", {}),
        **context,
    )
