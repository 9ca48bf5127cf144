"""The public help center: language negotiation, variants, hreflang, search, votes."""

from __future__ import annotations

import re

import httpx

from meridian.db.engine import Database
from tests.factories import Factory
from tests.kb.support import build_kb


async def test_help_center_pages(client: httpx.AsyncClient, factory: Factory, db: Database) -> None:
    tenant = await factory.tenant()
    await build_kb(client, db, tenant, slug="acme-help")

    # No sign-in; the browser's languages pick the locale (ja exists: the returns variant).
    entry = await client.get("/help/acme-help", headers={"Accept-Language": "ja-JP,ja;q=0.9,en;q=0.8"})
    assert entry.status_code == 302 and entry.headers["location"].endswith("/help/acme-help/ja")
    fallback = await client.get("/help/acme-help", headers={"Accept-Language": "sw, de;q=0.5"})
    assert fallback.headers["location"].endswith("/help/acme-help/en")
    by_id = await client.get(f"/help/{tenant.workspace_id}", headers={"Accept-Language": "en"})
    assert by_id.status_code == 302

    home = await client.get("/help/acme-help/ja")
    assert home.status_code == 200
    assert '<html lang="ja"' in home.text and "Acme Help" in home.text
    assert "どのようなことでお困りですか" in home.text  # the UI speaks Japanese
    assert "商品の返品方法" in home.text  # the Japanese variant...
    assert "Resetting your password" in home.text  # ...and English masters where no variant exists
    assert "Unreleased gift wrapping" not in home.text
    assert home.cookies.get("meridian_help_locale") == "ja"

    article = await client.get("/help/acme-help/ja/articles/return-policy")
    assert article.status_code == 200
    links = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', article.text))
    assert links["en"].endswith("/help/acme-help/en/articles/return-policy")
    assert links["ja"].endswith("/help/acme-help/ja/articles/return-policy")
    assert links["x-default"] == links["en"]
    assert "30日以内" in article.text

    # German visitors get the English article, with a German note saying so.
    german = await client.get("/help/acme-help/de/articles/reset-password")
    assert german.status_code == 200
    assert "nicht in Ihrer Sprache verfügbar" in german.text and "Forgot your password?" in german.text

    results = await client.get("/help/acme-help/en/search", params={"q": "I forgot my password"})
    assert results.status_code == 200 and "Resetting your password" in results.text
    assert "Results for “I forgot my password”" in results.text

    assert (await client.get("/help/acme-help/JA")).headers["location"].endswith("/help/acme-help/ja")
    assert (await client.get("/help/acme-help/en/articles/unreleased-gift-wrapping")).status_code == 404
    assert (await client.get("/help/no-such-site/en")).status_code == 404


async def test_votes_count_once_per_visitor(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    kb = await build_kb(client, db, tenant)
    url = f"/help/{tenant.workspace_id}/en/articles/shipping-times/vote"
    first = await client.post(url, data={"helpful": "yes"}, headers={"user-agent": "visitor-1"})
    assert first.status_code == 303 and first.headers["location"].endswith("?voted=yes")
    await client.post(url, data={"helpful": "yes"}, headers={"user-agent": "visitor-1"})
    await client.post(url, data={"helpful": "no"}, headers={"user-agent": "visitor-2"})
    assert (await client.post(url, data={"helpful": "maybe"})).status_code == 422
    article = (await client.get(f"/api/v1/kb/articles/{kb.ids['shipping']}", headers=tenant.headers)).json()
    assert (article["helpful_yes"], article["helpful_no"]) == (1, 1)
    thanks = await client.get(f"/help/{tenant.workspace_id}/en/articles/shipping-times?voted=yes")
    assert "Thanks for your feedback!" in thanks.text
