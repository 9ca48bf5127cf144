"""Article images: upload checks, safe serving, and the picture on the help center."""

from __future__ import annotations

import struct
import zlib

import httpx
from sqlalchemy import func, select

from meridian.db.engine import Database
from meridian.kb.assets import MAX_IMAGE_BYTES
from meridian.kb.models import KbAsset
from tests.factories import Factory


def png(width: int = 2, height: int = 1, colour: bytes = b"\xff\x00\x00") -> bytes:
    """A real, decodable PNG (one IHDR, one IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + colour * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def _count(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(KbAsset)) or 0)


async def test_an_image_goes_from_upload_to_the_help_center(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    image = png()
    uploaded = await client.post(
        "/api/v1/kb/assets",
        headers=tenant.headers,
        # The claimed type and the path in the name are the uploader's; neither is trusted.
        files={"file": ("../../etc/Return label.PNG", image, "text/html")},
    )
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert body["content_type"] == "image/png" and body["size"] == len(image)
    assert body["filename"] == "Return label.png"
    assert body["url"] == f"/help/assets/{body['id']}/Return%20label.png"
    assert body["markdown"] == f"![Return label]({body['url']})"

    again = await client.post(
        "/api/v1/kb/assets", headers=tenant.headers, files={"file": ("copy.png", image, "image/png")}
    )
    assert again.status_code == 201 and again.json()["id"] == body["id"], "same bytes, one row"

    served = await client.get(body["url"])  # no sign-in: the help center is public
    assert served.status_code == 200 and served.content == image
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert served.headers["content-disposition"].startswith('inline; filename="Return label.png"')

    await client.put("/api/v1/kb/site", headers=tenant.headers, json={"slug": "pics-help"})
    article = await client.post(
        "/api/v1/kb/articles",
        headers=tenant.headers,
        json={
            "title": "Printing your return label",
            "body": f"Your label looks like this:\n\n{body['markdown']}\n",
            "locale": "en",
            "status": "published",
        },
    )
    assert article.status_code == 201, article.text
    assert f'<img src="{body["url"]}" alt="Return label"' in article.json()["body_html"]
    page = await client.get(f"/help/pics-help/en/articles/{article.json()['slug']}")
    assert page.status_code == 200 and f'<img src="{body["url"]}" alt="Return label"' in page.text
    # The page's CSP (img-src 'self', style-src 'self') lets the image and the stylesheet
    # load; an inline <style> would be blocked, so the styles come from a file.
    assert "img-src 'self'" in page.headers["content-security-policy"]
    assert "<style" not in page.text and 'href="/static/help.css"' in page.text
    css = await client.get("/static/help.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


async def test_refused_uploads_store_nothing(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    before = await _count(db)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    cases = [
        ("logo.svg", svg, "image/svg+xml", 415),
        # HTML claiming to be a PNG: the bytes decide.
        ("cat.png", b"<html><script>alert(1)</script></html>", "image/png", 415),
        ("empty.png", b"", "image/png", 422),
        ("huge.png", png() + b"\x00" * MAX_IMAGE_BYTES, "image/png", 413),
    ]
    for name, data, claimed, status in cases:
        response = await client.post(
            "/api/v1/kb/assets", headers=tenant.headers, files={"file": (name, data, claimed)}
        )
        assert response.status_code == status, (name, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    missing = await client.post("/api/v1/kb/assets", headers=tenant.headers, data={"x": "1"})
    assert missing.status_code == 422
    assert await _count(db) == before

    assert (
        await client.post("/api/v1/kb/assets", files={"file": ("a.png", png(), "image/png")})
    ).status_code == 401
    assert (await client.get("/help/assets/not-an-id/x.png")).status_code == 404
    assert (await client.get("/help/assets/0190b5f0-0000-7000-8000-000000000000/x.png")).status_code == 404


async def test_assets_is_not_a_site_slug(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    refused = await client.put("/api/v1/kb/site", headers=tenant.headers, json={"slug": "assets"})
    assert refused.status_code == 422
