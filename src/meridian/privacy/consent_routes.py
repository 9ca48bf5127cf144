"""Consent capture endpoints: the workspace's WhatsApp/SMS keywords (API) and the
public one-click email unsubscribe (``/unsubscribe/{token}``, no sign-in)."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from meridian.auth.deps import PrivacyManagePrincipal, PrivacyViewPrincipal, Session
from meridian.core.errors import ProblemError
from meridian.privacy import keywords
from meridian.privacy.schemas import ConsentKeywordSettings
from meridian.privacy.unsubscribe import check_unsubscribe, unsubscribe

router = APIRouter(tags=["privacy"])
public_router = APIRouter(tags=["privacy"], include_in_schema=False)

_WHAT = {"marketing": "marketing email", "proactive": "proactive messages by email"}


@router.get("/settings/consent-keywords", response_model=ConsentKeywordSettings)
async def get_consent_keywords(principal: PrivacyViewPrincipal, session: Session) -> ConsentKeywordSettings:
    found = await keywords.keywords_for(session, workspace_id=principal.workspace_id)
    return ConsentKeywordSettings(opt_out=list(found.opt_out), opt_in=list(found.opt_in))


@router.put("/settings/consent-keywords", response_model=ConsentKeywordSettings)
async def put_consent_keywords(
    data: ConsentKeywordSettings, principal: PrivacyManagePrincipal, session: Session
) -> ConsentKeywordSettings:
    saved = await keywords.set_consent_keywords(
        session=session, principal=principal, opt_out=data.opt_out, opt_in=data.opt_in
    )
    return ConsentKeywordSettings(opt_out=list(saved.opt_out), opt_in=list(saved.opt_in))


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1>{body}</main></body></html>",
        status_code=status,
    )


@public_router.get("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe_page(token: str, session: Session) -> HTMLResponse:
    # A GET only asks: mail scanners follow links, and must not unsubscribe anyone.
    try:
        purpose = await check_unsubscribe(session, token=token)
    except ProblemError as exc:
        return _page("Link not valid", f"<p>{escape(exc.detail)}</p>", exc.status)
    return _page(
        "Unsubscribe",
        f"<p>Stop receiving {escape(_WHAT[purpose])} from us?</p>"
        f'<form method=post action="/unsubscribe/{escape(token)}">'
        "<input type=hidden name=List-Unsubscribe value=One-Click>"
        "<button type=submit>Unsubscribe</button></form>",
    )


@public_router.post("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe_now(token: str, session: Session) -> HTMLResponse:
    """RFC 8058 one-click: the mail client POSTs ``List-Unsubscribe=One-Click`` here."""
    try:
        purpose = await unsubscribe(session=session, token=token)
    except ProblemError as exc:
        return _page("Link not valid", f"<p>{escape(exc.detail)}</p>", exc.status)
    return _page("Unsubscribed", f"<p>You will not receive {escape(_WHAT[purpose])} from us any more.</p>")
