"""Google Cloud Translation - Basic (v2), ``POST /language/translate/v2?key=``.

v2 rather than v3 (Advanced) because v2 accepts a plain API key, which is what a
workspace admin can paste into settings; v3 needs OAuth service-account credentials.
Request/response: https://cloud.google.com/translate/docs/basic/translating-text
Quota errors (403 "Daily Limit Exceeded" / "User Rate Limit Exceeded"):
https://cloud.google.com/translate/quotas
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
    retry_after_seconds,
    tag_from_vendor,
)
from meridian.translation.glossary import HTML_NO_TRANSLATE, Glossary, protect

DEFAULT_API = "https://translation.googleapis.com"
# "You cannot exceed 128 text segments"; 5K characters per request is the recommended size.
MAX_TEXTS = 128
MAX_CHARS = 5_000
_QUOTA_REASONS = {"dailyLimitExceeded", "quotaExceeded", "dailyLimitExceededUnreg"}
_RATE_REASONS = {"userRateLimitExceeded", "rateLimitExceeded", "userRateLimitExceededUnreg"}
# Google's codes where they differ from the BCP 47 tag's language subtag.
_CODES = {"zh-Hans": "zh-CN", "zh-Hant": "zh-TW", "pt-PT": "pt-PT", "fil": "tl", "jv": "jw"}


def language_code(tag: str) -> str:
    normalized = normalize_language_tag(tag)
    return _CODES.get(normalized) or normalized.split("-")[0]


class GoogleProvider:
    name = "google"

    def __init__(self, *, api_key: str, api_base_url: str | None = None) -> None:
        self.api_key = api_key
        self.api_base_url = (api_base_url or DEFAULT_API).rstrip("/")

    @classmethod
    def from_settings(cls, settings: ProviderSettings) -> GoogleProvider:
        if not settings.api_key:
            raise TranslationError("Google Cloud Translation needs an API key", transient=False)
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
        batch = protect(texts, glossary, source=source, target=target, markup=HTML_NO_TRANSLATE)
        results: list[TranslationResult] = []
        for part in chunks(batch.texts, max_items=MAX_TEXTS, max_chars=MAX_CHARS):
            # format defaults to html, which would return "&#39;" for apostrophes in plain text.
            body: dict[str, Any] = {
                "q": part,
                "target": language_code(target),
                "format": "html" if batch.uses_markup else "text",
            }
            if source:
                body["source"] = language_code(source)
            for item in await self._request(body, http, expected=len(part)):
                index = len(results)
                detected = item.get("detectedSourceLanguage")
                results.append(
                    TranslationResult(
                        text=batch.restore(index, item["translatedText"]),
                        detected_source=tag_from_vendor(detected) if detected else source,
                        provider=self.name,
                    )
                )
        return results

    async def _request(
        self, body: dict[str, Any], http: httpx.AsyncClient, *, expected: int
    ) -> list[dict[str, Any]]:
        response = await post(
            http,
            f"{self.api_base_url}/language/translate/v2",
            vendor="Google",
            json=body,
            params={"key": self.api_key},
        )
        if response.status_code != 200:
            raise _error(response)
        payload = response_json(response, vendor="Google")
        data = payload.get("data") if isinstance(payload, dict) else None
        items = data.get("translations") if isinstance(data, dict) else None
        if (
            not isinstance(items, list)
            or len(items) != expected
            or not all(isinstance(i, dict) and isinstance(i.get("translatedText"), str) for i in items)
        ):
            raise malformed("Google", f"expected {expected} translations")
        return items


def _error(response: httpx.Response) -> TranslationError:
    message, reasons = response.reason_phrase, set[str]()
    try:
        error = response.json().get("error", {})
        message = str(error.get("message") or message)
        reasons = {str(e.get("reason")) for e in error.get("errors", []) if isinstance(e, dict)}
    except (ValueError, AttributeError):
        pass
    if response.status_code == 403 and reasons & _QUOTA_REASONS:
        return QuotaExceeded(f"Google Translation quota exceeded: {message}")
    if response.status_code == 403 and reasons & _RATE_REASONS:
        return TranslationError(
            f"Google Translation rate limit: {message}",
            transient=True,
            retry_after=retry_after_seconds(response.headers),
        )
    return error_for_status(response, f"Google Translation: {message}")
