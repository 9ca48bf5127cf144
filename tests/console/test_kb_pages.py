"""The knowledge-base editor in the console: list, edit, review, versions, drafts from replies."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from meridian.console.render import environment
from tests.console.helpers import incoming, sign_in
from tests.factories import Factory, Tenant
from tests.kb.test_assets import png
from tests.support.live_server import live_server

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DOCS_SHOTS = ROOT / "docs" / "screenshots"


async def _article(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/kb/articles", headers=tenant.headers, json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def _api(client: httpx.AsyncClient, tenant: Tenant, article_id: str) -> dict[str, Any]:
    data: dict[str, Any] = (
        await client.get(f"/api/v1/kb/articles/{article_id}", headers=tenant.headers)
    ).json()
    return data


def _article_id(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/kb/articles/([0-9a-f-]{36})\?notice=saved", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


async def test_agent_drafts_and_submits_an_admin_approves(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, name="Ana")
    csrf = await sign_in(client, agent.email)
    page = await client.get("/kb")
    assert page.status_code == 200 and 'href="/kb/new"' in page.text

    created = await client.post(
        "/kb/new",
        data={
            "csrf_token": csrf,
            "title": "Returns in the EU",
            "body": "You have **14 days** to return.",
            "locale": "en",
            "action": "submit",
        },
    )
    article_id = _article_id(created)
    api = await _api(client, tenant, article_id)
    assert (api["status"], api["title"], api["author_id"]) == (
        "in_review",
        "Returns in the EU",
        str(agent.id),
    )

    # An agent cannot publish, even by posting the button the page does not show them.
    editor = await client.get(f"/kb/articles/{article_id}")
    assert editor.status_code == 200 and 'value="approve"' not in editor.text
    assert "<strong>14 days</strong>" in editor.text, "the preview is rendered server-side"
    refused = await client.post(
        f"/kb/articles/{article_id}",
        data={"csrf_token": csrf, "title": "Returns in the EU", "body": api["body"], "action": "approve"},
    )
    assert refused.status_code == 403
    assert (await _api(client, tenant, article_id))["status"] == "in_review"

    client.cookies.clear()
    admin = await factory.agent(tenant, role="admin")
    csrf = await sign_in(client, admin.email)
    editor = await client.get(f"/kb/articles/{article_id}")
    assert 'value="approve"' in editor.text and 'value="reject"' in editor.text
    approved = await client.post(
        f"/kb/articles/{article_id}",
        data={
            "csrf_token": csrf,
            "title": "Returns in the EU",
            "body": "You have **30 days** to return.",
            "action": "approve",
        },
    )
    assert _article_id(approved) == article_id
    api = await _api(client, tenant, article_id)
    assert (api["status"], api["version"], api["reviewer_id"]) == ("published", 2, str(admin.id))

    diff = await client.get(f"/kb/articles/{article_id}/versions/2")
    assert diff.status_code == 200
    assert 'class="diff-del">-You have **14 days** to return.' in diff.text
    assert 'class="diff-add">+You have **30 days** to return.' in diff.text
    listing = await client.get("/kb?status=published")
    assert "Returns in the EU" in listing.text
    assert "Returns in the EU" not in (await client.get("/kb?status=draft")).text


async def test_bad_input_shows_an_error_and_changes_nothing(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    article = await _article(client, tenant, title="Shipping", body="We ship worldwide.", locale="en")
    agent = await factory.agent(tenant)
    csrf = await sign_in(client, agent.email)

    empty = await client.post("/kb/new", data={"csrf_token": csrf, "title": "  ", "body": "x"})
    assert empty.status_code == 422 and 'role="alert"' in empty.text
    unknown = await client.post(
        "/kb/new", data={"csrf_token": csrf, "title": "Sizes", "body": "x", "category": "nope"}
    )
    assert unknown.status_code == 422 and "nope" in unknown.text
    assert 'value="Sizes"' in unknown.text, "what was typed is kept"
    listed = (await client.get("/api/v1/kb/articles", headers=tenant.headers)).json()["items"]
    assert [a["title"] for a in listed] == ["Shipping"]

    bad_slug = await client.post(
        f"/kb/articles/{article['id']}",
        data={"csrf_token": csrf, "title": "Shipping v2", "body": "Changed", "slug": "no spaces!"},
    )
    assert bad_slug.status_code == 422
    api = await _api(client, tenant, article["id"])
    assert (api["title"], api["body"], api["version"]) == ("Shipping", "We ship worldwide.", 1)
    forged = await client.post(
        f"/kb/articles/{article['id']}", data={"title": "Hacked", "body": "x", "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert (await _api(client, tenant, article["id"]))["title"] == "Shipping"


async def test_translation_variant_is_flagged_outdated_and_marked_current(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    master = await _article(client, tenant, title="Refunds", body="Refunds take 5 days.", locale="en")
    agent = await factory.agent(tenant)
    csrf = await sign_in(client, agent.email)

    start = await client.get(f"/kb/new?master_id={master['id']}")
    assert start.status_code == 200 and "Refunds take 5 days." in start.text
    variant_id = _article_id(
        await client.post(
            "/kb/new",
            data={
                "csrf_token": csrf,
                "title": "Reembolsos",
                "body": "Los reembolsos tardan 5 días.",
                "locale": "es",
                "master_id": master["id"],
            },
        )
    )
    assert (await _api(client, tenant, variant_id))["master_id"] == master["id"]
    await client.post(
        f"/kb/articles/{master['id']}",
        data={"csrf_token": csrf, "title": "Refunds", "body": "Refunds take 3 days.", "action": "save"},
    )
    assert (await _api(client, tenant, variant_id))["outdated"] is True
    flagged = await client.get("/kb?outdated=1")
    assert "Reembolsos" in flagged.text and 'data-outdated="1"' in flagged.text
    assert "Refunds</a>" not in flagged.text

    variant_page = await client.get(f"/kb/articles/{variant_id}")
    assert 'value="mark_current"' in variant_page.text
    await client.post(
        f"/kb/articles/{variant_id}",
        data={
            "csrf_token": csrf,
            "title": "Reembolsos",
            "body": "Los reembolsos tardan 5 días.",
            "action": "mark_current",
        },
    )
    assert (await _api(client, tenant, variant_id))["outdated"] is False


async def test_preview_uses_the_sanitizing_renderer(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    csrf = await sign_in(client, agent.email)
    response = await client.post(
        "/kb/preview",
        data={"body": "# Hi\n\n[click](javascript:alert(1)) <script>alert(2)</script>"},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert "<h1>Hi</h1>" in response.text
    assert 'href="javascript' not in response.text and "<script>" not in response.text
    assert "&lt;script&gt;" in response.text, "raw HTML is shown as text, not run"


async def test_editor_uploads_an_image_and_refuses_other_files(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, locale="de")
    csrf = await sign_in(client, agent.email)
    editor = await client.get("/kb/new")
    assert 'id="kb-upload"' in editor.text and 'action="/kb/assets"' in editor.text
    assert "Bild hinzufügen (PNG, JPEG, GIF oder WebP, bis 5 MB)" in editor.text

    image = png(3, 2)
    added = await client.post(
        "/kb/assets",
        data={"csrf_token": csrf},
        files={"file": ("size chart.png", image, "image/png")},
        headers={"HX-Request": "true"},
    )
    assert added.status_code == 200 and "<html" not in added.text
    match = re.search(
        r'data-markdown="!\[size chart\]\((/help/assets/[0-9a-f-]{36}/size%20chart\.png)\)"', added.text
    )
    assert match, added.text
    served = await client.get(match.group(1))
    assert served.content == image and served.headers["content-type"] == "image/png"
    # What the editor inserts renders as a picture in the preview (same sanitizer as the help center).
    preview = await client.post(
        "/kb/preview", data={"body": f"![size chart]({match.group(1)})"}, headers={"X-CSRF-Token": csrf}
    )
    assert f'<img src="{match.group(1)}" alt="size chart"' in preview.text

    refused = await client.post(
        "/kb/assets",
        data={"csrf_token": csrf},
        files={"file": ("evil.svg", b"<svg onload=alert(1)></svg>", "image/svg+xml")},
    )
    assert refused.status_code == 415 and 'role="alert"' in refused.text
    assert "Nur PNG-, JPEG-, GIF- und WebP-Bilder" in refused.text
    nothing = await client.post("/kb/assets", data={"csrf_token": csrf})
    assert nothing.status_code == 422
    forged = await client.post(
        "/kb/assets",
        data={"csrf_token": "forged"},
        files={"file": ("a.png", png(1, 1, b"\x00\x00\x00"), "image/png")},
    )
    assert forged.status_code == 403
    listed = (await client.get("/api/v1/kb/articles", headers=tenant.headers)).json()["items"]
    assert listed == []


async def test_reply_becomes_a_draft_article(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    conversation_id = (await incoming(client, tenant.headers, inbox_id, "¿Cómo devuelvo?"))["conversation_id"]
    agent = await factory.agent(tenant)
    csrf = await sign_in(client, agent.email)
    sent = await client.post(
        f"/conversations/{conversation_id}/messages",
        data={"body": "Puedes devolverlo en 30 días desde la web.", "kind": "reply", "csrf_token": csrf},
    )
    assert sent.status_code == 303, sent.text
    messages = (
        await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
    ).json()["items"]
    reply_id = next(m["id"] for m in messages if m["direction"] == "outgoing")
    incoming_id = next(m["id"] for m in messages if m["direction"] == "incoming")

    draft_id = _article_id(
        await client.post(f"/kb/from-message/{reply_id}", data={"csrf_token": csrf, "title": "Devoluciones"})
    )
    draft = await _api(client, tenant, draft_id)
    assert (draft["status"], draft["title"], draft["body"]) == (
        "draft",
        "Devoluciones",
        "Puedes devolverlo en 30 días desde la web.",
    )
    # The partial the thread includes posts to this endpoint with the session's CSRF token.
    button = (
        environment("en")
        .get_template("_make_article_button.html")
        .render(m=SimpleNamespace(id=reply_id), principal=SimpleNamespace(csrf_token=csrf))
    )
    action = re.search(r'action="([^"]+)"', button)
    assert action and action.group(1) == f"/kb/from-message/{reply_id}"
    assert f'value="{csrf}"' in button and 'name="title"' in button
    refused = await client.post(f"/kb/from-message/{incoming_id}", data={"csrf_token": csrf, "title": "X"})
    assert refused.status_code == 422
    assert len((await client.get("/api/v1/kb/articles", headers=tenant.headers)).json()["items"]) == 1


async def test_other_workspaces_articles_and_messages_are_not_found(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    other = await factory.tenant("Other")
    foreign = await _article(client, other, title="Secret plan", body="internal", locale="en")
    other_inbox, _ = await factory.inbox(other)
    conversation_id = (await incoming(client, other.headers, other_inbox, "hi"))["conversation_id"]
    foreign_message = (
        await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=other.headers)
    ).json()["items"][0]["id"]
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    csrf = await sign_in(client, agent.email)

    page = await client.get(f"/kb/articles/{foreign['id']}")
    assert page.status_code == 404 and "Secret plan" not in page.text
    assert (await client.get(f"/kb/articles/{foreign['id']}/versions/1")).status_code == 404
    assert (await client.get(f"/kb/new?master_id={foreign['id']}")).status_code == 404
    assert (await client.get("/kb/articles/not-an-id")).status_code == 404
    post = await client.post(
        f"/kb/articles/{foreign['id']}", data={"csrf_token": csrf, "title": "Mine now", "body": "x"}
    )
    assert post.status_code == 404
    assert (await _api(client, other, foreign["id"]))["title"] == "Secret plan"
    assert "Secret plan" not in (await client.get("/kb")).text
    stolen = await client.post(f"/kb/from-message/{foreign_message}", data={"csrf_token": csrf, "title": "X"})
    assert stolen.status_code == 404


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")
async def test_editor_preview_updates_live_in_chromium(database_url: str, factory: Factory) -> None:
    from playwright.async_api import FilePayload, async_playwright, expect

    tenant = await factory.tenant("Browser Co")
    agent = await factory.agent(tenant, name="Ana Silva")
    with live_server(database_url) as base:
        async with httpx.AsyncClient(base_url=base, headers=tenant.headers) as api:
            await api.post("/api/v1/kb/categories", json={"name": "Returns", "slug": "returns"})
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
            )
            page = await browser.new_page(viewport={"width": 1280, "height": 860})
            expect.set_options(timeout=10_000)
            await page.goto(f"{base}/login?next=/kb/new")
            await page.get_by_label("Email").fill(agent.email)
            await page.get_by_label("Password").fill("password123")
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_url(f"{base}/kb/new")
            await page.get_by_label("Title").fill("Returns within the EU")
            await page.get_by_label("Category").select_option("returns")
            await page.get_by_label("Text (Markdown)").fill(
                "## How to return\n\nYou have **30 days** from delivery.\n\n"
                "1. Open *My orders*\n2. Choose **Return**\n3. Print the label\n\n"
                "| Country | Days |\n|---|---|\n| DE | 30 |\n| FR | 30 |"
            )
            preview = page.locator("#kb-preview")
            await expect(preview.locator("h2")).to_have_text("How to return")
            await expect(preview.locator("strong").first).to_have_text("30 days")
            await expect(preview.locator("table td").first).to_have_text("DE")
            # An image: uploaded beside the editor, its Markdown lands in the text at the
            # cursor (end of the text here) and the preview shows the picture.
            await page.get_by_label(re.compile("Add an image")).set_input_files(
                files=FilePayload(name="return-label.png", mimeType="image/png", buffer=png(40, 20))
            )
            await page.get_by_role("button", name="Upload image").click()
            await expect(page.locator("#kb-upload-result [data-markdown]")).to_be_visible()
            await expect(page.get_by_label("Text (Markdown)")).to_have_value(
                re.compile(
                    r"\| FR \| 30 \|\n\n!\[return label\]\(/help/assets/[0-9a-f-]{36}/return-label\.png\)$"
                )
            )
            await expect(preview.locator('img[alt="return label"]')).to_be_visible()
            assert await preview.locator("img").evaluate("img => img.naturalWidth") == 40
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "kb-editor.png"), full_page=True)
            await page.get_by_role("button", name="Submit for review").click()
            await page.wait_for_url(re.compile(r".*/kb/articles/.*"))
            await expect(page.locator("[data-status]")).to_have_attribute("data-status", "in_review")
            await browser.close()
    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ARTIFACTS / "kb-editor.png", DOCS_SHOTS / "kb-editor.png")
