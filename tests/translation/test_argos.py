from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field

import httpx
import pytest

from meridian.translation.argos import ArgosProvider
from meridian.translation.base import TranslationError
from meridian.translation.glossary import Glossary, GlossaryTerm


@dataclass
class FakeTranslation:
    """Argos's ITranslation: ``translate(text) -> str``; here a marked upper-casing."""

    pair: str

    def translate(self, text: str) -> str:
        return f"[{self.pair}] {text.upper()}"


@dataclass
class FakeLanguage:
    code: str
    pairs: set[str] = field(default_factory=set)

    def get_translation(self, to: FakeLanguage) -> FakeTranslation | None:
        pair = f"{self.code}>{to.code}"
        return FakeTranslation(pair) if pair in self.pairs else None


@pytest.fixture
def argos_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Language packages es->en and en->zt (Traditional Chinese) installed, nothing else."""
    languages = [
        FakeLanguage("en", {"en>zt"}),
        FakeLanguage("es", {"es>en"}),
        FakeLanguage("zt"),
    ]
    package = types.ModuleType("argostranslate")
    translate = types.ModuleType("argostranslate.translate")
    translate.get_installed_languages = lambda: languages  # type: ignore[attr-defined]
    package.translate = translate  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "argostranslate", package)
    monkeypatch.setitem(sys.modules, "argostranslate.translate", translate)


async def test_missing_package_is_a_clear_permanent_error(
    monkeypatch: pytest.MonkeyPatch, http: httpx.AsyncClient
) -> None:
    monkeypatch.setitem(sys.modules, "argostranslate", None)
    monkeypatch.setitem(sys.modules, "argostranslate.translate", None)
    with pytest.raises(TranslationError) as caught:
        await ArgosProvider().translate(["hola"], source="es", target="en", glossary=None, http=http)
    assert not caught.value.transient
    assert "pip install argostranslate" in caught.value.message


@pytest.mark.usefixtures("argos_installed")
async def test_translates_with_installed_packages(http: httpx.AsyncClient) -> None:
    glossary = Glossary((GlossaryTerm("pedido", translations={"en": "order"}),))
    results = await ArgosProvider().translate(
        ["mi pedido no llegó"], source="es", target="en", glossary=glossary, http=http
    )
    assert results[0].text == "[es>en] MI order NO LLEGÓ"
    assert (results[0].detected_source, results[0].provider) == ("es", "argos")


@pytest.mark.usefixtures("argos_installed")
async def test_detects_the_source_among_installed_languages(http: httpx.AsyncClient) -> None:
    results = await ArgosProvider().translate(
        ["Where is my order? It should have arrived last week.", "ok"],
        source=None,
        target="zh-TW",
        glossary=None,
        http=http,
    )
    assert results[0].text.startswith("[en>zt] WHERE IS MY ORDER")
    assert results[0].detected_source == "en"
    # Too short to tell its language: passed through untouched.
    assert (results[1].text, results[1].detected_source) == ("ok", None)


@pytest.mark.usefixtures("argos_installed")
async def test_missing_language_pair_is_permanent(http: httpx.AsyncClient) -> None:
    with pytest.raises(TranslationError) as caught:
        await ArgosProvider().translate(["hola"], source="es", target="zh-Hant", glossary=None, http=http)
    assert not caught.value.transient
    assert "es -> zh-Hant" in caught.value.message
    with pytest.raises(TranslationError) as not_installed:
        await ArgosProvider().translate(["hola"], source="es", target="ko", glossary=None, http=http)
    assert "no Argos Translate language package for ko" in not_installed.value.message
