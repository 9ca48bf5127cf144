from __future__ import annotations

import httpx
import pytest

from meridian.translation.base import QuotaExceeded, TranslationError
from meridian.translation.glossary import Glossary, GlossaryTerm
from meridian.translation.microsoft import MicrosoftProvider, language_code
from tests.support.vendor_server import RecordedRequest, ScriptedResponse
from tests.translation.support import Vendor

PATH = "/translate"


def microsoft_stand_in(request: RecordedRequest) -> ScriptedResponse:
    if request.headers.get("ocp-apim-subscription-key") != "ms-key":
        return ScriptedResponse(401, {"error": {"code": 401000, "message": "invalid key"}})
    if request.query.get("api-version") != ["3.0"] or "to" not in request.query:
        return ScriptedResponse(400, {"error": {"code": 400036, "message": "bad query"}})
    to = request.query["to"][0]
    return ScriptedResponse(
        200,
        [
            {
                "detectedLanguage": {"language": "pt", "score": 0.98},
                "translations": [{"text": item["Text"].upper(), "to": to}],
            }
            for item in request.json()
        ],
    )


def provider(vendor: Vendor, region: str | None = "westeurope") -> MicrosoftProvider:
    return MicrosoftProvider(api_key="ms-key", region=region, api_base_url=vendor.url)


async def test_translates_with_key_and_region(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.respond(PATH, microsoft_stand_in)
    results = await provider(vendor).translate(
        ["obrigado", "tudo bem"], source=None, target="zh-Hant", glossary=None, http=http
    )
    assert [r.text for r in results] == ["OBRIGADO", "TUDO BEM"]
    assert {r.detected_source for r in results} == {"pt"}
    sent = vendor.requests_to(PATH)[0]
    assert sent.query == {"api-version": ["3.0"], "to": ["zh-Hant"]}
    assert sent.headers["ocp-apim-subscription-region"] == "westeurope"
    assert sent.json() == [{"Text": "obrigado"}, {"Text": "tudo bem"}]


async def test_global_resource_sends_no_region(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.respond(PATH, microsoft_stand_in)
    await provider(vendor, region=None).translate(
        ["oi"], source="pt-BR", target="en", glossary=None, http=http
    )
    sent = vendor.requests_to(PATH)[0]
    assert "ocp-apim-subscription-region" not in sent.headers
    assert sent.query["from"] == ["pt"]


@pytest.mark.parametrize(
    ("tag", "code"), [("pt-PT", "pt-pt"), ("zh-CN", "zh-Hans"), ("no", "nb"), ("de-CH", "de")]
)
def test_language_codes(tag: str, code: str) -> None:
    assert language_code(tag) == code


async def test_glossary_uses_html_and_keeps_line_breaks(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.respond(PATH, microsoft_stand_in)
    glossary = Glossary((GlossaryTerm("pedido", translations={"en": "order"}),))
    results = await provider(vendor).translate(
        ["Meu pedido\nchegou"], source="pt", target="en", glossary=glossary, http=http
    )
    assert results[0].text == "MEU order\nCHEGOU"
    sent = vendor.requests_to(PATH)[0]
    assert sent.query["textType"] == ["html"]
    assert 'class="notranslate"' in sent.json()[0]["Text"]


async def test_rate_limit_carries_retry_after(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.script(
        PATH,
        ScriptedResponse(
            429,
            {"error": {"code": 429001, "message": "The server rejected the request"}},
            headers={"Retry-After": "12"},
        ),
    )
    with pytest.raises(TranslationError) as caught:
        await provider(vendor).translate(["oi"], source=None, target="en", glossary=None, http=http)
    assert caught.value.transient
    assert caught.value.retry_after == 12.0


async def test_free_tier_exhausted_is_quota_exceeded(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.script(
        PATH,
        ScriptedResponse(403, {"error": {"code": 403001, "message": "free quota has been exceeded"}}),
    )
    with pytest.raises(QuotaExceeded):
        await provider(vendor).translate(["oi"], source=None, target="en", glossary=None, http=http)


async def test_bad_key_is_permanent(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.respond(PATH, microsoft_stand_in)
    bad = MicrosoftProvider(api_key="wrong", api_base_url=vendor.url)
    with pytest.raises(TranslationError) as caught:
        await bad.translate(["oi"], source=None, target="en", glossary=None, http=http)
    assert not caught.value.transient
    assert "401000" in caught.value.message
