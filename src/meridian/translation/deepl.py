"""DeepL API, ``POST /v2/translate``.

Plain httpx rather than the official ``deepl`` package: that package is synchronous
(requests), keeps its own connection pool instead of the shared ``httpx.AsyncClient``,
and retries 429/5xx internally with up to five back-offs of its own, which would block a
worker thread for minutes and hide ``Retry-After`` from our job queue's retry policy.

Request and response:
https://developers.deepl.com/docs/api-reference/translate/openapi-spec-for-text-translation
Errors (456 quota exceeded, 429 too many requests):
https://developers.deepl.com/docs/best-practices/error-handling
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
from meridian.translation.glossary import XML_IGNORED, Glossary, protect

FREE_API = "https://api-free.deepl.com"
PRO_API = "https://api.deepl.com"
# "text" may be given up to 50 times per request; the body must stay under 128 KiB.
MAX_TEXTS = 50
MAX_CHARS = 30_000
# English and Portuguese targets need a variant; British English is written in these.
_BRITISH_ENGLISH = {"GB", "IE", "AU", "NZ", "ZA", "IN"}


def target_code(tag: str) -> str:
    normalized = normalize_language_tag(tag)
    language, *rest = normalized.split("-")
    region = rest[-1] if rest else ""
    if language == "en":
        return "EN-GB" if region in _BRITISH_ENGLISH else "EN-US"
    if language == "pt":
        return "PT-BR" if region in ("", "BR") else "PT-PT"
    if language == "zh":
        return "ZH-HANT" if normalized == "zh-Hant" else "ZH-HANS"
    if language == "es" and region == "419":
        return "ES-419"
    return language.upper()


def source_code(tag: str) -> str:
    # Source languages are given without a variant (EN, PT, ZH).
    return normalize_language_tag(tag).split("-")[0].upper()


class DeepLProvider:
    name = "deepl"

    def __init__(self, *, api_key: str, api_base_url: str | None = None) -> None:
        self.api_key = api_key
        # Free-plan keys end in ":fx" and are served by a separate host.
        default = FREE_API if api_key.endswith(":fx") else PRO_API
        self.api_base_url = (api_base_url or default).rstrip("/")

    @classmethod
    def from_settings(cls, settings: ProviderSettings) -> DeepLProvider:
        if not settings.api_key:
            raise TranslationError("DeepL needs an API key", transient=False)
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
        batch = protect(texts, glossary, source=source, target=target, markup=XML_IGNORED)
        results: list[TranslationResult] = []
        for part in chunks(batch.texts, max_items=MAX_TEXTS, max_chars=MAX_CHARS):
            body: dict[str, Any] = {"text": part, "target_lang": target_code(target)}
            if source:
                body["source_lang"] = source_code(source)
            if batch.uses_markup:
                body["tag_handling"] = "xml"
                body["ignore_tags"] = ["x"]
            for item in await self._request(body, http, expected=len(part)):
                index = len(results)
                results.append(
                    TranslationResult(
                        text=batch.restore(index, item["text"]),
                        detected_source=tag_from_vendor(item.get("detected_source_language")),
                        provider=self.name,
                    )
                )
        return results

    async def _request(
        self, body: dict[str, Any], http: httpx.AsyncClient, *, expected: int
    ) -> list[dict[str, Any]]:
        response = await post(
            http,
            f"{self.api_base_url}/v2/translate",
            vendor="DeepL",
            json=body,
            headers={"Authorization": f"DeepL-Auth-Key {self.api_key}"},
        )
        if response.status_code != 200:
            raise self._error(response)
        payload = response_json(response, vendor="DeepL")
        items = payload.get("translations") if isinstance(payload, dict) else None
        if (
            not isinstance(items, list)
            or len(items) != expected
            or not all(isinstance(i, dict) and isinstance(i.get("text"), str) for i in items)
        ):
            raise malformed("DeepL", f"expected {expected} translations")
        return items

    @staticmethod
    def _error(response: httpx.Response) -> TranslationError:
        detail = _message(response)
        if response.status_code == 456:
            return QuotaExceeded(f"DeepL character quota exceeded: {detail}")
        if response.status_code == 529:
            # DeepL's "too many requests" under high load, handled like 429.
            return TranslationError(f"DeepL overloaded: {detail}", transient=True)
        return error_for_status(response, f"DeepL: {detail}")


def _message(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return str(payload["message"])
    return response.reason_phrase
