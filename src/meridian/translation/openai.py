"""Any OpenAI-compatible chat-completions API (OpenAI, Azure OpenAI, vLLM, Ollama...).

``POST {base}/chat/completions`` with a Bearer key and ``response_format`` JSON mode:
https://platform.openai.com/docs/api-reference/chat/create
Errors (429 ``rate_limit_exceeded`` vs ``insufficient_quota``):
https://platform.openai.com/docs/guides/error-codes
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from meridian.languages.tags import language_name, normalize_language_tag
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
from meridian.translation.glossary import TOKENS, Glossary, GlossaryTermLost, protect

DEFAULT_API = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
# Small batches keep each answer well inside the model's output limit.
MAX_TEXTS = 20
MAX_CHARS = 8_000
# error.code values that mean "out of money", not "too fast" (all sent with HTTP 429).
_QUOTA_CODES = {
    "insufficient_quota",
    "credit_balance_exhausted",
    "organization_spend_limit_exceeded",
    "project_spend_limit_exceeded",
    "organization_usage_limit_exceeded",
}

SYSTEM_PROMPT = """\
You translate customer-service messages. The user sends JSON with "target_language", \
"source_language" and a list "texts". Translate every text into the target language.

Rules:
- Translate faithfully and completely: same meaning, tone and politeness. Never \
summarise, answer, explain, censor or add anything.
- Keep unchanged: names of people, companies and products; numbers, prices, dates; \
order, tracking and reference ids; URLs; email addresses; phone numbers; emoji.
- Keep Markdown and HTML markup and every line break exactly where they are.
- Tokens like ⟦0⟧ stand for protected terms: copy each one exactly, once, where it \
belongs in the translated sentence.
- A text already in the target language is returned unchanged.

Reply with one JSON object and nothing else:
{"translations": [{"text": "<translation>", "source_language": "<BCP 47 tag of the \
original>"}]}
with exactly one entry per input text, in the same order."""


class _Item(BaseModel):
    text: str
    source_language: str | None = None


class _Answer(BaseModel):
    translations: list[_Item]


class OpenAIProvider:
    name = "openai"

    def __init__(
        self, *, api_key: str | None, model: str | None = None, api_base_url: str | None = None
    ) -> None:
        self.api_key = api_key
        self.model = model or DEFAULT_MODEL
        self.api_base_url = (api_base_url or DEFAULT_API).rstrip("/")

    @classmethod
    def from_settings(cls, settings: ProviderSettings) -> OpenAIProvider:
        if not settings.api_key and not settings.api_base_url:
            raise TranslationError("OpenAI needs an API key", transient=False)
        # A local OpenAI-compatible server (Ollama, vLLM) may need no key.
        return cls(api_key=settings.api_key, model=settings.model, api_base_url=settings.api_base_url)

    async def translate(
        self,
        texts: Sequence[str],
        *,
        source: str | None,
        target: str,
        glossary: Glossary | None,
        http: httpx.AsyncClient,
    ) -> list[TranslationResult]:
        batch = protect(texts, glossary, source=source, target=target, markup=TOKENS)
        results: list[TranslationResult] = []
        for part in chunks(batch.texts, max_items=MAX_TEXTS, max_chars=MAX_CHARS):
            for item in await self._complete(part, source=source, target=target, http=http):
                index = len(results)
                try:
                    text = batch.restore(index, item.text)
                except GlossaryTermLost as exc:
                    # A model that forgot a token may well keep it on the next try.
                    raise TranslationError(exc.message, transient=True) from exc
                detected = tag_from_vendor(item.source_language) or source
                results.append(TranslationResult(text, detected, self.name))
        return results

    async def _complete(
        self, texts: list[str], *, source: str | None, target: str, http: httpx.AsyncClient
    ) -> list[_Item]:
        request = {
            "target_language": _describe(target),
            "source_language": _describe(source) if source else "unknown: detect it",
            "texts": texts,
        }
        body: dict[str, Any] = {
            "model": self.model,
            "temperature": 0,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": json.dumps(request, ensure_ascii=False)},
            ],
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        response = await post(
            http,
            f"{self.api_base_url}/chat/completions",
            vendor="OpenAI",
            json=body,
            headers=headers,
        )
        if response.status_code != 200:
            raise _error(response)
        return _parse(response_json(response, vendor="OpenAI"), expected=len(texts))


def _describe(tag: str) -> str:
    normalized = normalize_language_tag(tag)
    return f"{language_name(normalized)} ({normalized})"


def _parse(payload: Any, *, expected: int) -> list[_Item]:
    try:
        choice = payload["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise malformed("OpenAI", "no choices[0].message.content") from exc
    if choice.get("finish_reason") == "length":
        raise malformed("OpenAI", "answer cut off at the token limit")
    try:
        answer = _Answer.model_validate_json(content)
    except (ValidationError, ValueError, TypeError) as exc:
        raise malformed("OpenAI", "the model's answer is not the requested JSON") from exc
    if len(answer.translations) != expected:
        raise malformed("OpenAI", f"{len(answer.translations)} translations for {expected} texts")
    return answer.translations


def _error(response: httpx.Response) -> TranslationError:
    message, codes = response.reason_phrase, set[str]()
    try:
        error = response.json().get("error", {})
        message = str(error.get("message") or message)
        codes = {str(error.get("code")), str(error.get("type"))}
    except (ValueError, AttributeError):
        pass
    if response.status_code == 429 and codes & _QUOTA_CODES:
        return QuotaExceeded(f"OpenAI quota exceeded: {message}")
    return error_for_status(response, f"OpenAI: {message}")
