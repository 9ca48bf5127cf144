from __future__ import annotations

import html
import re

import httpx
import pytest

from meridian.translation.base import QuotaExceeded, TranslationError
from meridian.translation.glossary import Glossary, GlossaryTerm
from meridian.translation.google import GoogleProvider, language_code
from tests.support.vendor_server import RecordedRequest, ScriptedResponse
from tests.translation.support import Vendor

PATH = "/language/translate/v2"


def google_stand_in(request: RecordedRequest) -> ScriptedResponse:
    """Upper-cases text; in html format it keeps tags and escapes like Google (' -> &#39;)."""
    if request.query.get("key") != ["g-key"]:
        return ScriptedResponse(400, {"error": {"code": 400, "message": "API key not valid.", "errors": []}})
    body = request.json()

    def translate(text: str) -> str:
        if body.get("format") != "html":
            return text.upper()
        parts = re.split(r"(<[^>]+>)", text)
        return "".join(p if p.startswith("<") else html.escape(html.unescape(p).upper()) for p in parts)

    return ScriptedResponse(
        200,
        {
            "data": {
                "translations": [
                    {"translatedText": translate(q), "detectedSourceLanguage": "zh-CN"} for q in body["q"]
                ]
            }
        },
    )


def provider(vendor: Vendor) -> GoogleProvider:
    return GoogleProvider(api_key="g-key", api_base_url=vendor.url)


def google_error(code: int, reason: str, message: str) -> dict[str, object]:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "usageLimits", "reason": reason}],
        }
    }


async def test_translates_with_the_api_key(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.respond(PATH, google_stand_in)
    results = await provider(vendor).translate(
        ["你好", "Don't worry"], source=None, target="zh-Hant", glossary=None, http=http
    )
    assert [r.text for r in results] == ["你好", "DON'T WORRY"]
    assert [r.detected_source for r in results] == ["zh-Hans", "zh-Hans"]
    sent = vendor.requests_to(PATH)[0]
    assert sent.query["key"] == ["g-key"]
    assert sent.json() == {"q": ["你好", "Don't worry"], "target": "zh-TW", "format": "text"}


@pytest.mark.parametrize(
    ("tag", "code"),
    [("zh-Hans", "zh-CN"), ("zh-HK", "zh-TW"), ("pt-BR", "pt"), ("pt-PT", "pt-PT"), ("he", "he")],
)
def test_language_codes(tag: str, code: str) -> None:
    assert language_code(tag) == code


async def test_glossary_sends_html_and_restores_entities(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.respond(PATH, google_stand_in)
    glossary = Glossary((GlossaryTerm("Meridian", do_not_translate=True),))
    results = await provider(vendor).translate(
        ["Meridian's app\nis down", "it's fine"],
        source="en",
        target="de",
        glossary=glossary,
        http=http,
    )
    assert [r.text for r in results] == ["Meridian'S APP\nIS DOWN", "IT'S FINE"]
    body = vendor.requests_to(PATH)[0].json()
    assert body["format"] == "html"
    assert body["source"] == "en"
    assert 'translate="no"' in body["q"][0]
    assert "<br>" in body["q"][0]


async def test_daily_limit_is_quota_exceeded(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.script(
        PATH, ScriptedResponse(403, google_error(403, "dailyLimitExceeded", "Daily Limit Exceeded"))
    )
    with pytest.raises(QuotaExceeded) as caught:
        await provider(vendor).translate(["hi"], source=None, target="de", glossary=None, http=http)
    assert "Daily Limit Exceeded" in caught.value.message


@pytest.mark.parametrize(
    ("status", "reason", "transient"),
    [
        (403, "userRateLimitExceeded", True),
        (429, "rateLimitExceeded", True),
        (403, "forbidden", False),
        (400, "badRequest", False),
        (500, "backendError", True),
    ],
)
async def test_errors_are_classified(
    vendor: Vendor, http: httpx.AsyncClient, status: int, reason: str, transient: bool
) -> None:
    vendor.script(PATH, ScriptedResponse(status, google_error(status, reason, "nope")))
    with pytest.raises(TranslationError) as caught:
        await provider(vendor).translate(["hi"], source=None, target="de", glossary=None, http=http)
    assert not isinstance(caught.value, QuotaExceeded)
    assert caught.value.transient is transient


async def test_invalid_json_is_transient(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.script(PATH, ScriptedResponse(200, b"<html>proxy error</html>"))
    with pytest.raises(TranslationError) as caught:
        await provider(vendor).translate(["hi"], source=None, target="de", glossary=None, http=http)
    assert caught.value.transient
