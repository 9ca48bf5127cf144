"""Pieces shared by the console's admin screens: the admin gate, form parsing, field errors.

Admin forms post to the same service actions as the REST API; a rejected value comes
back as a ``pydantic.ValidationError`` or a ``ProblemError`` with JSON pointers, and
both are turned into ``{field: message}`` so each message is shown next to its field.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from meridian.auth.service import Principal
from meridian.console.render import render
from meridian.core.errors import ProblemError

GENERAL = "_"


def forbidden_unless_admin(request: Request, principal: Principal) -> Response | None:
    if principal.is_admin:
        return None
    return render(request, "error.html", principal=principal, status_code=403, error="forbidden")


def not_found(request: Request, principal: Principal) -> Response:
    return render(request, "error.html", principal=principal, status_code=404, error="not_found")


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


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
