"""RFC 9457 problem documents for every error the API returns."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    503: "Service unavailable",
}


class ProblemError(Exception):
    """Raise from services and routes; rendered as a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or _TITLES.get(status, "Error")
        self.errors = errors
        self.headers = headers
        # RFC 9457 extension members, e.g. the templates one may send instead.
        self.extensions = extensions
        # A stable machine key (sent as the problem's "code" member) and its values, so a
        # client, and the console, can say it in the reader's language instead of ``detail``.
        self.code = code
        self.params = params or {}


class NotFound(ProblemError):
    def __init__(self, what: str) -> None:
        super().__init__(404, f"{what} not found")


class Forbidden(ProblemError):
    def __init__(self, detail: str = "your role does not allow this") -> None:
        super().__init__(403, detail)


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        **(extensions or {}),
        "type": f"https://meridian.dev/problems/{status}",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        out.append(
            {
                "pointer": "/" + "/".join(loc[1:]) if loc and loc[0] == "body" else "/".join(loc),
                "location": loc[0] if loc else "body",
                "message": err.get("msg", "invalid"),
                "type": err.get("type", "value_error"),
            }
        )
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.detail,
            title=exc.title,
            errors=exc.errors,
            headers=exc.headers,
            extensions={**(exc.extensions or {}), "code": exc.code} if exc.code else exc.extensions,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            return problem_response(400, "the request body is not valid JSON", errors=errors)
        first = errors[0] if errors else {"pointer": "", "message": "invalid"}
        detail = f"{first['pointer'] or 'request'}: {first['message']}"
        return problem_response(422, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        return problem_response(exc.status_code, detail, headers=getattr(exc, "headers", None))

    from sqlalchemy.exc import DataError

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        # A value PostgreSQL refuses as data (a NUL character in text, a number out of
        # range): bad input, and the transaction rolled back. Found by the API fuzzer.
        message = str(getattr(exc, "orig", exc)).splitlines()[0]
        return problem_response(400, f"the request holds a value that cannot be stored: {message}")


def path_id(value: str, what: str) -> uuid.UUID:
    """An id from the URL: anything that is not one is simply not found."""
    from meridian.core.ids import parse_id

    parsed = parse_id(value)
    if parsed is None:
        raise NotFound(what)
    return parsed
