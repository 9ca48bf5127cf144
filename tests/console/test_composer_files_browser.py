"""The composer's files in a real Chromium: attach an image and a PDF to a reply, see them
in the thread (image preview, download link) and on their way to the channel; a file too
large is stopped before upload, a refused type is explained and the text is kept; a note
carries a file too. All at tablet width, where nothing may scroll sideways, and every
control on the inbox and conversation screens has an accessible name."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import httpx
import pytest

from tests.console.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.factories import Factory
from tests.support.live_server import live_server
from tests.support.vendor_server import ScriptedResponse, vendor_server


def _png() -> bytes:
    """A real 1x1 PNG, so the browser's preview can be checked to have decoded it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x10\x80\xf0"))
        + chunk(b"IEND", b"")
    )


PNG = _png()
PDF = b"%PDF-1.4\n%%EOF\n"

FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"
# Form controls a screen reader could not name: no <label>, no aria-label(ledby), no text.
UNNAMED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
    && !e.getAttribute('aria-labelledby') && !e.getAttribute('title') && !e.textContent.trim())
  .map(e => e.outerHTML.slice(0, 120))"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]


async def test_composer_sends_files(database_url: str, factory: Factory, tmp_path: Path) -> None:
    from playwright.async_api import FilePayload, async_playwright, expect

    ARTIFACTS.mkdir(exist_ok=True)
    tenant = await factory.tenant("Files Co")
    agent = await factory.agent(tenant, name="Ana Silva")
    with vendor_server() as vendor, live_server(database_url, run_workers=True) as base:
        vendor.respond("/hooks", lambda _request: ScriptedResponse(200, {}))
        inbox_id, _ = await factory.inbox(tenant, config={"webhook_url": f"{vendor.url}/hooks"})
        async with httpx.AsyncClient(base_url=base, headers=tenant.headers) as api:
            created = await api.post(
                f"/api/v1/inboxes/{inbox_id}/incoming",
                json={"contact": {"identifier": "tom-1", "name": "Tom"}, "body": "Can I see the invoice?"},
            )
            assert created.status_code == 202, created.text
        conversation_id = created.json()["conversation_id"]

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            # A tablet held upright: the console must fit without sideways scrolling.
            page = await browser.new_page(viewport={"width": 768, "height": 1024})
            expect.set_options(timeout=10_000)
            await page.goto(f"{base}/login")
            await page.get_by_label("Email").fill(agent.email)
            await page.get_by_label("Password").fill("password123")
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_url(f"{base}/")
            await page.goto(f"{base}/?view=unassigned")
            await expect(page.locator(".conversations a", has_text="Tom")).to_be_visible()
            assert await page.evaluate(FITS), "the inbox scrolls sideways at tablet width"
            assert await page.evaluate(UNNAMED) == []
            await page.goto(f"{base}/conversations/{conversation_id}")
            assert await page.evaluate(FITS), "the conversation scrolls sideways at tablet width"
            assert await page.evaluate(UNNAMED) == []

            composer = page.get_by_label("Message", exact=True)
            files = page.get_by_label("Attach files")
            error = page.locator("#composer-files-error")

            # Too large: said at once, and nothing leaves the browser.
            await files.set_input_files(
                FilePayload(name="huge.pdf", mimeType="application/pdf", buffer=b"%PDF" + bytes(5_000_001))
            )
            await expect(error).to_be_visible()
            await expect(error).to_contain_text("huge.pdf")
            await composer.fill("Too big")
            await page.get_by_role("button", name="Send reply").click()
            await expect(error).to_be_visible()
            assert not vendor.requests_to("/hooks")
            # Each small enough, together past the server's body-size limit (10 MB by default).
            await files.set_input_files(
                [
                    FilePayload(name=f"part{n}.pdf", mimeType="application/pdf", buffer=bytes(4_000_000))
                    for n in range(3)
                ]
            )
            await expect(error).to_contain_text("Together the files are larger than")

            # A type no channel should carry: the server refuses, the agent's text stays.
            await files.set_input_files(
                FilePayload(name="page.html", mimeType="text/html", buffer=b"<h1>hi</h1>")
            )
            await expect(error).to_be_hidden()
            await composer.fill("Here it is")
            await page.get_by_role("button", name="Send reply").click()
            await expect(page.locator("#thread .error")).to_contain_text("page.html cannot be sent")
            await expect(composer).to_have_value("Here it is")
            await expect(page.locator(".message-outgoing")).to_have_count(0)

            image = tmp_path / "receipt.png"
            image.write_bytes(PNG)
            invoice = tmp_path / "invoice.pdf"
            invoice.write_bytes(PDF)
            await files.set_input_files([str(image), str(invoice)])
            await page.get_by_role("button", name="Send reply").click()
            reply = page.locator(".message-outgoing", has_text="Here it is")
            await expect(reply.locator("img.attachment-preview")).to_have_attribute("alt", "receipt.png")
            await expect(reply.locator(".attachment-download", has_text="invoice.pdf")).to_be_visible()
            await expect(reply.locator("[data-delivery-status]")).to_have_attribute(
                "data-delivery-status", "sent"
            )
            await expect(composer).to_have_value("")
            # The preview is served to the signed-in agent as an image the browser decodes.
            preview = reply.locator("img.attachment-preview")
            await expect(preview).to_have_js_property("complete", True)
            assert await preview.evaluate("img => img.naturalWidth") == 1
            await page.screenshot(path=str(ARTIFACTS / "console-composer-files.png"), full_page=True)

            # A note with a file and no text.
            await page.keyboard.press("n")
            await files.set_input_files([str(invoice)])
            await page.get_by_role("button", name="Add internal note").click()
            note = page.locator(".message-note")
            await expect(note.locator(".attachment-download", has_text="invoice.pdf")).to_be_visible()
            await browser.close()

        [sent] = vendor.requests_to("/hooks")
        attachments = sent.json()["data"]["attachments"]
        assert [a["filename"] for a in attachments] == ["receipt.png", "invoice.pdf"]
        assert all("/media/" in a["url"] for a in attachments)
