"""LibreTranslate, ``POST /translate`` (self-hosted or libretranslate.com).

API: https://docs.libretranslate.com/guides/api_usage/ ; languages: ``GET /languages``.
Language codes differ between releases (Chinese is zh/zt in older servers, zh-Hans/
zh-Hant in newer ones; Brazilian Portuguese pb or pt-BR), so the adapter asks the server
which codes it has once and picks among them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from meridian.translation.base import (
    ProviderSettings,
    TranslationError,
    TranslationResult,
    error_for_status,
    malformed,
    pick_code,
    post,
    response_json,
    tag_from_vendor,
)
from meridian.translation.glossary import HTML_NO_TRANSLATE, Glossary, protect

DEFAULT_API = "https://libretranslate.com"
ALIASES: dict[str, tuple[str, ...]] = {
    "zh-Hans": ("zh-Hans", "zh"),
    "zh-Hant": ("zh-Hant", "zt"),
    "pt-BR": ("pt-BR", "pb", "pt"),
}


class LibreTranslateProvider:
    name = "libretranslate"

    def __init__(self, *, api_key: str | None = None, api_base_url: str | None = None) -> None:
        self.api_key = api_key
        self.api_base_url = (api_base_url or DEFAULT_API).rstrip("/")
        self._codes: list[str] | None = None

    @classmethod
    def from_settings(cls, settings: ProviderSettings) -> LibreTranslateProvider:
        # A self-hosted server needs no key; libretranslate.com does.
        return cls(api_key=settings.api_key, api_base_url=settings.api_base_url)

    async def translate(
        self,
        texts: Sequence[str],
        *,
        source: str | None,
        target: str,
        glossary: Glossary | None,
        http: httpx.AsyncClient,
    ) -> list[TranslationResult]:
        if not texts:
            return []
        codes = await self._languages(http)
        target_code = self._code(target, codes)
        source_code = self._code(source, codes) if source else "auto"
        batch = protect(texts, glossary, source=source, target=target, markup=HTML_NO_TRANSLATE)
        body: dict[str, Any] = {
            "q": batch.texts,
            "source": source_code,
            "target": target_code,
            "format": "html" if batch.uses_markup else "text",
        }
        if self.api_key:
            body["api_key"] = self.api_key
        response = await post(http, f"{self.api_base_url}/translate", vendor="LibreTranslate", json=body)
        if response.status_code != 200:
            raise _error(response)
        payload = response_json(response, vendor="LibreTranslate")
        translated = payload.get("translatedText") if isinstance(payload, dict) else None
        if not (
            isinstance(translated, list)
            and len(translated) == len(batch.texts)
            and all(isinstance(t, str) for t in translated)
        ):
            raise malformed("LibreTranslate", f"expected {len(batch.texts)} translations")
        detected = payload.get("detectedLanguage")
        detected_list = detected if isinstance(detected, list) else [detected] * len(translated)
        results = []
        for index, text in enumerate(translated):
            found = detected_list[index] if index < len(detected_list) else None
            code = found.get("language") if isinstance(found, dict) else None
            results.append(
                TranslationResult(
                    text=batch.restore(index, text),
                    detected_source=tag_from_vendor(code) if code else source,
                    provider=self.name,
                )
            )
        return results

    async def _languages(self, http: httpx.AsyncClient) -> list[str]:
        if self._codes is None:
            try:
                response = await http.get(f"{self.api_base_url}/languages")
            except httpx.HTTPError as exc:
                raise TranslationError(f"LibreTranslate unreachable: {exc}", transient=True) from exc
            if response.status_code != 200:
                raise _error(response)
            payload = response_json(response, vendor="LibreTranslate")
            if not isinstance(payload, list):
                raise malformed("LibreTranslate", "/languages is not a list")
            self._codes = [str(item["code"]) for item in payload if isinstance(item, dict)]
        return self._codes

    @staticmethod
    def _code(tag: str, codes: Sequence[str]) -> str:
        code = pick_code(tag, codes, aliases=ALIASES)
        if code is None:
            raise TranslationError(f"this LibreTranslate server has no {tag} model", transient=False)
        return code


def _error(response: httpx.Response) -> TranslationError:
    try:
        message = str(response.json().get("error") or response.reason_phrase)
    except (ValueError, AttributeError):
        message = response.reason_phrase
    # 400 (bad input, unsupported language) and 403 (banned or invalid key) are permanent,
    # 429 ("Slowdown") and 5xx transient: the shared rules.
    return error_for_status(response, f"LibreTranslate: {message}")
