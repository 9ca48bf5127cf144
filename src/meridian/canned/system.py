"""System templates: the words of messages Meridian sends by itself, per locale, editable.

Each key has shipped defaults (one text per language, from the catalog of the feature
that sends it: ``routing/notice.py``, ``bot/phrases.py``, ``analytics/survey.py``,
``privacy/confirmation.py``); a
workspace's admin may override any locale, or add one (``PUT
/api/v1/system-templates/{key}``, or the console's "System messages" page). The text is
chosen like a canned response's variant (``pick_variant``: pt-BR -> pt -> another pt ->
workspace default) over the defaults with the overrides on top, and rendered with
``render_template`` in the customer's locale and time zone. An override that fails to
render falls back to the shipped text: a customer never goes without the message
because of a typo in a template.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from babel import Locale
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

# Values that depend on the locale the text is rendered in (a weekday's name, a time
# zone's), computed once that locale is known.
LocaleValues = Callable[[Locale], Mapping[str, Any]]


def _csat() -> dict[str, str]:
    from meridian.analytics.survey import SURVEY_TEXTS

    return dict(SURVEY_TEXTS)


def _notice() -> dict[str, str]:
    from meridian.routing.notice import notice_templates

    return notice_templates()


def _bot(key: str) -> Callable[[], dict[str, str]]:
    def defaults() -> dict[str, str]:
        from meridian.bot.phrases import template_of

        return template_of(key)

    return defaults


def _privacy(type: str) -> Callable[[], dict[str, str]]:
    def defaults() -> dict[str, str]:
        from meridian.privacy.confirmation import templates

        return templates(type)

    return defaults


@dataclass(frozen=True)
class Kind:
    description: str
    defaults: Callable[[], dict[str, str]]
    # Variables this message adds to ``contact.*`` and ``conversation.*``.
    variables: tuple[str, ...] = ()
    # False: rendered without ``contact.*`` / ``conversation.*`` (it must hold no personal data).
    personal: bool = True


KINDS: dict[str, Kind] = {
    "routing_notice": Kind(
        "Nobody who can answer is working now: when the customer will get an answer.",
        _notice,
        ("time", "day", "zone", "your_time", "opening"),
    ),
    "csat_survey": Kind("The satisfaction survey sent after a resolution (answered 1-5).", _csat),
    "bot_handoff": Kind("The bot tells the customer a person will answer.", _bot("handoff")),
    "bot_feedback": Kind("The bot asks whether its answer solved the question.", _bot("feedback")),
    "bot_resolved": Kind("The customer said the bot's answer helped.", _bot("resolved")),
    "bot_read_more": Kind(
        "The link to the full article under the bot's answer.", _bot("read_more"), ("url",)
    ),
    "bot_only_in": Kind(
        "The bot quotes an article that exists only in another language.", _bot("only_in"), ("language",)
    ),
    "bot_machine_translated": Kind(
        "The bot's answer was machine-translated from another language.",
        _bot("machine_translated"),
        ("language",),
    ),
    "bot_order_not_found": Kind(
        "The bot found no order with that number.", _bot("order_not_found"), ("order",)
    ),
    "bot_order_unavailable": Kind("The bot cannot look up orders right now.", _bot("order_unavailable")),
    # Stored on the request for whoever answers the requester; offered no personal data.
    "privacy_erase": Kind(
        "Confirms a request to erase the customer's personal data.",
        _privacy("erase"),
        ("received", "due", "ref"),
        personal=False,
    ),
    "privacy_export": Kind(
        "Confirms a request for a copy of the customer's personal data.",
        _privacy("export"),
        ("received", "due", "ref"),
        personal=False,
    ),
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


def _same_language(a: str | None, b: str) -> bool:
    try:
        return a is not None and primary_language(a) == primary_language(b)
    except ValueError:
        return False


@dataclass(frozen=True)
class Rendered:
    body: str
    # The variant used (after the fallback chain): the message's language.
    locale: str
    overridden: bool


@dataclass(frozen=True)
class SystemTexts:
    """One workspace's system wording for one customer, loaded once (one query) and
    rendered as often as needed (the bot composes several lines in a turn)."""

    custom: Mapping[str, Mapping[str, str]]
    default_locale: str
    wanted: str | None
    timezone: str | None
    variables: Mapping[str, Any]

    def render(
        self,
        key: str,
        *,
        language: str | None = None,
        values: Mapping[str, Any] | None = None,
        locale_values: LocaleValues | None = None,
        timezone: str | None = None,
    ) -> Rendered:
        """``key``'s text in ``language`` (else the customer's), formatted for them.

        Dates and numbers follow the customer's locale when the variant is in their
        language (pt-BR formats for the pt text), else the variant's own: "We'll answer
        by Monday", not "by måndag", for a Swedish reader of the English text.
        """
        kind = _kind(key)
        shipped = kind.defaults()
        custom = dict(self.custom.get(key, {}))
        variants = {**shipped, **custom}
        wanted = language or self.wanted
        zone = timezone or self.timezone
        variant = pick_variant(variants, wanted, self.default_locale)
        try:
            return Rendered(
                self._render(variants[variant], variant, wanted, zone, values, locale_values),
                variant,
                variant in custom,
            )
        except (TemplateError, ValueError, TypeError, ArithmeticError) as exc:
            if variant not in custom:
                raise
            log.warning("system template failed, sending the default", extra={"key": key, "error": str(exc)})
        variant = pick_variant(shipped, wanted, self.default_locale)
        return Rendered(
            self._render(shipped[variant], variant, wanted, zone, values, locale_values), variant, False
        )

    def _render(
        self,
        source: str,
        variant: str,
        wanted: str | None,
        zone: str | None,
        values: Mapping[str, Any] | None,
        locale_values: LocaleValues | None,
    ) -> str:
        locale = babel_locale(wanted if _same_language(wanted, variant) else variant, self.default_locale)
        variables = {**self.variables, **(values or {})}
        if locale_values is not None:
            variables |= locale_values(locale)
        return render_template(source, variables=variables, locale=locale, timezone=zone)


async def load_texts(session: AsyncSession, *, conversation: Conversation, contact: Contact) -> SystemTexts:
    """The workspace's system wording for this conversation's customer."""
    workspace = await session.get(Workspace, conversation.workspace_id)
    custom = await overrides(session, workspace_id=conversation.workspace_id)
    variables: dict[str, Any] = {
        "conversation": {"number": conversation.number, "language": conversation.language},
        "contact": {"locale": contact.locale, "country": contact.country, "timezone": contact.timezone},
    }
    # Shipped texts never name the customer: their name is read from the vault only when
    # an override of this workspace may use it.
    uses_contact = any("contact" in text for texts in custom.values() for text in texts.values())
    if uses_contact and contact.erased_at is None:
        pii = (await vault.get_contacts(session, [(contact.id, contact.region)])).get(
            contact.id, vault.EMPTY_CONTACT
        )
        variables["contact"] |= {"name": pii.name, "first_name": first_name(pii.name)}
    return SystemTexts(
        custom=custom,
        default_locale=workspace.default_locale if workspace is not None else "en",
        wanted=customer_language(conversation, contact),
        timezone=contact.timezone,
        variables=variables,
    )


async def render_system(
    session: AsyncSession,
    *,
    key: str,
    conversation: Conversation,
    contact: Contact,
    language: str | None,
    extra: Mapping[str, Any] | None = None,
    locale_values: LocaleValues | None = None,
    timezone: str | None = None,
) -> Rendered:
    """``key``'s text for this customer: their language's variant, their locale's formats."""
    _kind(key)
    texts = await load_texts(session, conversation=conversation, contact=contact)
    return texts.render(key, language=language, values=extra, locale_values=locale_values, timezone=timezone)
