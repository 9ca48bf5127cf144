from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, HttpUrl, StringConstraints

from meridian.core.schemas import StrictModel

# Calibrated on the demo knowledge base (docs/knowledge-base-and-bot.md): below this
# cosine similarity between question and passage the bot hands off instead of answering
# (questions in the article's own language need ``answer.SAME_LANGUAGE_OFFSET`` more).
DEFAULT_THRESHOLD = 0.815
Secret = Annotated[str, StringConstraints(min_length=1, max_length=500)]


def _order_url(value: str) -> str:
    # Not HttpUrl: it would percent-encode the {order_id} placeholder.
    if not value.startswith(("https://", "http://")) or "{order_id}" not in value:
        raise ValueError("must be an http(s) URL containing {order_id}")
    return value


OrderUrl = Annotated[str, StringConstraints(max_length=1000), AfterValidator(_order_url)]


class GenerativeSettings(StrictModel):
    # "openai": any OpenAI-compatible /chat/completions endpoint; "anthropic": /v1/messages.
    provider: Literal["openai", "anthropic"] = "openai"
    api_base_url: HttpUrl
    model: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class BotSettingsIn(StrictModel):
    confidence_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    # Write answers with a language model, grounded in the retrieved passages (optional).
    generative: GenerativeSettings | None = None
    llm_api_key: Secret | None = None
    # Order lookups: ``{order_id}`` in the URL is replaced (GET, JSON answer).
    order_status_url: OrderUrl | None = None
    order_status_api_key: Secret | None = None


class BotSettingsOut(BaseModel):
    confidence_threshold: float
    generative: GenerativeSettings | None
    order_status_url: str | None
    # Names of write-only settings that have a value.
    secrets_set: list[str]
    updated_at: datetime | None
