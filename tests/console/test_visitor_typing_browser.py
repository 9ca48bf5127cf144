"""The agent sees a web chat visitor typing, in a real Chromium: the visitor types through
the widget API, and the open conversation page says "<name> is typing…" until the visitor
stops or their message arrives."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from meridian.languages.detect import warm_up
from tests.console.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, VENDOR_JS
from tests.factories import Factory
from tests.support.live_server import live_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]

SSE_OPEN = (
    "() => !!document.querySelector('[sse-connect]')['htmx-internal-data']"
    "?.sseEventSource && document.querySelector('[sse-connect]')"
    "['htmx-internal-data'].sseEventSource.readyState === 1"
)


async def test_agent_sees_the_visitor_typing(database_url: str, factory: Factory) -> None:
    from playwright.async_api import async_playwright, expect

    assert VENDOR_JS.is_file(), "run `make assets` (npm ci + scripts/build_assets.py) first"
    ARTIFACTS.mkdir(exist_ok=True)
    # Ingest detects the message's language; loading the models inside the live server's
    # thread would stall it.
    await asyncio.to_thread(warm_up)
    tenant = await factory.tenant("Typing Co")
    agent = await factory.agent(tenant, role="supervisor", name="Sam Supervisor")
    inbox_id, _ = await factory.inbox(tenant, channel="webchat", config={"allowed_origins": []})

    with live_server(database_url) as base:
        async with httpx.AsyncClient(base_url=base, timeout=20) as visitor:
            started = await visitor.post(
                f"/widget/api/{inbox_id}/sessions", json={"locale": "en", "name": "Ana Visitor"}
            )
            assert started.status_code == 201, started.text
            auth = {"Authorization": f"Bearer {started.json()['token']}"}
            first = await visitor.post(
                "/widget/api/messages",
                json={"body": "Hello, is anyone there?", "client_message_id": "typing-test-0001"},
                headers=auth,
            )
            assert first.status_code == 201, first.text
            conversation_id = first.json()["conversation_id"]

            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    page = await browser.new_page(viewport={"width": 1200, "height": 800})
                    expect.set_options(timeout=10_000)
                    await page.goto(f"{base}/login")
                    await page.get_by_label("Email").fill(agent.email)
                    await page.get_by_label("Password").fill("password123")
                    await page.get_by_role("button", name="Sign in").click()
                    await page.wait_for_url(f"{base}/")
                    await page.goto(f"{base}/conversations/{conversation_id}")
                    await page.wait_for_function(SSE_OPEN)

                    line = page.locator("#visitor-typing")
                    await expect(line).to_be_hidden()

                    async def typing(state: bool) -> None:
                        sent = await visitor.post("/widget/api/typing", json={"typing": state}, headers=auth)
                        assert sent.status_code == 204, sent.text

                    await typing(True)
                    await expect(line).to_be_visible()
                    await expect(line).to_have_text("Ana Visitor is typing…")
                    await page.screenshot(path=str(ARTIFACTS / "visitor-typing.png"))
                    # The widget's "stopped" hides it.
                    await typing(False)
                    await expect(line).to_be_hidden()
                    # So does the message they were typing, once it arrives.
                    await typing(True)
                    await expect(line).to_be_visible()
                    sent = await visitor.post(
                        "/widget/api/messages",
                        json={"body": "My order is late.", "client_message_id": "typing-test-0002"},
                        headers=auth,
                    )
                    assert sent.status_code == 201, sent.text
                    await expect(line).to_be_hidden()
                    await expect(page.get_by_text("My order is late.")).to_be_visible()
                    # A visitor who just goes quiet (a closed tab sends no "stopped"): it
                    # hides by itself after a few seconds without events.
                    await typing(True)
                    await expect(line).to_be_visible()
                    await expect(line).to_be_hidden(timeout=12_000)
                finally:
                    await browser.close()
