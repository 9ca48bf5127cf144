"""Issue 4's "done when" on the demo itself, in a real Chromium: sign in with the demo's
credentials, find the unassigned Spanish WhatsApp conversation, read it in English, answer
it, and watch the answer's status change as the demo's WhatsApp sandbox reports receipts."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest

from meridian.config import get_settings
from meridian.db.engine import Database
from meridian.demo.seed import DEMO_PASSWORD, HUMAN_TRANSLATIONS, seed_demo
from tests.console.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, VENDOR_JS
from tests.support.live_server import live_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]

MARIANA = "5215512345678"


async def test_demo_spanish_whatsapp_read_in_english_and_answered(database_url: str, db: Database) -> None:
    from playwright.async_api import async_playwright, expect

    assert VENDOR_JS.is_file(), "run `make assets` (npm ci + scripts/build_assets.py) first"
    ARTIFACTS.mkdir(exist_ok=True)
    settings = get_settings()
    public_url = settings.public_url
    with live_server(database_url, run_workers=True, demo=True) as base:
        # As `meridian demo` does: the WhatsApp inbox sends to, and the sandbox's receipts
        # come back to, this very server.
        settings.public_url = base
        try:
            info = await seed_demo(db)
            assert info.created
            english = HUMAN_TRANSLATIONS[MARIANA][1]
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                page = await browser.new_page(viewport={"width": 1200, "height": 800})
                expect.set_options(timeout=20_000)

                await page.goto(f"{base}/login")
                await page.get_by_label("Email").fill("admin@demo.meridian.dev")
                await page.get_by_label("Password").fill(DEMO_PASSWORD)
                await page.get_by_role("button", name="Sign in").click()
                await page.wait_for_url(f"{base}/")

                # Routing runs in the server's workers; nobody is online, so it waits.
                await page.get_by_role("link", name=re.compile(r"^\s*Unassigned")).click()
                await page.wait_for_url("**view=unassigned**")
                item = page.locator(".conversations a", has_text="Mariana López")
                await expect(item).to_be_visible()
                await item.click()
                await page.wait_for_url(f"{base}/conversations/*")

                question = page.locator(".message-incoming", has_text="mi pedido #4821")
                await expect(question).to_be_visible()
                await expect(question.locator(".translation")).to_contain_text(english)
                await expect(question.locator(".translation")).to_contain_text(
                    "Human translation, from memory"
                )

                composer = page.get_by_label("Message", exact=True)
                await composer.fill(
                    "Hola Mariana, ya estoy revisando el pedido #4821. Te escribo en una hora."
                )
                await page.get_by_role("button", name="Send reply").click()
                reply = page.locator(".message-outgoing", has_text="ya estoy revisando el pedido #4821")
                status = reply.locator("[data-delivery-status]")
                await expect(status).to_be_visible()
                # queued -> sent -> delivered -> read, each reported live by the sandbox.
                await expect(status).to_have_attribute(
                    "data-delivery-status", re.compile(r"^(queued|sent|delivered)$")
                )
                await expect(status).to_have_attribute("data-delivery-status", "read")
                await page.screenshot(path=str(ARTIFACTS / "demo-spanish-whatsapp.png"), full_page=True)
                await browser.close()
        finally:
            settings.public_url = public_url


async def test_demo_web_chat_page_reaches_the_inbox(database_url: str, db: Database) -> None:
    """The demo's shop page loads the widget (under its own CSP) and a visitor's message
    from it lands in the demo's "Website chat" inbox, where the admin reads it."""
    from playwright.async_api import async_playwright, expect
    from sqlalchemy import select

    from meridian.conversations.models import Conversation
    from meridian.core.clock import utcnow
    from meridian.demo.webchat import webchat_inbox

    assert VENDOR_JS.is_file(), "run `make assets` (npm ci + scripts/build_assets.py) first"
    ARTIFACTS.mkdir(exist_ok=True)
    settings = get_settings()
    public_url = settings.public_url
    with live_server(database_url, demo=True) as base:
        settings.public_url = base
        try:
            info = await seed_demo(db)
            async with db.session() as session:
                inbox = await webchat_inbox(session, workspace_id=uuid.UUID(info.workspace_id))
            assert inbox is not None
            # This run's origin is listed (an earlier run in this database had another port).
            assert base in inbox.config["allowed_origins"]
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                context = await browser.new_context(locale="en-US")
                page = await context.new_page()
                refused: list[str] = []
                page.on(
                    "console",
                    lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
                )
                expect.set_options(timeout=20_000)

                await page.goto(f"{base}/demo/widget")
                await page.get_by_role("button", name="Chat with us").click()
                await expect(page.get_by_text("Hi! Ask us anything about your order.")).to_be_visible()
                box = page.get_by_role("textbox", name="Message")
                # The demo's history (analytics) has older web chat conversations too.
                sent_at = utcnow()
                await box.fill("Hello from the demo shop page!")
                await box.press("Enter")

                conversation_id = None
                for _ in range(100):
                    async with db.session() as session:
                        conversation_id = await session.scalar(
                            select(Conversation.id).where(
                                Conversation.inbox_id == inbox.id, Conversation.created_at >= sent_at
                            )
                        )
                    if conversation_id is not None:
                        break
                    await asyncio.sleep(0.1)
                assert conversation_id is not None, "the visitor's message never reached the inbox"
                await page.screenshot(path=str(ARTIFACTS / "demo-web-chat.png"))
                assert not refused, refused

                console = await context.new_page()
                await console.goto(f"{base}/login")
                await console.get_by_label("Email").fill("admin@demo.meridian.dev")
                await console.get_by_label("Password").fill(DEMO_PASSWORD)
                await console.get_by_role("button", name="Sign in").click()
                await console.wait_for_url(f"{base}/")
                await console.goto(f"{base}/conversations/{conversation_id}")
                await expect(
                    console.locator(".message-incoming", has_text="Hello from the demo shop page!")
                ).to_be_visible()
                await browser.close()
        finally:
            settings.public_url = public_url
