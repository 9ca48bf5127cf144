"""Argos Translate: offline translation on this machine, no data leaves it.

Optional: ``pip install argostranslate`` and install language packages with ``argospm``
(https://argos-translate.readthedocs.io). The package is imported only when used, so
Meridian runs without it. Python API: ``argostranslate.translate.get_installed_languages()``
gives languages with ``code`` and ``get_translation(to_language)``, whose ``translate(text)``
returns the translation (https://github.com/argosopentech/argos-translate, README).
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Sequence
from typing import Any

import httpx

from meridian.languages.detect import detect_language
from meridian.translation.base import (
    ProviderSettings,
    TranslationError,
    TranslationResult,
    pick_code,
    tag_from_vendor,
)
from meridian.translation.glossary import TOKENS, Glossary, protect

# Argos package codes that are not BCP 47: zt is Traditional Chinese, pb Brazilian Portuguese.
ALIASES: dict[str, tuple[str, ...]] = {
    "zh-Hans": ("zh",),
    "zh-Hant": ("zt", "zh-Hant"),
    "pt-BR": ("pb", "pt"),
}
_TAG_OF_CODE = {"zh": "zh-Hans", "zt": "zh-Hant", "pb": "pt-BR"}


class ArgosProvider:
    name = "argos"

    def __init__(self) -> None:
        self._module: Any = None

    @classmethod
    def from_settings(cls, settings: ProviderSettings) -> ArgosProvider:
        return cls()

    async def translate(
        self,
        texts: Sequence[str],
        *,
        source: str | None,
        target: str,
        glossary: Glossary | None,
        http: httpx.AsyncClient,
    ) -> list[TranslationResult]:
        # ``http`` is unused: everything happens in this process.
        module = self._load()
        # Translation is CPU-bound (CTranslate2): keep it off the event loop.
        return await asyncio.to_thread(self._translate_sync, module, list(texts), source, target, glossary)

    def _load(self) -> Any:
        if self._module is None:
            try:
                self._module = importlib.import_module("argostranslate.translate")
            except ImportError as exc:
                raise TranslationError(
                    "Argos Translate is not installed: pip install argostranslate, "
                    "then install language packages with argospm",
                    transient=False,
                ) from exc
        return self._module

    def _translate_sync(
        self,
        module: Any,
        texts: list[str],
        source: str | None,
        target: str,
        glossary: Glossary | None,
    ) -> list[TranslationResult]:
        installed = {str(language.code): language for language in module.get_installed_languages()}
        target_code = self._code(target, installed)
        known_tags = [tag for tag in (tag_from_vendor(_TAG_OF_CODE.get(c, c)) for c in installed) if tag]
        results: list[TranslationResult] = []
        for text in texts:
            text_source = source or detect_language(text, candidates=known_tags).language
            if text_source is None or self._code(text_source, installed) == target_code:
                # Nothing to tell the language by ("ok", "👍") or already in the target.
                results.append(TranslationResult(text, text_source, self.name))
                continue
            source_code = self._code(text_source, installed)
            translation = installed[source_code].get_translation(installed[target_code])
            if translation is None:
                raise TranslationError(
                    f"no Argos Translate package for {text_source} -> {target}", transient=False
                )
            batch = protect([text], glossary, source=text_source, target=target, markup=TOKENS)
            translated = str(translation.translate(batch.texts[0]))
            results.append(TranslationResult(batch.restore(0, translated), text_source, self.name))
        return results

    @staticmethod
    def _code(tag: str, installed: dict[str, Any]) -> str:
        code = pick_code(tag, list(installed), aliases=ALIASES)
        if code is None:
            raise TranslationError(
                f"no Argos Translate language package for {tag} is installed", transient=False
            )
        return code
