"""The widget in a real browser: Debian's Chromium driven by Playwright, a shop page on
one origin embedding the snippet, Meridian (with its workers) on another."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.dates import format_date
from playwright.async_api import FilePayload, Page, async_playwright, expect

from meridian.console.presence import ping
from meridian.languages.detect import warm_up
from tests.channels.webchat_support import PDF, attach_to_message, png
from tests.factories import Factory, Tenant
from tests.support.live_server import live_server

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
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


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium package is not installed")
async def test_visitor_offline_prechat_files_and_agent_typing(
    database_url: str, factory: Factory, language_models: None
) -> None:
    """A German visitor in São Paulo, a Tokyo team closed today and tomorrow: the widget
    says when it answers in German and São Paulo time, takes the pre-chat form, sends a
    photo, shows the agent typing, then the agent's image and PDF."""
    tenant = await factory.tenant()
    tokyo = ZoneInfo("Asia/Tokyo")
    today = datetime.now(tokyo).date()
    with live_server(database_url) as base:
        async with httpx.AsyncClient(base_url=base, timeout=20) as http:
            team = await http.post(
                "/api/v1/teams",
                json={
                    "name": "Tokyo",
                    "timezone": "Asia/Tokyo",
                    "holidays": {"closed": [str(today), str(today + timedelta(days=1))]},
                },
                headers=tenant.headers,
            )
            assert team.status_code == 201, team.text
            html_holder: dict[str, str] = {}
            with shop_page(html_holder) as shop:
                created = await http.post(
                    "/api/v1/inboxes",
                    json={
                        "name": "Shop chat",
                        "channel": "webchat",
                        "team_id": team.json()["id"],
                        "config": {"allowed_origins": [shop], "prechat_form": True},
                    },
                    headers=tenant.headers,
                )
                assert created.status_code == 201, created.text
                inbox = created.json()
                html_holder["snippet"] = inbox["embed_snippet"].replace("http://testserver", base)
                async with async_playwright() as pw:
                    browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                    try:
                        context = await browser.new_context(locale="de-DE", timezone_id="America/Sao_Paulo")
                        page = await context.new_page()
                        await page.goto(shop)
                        await _offline_prechat_and_files(page, http, factory, tenant, inbox["id"], today)
                    finally:
                        await browser.close()


async def _offline_prechat_and_files(
    page: Page, http: httpx.AsyncClient, factory: Factory, tenant: Tenant, inbox_id: str, today: Any
) -> None:
    await page.get_by_role("button", name="Chatten Sie mit uns").click()
    # Tokyo opens at midnight after tomorrow: noon the day before in São Paulo.
    opening = datetime.combine(today + timedelta(days=2), time(0), ZoneInfo("Asia/Tokyo"))
    local = opening.astimezone(ZoneInfo("America/Sao_Paulo"))
    notice = page.get_by_text("Wir sind gerade offline – wir antworten bis")
    await expect(notice).to_be_visible()
    text = await notice.inner_text()
    assert format_date(local.date(), "EEEE", locale="de") in text and f"{local:%H:%M}" in text, text
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "webchat-offline-prechat.png"))

    # The pre-chat form comes first; consent is required.
    await page.get_by_role("textbox", name="Name").fill("Jonas Weber")
    await page.get_by_role("textbox", name="E-Mail").fill("jonas@example.com")
    await page.get_by_role("checkbox").check()
    await page.get_by_role("button", name="Chat starten").click()
    box = page.get_by_role("textbox", name="Nachricht")
    await expect(box).to_be_visible()

    # A photo with a caption.
    await box.fill("Das Paket ist beschädigt")
    await page.locator("#meridian-chat input[type=file]").set_input_files(
        files=[FilePayload(name="paket.png", mimeType="image/png", buffer=png(8, 8))]
    )
    await expect(page.get_by_role("img", name="paket.png")).to_be_visible()
    conversation_id = await _conversation_id(http, inbox_id, tenant.headers)
    for _ in range(100):
        items = (
            await http.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
        ).json()["items"]
        if items and items[0]["attachments"]:
            break
        await asyncio.sleep(0.1)
    assert items[0]["body"] == "Das Paket ist beschädigt"
    assert [a["filename"] for a in items[0]["attachments"]] == ["paket.png"]
    conversation = (await http.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)).json()
    assert conversation["contact"]["name"] == "Jonas Weber"

    # The agent types (the console's presence ping), then answers with two files.
    async with factory.db.session() as session:
        await ping(
            session, principal=tenant.principal, conversation_id=uuid.UUID(conversation_id), state="typing"
        )
    typing = page.get_by_text("Ein Mitarbeiter schreibt…")
    await expect(typing).to_be_visible(timeout=10_000)
    reply = await http.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"body": "Bitte senden Sie uns dieses Formular"},
        headers=tenant.headers,
    )
    assert reply.status_code == 201
    await expect(page.get_by_text("Bitte senden Sie uns dieses Formular")).to_be_visible(timeout=10_000)
    await expect(typing).to_be_hidden()
    await attach_to_message(
        factory, reply.json()["id"], filename="formular.pdf", content_type="application/pdf", data=PDF
    )
    await attach_to_message(
        factory, reply.json()["id"], filename="beispiel.png", content_type="image/png", data=png(6, 6)
    )
    image = page.get_by_role("img", name="beispiel.png")
    await expect(image).to_be_visible(timeout=10_000)
    # Fetched with the visitor token and really decoded by the browser.
    await page.wait_for_function(
        "document.getElementById('meridian-chat').shadowRoot"
        ".querySelector('img[alt=\"beispiel.png\"]')?.naturalWidth === 6",
        timeout=10_000,
    )
    link = page.get_by_role("link", name="formular.pdf")
    async with page.expect_download() as download_info:
        await link.click()
    download = await download_info.value
    assert download.suggested_filename == "formular.pdf"
    saved = await download.path()
    assert await asyncio.to_thread(Path(saved).read_bytes) == PDF
    await page.screenshot(path=str(ARTIFACTS / "webchat-files.png"))

    # After a reload the thread comes back with its files.
    await page.reload()
    await expect(page.get_by_role("img", name="beispiel.png")).to_be_visible(timeout=10_000)
    await expect(page.get_by_role("img", name="paket.png")).to_be_visible()
    await expect(page.get_by_role("link", name="formular.pdf")).to_be_visible()


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
