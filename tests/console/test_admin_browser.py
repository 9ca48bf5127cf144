"""The admin screens in a real Chromium: build a team's week and a WhatsApp inbox through
the forms, see the calendar's verdict and the webhook URL to copy, and keep screenshots."""

from __future__ import annotations

import asyncio
import re
import shutil

from meridian.agents.models import Agent
from meridian.languages.detect import warm_up
from tests.console.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DOCS_SHOTS, pytestmark
from tests.factories import Factory
from tests.support.live_server import live_server

__all__ = ["pytestmark"]


async def test_admin_builds_a_team_and_an_inbox_in_chromium(database_url: str, factory: Factory) -> None:
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(exist_ok=True)
    tenant = await factory.tenant("Follow the Sun Co")
    async with factory.db.session() as session:
        admin = await session.get(Agent, tenant.admin_id)
        assert admin is not None
        email = admin.email
    await factory.team(tenant, name="Shanghai", timezone="Asia/Shanghai", languages=["zh-Hans", "en"])

    # Load the language models first: loading them inside the live server's start-up on a
    # busy machine can outlast its start-up deadline, and this test does not need them.
    await asyncio.to_thread(warm_up)
    with live_server(database_url) as base:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1200, "height": 900})
            expect.set_options(timeout=10_000)
            await page.goto(f"{base}/login")
            await page.get_by_label("Email").fill(email)
            await page.get_by_label("Password").fill("correct horse 1")
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_url(f"{base}/")

            await page.get_by_role("link", name="Settings").click()
            await page.get_by_role("link", name="Teams").click()
            await page.get_by_role("link", name="New team").click()
            await page.get_by_label("Name").fill("Berlin")
            await page.get_by_label("Time zone").select_option("Europe/Berlin")
            await page.get_by_label("Languages", exact=True).fill("de, en")
            for day in ("Monday", "Tuesday", "Wednesday", "Thursday"):
                await page.get_by_label(day).fill("09:00-12:30, 13:30-18:00")
            # A typo is caught next to its day, and the rest of the form is kept.
            await page.get_by_label("Friday").fill("09:00-25:00")
            await page.get_by_label("Public holidays of").select_option("DE")
            await page.get_by_label("Subdivision").fill("BE")
            await page.get_by_label("Extra closed days").fill("2026-12-24, 2026-12-31")
            await page.get_by_role("button", name="Save").click()
            await expect(page.locator("#hours_fri-error")).to_be_visible()
            await expect(page.get_by_label("Monday")).to_have_value("09:00-12:30, 13:30-18:00")
            await page.get_by_label("Friday").fill("09:00-15:00, 22:00-02:00")
            await page.get_by_role("button", name="Save").click()
            await expect(page.locator(".notice")).to_be_visible()
            await expect(page.locator(".badge").first).to_be_visible()
            await page.get_by_role("link", name="Teams").first.click()
            await expect(page.locator("table")).to_contain_text("Berlin")
            await expect(page.locator("table")).to_contain_text("Shanghai")
            await page.screenshot(path=str(ARTIFACTS / "admin-teams.png"), full_page=True)

            await page.get_by_role("link", name="Inboxes").click()
            await page.get_by_label("New inbox for channel").select_option("whatsapp")
            await page.get_by_role("button", name="Continue").click()
            await page.get_by_label("Name").fill("WhatsApp Mexico")
            await page.get_by_label("Team").select_option(label="Shanghai")
            await page.get_by_label("phone_number_id").fill("1098765")
            await page.get_by_label("access_token").fill("EAAG-secret")
            await page.get_by_label("app_secret").fill("app-secret")
            await page.get_by_label("verify_token").fill("verify-me")
            await page.get_by_role("button", name="Save").click()
            callback = page.get_by_label("Webhook URL to paste at the vendor")
            await expect(callback).to_have_value(re.compile(r"/webhooks/whatsapp/[0-9a-f-]{36}$"))
            await page.get_by_role("button", name="Copy").first.click()
            await expect(page.get_by_role("button", name="Copied")).to_be_visible()
            assert "EAAG-secret" not in await page.content()
            await page.screenshot(path=str(ARTIFACTS / "admin-inbox.png"), full_page=True)
            await browser.close()

    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    for name in ("admin-teams.png", "admin-inbox.png"):
        shutil.copyfile(ARTIFACTS / name, DOCS_SHOTS / name)
