"""``/api/v1/inboxes/{id}/templates``: a WhatsApp inbox's message templates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from meridian.auth.deps import CurrentPrincipal, Session, SettingsPrincipal
from meridian.channels.whatsapp import templates
from meridian.channels.whatsapp.schemas import TemplateIn, TemplateList, TemplateOut, TemplateSync
from meridian.core.errors import path_id

router = APIRouter(tags=["whatsapp templates"])


@router.get("/inboxes/{inbox_id}/templates", response_model=TemplateList)
async def list_templates(
    inbox_id: str,
    principal: CurrentPrincipal,
    session: Session,
    status: Annotated[str | None, Query(max_length=32)] = None,
    language: Annotated[str | None, Query(max_length=35)] = None,
) -> TemplateList:
    """The inbox's templates; ``language`` matches Meta's codes and BCP 47 tags alike."""
    inbox = await templates.whatsapp_inbox(session, principal=principal, inbox_id=path_id(inbox_id, "inbox"))
    rows = await templates.list_templates(session, inbox_id=inbox.id, status=status, language=language)
    return TemplateList(items=[templates.to_out(r) for r in rows])


@router.post("/inboxes/{inbox_id}/templates", response_model=TemplateOut, status_code=201)
async def save_template(
    inbox_id: str, data: TemplateIn, principal: SettingsPrincipal, session: Session
) -> TemplateOut:
    return await templates.save_template(
        session=session, principal=principal, inbox_id=path_id(inbox_id, "inbox"), data=data
    )


@router.post("/inboxes/{inbox_id}/templates/sync", response_model=TemplateSync)
async def sync_templates(inbox_id: str, principal: SettingsPrincipal, session: Session) -> TemplateSync:
    """Pull the templates from Meta (needs the inbox's ``waba_id``)."""
    rows, counts = await templates.sync_templates(
        session=session, principal=principal, inbox_id=path_id(inbox_id, "inbox")
    )
    return TemplateSync(items=[templates.to_out(r) for r in rows], **counts)
