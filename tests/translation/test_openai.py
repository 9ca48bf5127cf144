from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from meridian.translation.base import QuotaExceeded, TranslationError
from meridian.translation.glossary import Glossary, GlossaryTerm
from meridian.translation.openai import SYSTEM_PROMPT, OpenAIProvider
from tests.support.vendor_server import RecordedRequest, ScriptedResponse
from tests.translation.support import Vendor

PATH = "/v1/chat/completions"


def completion(content: str, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
    }


def model_stand_in(request: RecordedRequest) -> ScriptedResponse:
    """A "model" that follows the prompt: one upper-cased translation per text, tokens kept."""
    if request.headers.get("authorization") != "Bearer sk-test":
        return ScriptedResponse(401, {"error": {"message": "bad key", "type": "invalid_request_error"}})
    asked = json.loads(request.json()["messages"][1]["content"])
    answer = {"translations": [{"text": t.upper(), "source_language": "es"} for t in asked["texts"]]}
    return ScriptedResponse(200, completion(json.dumps(answer, ensure_ascii=False)))


def provider(vendor: Vendor) -> OpenAIProvider:
    return OpenAIProvider(api_key="sk-test", model="gpt-test", api_base_url=f"{vendor.url}/v1")


async def test_sends_a_json_mode_chat_completion(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.respond(PATH, model_stand_in)
    results = await provider(vendor).translate(
        ["hola", "mi pedido #A-17\nno llegó"], source=None, target="pt-BR", glossary=None, http=http
    )
    assert [r.text for r in results] == ["HOLA", "MI PEDIDO #A-17\nNO LLEGÓ"]
    assert {(r.detected_source, r.provider) for r in results} == {("es", "openai")}
    body = vendor.requests_to(PATH)[0].json()
    assert body["model"] == "gpt-test"
    assert body["response_format"] == {"type": "json_object"}
    assert body["temperature"] == 0
    assert body["messages"][0] == {"role": "system", "content": SYSTEM_PROMPT}
    assert json.loads(body["messages"][1]["content"]) == {
        "target_language": "Portuguese (Brazil) (pt-BR)",
        "source_language": "unknown: detect it",
        "texts": ["hola", "mi pedido #A-17\nno llegó"],
    }


def test_prompt_states_the_rules() -> None:
    for rule in ("URLs", "email addresses", "order", "line break", "Markdown", "⟦0⟧", "Never"):
        assert rule in SYSTEM_PROMPT


async def test_glossary_tokens_round_trip(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.respond(PATH, model_stand_in)
    glossary = Glossary((GlossaryTerm("carrito", translations={"en": "basket"}),))
    results = await provider(vendor).translate(
        ["mi carrito"], source="es", target="en", glossary=glossary, http=http
    )
    assert results[0].text == "MI basket"
    asked = json.loads(vendor.requests_to(PATH)[0].json()["messages"][1]["content"])
    assert asked["texts"] == ["mi ⟦0⟧"]
    assert asked["source_language"] == "Spanish (es)"


@pytest.mark.parametrize(
    "content",
    [
        "Sure! Here is the translation: hello",
        json.dumps({"translations": []}),
        json.dumps({"translations": [{"text": 1}]}),
        json.dumps({"result": "hello"}),
        # The protected token was dropped.
        json.dumps({"translations": [{"text": "my basket"}]}),
    ],
)
async def test_malformed_model_answers_are_transient(
    vendor: Vendor, http: httpx.AsyncClient, content: str
) -> None:
    vendor.script(PATH, ScriptedResponse(200, completion(content)))
    glossary = Glossary((GlossaryTerm("carrito", translations={"en": "basket"}),))
    with pytest.raises(TranslationError) as caught:
        await provider(vendor).translate(
            ["mi carrito"], source="es", target="en", glossary=glossary, http=http
        )
    assert caught.value.transient


async def test_truncated_answer_is_transient(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.script(PATH, ScriptedResponse(200, completion('{"translations": [', "length")))
    with pytest.raises(TranslationError) as caught:
        await provider(vendor).translate(["hola"], source=None, target="en", glossary=None, http=http)
    assert caught.value.transient


async def test_rate_limit_is_transient_with_retry_after(vendor: Vendor, http: httpx.AsyncClient) -> None:
    error = {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}
    vendor.script(PATH, ScriptedResponse(429, {"error": error}, headers={"retry-after": "20"}))
    with pytest.raises(TranslationError) as caught:
        await provider(vendor).translate(["hola"], source=None, target="en", glossary=None, http=http)
    assert not isinstance(caught.value, QuotaExceeded)
    assert (caught.value.transient, caught.value.retry_after) == (True, 20.0)


async def test_insufficient_quota_is_quota_exceeded(vendor: Vendor, http: httpx.AsyncClient) -> None:
    error = {
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "type": "insufficient_quota",
        "code": "insufficient_quota",
    }
    vendor.script(PATH, ScriptedResponse(429, {"error": error}))
    with pytest.raises(QuotaExceeded) as caught:
        await provider(vendor).translate(["hola"], source=None, target="en", glossary=None, http=http)
    assert not caught.value.transient


async def test_bad_key_is_permanent(vendor: Vendor, http: httpx.AsyncClient) -> None:
    vendor.respond(PATH, model_stand_in)
    bad = OpenAIProvider(api_key="sk-wrong", api_base_url=f"{vendor.url}/v1")
    with pytest.raises(TranslationError) as caught:
        await bad.translate(["hola"], source=None, target="en", glossary=None, http=http)
    assert not caught.value.transient
