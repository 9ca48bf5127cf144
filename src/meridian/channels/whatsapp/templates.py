"""WhatsApp message templates: stored per inbox, synced from Meta, sent outside the window.

Meta's "Message templates" API (https://developers.facebook.com/docs/whatsapp/business-management-api/message-templates):
``GET /{waba_id}/message_templates`` pages through ``{"data": [{"id", "name",
"language", "status", "category", "components": [{"type": "BODY", "text": "Hi {{1}}"}, ..]}],
"paging": {"next": url}}``. Sending one is a ``"type": "template"`` message whose body
parameters fill the ``{{n}}`` placeholders in order.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.channels.base import DeliveryError
from meridian.channels.meta.graph import graph_get
from meridian.channels.whatsapp.adapter import load_config
from meridian.channels.whatsapp.models import WhatsAppTemplate
from meridian.channels.whatsapp.schemas import TemplateIn, TemplateOut
from meridian.core.clock import utcnow
from meridian.core.errors import ProblemError
from meridian.core.ids import new_id
from meridian.inboxes.models import Inbox
from meridian.inboxes.service import channel_config, get_inbox
from meridian.privacy.consent import require_consent

_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
MAX_PAGES = 50
VARIABLE_LIMIT = 1024


def count_variables(body: str) -> int:
    return max((int(n) for n in _PLACEHOLDER.findall(body)), default=0)


def body_text(components: Sequence[Mapping[str, Any]]) -> str:
    for component in components:
        if str(component.get("type", "")).upper() == "BODY" and isinstance(component.get("text"), str):
            return str(component["text"])
    return ""


def render(body: str, variables: Sequence[str]) -> str:
    """The body as the customer reads it, placeholders filled."""

    def fill(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        return variables[index] if 0 <= index < len(variables) else match.group(0)

    return _PLACEHOLDER.sub(fill, body)


def language_key(code: str) -> str:
    """Meta writes ``pt_BR``, BCP 47 ``pt-BR``: compare them as one."""
    return code.replace("_", "-").lower()


def matches_language(template_language: str, customer_language: str | None) -> bool:
    if not customer_language:
        return True
    ours, theirs = language_key(template_language), language_key(customer_language)
    return ours == theirs or ours.split("-")[0] == theirs.split("-")[0]


def to_out(row: WhatsAppTemplate) -> TemplateOut:
    return TemplateOut(
        id=str(row.id),
        inbox_id=str(row.inbox_id),
        name=row.name,
        language=row.language,
        category=row.category,
        status=row.status,
        body=row.body,
        variables=row.variables,
        components=list(row.components),
        external_id=row.external_id,
        synced_at=row.synced_at,
        updated_at=row.updated_at,
    )


async def whatsapp_inbox(session: AsyncSession, *, principal: Principal, inbox_id: uuid.UUID) -> Inbox:
    inbox = await get_inbox(session, workspace_id=principal.workspace_id, inbox_id=inbox_id)
    if inbox.channel != "whatsapp":
        raise ProblemError(409, f"inbox {inbox.id} is a {inbox.channel} inbox; templates are for WhatsApp")
    return inbox


async def list_templates(
    session: AsyncSession, *, inbox_id: uuid.UUID, status: str | None = None, language: str | None = None
) -> list[WhatsAppTemplate]:
    stmt = select(WhatsAppTemplate).where(WhatsAppTemplate.inbox_id == inbox_id)
    if status:
        stmt = stmt.where(WhatsAppTemplate.status == status)
    rows = await session.scalars(stmt.order_by(WhatsAppTemplate.name, WhatsAppTemplate.language))
    return [row for row in rows if language is None or matches_language(row.language, language)]


async def _upsert(session: AsyncSession, *, inbox: Inbox, values: dict[str, Any]) -> bool:
    """Insert or update one template; True when it was new."""
    stmt = insert(WhatsAppTemplate).values(
        id=new_id(), workspace_id=inbox.workspace_id, inbox_id=inbox.id, **values
    )
    changes: dict[str, Any] = {k: stmt.excluded[k] for k in values if k not in ("name", "language")}
    changes["updated_at"] = utcnow()
    row = await session.execute(
        stmt.on_conflict_do_update(index_elements=["inbox_id", "name", "language"], set_=changes).returning(
            WhatsAppTemplate.created_at == WhatsAppTemplate.updated_at
        )
    )
    return bool(row.scalar())


async def save_template(
    *, session: AsyncSession, principal: Principal, inbox_id: uuid.UUID, data: TemplateIn
) -> TemplateOut:
    """Record a template approved on Meta's side (admins). Same name and language: replaced."""
    inbox = await whatsapp_inbox(session, principal=principal, inbox_id=inbox_id)
    await _upsert(
        session,
        inbox=inbox,
        values={
            "name": data.name,
            "language": data.language,
            "category": data.category,
            "status": data.status,
            "body": data.body,
            "variables": count_variables(data.body),
            "components": [{"type": "BODY", "text": data.body}],
        },
    )
    await session.commit()
    row = await session.scalar(
        select(WhatsAppTemplate).where(
            WhatsAppTemplate.inbox_id == inbox.id,
            WhatsAppTemplate.name == data.name,
            WhatsAppTemplate.language == data.language,
        )
    )
    assert row is not None
    return to_out(row)


