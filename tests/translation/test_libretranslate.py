from __future__ import annotations

import httpx
import pytest

from meridian.translation.base import TranslationError
from meridian.translation.glossary import Glossary, GlossaryTerm
from meridian.translation.libretranslate import LibreTranslateProvider
from tests.support.vendor_server import RecordedRequest, ScriptedResponse
from tests.translation.support import Vendor

OLD_SERVER = ["en", "es", "zh", "zt", "pb", "pt"]
NEW_SERVER = ["en", "es", "zh-Hans", "zh-Hant", "pt-BR", "pt"]


def languages(codes: list[str]) -> ScriptedResponse:
    return ScriptedResponse(200, [{"code": code, "name": code, "targets": codes} for code in codes])


def shouting_translate(request: RecordedRequest) -> ScriptedResponse:
    """Upper-cases q entirely, markup included: the worst a provider can do to markers."""
    body = request.json()
    if body.get("api_key") != "lt-key":
        return ScriptedResponse(403, {"error": "Invalid API key"})
    q = body["q"]
    detected = [{"confidence": 90.0, "language": "es"} for _ in q]
    return ScriptedResponse(200, {"translatedText": [t.upper() for t in q], "detectedLanguage": detected})


def provider(vendor: Vendor) -> LibreTranslateProvider:
    return LibreTranslateProvider(api_key="lt-key", api_base_url=vendor.url)


@pytest.mark.parametrize(
    ("codes", "target", "sent"),
    [
        (OLD_SERVER, "zh-Hant", "zt"),
        (NEW_SERVER, "zh-Hant", "zh-Hant"),
        (OLD_SERVER, "zh-CN", "zh"),
        (OLD_SERVER, "pt-BR", "pb"),
        (NEW_SERVER, "pt-BR", "pt-BR"),
        (NEW_SERVER, "en-GB", "en"),
    ],
)
async def test_uses_the_servers_own_codes(
    vendor: Vendor, http: httpx.AsyncClient, codes: list[str], target: str, sent: str
) -> None:
    vendor.script("/languages", languages(codes))
    vendor.respond("/translate", shouting_translate)
    lt = provider(vendor)
    results = await lt.translate(["hola"], source=None, target=target, glossary=None, http=http)
    await lt.translate(["adiós"], source="es", target=target, glossary=None, http=http)
    assert results[0].text == "HOLA"
    assert results[0].detected_source == "es"
    first, second = (r.json() for r in vendor.requests_to("/translate"))
    assert first == {
        "q": ["hola"],
        "source": "auto",
        "target": sent,
        "format": "text",
        "api_key": "lt-key",
    }
    assert second["source"] == "es"
    # The language list is asked for once per provider instance.
    assert len(vendor.requests_to("/languages")) == 1


async def test_unsupported_target_fails_before_translating(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.script("/languages", languages(OLD_SERVER))
    with pytest.raises(TranslationError) as caught:
        await provider(vendor).translate(["hola"], source=None, target="ko", glossary=None, http=http)
    assert not caught.value.transient
    assert vendor.requests_to("/translate") == []


async def test_glossary_survives_a_provider_that_uppercases_markup(
    vendor: Vendor, http: httpx.AsyncClient
) -> None:
    vendor.script("/languages", languages(NEW_SERVER))
    vendor.respond("/translate", shouting_translate)
    glossary = Glossary(
        (
            GlossaryTerm("Meridian", do_not_translate=True),
            GlossaryTerm("carrito", translations={"en": "basket"}),
        )
    )
    results = await provider(vendor).translate(
        ["Meridian: mi carrito <vacío> & triste", "nada"],
        source="es",
        target="en",
        glossary=glossary,
        http=http,
    )
    assert [r.text for r in results] == ["Meridian: MI basket <VACÍO> & TRISTE", "NADA"]
    assert vendor.requests_to("/translate")[0].json()["format"] == "html"


@pytest.mark.parametrize(
    ("status", "error", "transient"),
    [
        (400, "Invalid request: missing q parameter", False),
        (403, "Invalid API key", False),
        (429, "Slowdown: 30 per 1 minute", True),
        (500, "Cannot translate text", True),
    ],
)
async def test_errors_are_classified(
    vendor: Vendor, http: httpx.AsyncClient, status: int, error: str, transient: bool
) -> None:
    vendor.script("/languages", languages(NEW_SERVER))
    vendor.script("/translate", ScriptedResponse(status, {"error": error}))
    with pytest.raises(TranslationError) as caught:
        await provider(vendor).translate(["hola"], source=None, target="en", glossary=None, http=http)
    assert caught.value.transient is transient
    assert error in caught.value.message
