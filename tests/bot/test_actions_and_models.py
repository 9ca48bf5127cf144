"""Order lookups and generative answers over real HTTP, against local stand-in servers."""

from __future__ import annotations

import httpx

from meridian.bot.service import respond
from meridian.db.engine import Database
from tests.bot.support import bot_world, customer_says, dispatch, thread
from tests.factories import Factory
from tests.support.vendor_server import RecordedRequest, ScriptedResponse, vendor_server


async def test_order_status_lookup(client: httpx.AsyncClient, factory: Factory, db: Database) -> None:
    world = await bot_world(client, factory, db)
    with vendor_server() as shop:
        shop.script(
            "/orders/48213",
            ScriptedResponse(
                200,
                {
                    "status": "shipped",
                    "estimated_delivery": "2026-12-02",
                    "tracking_url": "https://track.example/48213",
                },
            ),
        )
        shop.script("/orders/99999", ScriptedResponse(404, {"error": "not found"}))
        shop.script("/orders/55555", ScriptedResponse(503, {"error": "down"}))
        saved = await client.put(
            "/api/v1/bot/settings",
            headers=world.tenant.headers,
            json={"order_status_url": f"{shop.url}/orders/{{order_id}}", "order_status_api_key": "shop-key"},
        )
        assert saved.status_code == 200, saved.text

        conversation_id, message_id = await customer_says(client, world, "¿Dónde está mi pedido #48213?")
        await dispatch(db, world.tenant.workspace_id)
        plan = await respond(db, message_id)
        assert plan is not None and plan.kind == "say" and plan.meta["status"] == "shipped"
        _, body = (await thread(db, conversation_id))[-1]
        assert "Pedido 48213: enviado." in body
        assert "Entrega prevista: 2 de diciembre de 2026." in body
        assert "https://track.example/48213" in body
        [request] = shop.requests_to("/orders/48213")
        assert request.headers["authorization"] == "Bearer shop-key"

        _, missing = await customer_says(client, world, "Where is my order 99999?", identifier="c2")
        await dispatch(db, world.tenant.workspace_id)
        plan = await respond(db, missing)
        assert plan is not None and "couldn’t find order 99999" in plan.body

        _, broken = await customer_says(client, world, "Where is my order 55555?", identifier="c3")
        await dispatch(db, world.tenant.workspace_id)
        plan = await respond(db, broken)
        assert plan is not None and plan.kind == "handoff" and plan.reason == "action_failed"


async def test_generative_answers_are_grounded_or_refused(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    world = await bot_world(client, factory, db)
    seen: list[RecordedRequest] = []

    def model(request: RecordedRequest) -> ScriptedResponse:
        seen.append(request)
        prompt = request.json()["messages"][1]["content"]
        if "hiring" in prompt:
            return ScriptedResponse(
                200, {"choices": [{"message": {"role": "assistant", "content": "NO_ANSWER"}}]}
            )
        return ScriptedResponse(
            200,
            {"choices": [{"message": {"role": "assistant", "content": "Puedes devolverlo en 30 días [1]."}}]},
        )

    with vendor_server() as llm:
        llm.respond("/v1/chat/completions", model)
        saved = await client.put(
            "/api/v1/bot/settings",
            headers=world.tenant.headers,
            json={
                "generative": {"provider": "openai", "api_base_url": f"{llm.url}/v1", "model": "small-model"},
                "llm_api_key": "sk-test",
                # Low enough that the off-topic question also reaches the model, which must refuse.
                "confidence_threshold": 0.5,
            },
        )
        assert saved.status_code == 200, saved.text
        conversation_id, message_id = await customer_says(client, world, "Quiero devolver un artículo")
        await dispatch(db, world.tenant.workspace_id)
        plan = await respond(db, message_id)
        assert plan is not None and plan.kind == "reply" and plan.meta["mode"] == "generated"
        _, body = (await thread(db, conversation_id))[-1]
        assert body.startswith("Puedes devolverlo en 30 días [1].") and "/articles/return-policy" in body
        request = seen[0].json()
        assert request["model"] == "small-model" and seen[0].headers["authorization"] == "Bearer sk-test"
        assert "ONLY the numbered passages" in request["messages"][0]["content"]
        assert "[1] " in request["messages"][1]["content"] and "Spanish" in request["messages"][0]["content"]

        # Off topic, yet one article (shipping) is clearly closest: it reaches the model.
        _, off_topic = await customer_says(
            client, world, "Is the Berlin warehouse hiring packers?", identifier="c2"
        )
        await dispatch(db, world.tenant.workspace_id)
        plan = await respond(db, off_topic)
        assert plan is not None and plan.kind == "handoff" and plan.reason == "model_declined"


async def test_anthropic_messages_shape() -> None:
    from meridian.bot.generative import generate_answer
    from meridian.bot.schemas import GenerativeSettings

    with vendor_server() as llm:
        llm.script(
            "/v1/messages",
            ScriptedResponse(200, {"content": [{"type": "text", "text": "Within 30 days [1]."}]}),
        )
        llm.script(
            "/v1/messages", ScriptedResponse(200, {"content": [{"type": "text", "text": "Sure, anytime."}]})
        )
        settings = GenerativeSettings(provider="anthropic", api_base_url=llm.url, model="claude-x")  # type: ignore[arg-type]
        answer = await generate_answer(
            settings, api_key="key", question="Returns?", passages=["Returns within 30 days."], language="en"
        )
        assert answer is not None and answer.cited == [1]
        request = llm.requests_to("/v1/messages")[0]
        assert request.headers["x-api-key"] == "key" and request.headers["anthropic-version"] == "2023-06-01"
        assert request.json()["system"].startswith("You are a customer-support assistant")
        # No citation: treated as a refusal rather than trusted.
        assert (
            await generate_answer(settings, api_key="key", question="?", passages=["x"], language="en")
            is None
        )
