"""The WhatsApp template picker on the conversation screen (``_whatsapp_templates.html``).

The conversation page includes the partial once; it loads its list from here, so the
page needs no template data of its own. Sending goes through ``post_reply`` like any
reply, with the template instead of free text.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from meridian.auth.deps import Session
from meridian.channels.whatsapp.templates import approved_in_language
from meridian.console.deps import PagePrincipal, VisibleConversation
from meridian.console.render import render
from meridian.contacts.models import Contact
from meridian.core.errors import NotFound, ProblemError
from meridian.core.ids import parse_id
from meridian.inboxes.models import Inbox
from meridian.messages.schemas import ReplyCreate, TemplateRef
from meridian.messages.service import post_reply

router = APIRouter(prefix="/conversations", include_in_schema=False)


@router.get("/{conversation_id}/whatsapp-templates", response_class=HTMLResponse)
async def picker(
    request: Request, principal: PagePrincipal, session: Session, conversation: VisibleConversation
) -> Response:
    """Approved templates in the customer's language (empty outside WhatsApp)."""
    ident = conversation.id
    inbox = await session.get(Inbox, conversation.inbox_id)
    contact = await session.get(Contact, conversation.contact_id)
    assert inbox is not None and contact is not None
    options = []
    if inbox.channel == "whatsapp":
        options = await approved_in_language(
            session, inbox_id=inbox.id, language=contact.locale or conversation.language
        )
    return render(
        request,
        "_whatsapp_templates.html",
        principal=principal,
        conversation_id=str(ident),
        whatsapp_templates=options,
        is_whatsapp=inbox.channel == "whatsapp",
    )


@router.post("/{conversation_id}/whatsapp-templates")
async def send(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    conversation_id: str,
    template: Annotated[str, Form()] = "",
    var: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """``template`` is ``name|language``; ``var`` repeats once per ``{{n}}``, in order."""
    ident = parse_id(conversation_id)
    name, _, language = template.partition("|")
    try:
        if ident is None:
            raise NotFound("conversation")
        ref = TemplateRef(name=name, language=language, variables=[v.strip() for v in var or []])
        await post_reply(
            session=session,
            principal=principal,
            conversation_id=ident,
            data=ReplyCreate(template=ref),
        )
    except NotFound:
        return render(request, "error.html", principal=principal, status_code=404, error="not_found")
    except (ProblemError, ValidationError) as exc:
        await session.rollback()
        detail = exc.detail if isinstance(exc, ProblemError) else None
        return render(
            request, "error.html", principal=principal, status_code=422, error="invalid", detail=detail
        )
    return RedirectResponse(f"/conversations/{ident}", status_code=303)