def parse_remote(item: object) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return None
    name, language = item.get("name"), item.get("language")
    components = item.get("components")
    if not isinstance(name, str) or not name or not isinstance(language, str) or not language:
        return None
    components = [c for c in components if isinstance(c, dict)] if isinstance(components, list) else []
    body = body_text(components)
    return {
        "name": name[:512],
        "language": language[:35],
        "category": str(item.get("category") or "utility").lower()[:32],
        "status": str(item.get("status") or "pending").lower()[:32],
        "body": body,
        "variables": count_variables(body),
        "components": components,
        "external_id": str(item["id"])[:64] if item.get("id") is not None else None,
    }


async def fetch_remote_templates(config: Mapping[str, Any], http: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Every template of the inbox's WhatsApp Business Account, following Meta's paging."""
    settings = load_config(config)
    if not settings.waba_id:
        raise ProblemError(422, "set the inbox's waba_id (WhatsApp Business Account id) to sync templates")
    query = urlencode({"fields": "id,name,language,status,category,components", "limit": "100"})
    url: str | None = f"{settings.base}/{settings.waba_id}/message_templates?{query}"
    origin = urlsplit(settings.base)[:2]
    found: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        if url is None:
            break
        page = await graph_get(http, url, headers=settings.auth)
        data = page.get("data")
        for item in data if isinstance(data, list) else []:
            parsed = parse_remote(item)
            if parsed is not None:
                found.append(parsed)
        paging = page.get("paging")
        following = paging.get("next") if isinstance(paging, dict) else None
        # The token goes only back to where the first page came from.
        url = following if isinstance(following, str) and urlsplit(following)[:2] == origin else None
    return found


async def sync_templates(
    *,
    session: AsyncSession,
    principal: Principal,
    inbox_id: uuid.UUID,
    http: httpx.AsyncClient | None = None,
) -> tuple[list[WhatsAppTemplate], dict[str, int]]:
    """Mirror Meta's templates into the inbox: add, update, and drop synced ones Meta no longer has."""
    inbox = await whatsapp_inbox(session, principal=principal, inbox_id=inbox_id)
    config = channel_config(inbox)
    # No transaction stays open while Meta answers.
    await session.commit()
    try:
        if http is None:
            async with httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=5.0)) as client:
                remote = await fetch_remote_templates(config, client)
        else:
            remote = await fetch_remote_templates(config, http)
    except DeliveryError as exc:
        raise ProblemError(502, f"WhatsApp did not list the templates: {exc}") from None
    now = utcnow()
    counts = {"added": 0, "updated": 0, "removed": 0}
    seen: set[tuple[str, str]] = set()
    for values in remote:
        if (values["name"], values["language"]) in seen:
            continue
        seen.add((values["name"], values["language"]))
        added = await _upsert(session, inbox=inbox, values={**values, "synced_at": now})
        counts["added" if added else "updated"] += 1
    stale = [
        row.id
        for row in await session.scalars(
            select(WhatsAppTemplate).where(
                WhatsAppTemplate.inbox_id == inbox.id, WhatsAppTemplate.external_id.is_not(None)
            )
        )
        if (row.name, row.language) not in seen
    ]
    if stale:
        await session.execute(delete(WhatsAppTemplate).where(WhatsAppTemplate.id.in_(stale)))
    counts["removed"] = len(stale)
    await session.commit()
    return await list_templates(session, inbox_id=inbox.id), counts


async def approved_in_language(
    session: AsyncSession, *, inbox_id: uuid.UUID, language: str | None
) -> list[dict[str, Any]]:
    """What the agent may send instead of a free-form reply, in the customer's language."""
    rows = await list_templates(session, inbox_id=inbox_id, status="approved", language=language)
    return [{"name": r.name, "language": r.language, "body": r.body, "variables": r.variables} for r in rows]


async def resolve_for_send(
    session: AsyncSession,
    *,
    inbox: Inbox,
    contact_id: uuid.UUID,
    name: str,
    language: str,
    variables: Sequence[str],
) -> tuple[dict[str, Any], str]:
    """The Graph ``template`` object and the text the customer will read; 422 when unusable.

    A marketing template is outreach whatever the conversation: it needs the contact's
    marketing consent for WhatsApp (409 ``Consent required`` without it, docs/privacy.md).
    """
    if inbox.channel != "whatsapp":
        raise ProblemError(422, "template: only WhatsApp inboxes send message templates")
    candidates = await list_templates(session, inbox_id=inbox.id, status="approved")
    row = next(
        (r for r in candidates if r.name == name and language_key(r.language) == language_key(language)),
        None,
    )
    if row is None:
        raise ProblemError(
            422,
            f"template: no approved template {name!r} in {language!r} for this inbox",
            errors=[{"pointer": "/template", "message": "unknown or not approved"}],
        )
    if len(variables) != row.variables:
        raise ProblemError(
            422,
            f"template: {name!r} takes {row.variables} variables, got {len(variables)}",
            errors=[{"pointer": "/template/variables", "message": f"expected {row.variables}"}],
        )
    if row.category == "marketing":
        await require_consent(session, contact_id=contact_id, purpose="marketing", channel="whatsapp")
    graph: dict[str, Any] = {"name": row.name, "language": {"code": row.language}}
    if variables:
        graph["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": value} for value in variables]}
        ]
    return graph, render(row.body, variables)
