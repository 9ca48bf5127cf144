"""Custom roles in a real Chromium: an admin makes a role on the Roles screen, gives it
to an agent on the agent page, and the agent then sees the screen it opens and is
refused one it does not."""

from __future__ import annotations

import asyncio

from meridian.agents.models import Agent
from meridian.languages.detect import warm_up
from tests.console.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, pytestmark
from tests.factories import Factory
from tests.support.live_server import live_server

__all__ = ["pytestmark"]


async def test_admin_makes_a_role_and_the_agent_sees_only_what_it_opens(
    database_url: str, factory: Factory
) -> None:
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(exist_ok=True)
    tenant = await factory.tenant("Role Play Co")
    async with factory.db.session() as session:
        admin = await session.get(Agent, tenant.admin_id)
        assert admin is not None
        admin_email = admin.email
    await factory.team(tenant, name="Berlin")
    writer = await factory.agent(tenant, name="Wanda Writer")

    await asyncio.to_thread(warm_up)
    with live_server(database_url) as base:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1200, "height": 900})
            expect.set_options(timeout=10_000)

            async def sign_in(email: str, password: str) -> None:
                await page.goto(f"{base}/login")
                await page.get_by_label("Email").fill(email)
                await page.get_by_label("Password").fill(password)
                await page.get_by_role("button", name="Sign in").click()
                await page.wait_for_url(f"{base}/")

            await sign_in(admin_email, "correct horse 1")
            await page.get_by_role("link", name="Settings").click()
            await page.get_by_role("link", name="Roles").click()
            await page.get_by_role("link", name="New role").click()
            await page.get_by_label("Name", exact=True).fill("Canned writers")
            await page.get_by_label("Create and edit canned responses").check()
            await page.get_by_label("Open the console's settings and privacy screens").check()
            await page.get_by_label("Only these teams").select_option(label="Berlin")
            await page.get_by_role("button", name="Save").click()
            await expect(page.locator(".notice")).to_be_visible()
            await expect(page.get_by_label("Create and edit canned responses")).to_be_checked()
            await page.screenshot(path=str(ARTIFACTS / "admin-role.png"), full_page=True)

            await page.get_by_role("link", name="Agents").first.click()
            await page.get_by_role("link", name="Wanda Writer").click()
            await page.get_by_label("Custom role").select_option(label="Canned writers")
            await page.get_by_role("button", name="Save role").click()
            await expect(page.locator(".notice")).to_be_visible()
            await expect(page.get_by_label("Custom role").locator("option:checked")).to_have_text(
                "Canned writers"
            )
            await page.get_by_role("link", name="Roles").click()
            await expect(page.locator("table")).to_contain_text("Canned writers")
            await page.get_by_role("button", name="Sign out").click()

            await sign_in(writer.email, "password123")
            await page.get_by_role("link", name="Settings").click()
            await page.wait_for_url(f"{base}/admin/canned")
            nav = page.locator("nav.admin-nav")
            await expect(nav.get_by_role("link", name="Canned responses")).to_be_visible()
            await expect(nav.get_by_role("link", name="Teams")).to_have_count(0)
            await expect(page.get_by_role("link", name="Privacy")).to_have_count(0)
            denied = await page.goto(f"{base}/admin/teams")
            assert denied is not None and denied.status == 403
            await expect(page.locator("main")).to_contain_text(
                "Your role does not give you access to this page."
            )
            await browser.close()
