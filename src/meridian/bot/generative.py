"""Optional written answers from a language model, grounded only in retrieved passages.

The model sees the customer's question and the numbered passages, and must answer from
them alone, cite them as [1], [2], and say ``NO_ANSWER`` when they do not hold the
answer. An answer without a citation is treated as a refusal: we would rather hand
over than let it improvise. Order data never reaches the model, so it cannot invent
any. Request shapes: OpenAI's ``POST /chat/completions`` (also served by most
self-hosted models) and Anthropic's ``POST /v1/messages`` with ``x-api-key`` and
``anthropic-version`` headers (docs.anthropic.com, Messages API).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from meridian.bot.schemas import GenerativeSettings
from meridian.languages.tags import language_name

REFUSAL = "NO_ANSWER"
_CITATION = re.compile(r"\[(\d{1,2})\]")
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class GenerationError(Exception):
    pass


@dataclass(frozen=True)
class Generated:
    text: str
    # 1-based numbers of the passages the answer cites.
    cited: list[int]


def _prompt(question: str, passages: Sequence[str], language: str) -> tuple[str, str]:
    system = (
        "You are a customer-support assistant. Answer the customer's question using ONLY the "
        "numbered passages from the company's help center. Cite every passage you use as [n]. "
        f"Write the answer in {language_name(language)} ({language}), in two to five sentences. "
        f"If the passages do not contain the answer, reply with exactly {REFUSAL} and nothing else. "
        "Never invent order numbers, dates, prices, statuses or policies."
    )
    numbered = "\n\n".join(f"[{i}] {p}" for i, p in enumerate(passages, start=1))
    return system, f"Passages:\n{numbered}\n\nCustomer question:\n{question}"


async def generate_answer(
    settings: GenerativeSettings,
    *,
    api_key: str | None,
    question: str,
    passages: Sequence[str],
    language: str,
    http: httpx.AsyncClient | None = None,
) -> Generated | None:
    """The grounded answer, or None when the model declined (or cited nothing)."""
    system, user = _prompt(question, passages, language)
    base = str(settings.api_base_url).rstrip("/")
    if settings.provider == "anthropic":
        url = f"{base}/v1/messages"
        headers = {"anthropic-version": "2023-06-01", **({"x-api-key": api_key} if api_key else {})}
        payload: dict[str, object] = {
            "model": settings.model,
            "max_tokens": 600,
            "system": system,
            "messages": [{"role": "user", "content": user}],
        }
    else:
        url = f"{base}/chat/completions"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        payload = {
            "model": settings.model,
            "temperature": 0,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        }
    try:
        if http is not None:
            response = await http.post(url, json=payload, headers=headers)
        else:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                response = await client.post(url, json=payload, headers=headers)
    except httpx.HTTPError as exc:
        raise GenerationError(f"language model unreachable: {exc}") from exc
    if response.status_code != 200:
        raise GenerationError(f"language model answered HTTP {response.status_code}")
    try:
        data = response.json()
        if settings.provider == "anthropic":
            text = "".join(part.get("text", "") for part in data["content"] if part.get("type") == "text")
        else:
            text = data["choices"][0]["message"]["content"] or ""
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise GenerationError("language model answered in an unexpected shape") from exc
    text = text.strip()
    if not text or REFUSAL in text:
        return None
    cited = sorted({int(n) for n in _CITATION.findall(text) if 1 <= int(n) <= len(passages)})
    if not cited:
        return None
    return Generated(text=text, cited=cited)
