from __future__ import annotations

import re

import httpx
import pytest

from meridian.translation.base import QuotaExceeded, TranslationError
from meridian.translation.deepl import DeepLProvider, target_code
from meridian.translation.glossary import Glossary, GlossaryTerm
from tests.support.vendor_server import RecordedRequest, ScriptedResponse
from tests.translation.support import Vendor

PATH = "/v2/translate"


def deepl_stand_in(request: RecordedRequest) -> ScriptedResponse:
    """Upper-cases text as its "translation", leaving ignored tags' content alone as DeepL does."""
    if request.headers.get("authorization") != "DeepL-Auth-Key secret:fx":
        return ScriptedResponse(403, {"message": "Wrong endpoint"})
    body = request.json()
    ignored = body.get("ignore_tags", [])

    def translate(text: str) -> str:
        if body.get("tag_handling") == "xml" and "x" in ignored:
            parts = re.split(r"(<x\b[^>]*>.*?</x>)", text)
            return "".join(p if p.startswith("<x") else p.upper() for p in parts)
        return text.upper()

    return ScriptedResponse(
        200,
        {"translations": [{"detected_source_language": "ES", "text": translate(t)} for t in body["text"]]},
    )


def provider(vendor: Vendor) -> DeepLProvider:
    return DeepLProvider(api_key="secret:fx", api_base_url=vendor.url)


async def test_translates_a_batch(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.respond(PATH, deepl_stand_in)
    results = await provider(vendor).translate(
        ["hola", "¿dónde está?"], source="es", target="en-GB", glossary=None, http=http
    )
    assert [r.text for r in results] == ["HOLA", "¿DÓNDE ESTÁ?"]
    assert {(r.detected_source, r.provider) for r in results} == {("es", "deepl")}
    sent = vendor.requests_to(PATH)[0]
    assert sent.method == "POST"
    assert sent.json() == {"text": ["hola", "¿dónde está?"], "target_lang": "EN-GB", "source_lang": "ES"}


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("en", "EN-US"),
        ("en-AU", "EN-GB"),
        ("pt", "PT-BR"),
        ("pt-PT", "PT-PT"),
        ("zh-TW", "ZH-HANT"),
        ("zh", "ZH-HANS"),
        ("de-AT", "DE"),
        ("nb", "NB"),
    ],
)
def test_target_language_variants(tag: str, code: str) -> None:
    assert target_code(tag) == code


def test_free_keys_use_the_free_host() -> None:
    assert DeepLProvider(api_key="k:fx").api_base_url == "https://api-free.deepl.com"
    assert DeepLProvider(api_key="k").api_base_url == "https://api.deepl.com"


async def test_glossary_uses_xml_tag_handling(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.respond(PATH, deepl_stand_in)
    glossary = Glossary((GlossaryTerm("carrito", translations={"en": "basket"}),))
    results = await provider(vendor).translate(
        ["mi carrito & yo", "sin nada"], source="es", target="en", glossary=glossary, http=http
    )
    assert [r.text for r in results] == ["MI basket & YO", "SIN NADA"]
    body = vendor.requests_to(PATH)[0].json()
    assert body["tag_handling"] == "xml"
    assert body["ignore_tags"] == ["x"]
    assert body["text"][0] == 'mi <x id="0">basket</x> &amp; yo'


async def test_large_batches_are_split(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.respond(PATH, deepl_stand_in)
    texts = [f"texto {i}" for i in range(60)]
    results = await provider(vendor).translate(texts, source=None, target="en", glossary=None, http=http)
    assert [r.text for r in results] == [t.upper() for t in texts]
    assert [len(r.json()["text"]) for r in vendor.requests_to(PATH)] == [50, 10]


async def test_quota_exceeded(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.script(PATH, ScriptedResponse(456, {"message": "Quota Exceeded"}))
    with pytest.raises(QuotaExceeded) as caught:
        await provider(vendor).translate(["hola"], source=None, target="en", glossary=None, http=http)
    assert not caught.value.transient
    assert "Quota Exceeded" in caught.value.message


@pytest.mark.parametrize(
    ("status", "headers", "transient", "retry_after"),
    [
        (429, {"Retry-After": "7"}, True, 7.0),
        (429, {}, True, None),
        (503, {}, True, None),
        (403, {}, False, None),
        (400, {}, False, None),
    ],
)
async def test_errors_are_classified(
    vendor: Vendor,
    http: httpx.AsyncClient,
    status: int,
    headers: dict[str, str],
    transient: bool,
    retry_after: float | None,
) -> None:
    vendor.script(PATH, ScriptedResponse(status, {"message": "nope"}, headers=headers))
    with pytest.raises(TranslationError) as caught:
        await provider(vendor).translate(["hola"], source=None, target="en", glossary=None, http=http)
    assert not isinstance(caught.value, QuotaExceeded)
    assert (caught.value.transient, caught.value.retry_after) == (transient, retry_after)


async def test_wrong_number_of_translations_is_transient(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.script(PATH, ScriptedResponse(200, {"translations": []}))
    with pytest.raises(TranslationError) as caught:
        await provider(vendor).translate(["hola"], source=None, target="en", glossary=None, http=http)
    assert caught.value.transient


async def test_timeout_is_transient(vendor: Vendor) -> None:
    vendor.script(PATH, ScriptedResponse(200, {"translations": []}, delay=0.5))
    async with httpx.AsyncClient(timeout=0.1) as http:
        with pytest.raises(TranslationError) as caught:
            await provider(vendor).translate(["hola"], source=None, target="en", glossary=None, http=http)
    assert caught.value.transient
