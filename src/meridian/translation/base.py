"""The one interface every machine-translation provider implements, and its errors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import httpx

from meridian.core.clock import utcnow
from meridian.languages.tags import normalize_language_tag

if TYPE_CHECKING:
    from meridian.translation.glossary import Glossary


@dataclass(frozen=True, slots=True)
class TranslationResult:
    text: str
    # BCP 47, when the provider detected (or was told) the source language.
    detected_source: str | None
    provider: str


class TranslationError(Exception):
    """A translation that did not happen.

    ``transient`` errors (rate limits, timeouts, a vendor's 5xx, a garbled model answer)
    are worth retrying, after ``retry_after`` seconds when the vendor said so; the others
    (bad key, unsupported language) fail the same way until someone changes a setting.
    """

    def __init__(self, message: str, *, transient: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.retry_after = retry_after


class QuotaExceeded(TranslationError):
    """The account's character or spending quota is used up: retrying soon won't help."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, transient=False, retry_after=retry_after)


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    """A workspace's translation settings, as ``GET /settings/translation`` shows them."""

    provider: str
    api_key: str | None = None
    api_base_url: str | None = None
    model: str | None = None
    # Microsoft Translator's Azure region for regional and multi-service resources.
    region: str | None = None


@runtime_checkable
class TranslationProvider(Protocol):
    name: str

    async def translate(
        self,
        texts: Sequence[str],
        *,
        source: str | None,
        target: str,
        glossary: Glossary | None,
        http: httpx.AsyncClient,
    ) -> list[TranslationResult]:
        """Translate ``texts`` into ``target``, one result per text, in order."""
        ...


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The ``Retry-After`` header (RFC 9110 section 10.2.3: seconds or an HTTP date)."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when: datetime = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - utcnow()).total_seconds())


def error_for_status(response: httpx.Response, message: str) -> TranslationError:
    """The classification every vendor shares; adapters handle their special cases first."""
    status = response.status_code
    text = f"{message} (HTTP {status})"
    if status == 429:
        return TranslationError(text, transient=True, retry_after=retry_after_seconds(response.headers))
    if status in (408, 425) or status >= 500:
        return TranslationError(text, transient=True, retry_after=retry_after_seconds(response.headers))
    return TranslationError(text, transient=False)


async def post(
    http: httpx.AsyncClient,
    url: str,
    *,
    vendor: str,
    json: Any,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST, turning network failures into transient ``TranslationError``s."""
    try:
        return await http.post(url, json=json, headers=headers, params=params)
    except httpx.TimeoutException as exc:
        raise TranslationError(f"{vendor} timed out", transient=True) from exc
    except httpx.HTTPError as exc:
        raise TranslationError(f"{vendor} unreachable: {exc}", transient=True) from exc


def response_json(response: httpx.Response, *, vendor: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise TranslationError(f"{vendor} answered with invalid JSON", transient=True) from exc


def malformed(vendor: str, detail: str) -> TranslationError:
    # An answer of the wrong shape is most often a proxy or a vendor hiccup; a retry may
    # well succeed, and a persistent one shows up as repeated failures.
    return TranslationError(f"{vendor} answered unexpectedly: {detail}", transient=True)


def chunks(texts: Sequence[str], *, max_items: int, max_chars: int) -> Iterator[list[str]]:
    """Split a batch to respect a vendor's per-request limits, keeping order."""
    batch: list[str] = []
    size = 0
    for text in texts:
        if batch and (len(batch) >= max_items or size + len(text) > max_chars):
            yield batch
            batch, size = [], 0
        batch.append(text)
        size += len(text)
    if batch:
        yield batch


def tag_from_vendor(code: object) -> str | None:
    """A vendor's language code as our BCP 47 tag (``zh-CN`` -> ``zh-Hans``, ``EN`` -> ``en``)."""
    if not isinstance(code, str) or not code:
        return None
    try:
        return normalize_language_tag(code)
    except ValueError:
        return None


def pick_code(tag: str, available: Sequence[str], *, aliases: Mapping[str, Sequence[str]]) -> str | None:
    """The first spelling of ``tag`` a vendor lists (vendors' codes vary by version)."""
    normalized = normalize_language_tag(tag)
    primary = normalized.split("-")[0]
    lowered = {code.lower(): code for code in available}
    for option in (*aliases.get(normalized, ()), normalized, primary):
        if option.lower() in lowered:
            return lowered[option.lower()]
    return None
