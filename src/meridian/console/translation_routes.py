"""Translation in the conversation screen: the reply preview and retrying a failed translation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from meridian.auth.deps import Session
from meridian.console.conversation_routes import _thread_context
from meridian.console.deps import PagePrincipal
from meridian.console.render import render
from meridian.core.errors import NotFound, ProblemError
from meridian.core.ids import parse_id
from meridian.translation.actions import preview_reply, retry_translation
from meridian.translation.schemas import PreviewOut

router = APIRouter(prefix="/conversations", include_in_schema=False)


@router.post("/{conversation_id}/translation-preview", response_class=HTMLResponse)
async def translation_preview(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    conversation_id: str,
    body: Annotated[str, Form()] = "",
    translate: Annotated[str, Form()] = "",
) -> Response:
    ident = parse_id(conversation_id)
    if ident is None:
        return HTMLResponse("", status_code=404)
    preview: PreviewOut | None = None
    error: str | None = None
    if translate and body.strip():
        try:
            preview = await preview_reply(
                session=session, principal=principal, conversation_id=ident, body=body.strip()
            )
        except NotFound:
            return HTMLResponse("", status_code=404)
        except ProblemError as exc:
            # No provider, provider down, language unknown: said where the agent is looking.
            await session.rollback()
            error = exc.detail
    elif translate:
        error = "empty"
    return render(
        request,
        "_translation_preview.html",
        principal=principal,
        conversation_id=str(ident),
        preview=preview,
        error=error,
    )


@router.post("/{conversation_id}/messages/{message_id}/translation/retry", response_class=HTMLResponse)
async def retry(
    request: Request, principal: PagePrincipal, session: Session, conversation_id: str, message_id: str
) -> Response:
    conversation, message = parse_id(conversation_id), parse_id(message_id)
    if conversation is None or message is None:
        return HTMLResponse("", status_code=404)
    error: str | None = None
    try:
        await retry_translation(session=session, principal=principal, message_id=message)
    except NotFound:
        return HTMLResponse("", status_code=404)
    except ProblemError as exc:
        await session.rollback()
        error = exc.detail
    if not request.headers.get("hx-request"):
        return RedirectResponse(f"/conversations/{conversation}", status_code=303)
    context = await _thread_context(session, principal, conversation)
    return render(request, "_thread.html", principal=principal, send_error=error, **context)
