"""The multinational demo workspace that ``meridian demo`` starts with."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent, AgentTeam
from meridian.analytics.demo import seed_demo_history
from meridian.auth.passwords import hash_password
from meridian.channels.base import InboundContact, InboundMessage
from meridian.channels.ingest import ingest_message
from meridian.channels.whatsapp.models import WhatsAppTemplate
from meridian.channels.whatsapp.templates import parse_remote
from meridian.config import get_settings
from meridian.contacts.models import Contact
from meridian.core.crypto import encrypt_json
from meridian.db.engine import Database
from meridian.demo.escalation import seed_demo_sla
from meridian.demo.webchat import seed_demo_webchat
from meridian.inboxes.models import Inbox
from meridian.kb.demo import SITE_SLUG, seed_demo_kb
from meridian.messages.models import Message
from meridian.privacy.redaction import redact_for_workspace
from meridian.teams.models import Team
from meridian.translation.memory import remember_human
from meridian.workspaces.models import Workspace
from meridian.workspaces.service import create_workspace

DEMO_WORKSPACE = "Globex Worldwide (demo)"
DEMO_PASSWORD = "meridian-demo"  # noqa: S105 - printed on purpose: it is a demo
WEEKDAYS_9_TO_6 = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
DEMO_APP_SECRET = "demo-app-secret"  # noqa: S105 - the built-in vendor sandbox signs with it

TEAMS = [
    ("Berlin", "Europe/Berlin", ["de", "en", "fr"], {"country": "DE", "subdivision": "BE"}, "eu"),
    ("Shanghai", "Asia/Shanghai", ["zh-Hans", "zh-Hant", "ja", "ko", "en"], {"country": "CN"}, "cn"),
    ("Mexico City", "America/Mexico_City", ["es", "pt", "en"], {"country": "MX"}, "latam"),
]
AGENTS = [
    ("admin@demo.meridian.dev", "Alex Admin", "admin", ["en"], "en", "Europe/Berlin", None),
    ("james@demo.meridian.dev", "James Carter", "supervisor", ["en", "fr"], "en", "Europe/London", None),
    ("lena@demo.meridian.dev", "Lena Vogel", "agent", ["de", "en"], "de", "Europe/Berlin", "Berlin"),
    (
        "wei@demo.meridian.dev",
        "Wei Zhang",
        "agent",
        ["zh-Hans", "en", "ja"],
        "zh-Hans",
        "Asia/Shanghai",
        "Shanghai",
    ),
    (
        "sofia@demo.meridian.dev",
        "Sofía Ramírez",
        "agent",
        ["es", "pt", "en"],
        "es",
        "America/Mexico_City",
        "Mexico City",
    ),
    ("emma@demo.meridian.dev", "Emma Wilson", "agent", ["en"], "en", "America/Mexico_City", "Mexico City"),
]
# (inbox, sender id, name, locale, text)
CONVERSATIONS = [
    (
        "whatsapp",
        "5215512345678",
        "Mariana López",
        "es",
        "Hola, mi pedido #4821 no ha llegado todavía y ya pasaron dos semanas. ¿Me pueden ayudar?",
    ),
    (
        "whatsapp",
        "5511987654321",
        "João Pereira",
        "pt",
        "Oi! Posso trocar o tamanho do tênis que comprei ontem?",
    ),
    (
        "api",
        "cust-de-1001",
        "Jonas Becker",
        "de",
        "Guten Tag, die Rechnung für Bestellung 7730 fehlt. Können Sie sie mir bitte schicken?",
    ),
    ("api", "cust-jp-2002", "佐藤 花子", "ja", "返品したいのですが、手続きを教えてください。"),
    ("api", "cust-cn-3003", "李伟", "zh-Hans", "你好，我的订单显示已发货，但是物流信息三天没有更新了。"),
    ("api", "cust-fr-4004", "Camille Martin", "fr", "Bonjour, est-ce que vous livrez en Belgique ?"),
    ("api", "cust-ar-5005", "ليلى حسن", "ar", "مرحبا، أريد استرداد المبلغ لأن المنتج وصل تالفاً."),
    (
        "api",
        "cust-us-6006",
        "Chris Miller",
        "en",
        "Hi, I was charged twice for order 9912. Please refund one.",
    ),
]
# What the teams translated for colleagues before the demo starts (sender id -> who, English).
# Stored as human segments of the translation memory, so an agent who does not read the
# customer sees these in English even though the demo has no translation provider.
HUMAN_TRANSLATIONS = {
    "5215512345678": (
        "sofia@demo.meridian.dev",
        "Hello, my order #4821 still hasn't arrived and it's been two weeks. Can you help me?",
    ),
    "5511987654321": (
        "sofia@demo.meridian.dev",
        "Hi! Can I exchange the size of the sneakers I bought yesterday?",
    ),
    "cust-de-1001": (
        "lena@demo.meridian.dev",
        "Good afternoon, the invoice for order 7730 is missing. Could you please send it to me?",
    ),
    "cust-jp-2002": (
        "wei@demo.meridian.dev",
        "I would like to return an item. Could you tell me how to do it?",
    ),
    "cust-cn-3003": (
        "wei@demo.meridian.dev",
        "Hello, my order shows as shipped, but the tracking information hasn't been updated for three days.",
    ),
    "cust-fr-4004": ("james@demo.meridian.dev", "Hello, do you deliver to Belgium?"),
    # Nobody on the teams reads Arabic: an outside translator's work, no agent as author.
    "cust-ar-5005": (None, "Hello, I would like a refund because the product arrived damaged."),
}
# Data residency: with the demo's "eu" region (``meridian demo`` creates it in embedded
# mode) these customers' email domains place them, and their data, in the EU database.
EU_EMAILS = {"cust-de-1001": "jonas.becker@example.de", "cust-fr-4004": "camille.martin@example.fr"}
# Emma may read the home region only: EU conversations show her metadata, not content.
REGION_GRANTS = {"emma@demo.meridian.dev": ["default"]}


DEMO_WABA_ID = "100200300400599"
# The demo WhatsApp inbox's approved templates, as the sandbox's
# ``GET /{waba_id}/message_templates`` lists them (Graph API shape).
DEMO_TEMPLATES: list[dict[str, Any]] = [
    {
        "id": "900000000000001",
        "name": "order_update",
        "language": lang,
        "status": "APPROVED",
        "category": "UTILITY",
        "components": [{"type": "BODY", "text": text}],
    }
    for lang, text in (
        ("en_US", "Hi {{1}}, your order {{2}} has shipped. Reply here if you have questions."),
        ("es", "Hola {{1}}, tu pedido {{2}} ya fue enviado. Responde aquí si tienes preguntas."),
        ("pt_BR", "Olá {{1}}, seu pedido {{2}} foi enviado. Responda aqui se tiver dúvidas."),
        ("ja", "{{1}}様、ご注文{{2}}を発送しました。ご不明な点はこちらにご返信ください。"),
        ("ar", "مرحبا {{1}}، تم شحن طلبك {{2}}. رد هنا إذا كان لديك أي سؤال."),
    )
] + [
    {
        "id": "900000000000002",
        "name": "follow_up",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "components": [
            {"type": "BODY", "text": "Hi {{1}}, we have an update on your request. Reply to continue."}
        ],
    }
]


@dataclass(frozen=True)
class DemoInfo:
    workspace_id: str
    logins: list[tuple[str, str, str]]
    created: bool


def sandbox_signature(body: bytes) -> str:
    return "sha256=" + hmac.new(DEMO_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


async def seed_demo(db: Database) -> DemoInfo:
    """Create the demo workspace once; later runs reuse it."""
    logins = [(email, DEMO_PASSWORD, role) for email, _, role, *_ in AGENTS]
    async with db.session() as session:
        existing = await session.scalar(select(Workspace).where(Workspace.name == DEMO_WORKSPACE))
        if existing is not None:
            # Workspaces seeded before the demo had web chat get it now.
            await seed_demo_webchat(session, workspace_id=existing.id)
            await session.commit()
            await seed_demo_kb(db, existing.id)
            return DemoInfo(str(existing.id), logins, created=False)
        workspace = await create_workspace(
            session,
            name=DEMO_WORKSPACE,
            default_locale="en",
            settings={},
            languages=["en", "es", "pt", "de", "fr", "ja", "zh-Hans", "zh-Hant", "ko", "ar"],
        )
        teams: dict[str, Team] = {}
        for name, tz, languages, holidays, region in TEAMS:
            team = Team(
                workspace_id=workspace.id,
                name=name,
                timezone=tz,
                languages=languages,
                business_hours=WEEKDAYS_9_TO_6,
                holidays=holidays,
                region=region,
            )
            session.add(team)
            teams[name] = team
        await session.flush()
        password_hash = hash_password(DEMO_PASSWORD)
        supervisors: list[uuid.UUID] = []
        agent_ids: dict[str, uuid.UUID] = {}
        for email, name, role, languages, locale, tz, team_name in AGENTS:
            agent = Agent(
                workspace_id=workspace.id,
                email=email,
                name=name,
                password_hash=password_hash,
                role=role,
                languages=languages,
                locale=locale,
                timezone=tz,
                skills=[],
                max_concurrent=8,
                # A fresh demo has nobody signed in but the person trying it: routing
                # queues the customers' conversations in Unassigned (with the "we'll
                # answer by" notice when the team is closed) until an agent goes online.
                availability="offline",
                regions=REGION_GRANTS.get(email),
            )
            session.add(agent)
            await session.flush()
            agent_ids[email] = agent.id
            if team_name:
                session.add(AgentTeam(agent_id=agent.id, team_id=teams[team_name].id))
            if role == "supervisor":
                supervisors.append(agent.id)
        # Before the conversations below arrive, so their SLA clocks start.
        await seed_demo_sla(session, workspace_id=workspace.id, supervisor_ids=supervisors)
        base = get_settings().public_url.rstrip("/")
        whatsapp = Inbox(
            workspace_id=workspace.id,
            name="WhatsApp Global",
            channel="whatsapp",
            team_id=None,
            bot_mode="off",
            config={
                "phone_number_id": "100200300400500",
                "waba_id": DEMO_WABA_ID,
                "api_base_url": f"{base}/demo/vendor/graph",
            },
            secrets_encrypted=encrypt_json(
                {"access_token": "demo-token", "app_secret": DEMO_APP_SECRET, "verify_token": "demo-verify"}
            ),
            state={},
        )
        api = Inbox(
            workspace_id=workspace.id,
            name="Web shop (API)",
            channel="api",
            team_id=None,
            bot_mode="off",
            config={},
            secrets_encrypted=None,
            state={},
        )
        session.add_all([whatsapp, api])
        await session.flush()
        await seed_demo_webchat(session, workspace_id=workspace.id)
        for item in DEMO_TEMPLATES:
            values = parse_remote(item)
            assert values is not None
            session.add(WhatsAppTemplate(workspace_id=workspace.id, inbox_id=whatsapp.id, **values))
        inboxes = {"whatsapp": whatsapp, "api": api}
        for index, (kind, sender, name, locale, text) in enumerate(CONVERSATIONS):
            ingested = await ingest_message(
                session,
                inbox=inboxes[kind],
                msg=InboundMessage(
                    external_id=f"demo-{index}",
                    contact=InboundContact(
                        identifier=sender,
                        name=name,
                        locale=locale,
                        phone=f"+{sender}" if kind == "whatsapp" else None,
                        email=EU_EMAILS.get(sender),
                    ),
                    body=text,
                ),
            )
            if sender in HUMAN_TRANSLATIONS:
                author, english = HUMAN_TRANSLATIONS[sender]
                await _remember_translation(
                    session,
                    message_id=ingested.message_id,
                    text=text,
                    locale=locale,
                    english=english,
                    author_agent_id=agent_ids[author] if author else None,
                )
        await session.commit()
        await seed_demo_kb(db, workspace.id)
        await seed_demo_history(db, workspace.id)
        return DemoInfo(str(workspace.id), logins, created=True)


async def _remember_translation(
    session: AsyncSession,
    *,
    message_id: uuid.UUID,
    text: str,
    locale: str,
    english: str,
    author_agent_id: uuid.UUID | None,
) -> None:
    """A person's English for a seeded message, keyed as the incoming pipeline looks it up."""
    message = await session.get(Message, message_id)
    assert message is not None
    contact = await session.get(Contact, message.contact_id)
    assert contact is not None
    # The memory is keyed by the redacted text, as translating looks it up (engine.py).
    redacted = (await redact_for_workspace(session, workspace_id=message.workspace_id, text=text)).text
    # Linked to the contact, so erasing the customer forgets it; a contact in a region with
    # its own database contributes nothing at home (memory.remember).
    await remember_human(
        session,
        workspace_id=message.workspace_id,
        # The detected language is what lookups use; the contact's locale if none was.
        source=message.language or locale,
        # The demo workspace's agent language (its default locale).
        target="en",
        source_text=redacted,
        target_text=english,
        contact_id=contact.id,
        region=contact.region,
        author_agent_id=author_agent_id,
    )


def print_demo_banner(info: DemoInfo, *, base_url: str) -> None:
    lines = [
        "",
        "Meridian demo is starting" + (" (new workspace seeded)" if info.created else ""),
        f"  Console:   {base_url}/",
        f"  API docs:  {base_url}/api/docs",
        f"  Help:      {base_url}/help/{SITE_SLUG}",
        f"  Web chat:  {base_url}/demo/widget  (a shop page with the chat widget: write as a visitor)",
        f"  Health:    {base_url}/readyz",
        "  Sign in with any of (password for all: " + DEMO_PASSWORD + "):",
        *[f"    {email:<28} {role}" for email, _, role in info.logins],
        "",
    ]
    print("\n".join(lines), flush=True)
