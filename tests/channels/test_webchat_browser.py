"""The widget in a real browser: Debian's Chromium driven by Playwright, a shop page on
one origin embedding the snippet, Meridian (with its workers) on another."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect

from meridian.languages.detect import warm_up
from tests.factories import Factory
from tests.support.live_server import live_server

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


async def _conversation_id(http: httpx.AsyncClient, inbox_id: str, headers: dict[str, str]) -> str:
    for _ in range(100):
        listed = await http.get("/api/v1/conversations", params={"inbox_id": inbox_id}, headers=headers)
        items = listed.json()["items"]
        if items:
            return str(items[0]["id"])
        await asyncio.sleep(0.1)
    raise AssertionError("the visitor's message never arrived")


async def _reply_status(http: httpx.AsyncClient, conversation_id: str, headers: dict[str, str]) -> str:
    for _ in range(100):
        items = (await http.get(f"/api/v1/conversations/{conversation_id}/messages", headers=headers)).json()[
            "items"
        ]
        outgoing = [m for m in items if m["direction"] == "outgoing"]
        if outgoing and outgoing[0]["delivery_status"] != "queued":
            return str(outgoing[0]["delivery_status"])
        await asyncio.sleep(0.1)
    return "queued"


@pytest.fixture
async def language_models() -> None:
    # Inbound messages have their language detected; loading the models inside the
    # live server's thread would stall its start-up.
    await asyncio.to_thread(warm_up)


async def _panel_hidden(page: Page) -> bool:
    return bool(
        await page.evaluate(
            "document.getElementById('meridian-chat').shadowRoot.getElementById('mc-panel').hidden"
        )
    )


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium package is not installed")
async def test_visitor_sends_and_sees_the_agent_reply_live(
    database_url: str, factory: Factory, language_models: None
) -> None:
    tenant = await factory.tenant()
    with live_server(database_url, run_workers=True) as base:
        async with httpx.AsyncClient(base_url=base, timeout=20) as http:
            # The page's origin is known only once it serves, so the inbox (which must
            # list that origin) is created afterwards and its snippet filled in then.
            html_holder: dict[str, str] = {}
            with shop_page(html_holder) as shop:
                created = await http.post(
                    "/api/v1/inboxes",
                    json={
                        "name": "Shop chat",
                        "channel": "webchat",
                        "config": {"allowed_origins": [shop], "reply_time": "minutes"},
                    },
                    headers=tenant.headers,
                )
                assert created.status_code == 201, created.text
                inbox = created.json()
                html_holder["snippet"] = inbox["embed_snippet"].replace("http://testserver", base)
                async with async_playwright() as pw:
                    browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                    try:
                        await _visit(browser, shop, http, inbox["id"], tenant.headers)
                        await _visit_in_arabic(browser, shop)
                    finally:
                        await browser.close()


async def _visit(
    browser: Any, shop: str, http: httpx.AsyncClient, inbox_id: str, headers: dict[str, str]
) -> None:
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await page.goto(shop)
    launcher = page.get_by_role("button", name="Chat with us")
    await launcher.click()
    await expect(page.get_by_text("We usually reply in a few minutes")).to_be_visible()
    box = page.get_by_role("textbox", name="Message")
    await expect(box).to_be_focused()
    await box.fill("Hello, where is my order?")
    await box.press("Enter")

    conversation_id = await _conversation_id(http, inbox_id, headers)
    note = await http.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"body": "internal: check the warehouse", "private": True},
        headers=headers,
    )
    assert note.status_code == 201
    reply = await http.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"body": "It ships today!"},
        headers=headers,
    )
    assert reply.status_code == 201
    await expect(page.get_by_text("It ships today!")).to_be_visible(timeout=10_000)
    assert await page.get_by_text("internal: check the warehouse").count() == 0
    # The outbox relay ran the no-op send and marked the reply sent.
    assert await _reply_status(http, conversation_id, headers) == "sent"

    # Escape closes the chat and gives focus back to the launcher.
    await page.keyboard.press("Escape")
    assert await _panel_hidden(page)
    await expect(launcher).to_be_focused()

    # Next page load: same visitor, same conversation, history shown again.
    await launcher.click()
    await page.reload()
    await expect(page.get_by_text("It ships today!")).to_be_visible(timeout=10_000)
    await expect(page.get_by_text("Hello, where is my order?")).to_be_visible()
    await page.get_by_role("textbox", name="Message").fill("Thanks!")
    await page.get_by_role("textbox", name="Message").press("Enter")
    for _ in range(100):
        items = (await http.get(f"/api/v1/conversations/{conversation_id}/messages", headers=headers)).json()[
            "items"
        ]
        if any(m["body"] == "Thanks!" for m in items):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the second message did not reach the same conversation")
    await context.close()


async def _visit_in_arabic(browser: Any, shop: str) -> None:
    context = await browser.new_context(locale="ar-EG")
    page = await context.new_page()
    await page.goto(shop)
    await page.get_by_role("button", name="تحدث معنا").click()
    direction = await page.evaluate(
        "document.getElementById('meridian-chat').shadowRoot.getElementById('mc-panel').dir"
    )
    assert direction == "rtl"
    await context.close()


@contextmanager
def shop_page(holder: dict[str, str]) -> Iterator[str]:
    """A customer's site on its own origin, with nothing on it but the embed snippet."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = (
                "<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1>"
                f"{holder.get('snippet', '')}</body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
