"""The agent's core path in a real Chromium against a real server with workers running:
sign in, see a new conversation arrive live, filter and sort the inbox, open it by keyboard,
answer with the keyboard and the "/" canned-response picker, watch the delivery status go
from queued to sent, and switch the console to Arabic (RTL)."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from tests.factories import Factory
from tests.support.live_server import live_server
from tests.support.vendor_server import ScriptedResponse, vendor_server

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
VENDOR_JS = ROOT / "src" / "meridian" / "console" / "static" / "vendor" / "htmx.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]


async def test_agent_core_path_in_chromium(database_url: str, factory: Factory) -> None:
    from playwright.async_api import async_playwright, expect

    # Without the vendored htmx the page is static: a missing `make assets`, not a console bug.
    assert VENDOR_JS.is_file(), "run `make assets` (npm ci + scripts/build_assets.py) first"
    ARTIFACTS.mkdir(exist_ok=True)
    tenant = await factory.tenant("Browser Co")
    agent = await factory.agent(tenant, name="Ana Silva", timezone="America/Sao_Paulo")

    with vendor_server() as vendor, live_server(database_url, run_workers=True) as base:
        # The first delivery answers late, so the agent sees "queued" before "sent".
        vendor.script("/hooks", ScriptedResponse(200, {}, delay=1.5))
        vendor.respond("/hooks", lambda _request: ScriptedResponse(200, {}))
        inbox_id, _ = await factory.inbox(tenant, config={"webhook_url": f"{vendor.url}/hooks"})
        async with httpx.AsyncClient(base_url=base, headers=tenant.headers) as api:
            canned = await api.post(
                "/api/v1/canned-responses",
                json={
                    "shortcut": "pedido",
                    "title": "Order check",
                    "variants": {
                        "en": "Hi {{ contact.first_name }}, I am checking your order now.",
                        "es": "¡Hola {{ contact.first_name }}! Ya estoy revisando tu pedido.",
                    },
                },
            )
            assert canned.status_code == 201, canned.text

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1200, "height": 800})
            expect.set_options(timeout=10_000)

            await page.goto(f"{base}/login")
            await page.get_by_label("Email").fill(agent.email)
            await page.get_by_label("Password").fill("password123")
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_url(f"{base}/")
            await page.goto(f"{base}/?view=unassigned")
            await expect(page.locator(".empty")).to_be_visible()
            # Wait for the event stream before the customer writes, so the update is live.
            await page.wait_for_function(
                "() => !!document.querySelector('[sse-connect]')['htmx-internal-data']"
                "?.sseEventSource && document.querySelector('[sse-connect]')"
                "['htmx-internal-data'].sseEventSource.readyState === 1"
            )

            async with httpx.AsyncClient(base_url=base, headers=tenant.headers) as api:
                sent = await api.post(
                    f"/api/v1/inboxes/{inbox_id}/incoming",
                    json={
                        "contact": {"identifier": "lucia-1", "name": "Lucía Pérez", "locale": "es"},
                        "body": "Hola, mi pedido no ha llegado todavía.",
                    },
                )
                assert sent.status_code == 202, sent.text

            item = page.locator(".conversations a", has_text="Lucía Pérez")
            await expect(item).to_be_visible()
            await expect(page.locator('[data-view-count="unassigned"]')).to_have_text("1")

            # Filters narrow the list (and its counts); sorting by SLA due time keeps it.
            await page.get_by_label("Priority").select_option("urgent")
            await page.get_by_role("button", name="Filter").click()
            await expect(page.locator(".empty")).to_be_visible()
            await expect(page.locator('[data-view-count="unassigned"]')).to_have_text("0")
            await page.get_by_label("Priority").select_option("")
            await page.get_by_label("Channel").select_option("api")
            await page.get_by_label("Sort by").select_option("sla_due")
            await page.get_by_role("button", name="Filter").click()
            await page.wait_for_url("**sort=sla_due**")
            await expect(item).to_be_visible()
            await page.screenshot(path=str(ARTIFACTS / "console-inbox.png"), full_page=True)

            await page.keyboard.press("?")
            await expect(page.locator("#shortcuts")).to_be_visible()
            await page.keyboard.press("Escape")
            await expect(page.locator("#shortcuts")).to_be_hidden()
            await page.keyboard.press("j")
            await expect(item).to_be_focused()
            await page.keyboard.press("Enter")
            await page.wait_for_url(f"{base}/conversations/*")
            await expect(page.locator(".message-incoming")).to_contain_text("mi pedido no ha llegado")

            # "r" opens the reply; "/pedi" finds the canned response in the customer's Spanish.
            await page.keyboard.press("r")
            composer = page.get_by_label("Message", exact=True)
            await expect(composer).to_be_focused()
            await composer.press_sequentially("/pedi")
            await expect(page.locator(".canned-option")).to_contain_text("/pedido")
            await page.keyboard.press("Enter")
            await expect(composer).to_have_value("¡Hola Lucía! Ya estoy revisando tu pedido.")
            await page.keyboard.press("Control+Enter")
            reply = page.locator(".message-outgoing", has_text="Ya estoy revisando tu pedido")
            await expect(reply.locator("[data-delivery-status]")).to_have_attribute(
                "data-delivery-status", "queued"
            )
            await expect(reply.locator("[data-delivery-status]")).to_have_attribute(
                "data-delivery-status", "sent"
            )
            await expect(page.get_by_label("Message", exact=True)).to_have_value("")
            await page.screenshot(path=str(ARTIFACTS / "console-conversation.png"), full_page=True)
            assert len(vendor.requests_to("/hooks")) == 1

            await page.goto(f"{base}/profile")
            await page.get_by_label("Interface language").select_option("ar")
            await page.get_by_role("button", name="Save").click()
            await expect(page.locator("html")).to_have_attribute("dir", "rtl")
            await expect(page.locator("html")).to_have_attribute("lang", "ar")
            await page.screenshot(path=str(ARTIFACTS / "console-profile-ar.png"), full_page=True)
            await browser.close()

    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    for name in ("console-inbox.png", "console-conversation.png"):
        shutil.copyfile(ARTIFACTS / name, DOCS_SHOTS / name)
