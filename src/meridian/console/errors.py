"""The console's error page: one exception type, one handler, in the console's layout.

Console routes and their dependencies raise ``PageForbidden`` / ``PageNotFound``
instead of building the error page themselves; the handler renders ``error.html`` in
the signed-in person's language. An htmx request gets only the error card: htmx
swaps the response into part of a page, and a whole second layout there would nest
a top bar inside the page.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from meridian.auth.service import Principal
from meridian.console.render import render


class PageError(Exception):
    """An HTML error page for ``principal``: ``error`` picks the wording in error.html."""

    def __init__(self, status: int, error: str, *, principal: Principal, detail: str | None = None) -> None:
        super().__init__(f"{status} {error}")
        self.status = status
        self.error = error
        self.principal = principal
        self.detail = detail


class PageForbidden(PageError):
    def __init__(self, principal: Principal) -> None:
        super().__init__(403, "forbidden", principal=principal)


class PageNotFound(PageError):
    def __init__(self, principal: Principal) -> None:
        super().__init__(404, "not_found", principal=principal)


def error_page(request: Request, exc: PageError) -> HTMLResponse:
    template = "_error.html" if request.headers.get("hx-request") else "error.html"
    return render(
        request,
        template,
        principal=exc.principal,
        status_code=exc.status,
        error=exc.error,
        detail=exc.detail,
    )


def install_page_error_handler(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> HTMLResponse:
        assert isinstance(exc, PageError)
        return error_page(request, exc)

    app.add_exception_handler(PageError, handle)
