"""Microsoft (Azure AI) Translator v3, ``POST /translate?api-version=3.0&to=``.

Reference: https://learn.microsoft.com/azure/ai-services/translator/reference/v3-0-translate
Authentication headers: https://learn.microsoft.com/azure/ai-services/translator/reference/v3-0-reference
Error codes (403001 free quota used up, 429xxx rate limits):
https://learn.microsoft.com/azure/ai-services/translator/text-translation/reference/status-response-codes
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from meridian.languages.tags import normalize_language_tag
from meridian.translation.base import (
    ProviderSettings,
    QuotaExceeded,
    TranslationError,
    TranslationResult,
    chunks,
    error_for_status,
    malformed,
    post,
    response_json,
    tag_from_vendor,
)
from meridian.translation.glossary import HTML_NO_TRANSLATE, Glossary, protect

DEFAULT_API = "https://api.cognitive.microsofttranslator.com"
# At most 1,000 array elements and 50,000 characters per request.
MAX_TEXTS = 1_000
MAX_CHARS = 50_000
# Codes where Translator distinguishes a variant of the language.
_CODES = {
    "zh-Hans": "zh-Hans",
    "zh-Hant": "zh-Hant",
    "pt-PT": "pt-pt",
    "fr-CA": "fr-ca",
    "sr-Latn": "sr-Latn",
    "sr-Cyrl": "sr-Cyrl",
    "nb": "nb",
    "no": "nb",
}
_QUOTA_CODES = {403001}


def language_code(tag: str) -> str:
    normalized = normalize_language_tag(tag)
    return _CODES.get(normalized) or normalized.split("-")[0]


class MicrosoftProvider:
    name = "microsoft"

    def __init__(self, *, api_key: str, region: str | None = None, api_base_url: str | None = None) -> None:
        self.api_key = api_key
        self.region = region
        self.api_base_url = (api_base_url or DEFAULT_API).rstrip("/")

    @classmethod
    def from_settings(cls, settings: ProviderSettings) -> MicrosoftProvider:
        if not settings.api_key:
            raise TranslationError("Microsoft Translator needs an API key", transient=False)
        return cls(api_key=settings.api_key, region=settings.region, api_base_url=settings.api_base_url)

    async def translate(
        self,
        texts: Sequence[str],
        *,
        source: str | None,
        target: str,
        glossary: Glossary | None,
        http: httpx.AsyncClient,
    ) -> list[TranslationResult]:
        batch = protect(texts, glossary, source=source, target=target, markup=HTML_NO_TRANSLATE)
        params = {"api-version": "3.0", "to": language_code(target)}
        if source:
            params["from"] = language_code(source)
        if batch.uses_markup:
            params["textType"] = "html"
        headers = {"Ocp-Apim-Subscription-Key": self.api_key}
        if self.region:
            # Required for regional and multi-service resources, optional for global ones.
            headers["Ocp-Apim-Subscription-Region"] = self.region
        results: list[TranslationResult] = []
        for part in chunks(batch.texts, max_items=MAX_TEXTS, max_chars=MAX_CHARS):
            response = await post(
                http,
                f"{self.api_base_url}/translate",
                vendor="Microsoft Translator",
                json=[{"Text": text} for text in part],
                headers=headers,
                params=params,
            )
            if response.status_code != 200:
                raise _error(response)
            for item in _items(response, expected=len(part)):
                index = len(results)
                detected = item.get("detectedLanguage")
                detected_code = detected.get("language") if isinstance(detected, dict) else None
                results.append(
                    TranslationResult(
                        text=batch.restore(index, item["translations"][0]["text"]),
                        detected_source=tag_from_vendor(detected_code) if detected_code else source,
                        provider=self.name,
                    )
                )
        return results


def _items(response: httpx.Response, *, expected: int) -> list[dict[str, Any]]:
    payload = response_json(response, vendor="Microsoft Translator")
    ok = isinstance(payload, list) and len(payload) == expected
    for item in payload if ok else ():
        translations = item.get("translations") if isinstance(item, dict) else None
        if not (
            isinstance(translations, list)
            and translations
            and isinstance(translations[0], dict)
            and isinstance(translations[0].get("text"), str)
        ):
            ok = False
    if not ok:
        raise malformed("Microsoft Translator", f"expected {expected} translations")
    return list(payload)


def _error(response: httpx.Response) -> TranslationError:
    message, code = response.reason_phrase, None
    try:
        error = response.json().get("error", {})
        message = str(error.get("message") or message)
        code = int(error.get("code"))
    except (ValueError, AttributeError, TypeError):
        pass
    if response.status_code == 403 and code in _QUOTA_CODES:
        return QuotaExceeded(f"Microsoft Translator free quota used up: {message}")
    return error_for_status(response, f"Microsoft Translator {code or ''}: {message}".strip())
