"""The profile's API tokens page: an agent's own tokens, minted and revoked through the
same actions as ``/api/v1/tokens`` (auth/tokens.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from meridian.auth import tokens
from meridian.auth.deps import Session
from meridian.auth.schemas import TokenCreate, TokenCreated
from meridian.console.deps import PagePrincipal
from meridian.console.errors import PageNotFound
from meridian.console.render import render
from meridian.core.clock import utcnow
from meridian.core.errors import NotFound, ProblemError
from meridian.core.ids import parse_id

router = APIRouter(include_in_schema=False)

# The form's choices, in days; "never" is no expiry.
EXPIRY_CHOICES = ("30", "90", "365", "never")
DEFAULT_EXPIRY = "90"


async def _page(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    *,
    created: TokenCreated | None = None,
    error: str | None = None,
    status_code: int = 200,
    name: str = "",
    expiry: str = DEFAULT_EXPIRY,
) -> Response:
    listing = await tokens.list_tokens(session, principal=principal)
    response = render(
        request,
        "profile_tokens.html",
        principal=principal,
        status_code=status_code,
        items=listing.items,
        created=created,
        error=error,
        name=name,
        expiry=expiry,
        max_active=tokens.MAX_ACTIVE,
    )
    # The page may carry a secret shown once: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/profile/tokens", response_class=HTMLResponse)
async def token_page(request: Request, principal: PagePrincipal, session: Session) -> Response:
    return await _page(request, principal, session)


@router.post("/profile/tokens", response_class=HTMLResponse)
async def create_token(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    name: Annotated[str, Form()] = "",
    expiry: Annotated[str, Form()] = DEFAULT_EXPIRY,
) -> Response:
    error: str | None = None
    data: TokenCreate | None = None
    if expiry not in EXPIRY_CHOICES:
        error = "expiry"
    else:
        try:
            data = TokenCreate(
                name=name,
                expires_at=None if expiry == "never" else utcnow() + timedelta(days=int(expiry)),
            )
        except ValidationError:
            error = "name"
    if data is not None:
        try:
            created = await tokens.mint_token(session=session, principal=principal, data=data)
        except ProblemError as exc:
            await session.rollback()
            error = "limit" if exc.code == "token_limit" else "invalid"
        else:
            # Rendered, not redirected: the secret must not travel in a URL.
            return await _page(request, principal, session, created=created, status_code=201)
    return await _page(
        request,
        principal,
        session,
        error=error,
        status_code=409 if error == "limit" else 422,
        name=name,
        expiry=expiry if expiry in EXPIRY_CHOICES else DEFAULT_EXPIRY,
    )


@router.post("/profile/tokens/{token_id}/revoke", response_class=HTMLResponse)
async def revoke_token(token_id: str, principal: PagePrincipal, session: Session) -> Response:
    ident = parse_id(token_id)
    try:
        if ident is None:
            raise NotFound("token")
        await tokens.revoke_token(session=session, principal=principal, token_id=ident)
    except NotFound:
        raise PageNotFound(principal) from None
    return RedirectResponse("/profile/tokens?notice=token_revoked", status_code=303)
