"""Canned responses: saved replies with one variant per locale."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from babel import Locale
from jinja2 import TemplateError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.canned.models import CannedResponse
from meridian.canned.render import babel_locale, check_template, first_name, pick_variant, render_template
from meridian.canned.schemas import CannedCreate, CannedOut, RenderedOut
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.conversations.service import get_visible
from meridian.core.errors import NotFound, ProblemError
from meridian.vault import service as vault
from meridian.workspaces.models import Workspace


def _out(row: CannedResponse) -> CannedOut:
    return CannedOut(
        id=str(row.id),
        shortcut=row.shortcut,
        title=row.title,
        variants=dict(row.variants),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _check_variants(data: CannedCreate) -> None:
    errors = [
        {"pointer": f"/variants/{locale}", "message": problem}
        for locale, body in data.variants.items()
        if (problem := check_template(body)) is not None
    ]
    if errors:
        raise ProblemError(422, f"{errors[0]['pointer']}: {errors[0]['message']}", errors=errors)


def _shortcut_taken(shortcut: str) -> ProblemError:
    return ProblemError(
        409,
        f"a canned response with the shortcut {shortcut!r} already exists",
        errors=[{"pointer": "/shortcut", "message": "already taken"}],
    )


async def create_canned(*, session: AsyncSession, principal: Principal, data: CannedCreate) -> CannedOut:
    _check_variants(data)
    row = CannedResponse(
        workspace_id=principal.workspace_id,
        shortcut=data.shortcut,
        title=data.title,
        variants=dict(data.variants),
        created_by_id=principal.agent_id,
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        raise _shortcut_taken(data.shortcut) from None
    await session.commit()
    await session.refresh(row)
    return _out(row)


async def replace_canned(
    *, session: AsyncSession, principal: Principal, canned_id: uuid.UUID, data: CannedCreate
) -> CannedOut:
    """Replace shortcut, title and the whole set of variants (a variant left out is removed)."""
    row = await _get(session, workspace_id=principal.workspace_id, canned_id=canned_id)
    _check_variants(data)
    row.shortcut = data.shortcut
    row.title = data.title
    row.variants = dict(data.variants)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise _shortcut_taken(data.shortcut) from None
    await session.commit()
    await session.refresh(row)
    return _out(row)


async def list_canned(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[CannedOut]:
    rows = await session.scalars(
        select(CannedResponse)
        .where(CannedResponse.workspace_id == workspace_id)
        .order_by(func.lower(CannedResponse.shortcut))
    )
    return [_out(row) for row in rows]


async def _get(session: AsyncSession, *, workspace_id: uuid.UUID, canned_id: uuid.UUID) -> CannedResponse:
    row = await session.scalar(
        select(CannedResponse).where(
            CannedResponse.id == canned_id, CannedResponse.workspace_id == workspace_id
        )
    )
    if row is None:
        raise NotFound("canned response")
    return row


async def get_canned(session: AsyncSession, *, workspace_id: uuid.UUID, canned_id: uuid.UUID) -> CannedOut:
    return _out(await _get(session, workspace_id=workspace_id, canned_id=canned_id))


async def customer_variables(
    session: AsyncSession, *, conversation: Conversation, contact: Contact
) -> dict[str, Any]:
    """What a template may say about the customer and the conversation."""
    pii = (await vault.get_contacts(session, [(contact.id, contact.region)])).get(
        contact.id, vault.EMPTY_CONTACT
    )
    return {
        "contact": {
            "name": pii.name,
            "first_name": first_name(pii.name),
            "email": pii.email,
            "phone": pii.phone,
            "locale": contact.locale,
            "country": contact.country,
            "timezone": contact.timezone,
            "attributes": dict(contact.attributes),
        },
        "conversation": {
            "number": conversation.number,
            "subject": conversation.subject,
            "language": conversation.language,
            "created_at": conversation.created_at,
        },
    }


@dataclass(frozen=True)
class ForCustomer:
    body: str
    # The variant used, after the fallback chain.
    variant: str
    format_locale: Locale


async def render_for_customer(
    session: AsyncSession,
    *,
    variants: Mapping[str, str],
    conversation: Conversation,
    contact: Contact,
    agent_name: str | None = None,
) -> ForCustomer:
    """One of ``variants`` for this customer (pt-BR -> pt -> workspace default), rendered
    in their locale and time zone. Raises ``TemplateError`` (and the like) when it fails."""
    workspace = await session.get(Workspace, conversation.workspace_id)
    default_locale = workspace.default_locale if workspace is not None else "en"
    customer_locale = contact.locale or conversation.language
    variables = await customer_variables(session, conversation=conversation, contact=contact)
    variables["agent"] = {"name": agent_name}
    variant = pick_variant(variants, customer_locale, default_locale)
    locale = babel_locale(customer_locale, variant, default_locale)
    body = render_template(variants[variant], variables=variables, locale=locale, timezone=contact.timezone)
    return ForCustomer(body, variant, locale)


async def render_canned(
    session: AsyncSession,
    *,
    principal: Principal,
    canned_id: uuid.UUID,
    conversation_id: uuid.UUID | None,
) -> RenderedOut:
    """The variant for the conversation's customer, with its variables filled in."""
    row = await _get(session, workspace_id=principal.workspace_id, canned_id=canned_id)
    try:
        if conversation_id is not None:
            conversation = await get_visible(session, principal=principal, conversation_id=conversation_id)
            contact = await session.get(Contact, conversation.contact_id)
            assert contact is not None
            out = await render_for_customer(
                session,
                variants=row.variants,
                conversation=conversation,
                contact=contact,
                agent_name=principal.name,
            )
            body, variant, locale = out.body, out.variant, out.format_locale
        else:
            workspace = await session.get(Workspace, principal.workspace_id)
            assert workspace is not None
            variables: dict[str, Any] = {"agent": {"name": principal.name}, "contact": {}, "conversation": {}}
            variant = pick_variant(row.variants, None, workspace.default_locale)
            locale = babel_locale(variant, workspace.default_locale)
            body = render_template(row.variants[variant], variables=variables, locale=locale, timezone=None)
    except (TemplateError, ValueError, TypeError, ArithmeticError) as exc:
        raise ProblemError(422, f"the canned response could not be rendered: {exc}") from None
    return RenderedOut(
        id=str(row.id),
        shortcut=row.shortcut,
        locale=variant,
        format_locale=str(locale).replace("_", "-"),
        body=body,
    )
