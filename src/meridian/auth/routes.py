"""``/api/v1/tokens``: the caller's own API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Response

from meridian.auth import tokens
from meridian.auth.deps import CurrentPrincipal, Session
from meridian.auth.schemas import TokenCreate, TokenCreated, TokenList
from meridian.core.errors import path_id

router = APIRouter(tags=["tokens"])


@router.get("/tokens", response_model=TokenList)
async def list_tokens(principal: CurrentPrincipal, session: Session) -> TokenList:
    return await tokens.list_tokens(session, principal=principal)


@router.post("/tokens", response_model=TokenCreated, status_code=201)
async def create_token(
    data: TokenCreate, principal: CurrentPrincipal, session: Session, response: Response
) -> TokenCreated:
    # The secret is in this body only: no cache anywhere may keep it.
    response.headers["Cache-Control"] = "no-store"
    return await tokens.mint_token(session=session, principal=principal, data=data)


@router.delete("/tokens/{token_id}", status_code=204)
async def revoke_token(token_id: str, principal: CurrentPrincipal, session: Session) -> Response:
    await tokens.revoke_token(session=session, principal=principal, token_id=path_id(token_id, "token"))
    return Response(status_code=204)
