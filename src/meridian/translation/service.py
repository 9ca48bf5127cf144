"""A workspace's translation settings and glossary: reads and named actions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.core.crypto import decrypt_json, encrypt_json
from meridian.core.errors import NotFound, ProblemError
from meridian.events.service import publish
from meridian.translation import memory
from meridian.translation.base import ProviderSettings, TranslationError
from meridian.translation.glossary import Glossary, GlossaryTerm
from meridian.translation.models import GlossaryEntry, TranslationSettings
from meridian.translation.registry import create_provider
from meridian.translation.schemas import (
    GlossaryEntryIn,
    GlossaryEntryOut,
    TranslationSettingsIn,
    TranslationSettingsOut,
)
from meridian.workspaces.models import Workspace


@dataclass(frozen=True, slots=True)
class WorkspaceTranslation:
    """What translating for one workspace needs: the provider's settings (None: off)."""

    provider: ProviderSettings | None
    agent_language: str


async def load_translation(session: AsyncSession, *, workspace_id: uuid.UUID) -> WorkspaceTranslation:
    row = await session.get(TranslationSettings, workspace_id)
    if row is None:
        workspace = await session.get(Workspace, workspace_id)
        return WorkspaceTranslation(None, workspace.default_locale if workspace else "en")
    if row.provider == "none":
        return WorkspaceTranslation(None, row.agent_language)
    secrets = decrypt_json(row.api_key_encrypted) if row.api_key_encrypted else {}
    settings = ProviderSettings(
        provider=row.provider,
        api_key=secrets.get("api_key"),
        api_base_url=row.api_base_url,
        model=row.model,
        region=row.region,
    )
    return WorkspaceTranslation(settings, row.agent_language)


async def get_settings_out(session: AsyncSession, *, workspace_id: uuid.UUID) -> TranslationSettingsOut:
    row = await session.get(TranslationSettings, workspace_id)
    workspace = await session.get(Workspace, workspace_id)
    assert workspace is not None
    languages = list(workspace.languages)
    if row is None:
        return TranslationSettingsOut(
            provider="none",
            api_base_url=None,
            api_key_set=False,
            model=None,
            region=None,
            agent_language=workspace.default_locale,
            languages=languages,
            updated_at=None,
        )
    return TranslationSettingsOut(
        provider=row.provider,
        api_base_url=row.api_base_url,
        api_key_set=row.api_key_encrypted is not None,
        model=row.model,
        region=row.region,
        agent_language=row.agent_language,
        languages=languages,
        updated_at=row.updated_at,
    )


async def update_settings(
    *, session: AsyncSession, principal: Principal, data: TranslationSettingsIn
) -> TranslationSettingsOut:
    row = await session.get(TranslationSettings, principal.workspace_id)
    if row is None:
        row = TranslationSettings(workspace_id=principal.workspace_id)
        session.add(row)
    base_url = str(data.api_base_url).rstrip("/") if data.api_base_url else None
    # A stored key is kept only for the service it was given for: never sent elsewhere.
    same_service = (row.provider, row.api_base_url) == (data.provider, base_url)
    if "api_key" in data.model_fields_set:
        api_key = data.api_key or None
    elif same_service and row.api_key_encrypted:
        api_key = decrypt_json(row.api_key_encrypted).get("api_key")
    else:
        api_key = None
    try:
        # The adapter's own checks say what it needs (a key for DeepL, Google, Microsoft).
        create_provider(
            ProviderSettings(
                provider=data.provider,
                api_key=api_key,
                api_base_url=base_url,
                model=data.model,
                region=data.region,
            )
        )
    except TranslationError as exc:
        raise ProblemError(
            422, exc.message, errors=[{"pointer": "/api_key", "message": exc.message}]
        ) from None
    changed_provider = (row.provider, row.api_base_url, row.model) != (data.provider, base_url, data.model)
    row.provider = data.provider
    row.api_base_url = base_url
    row.api_key_encrypted = encrypt_json({"api_key": api_key}) if api_key else None
    row.model = data.model
    row.region = data.region
    row.agent_language = data.agent_language
    if data.languages is not None:
        workspace = await session.get(Workspace, principal.workspace_id)
        assert workspace is not None
        workspace.languages = list(dict.fromkeys(data.languages))
    if changed_provider:
        # Another engine was chosen for its output: stop serving the old one's from cache.
        await memory.forget_machine(session, workspace_id=principal.workspace_id)
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="settings.updated",
        payload={"section": "translation", "provider": data.provider},
    )
    await session.commit()
    await session.refresh(row)
    return await get_settings_out(session, workspace_id=principal.workspace_id)


def _entry_out(row: GlossaryEntry) -> GlossaryEntryOut:
    return GlossaryEntryOut(
        id=str(row.id),
        term=row.term,
        do_not_translate=row.do_not_translate,
        translations=dict(row.translations),
        created_at=row.created_at,
    )


async def list_glossary(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[GlossaryEntryOut]:
    rows = await session.scalars(
        select(GlossaryEntry)
        .where(GlossaryEntry.workspace_id == workspace_id)
        .order_by(func.lower(GlossaryEntry.term))
    )
    return [_entry_out(row) for row in rows]


async def load_glossary(session: AsyncSession, *, workspace_id: uuid.UUID) -> Glossary:
    rows: Sequence[GlossaryEntry] = list(
        await session.scalars(select(GlossaryEntry).where(GlossaryEntry.workspace_id == workspace_id))
    )
    return Glossary(tuple(GlossaryTerm(r.term, r.do_not_translate, dict(r.translations)) for r in rows))


async def create_glossary_entry(
    *, session: AsyncSession, principal: Principal, data: GlossaryEntryIn
) -> GlossaryEntryOut:
    exists = await session.scalar(
        select(GlossaryEntry.id).where(
            GlossaryEntry.workspace_id == principal.workspace_id,
            func.lower(GlossaryEntry.term) == data.term.lower(),
        )
    )
    if exists is not None:
        raise ProblemError(
            409,
            f"the glossary already has the term {data.term!r}",
            errors=[{"pointer": "/term", "message": "already in the glossary"}],
        )
    row = GlossaryEntry(
        workspace_id=principal.workspace_id,
        term=data.term,
        do_not_translate=data.do_not_translate,
        translations=dict(data.translations),
    )
    session.add(row)
    # Cached machine output predates the term and may translate it.
    await memory.forget_machine(session, workspace_id=principal.workspace_id)
    await session.flush()
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="glossary.updated",
        payload={"entry_id": str(row.id), "action": "created"},
    )
    await session.commit()
    await session.refresh(row)
    return _entry_out(row)


async def delete_glossary_entry(*, session: AsyncSession, principal: Principal, entry_id: uuid.UUID) -> None:
    result = await session.execute(
        delete(GlossaryEntry)
        .where(GlossaryEntry.id == entry_id, GlossaryEntry.workspace_id == principal.workspace_id)
        .returning(GlossaryEntry.id)
    )
    if result.scalar_one_or_none() is None:
        raise NotFound("glossary entry")
    await memory.forget_machine(session, workspace_id=principal.workspace_id)
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="glossary.updated",
        payload={"entry_id": str(entry_id), "action": "deleted"},
    )
    await session.commit()
