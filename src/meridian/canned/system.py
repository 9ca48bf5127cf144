"""System templates: the words of messages Meridian sends by itself, per locale, editable.

Each key has shipped defaults (one text per language, from the feature that sends it);
a workspace's admin may override any locale, or add one (``PUT
/api/v1/system-templates/{key}``). The text is chosen like a canned response's variant
(``pick_variant``: pt-BR -> pt -> another pt -> workspace default) over the defaults
with the overrides on top, and rendered with ``render_template`` in the customer's
locale and time zone. An override that fails to render falls back to the shipped text:
a customer never goes without the message because of a typo in a template.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.canned.models import SystemTemplate
from meridian.canned.render import babel_locale, check_template, first_name, pick_variant, render_template
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.core.errors import NotFound, ProblemError
from meridian.languages.tags import primary_language
from meridian.vault import service as vault
from meridian.workspaces.models import Workspace

log = logging.getLogger(__name__)


def _csat() -> dict[str, str]:
    from meridian.analytics.survey import SURVEY_TEXTS

    return dict(SURVEY_TEXTS)


def _bot(key: str) -> Callable[[], dict[str, str]]:
    def defaults() -> dict[str, str]:
        from meridian.bot.phrases import PHRASES

        return {language: words[key] for language, words in PHRASES.items() if key in words}

    return defaults


@dataclass(frozen=True)
class Kind:
    description: str
    defaults: Callable[[], dict[str, str]]


KINDS: dict[str, Kind] = {
    "csat_survey": Kind("The satisfaction survey sent after a resolution (answered 1-5).", _csat),
    "bot_handoff": Kind("The bot tells the customer a person will answer.", _bot("handoff")),
}


def _kind(key: str) -> Kind:
    if key not in KINDS:
        raise NotFound("system template")
    return KINDS[key]


async def overrides(session: AsyncSession, *, workspace_id: uuid.UUID) -> dict[str, dict[str, str]]:
    rows = await session.scalars(select(SystemTemplate).where(SystemTemplate.workspace_id == workspace_id))
    return {row.key: dict(row.variants) for row in rows}


async def set_overrides(
    *, session: AsyncSession, workspace_id: uuid.UUID, key: str, variants: Mapping[str, str]
) -> dict[str, str]:
    """Replace the workspace's overrides of ``key`` (an empty mapping restores the defaults)."""
    _kind(key)
    problems = [
        {"pointer": f"/variants/{tag}", "message": error}
        for tag, source in variants.items()
        if (error := check_template(source)) is not None
    ]
    if problems:
        raise ProblemError(422, "a template does not parse", errors=problems)
    if not variants:
        await session.execute(
            delete(SystemTemplate).where(
                SystemTemplate.workspace_id == workspace_id, SystemTemplate.key == key
            )
        )
    else:
        stmt = insert(SystemTemplate).values(
            id=uuid.uuid4(), workspace_id=workspace_id, key=key, variants=dict(variants)
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["workspace_id", "key"], set_={"variants": stmt.excluded.variants}
            )
        )
    await session.commit()
    return dict(variants)


def customer_language(conversation: Conversation, contact: Contact) -> str | None:
    """The language the customer writes in, as precisely as we know it: the contact's
    locale when it is a variant of that language (pt-BR for a message detected as pt)."""
    spoken, preferred = conversation.language, contact.locale
    if not spoken or not preferred:
        return spoken or preferred
    try:
        same = primary_language(spoken) == primary_language(preferred)
    except ValueError:
        return spoken
    return preferred if same and len(preferred) > len(spoken) else spoken


@dataclass(frozen=True)
class Rendered:
    body: str
    # The variant used (after the fallback chain): the message's language.
    locale: str
    overridden: bool


async def render_system(
    session: AsyncSession,
    *,
    key: str,
    conversation: Conversation,
    contact: Contact,
    language: str | None,
    extra: Mapping[str, Any] | None = None,
) -> Rendered:
    """``key``'s text for this customer: their language's variant, their locale's formats."""
    kind = _kind(key)
    workspace = await session.get(Workspace, conversation.workspace_id)
    default_locale = workspace.default_locale if workspace is not None else "en"
    shipped = kind.defaults()
    custom = (await overrides(session, workspace_id=conversation.workspace_id)).get(key, {})
    variants = {**shipped, **custom}
    wanted = language or customer_language(conversation, contact)
    variant = pick_variant(variants, wanted, default_locale)
    source = variants[variant]
    variables: dict[str, Any] = {
        "conversation": {"number": conversation.number, "language": conversation.language},
        "contact": {"locale": contact.locale, "country": contact.country},
        **(extra or {}),
    }
    if "contact" in source and contact.erased_at is None:
        pii = (await vault.get_contacts(session, [(contact.id, contact.region)])).get(
            contact.id, vault.EMPTY_CONTACT
        )
        variables["contact"] |= {"name": pii.name, "first_name": first_name(pii.name)}
    locale = babel_locale(wanted, variant, default_locale)
    try:
        body = render_template(source, variables=variables, locale=locale, timezone=contact.timezone)
        return Rendered(body, variant, variant in custom)
    except (TemplateError, ValueError, TypeError, ArithmeticError) as exc:
        if variant not in custom:
            raise
        log.warning("system template failed, sending the default", extra={"key": key, "error": str(exc)})
    variant = pick_variant(shipped, wanted, default_locale)
    body = render_template(shipped[variant], variables=variables, locale=locale, timezone=contact.timezone)
    return Rendered(body, variant, False)
