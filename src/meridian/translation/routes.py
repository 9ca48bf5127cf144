from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from meridian.auth.deps import CurrentPrincipal, GlossaryPrincipal, Session, SettingsPrincipal
from meridian.core.errors import ProblemError, path_id
from meridian.languages.tags import normalize_language_tag
from meridian.messages.schemas import MessageOut
from meridian.translation import actions, service
from meridian.translation.schemas import (
    GlossaryEntryIn,
    GlossaryEntryOut,
    GlossaryList,
    PreviewIn,
    PreviewOut,
    SuggestionList,
    TranslationCorrection,
    TranslationSettingsIn,
    TranslationSettingsOut,
)

router = APIRouter(tags=["translation"])


def _tag(value: str, name: str) -> str:
    try:
        return normalize_language_tag(value)
    except ValueError:
        raise ProblemError(
            422,
            f"{name}: not a BCP 47 language tag",
            errors=[{"pointer": name, "message": "not a language tag"}],
        ) from None


@router.get("/settings/translation", response_model=TranslationSettingsOut)
async def get_translation_settings(principal: CurrentPrincipal, session: Session) -> TranslationSettingsOut:
    return await service.get_settings_out(session, workspace_id=principal.workspace_id)


@router.put("/settings/translation", response_model=TranslationSettingsOut)
async def put_translation_settings(
    data: TranslationSettingsIn, principal: SettingsPrincipal, session: Session
) -> TranslationSettingsOut:
    return await service.update_settings(session=session, principal=principal, data=data)


@router.get("/glossary", response_model=GlossaryList)
async def list_glossary(principal: CurrentPrincipal, session: Session) -> GlossaryList:
    return GlossaryList(items=await service.list_glossary(session, workspace_id=principal.workspace_id))


@router.post("/glossary", response_model=GlossaryEntryOut, status_code=201)
async def create_glossary_entry(
    data: GlossaryEntryIn, principal: GlossaryPrincipal, session: Session
) -> GlossaryEntryOut:
    return await service.create_glossary_entry(session=session, principal=principal, data=data)


@router.delete("/glossary/{entry_id}", status_code=204)
async def delete_glossary_entry(entry_id: str, principal: GlossaryPrincipal, session: Session) -> Response:
    await service.delete_glossary_entry(
        session=session, principal=principal, entry_id=path_id(entry_id, "glossary entry")
    )
    return Response(status_code=204)


@router.get("/translation/suggestions", response_model=SuggestionList)
async def translation_suggestions(
    principal: CurrentPrincipal,
    session: Session,
    text: Annotated[str, Query(min_length=1, max_length=5000)],
    source: Annotated[str, Query(min_length=2, max_length=35)],
    target: Annotated[str, Query(min_length=2, max_length=35)],
) -> SuggestionList:
    items = await actions.suggestions(
        session, principal=principal, text=text, source=_tag(source, "source"), target=_tag(target, "target")
    )
    return SuggestionList(items=items)


@router.post("/conversations/{conversation_id}/translation-preview", response_model=PreviewOut)
async def translation_preview(
    conversation_id: str, data: PreviewIn, principal: CurrentPrincipal, session: Session
) -> PreviewOut:
    return await actions.preview_reply(
        session=session,
        principal=principal,
        conversation_id=path_id(conversation_id, "conversation"),
        body=data.body,
    )


@router.put("/messages/{message_id}/translation", response_model=MessageOut)
async def correct_translation(
    message_id: str, data: TranslationCorrection, principal: CurrentPrincipal, session: Session
) -> MessageOut:
    return await actions.correct_translation(
        session=session, principal=principal, message_id=path_id(message_id, "message"), data=data
    )


@router.post("/messages/{message_id}/translation/retry", status_code=202)
async def retry_translation(message_id: str, principal: CurrentPrincipal, session: Session) -> Response:
    await actions.retry_translation(
        session=session, principal=principal, message_id=path_id(message_id, "message")
    )
    return Response(status_code=202)
