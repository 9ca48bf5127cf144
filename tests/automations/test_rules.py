"""Automation rules on real events, dry runs, and macros applied by an agent."""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from datetime import UTC, datetime

import httpx
import time_machine
from sqlalchemy import select

from meridian.db.engine import Database
from meridian.deliveries.models import Delivery
from meridian.events.models import DomainEvent
from meridian.messages.models import Message
from tests.factories import Factory
from tests.routing import support
from tests.support.outbox import drain
from tests.support.vendor_server import ScriptedResponse, vendor_server

MONDAY_NOON_BERLIN = datetime(2027, 6, 14, 10, 0, tzinfo=UTC)
SATURDAY = datetime(2027, 6, 19, 10, 0, tzinfo=UTC)


async def test_refund_rule_tags_replies_in_the_customers_language_and_calls_the_webhook(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    with ExitStack() as stack:
        await _refund_rule(stack, client, db, factory)


async def _refund_rule(stack: ExitStack, client: httpx.AsyncClient, db: Database, factory: Factory) -> None:
    tenant = await factory.tenant()
    ws = tenant.workspace_id
    inbox = await support.api_inbox(db, ws)
    receiver = stack.enter_context(vendor_server())
    receiver.respond("/hook", lambda request: ScriptedResponse(200, {}))
    hook_inbox, _ = await factory.inbox(tenant, config={"webhook_url": receiver.url + "/hook"})
    rule = await client.post(
        "/api/v1/automations",
        headers=tenant.headers,
        json={
            "name": "Refunds",
            "event": "message.created",
            "conditions": {"text_contains": ["refund", "reembolso"], "channel": "api"},
            "actions": [
                {"type": "add_tag", "tag": "refund"},
                {"type": "set_priority", "priority": "high"},
                {
                    "type": "send_reply",
                    "body": "We received your refund request.",
                    "bodies": {
                        "es": "Recibimos tu solicitud de reembolso.",
                        "de": "Wir haben Ihre Anfrage erhalten.",
                    },
                },
                {"type": "webhook", "inbox_id": str(hook_inbox)},
            ],
        },
    )
    assert rule.status_code == 201, rule.text
    with time_machine.travel(MONDAY_NOON_BERLIN, tick=False):
        hit = await support.incoming(
            db,
            inbox,
            identifier="ana",
            language="es-MX",
            body="Hola, quiero un reembolso de mi pedido 4821, por favor.",
        )
        miss = await support.incoming(
            db, inbox, identifier="ben", language="en", body="Where is my parcel? It is late."
        )
        await support.settle(db)
    conv = await support.conversation(db, hit.conversation_id)
    assert conv.tags == ["refund"] and conv.priority == "high"
    replies = [(m, b) for m, b in await support.thread(db, hit.conversation_id) if m.direction == "outgoing"]
    assert [(m.author_kind, b) for m, b in replies] == [
        ("automation", "Recibimos tu solicitud de reembolso.")
    ]
    assert conv.first_response_at is None  # a rule's reply is not a person answering
    untouched = await support.conversation(db, miss.conversation_id)
    assert untouched.tags == [] and untouched.priority == "normal"
    async with db.session() as session:
        hooks = list(
            await session.scalars(
                select(Delivery).where(Delivery.workspace_id == ws, Delivery.kind == "webhook")
            )
        )
        sources = list(
            await session.scalars(
                select(DomainEvent.payload["source"].astext).where(
                    DomainEvent.conversation_id == hit.conversation_id,
                    DomainEvent.type == "conversation.updated",
                )
            )
        )
    assert len(hooks) == 1 and hooks[0].inbox_id == hook_inbox
    await drain(db)
    (posted,) = receiver.requests_to("/hook")
    assert posted.json()["type"] == "message.created"
    assert posted.json()["data"]["conversation_id"] == str(hit.conversation_id)
    assert posted.json()["data"]["automation_id"] == rule.json()["id"]
    assert "webhook-signature" in posted.headers
    # One update from the rule, and the rule did not fire again on its own change.
    assert sources.count("automation") == 1
    assert await support.failures(db, ws) == []


async def test_dry_run_explains_and_changes_nothing(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    ws = tenant.workspace_id
    teams = await support.make_teams(db, ws, ["Berlin"])
    inbox = await support.api_inbox(db, ws, team_id=teams["Berlin"])
    with time_machine.travel(SATURDAY, tick=False):
        arrived = await support.incoming(db, inbox, identifier="jonas", language="de")
    rule = await client.post(
        "/api/v1/automations",
        headers=tenant.headers,
        json={
            "name": "Weekend acknowledgement",
            "event": "conversation.created",
            "conditions": {"business_hours": "closed", "language": "de", "tags_none": ["vip"]},
            "actions": [{"type": "send_reply", "bodies": {"de": "Wir melden uns am Montag."}}],
        },
    )
    assert rule.status_code == 201, rule.text
    url = f"/api/v1/automations/{rule.json()['id']}/dry-run"
    body = {"conversation_id": str(arrived.conversation_id)}
    with time_machine.travel(SATURDAY, tick=False):
        closed = await client.post(url, headers=tenant.headers, json=body)
    assert closed.status_code == 200, closed.text
    assert closed.json()["matched"] is True
    assert closed.json()["actions"] == ["send reply in de: 'Wir melden uns am Montag.'"]
    assert {c["name"]: c["detail"] for c in closed.json()["conditions"]}[
        "business_hours"
    ] == "team Berlin is closed"
    with time_machine.travel(MONDAY_NOON_BERLIN, tick=False):
        open_ = await client.post(url, headers=tenant.headers, json=body)
    assert open_.json()["matched"] is False and open_.json()["actions"] == []
    failed = [c for c in open_.json()["conditions"] if not c["passed"]]
    assert [c["name"] for c in failed] == ["business_hours"]
    async with db.session() as session:
        written = await session.scalar(
            select(Message.id).where(
                Message.conversation_id == arrived.conversation_id, Message.direction != "incoming"
            )
        )
    assert written is None


async def test_macro_applied_by_an_agent(client: httpx.AsyncClient, db: Database, factory: Factory) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, name="Lena")
    inbox = await support.api_inbox(db, tenant.workspace_id)
    arrived = await support.incoming(db, inbox, identifier="chris", language="en")
    macro = await client.post(
        "/api/v1/macros",
        headers=tenant.headers,
        json={
            "name": "Refund issued",
            "actions": [
                {"type": "add_tag", "tag": "refunded"},
                {"type": "send_reply", "body": "Your refund is on its way."},
                {"type": "set_status", "status": "pending"},
            ],
        },
    )
    assert macro.status_code == 201, macro.text
    refused = await client.post(
        "/api/v1/macros", headers=agent.headers, json={"name": "x", "actions": [{"type": "raise_priority"}]}
    )
    assert refused.status_code == 403
    listed = await client.get("/api/v1/macros", headers=agent.headers)
    assert [m["name"] for m in listed.json()["items"]] == ["Refund issued"]
    applied = await client.post(
        f"/api/v1/conversations/{arrived.conversation_id}/macros/{macro.json()['id']}", headers=agent.headers
    )
    assert applied.status_code == 200, applied.text
    assert applied.json()["applied"] == [
        "add tag 'refunded'",
        "send reply: 'Your refund is on its way.'",
        "set status pending (now open)",
    ]
    conv = await support.conversation(db, arrived.conversation_id)
    assert conv.tags == ["refunded"] and conv.status == "pending" and conv.first_response_at is not None
    (reply,) = [m for m, _ in await support.thread(db, arrived.conversation_id) if m.direction == "outgoing"]
    assert reply.author_agent_id == agent.id and reply.author_kind == "human"
    missing = await client.post(
        f"/api/v1/conversations/{arrived.conversation_id}/macros/{uuid.uuid4()}", headers=agent.headers
    )
    assert missing.status_code == 404


async def test_rules_are_validated(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    email_inbox, _ = await factory.inbox(
        tenant,
        channel="email",
        config={
            "imap_host": "127.0.0.1",
            "smtp_host": "127.0.0.1",
            "username": "u",
            "password": "p",
            "from_address": "help@example.com",
        },
    )
    base = {"name": "x", "event": "message.created"}
    cases = [
        ({**base, "actions": []}, "/actions"),
        ({**base, "event": "ticket.exploded", "actions": [{"type": "raise_priority"}]}, "/event"),
        ({**base, "actions": [{"type": "launch_rocket"}]}, "/actions/0"),
        (
            {**base, "actions": [{"type": "assign_agent", "agent_id": str(uuid.uuid4())}]},
            "/actions/0/agent_id",
        ),
        ({**base, "actions": [{"type": "webhook", "inbox_id": str(email_inbox)}]}, "/actions/0/inbox_id"),
        (
            {**base, "conditions": {"channel": "fax"}, "actions": [{"type": "raise_priority"}]},
            "/conditions/channel",
        ),
        ({**base, "actions": [{"type": "send_reply"}]}, "/actions/0"),
    ]
    for body, pointer in cases:
        response = await client.post("/api/v1/automations", headers=tenant.headers, json=body)
        assert response.status_code == 422, (body, response.text)
        assert any(e["pointer"].startswith(pointer) for e in response.json()["errors"]), (
            pointer,
            response.json(),
        )


async def test_rules_never_answer_a_robot(client: httpx.AsyncClient, db: Database, factory: Factory) -> None:
    tenant = await factory.tenant()
    inbox = await support.api_inbox(db, tenant.workspace_id)
    rule = await client.post(
        "/api/v1/automations",
        headers=tenant.headers,
        json={
            "name": "Acknowledge",
            "event": "conversation.created",
            "actions": [
                {"type": "send_reply", "body": "Thanks, we got it."},
                {"type": "add_tag", "tag": "acked"},
            ],
        },
    )
    assert rule.status_code == 201
    robot = await support.incoming(
        db,
        inbox,
        identifier="ooo",
        language="en",
        body="I am out of the office until Monday.",
        meta={"auto_generated": True},
    )
    person = await support.incoming(db, inbox, identifier="person", language="en")
    await support.settle(db)
    for arrival, replies in ((robot, []), (person, ["Thanks, we got it."])):
        thread = await support.thread(db, arrival.conversation_id)
        assert [b for m, b in thread if m.direction == "outgoing"] == replies
        assert (await support.conversation(db, arrival.conversation_id)).tags == ["acked"]


async def test_a_rule_sends_a_localized_canned_reply_rendered_for_the_customer(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    ws = tenant.workspace_id
    inbox = await support.api_inbox(db, ws)
    canned = await client.post(
        "/api/v1/canned-responses",
        headers=tenant.headers,
        json={
            "shortcut": "ack",
            "variants": {
                "en": "Hi {{ contact.first_name }}, we got it ({{ 1234.5 | number }}).",
                "pt": "Olá {{ contact.first_name }}, recebemos ({{ 1234.5 | number }}).",
            },
        },
    )
    assert canned.status_code == 201, canned.text
    action = {"type": "send_reply", "canned_response_id": canned.json()["id"]}
    refused = [
        {**action, "canned_response_id": str(uuid.uuid4())},  # not in this workspace
        {**action, "body": "and text too"},
        {"type": "send_reply", "bodies": {"es": "Hola {{ contact.name"}},  # does not parse
    ]
    for bad in refused:
        response = await client.post(
            "/api/v1/automations",
            headers=tenant.headers,
            json={"name": "x", "event": "conversation.created", "actions": [bad]},
        )
        assert response.status_code == 422, (bad, response.text)
    rule = await client.post(
        "/api/v1/automations",
        headers=tenant.headers,
        json={"name": "Acknowledge", "event": "conversation.created", "actions": [action]},
    )
    assert rule.status_code == 201, rule.text
    with time_machine.travel(MONDAY_NOON_BERLIN, tick=False):
        brazilian = await support.incoming(db, inbox, identifier="ana", language="pt-BR")
        swede = await support.incoming(
            db, inbox, identifier="sven", language="sv", body="Hej, min beställning har inte kommit än."
        )
        await support.settle(db)
    replies = {}
    for arrived in (brazilian, swede):
        thread = await support.thread(db, arrived.conversation_id)
        replies[arrived.conversation_id] = [
            (body, m.language) for m, body in thread if m.direction == "outgoing"
        ]
    # pt-BR -> the pt variant, numbers in Brazilian format; Swedish -> the workspace default.
    assert replies[brazilian.conversation_id] == [("Olá Ana, recebemos (1.234,5).", "pt")]
    # (English words, the customer's Swedish number format, as canned responses do.)
    assert replies[swede.conversation_id] == [("Hi Sven, we got it (1\xa0234,5).", "en")]
