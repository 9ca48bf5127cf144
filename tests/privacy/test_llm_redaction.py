"""PII redaction before any language model: the bot's generative answer sees masked text.

Inbound bodies are masked at ingest already (card numbers, IBANs, the workspace's
patterns: privacy/redaction.py); the bot redacts the question again before the model, so
a body stored before a pattern was added cannot leak to it either."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from meridian.bot.service import respond
from meridian.db.engine import Database
from tests.bot.support import bot_world, customer_says, dispatch
from tests.factories import Factory
from tests.support.vendor_server import RecordedRequest, ScriptedResponse, vendor_server


async def test_the_model_sees_the_question_redacted(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    async with db.session() as session:
        if not await session.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'vector'")):
            # Full-text-only KB search does not find the article for this question, so
            # the bot hands off before any model is asked (the embedded server has pgvector).
            pytest.skip("the bot's retrieval needs pgvector on this server")
    world = await bot_world(client, factory, db)
    seen: list[RecordedRequest] = []

    def model(request: RecordedRequest) -> ScriptedResponse:
        seen.append(request)
        return ScriptedResponse(
            200, {"choices": [{"message": {"role": "assistant", "content": "NO_ANSWER"}}]}
        )

    with vendor_server() as llm:
        llm.respond("/v1/chat/completions", model)
        saved = await client.put(
            "/api/v1/bot/settings",
            headers=world.tenant.headers,
            json={
                "generative": {"provider": "openai", "api_base_url": f"{llm.url}/v1", "model": "small-model"},
                "llm_api_key": "sk-test",
                "confidence_threshold": 0.5,
            },
        )
        assert saved.status_code == 200, saved.text
        _, message_id = await customer_says(
            client, world, "Quiero devolver un artículo, lo pagué con la tarjeta 4111 1111 1111 1111"
        )
        # A pattern added after the message arrived (an order number format, say): the
        # stored body still has the words, the model must not see them.
        patterns = await client.put(
            "/api/v1/settings/redaction", headers=world.tenant.headers, json={"patterns": [r"tarj\w+"]}
        )
        assert patterns.status_code == 200, patterns.text
        await dispatch(db, world.tenant.workspace_id)
        await respond(db, message_id)
    assert seen, "the question reached the model"
    prompt = seen[0].json()["messages"][1]["content"]
    question = prompt.split("Customer question:")[1]
    assert "Quiero devolver un artículo" in question
    assert "4111" not in question and "tarjeta" not in question and "[redacted]" in question
