"""Web chat: the visitor API (sessions, origins, tokens, messages, thread, typing, stream)
and the widget script, over the real app and database."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from meridian.channels.base import OutboundMessage
from meridian.channels.webchat import availability as availability_module
from meridian.channels.webchat.adapter import WebchatChannel, WebchatConfig
from meridian.channels.webchat.files import MAX_FILE_BYTES
from meridian.channels.webchat.tokens import VisitorClaims, issue_token
from meridian.console.presence import ping
from meridian.events.models import DomainEvent
from meridian.languages.detect import warm_up
from meridian.messages.models import Message
from tests.channels.webchat_support import PDF, attach_to_message, png
from tests.factories import Factory, Tenant
from tests.support.live_server import live_server

SHOP = "https://shop.example.com"
OTHER_SHOP = "https://other.example.org"
EVIL = "https://evil.example.net"


async def _inbox(factory: Factory, tenant: Tenant, **config: Any) -> uuid.UUID:
    config.setdefault("allowed_origins", [SHOP])
    inbox_id, _ = await factory.inbox(tenant, "webchat", config=config)
    return inbox_id


async def _session(
    client: httpx.AsyncClient, inbox_id: uuid.UUID, *, origin: str | None = SHOP, **body: Any
) -> httpx.Response:
    headers = {"Origin": origin} if origin else {}
    return await client.post(f"/widget/api/{inbox_id}/sessions", json=body, headers=headers)


def _auth(token: str, origin: str = SHOP) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Origin": origin}


async def _visitor(client: httpx.AsyncClient, inbox_id: uuid.UUID, **body: Any) -> dict[str, Any]:
    response = await _session(client, inbox_id, **body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def _say(
    client: httpx.AsyncClient, token: str, body: str, client_id: str | None = None
) -> httpx.Response:
    payload = {"body": body, "client_message_id": client_id or uuid.uuid4().hex}
    return await client.post("/widget/api/messages", json=payload, headers=_auth(token))


def test_config_normalizes_origins_and_refuses_paths() -> None:
    config = WebchatConfig.model_validate(
        {
            "allowed_origins": [
                "HTTPS://Shop.Example.com/",
                "https://shop.example.com:443",
                "http://a.test:8080",
            ]
        }
    )
    assert config.allowed_origins == ["https://shop.example.com", "http://a.test:8080"]
    for bad in ("shop.example.com", "https://shop.example.com/chat", "ftp://x.test", "https://x.test?a=1"):
        with pytest.raises(ValueError):
            WebchatConfig.model_validate({"allowed_origins": [bad]})
    with pytest.raises(ValueError):
        WebchatConfig.model_validate({"theme_color": "red"})


async def test_inbox_api_validates_config_and_gives_embed_snippet(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    bad = await client.post(
        "/api/v1/inboxes",
        json={"name": "Chat", "channel": "webchat", "config": {"allowed_origins": ["not an origin"]}},
        headers=tenant.headers,
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    good = await client.post(
        "/api/v1/inboxes",
        json={"name": "Chat", "channel": "webchat", "config": {"allowed_origins": [SHOP + "/"]}},
        headers=tenant.headers,
    )
    assert good.status_code == 201, good.text
    inbox = good.json()
    assert inbox["config"]["allowed_origins"] == [SHOP]
    assert f'data-inbox="{inbox["id"]}"' in inbox["embed_snippet"]
    assert inbox.get("callback_url") is None


async def test_send_is_a_noop_delivery_marked_with_the_message_id() -> None:
    message = OutboundMessage(
        message_id="m1",
        conversation_id="c1",
        conversation_number=1,
        idempotency_key="k",
        recipient="v",
        body="hi",
    )
    async with httpx.AsyncClient() as http:
        result = await WebchatChannel().send({}, message, http)
    assert result.external_id == "m1"


async def test_origin_check_and_cors(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    inbox_id = await _inbox(factory, tenant, greeting="Hi!", theme_color="#112233")

    ok = await _session(client, inbox_id)
    assert ok.status_code == 201
    assert ok.headers["access-control-allow-origin"] == SHOP
    data = ok.json()
    assert data["settings"]["greeting"] == "Hi!" and data["settings"]["theme_color"] == "#112233"
    assert data["has_conversation"] is False

    evil = await _session(client, inbox_id, origin=EVIL)
    assert evil.status_code == 403
    assert evil.headers["content-type"].startswith("application/problem+json")
    assert "access-control-allow-origin" not in evil.headers
    assert (await _session(client, inbox_id, origin="null")).status_code == 403
    # No Origin: not a cross-site browser request, nothing for the list to police.
    assert (await _session(client, inbox_id, origin=None)).status_code == 201

    pre = await client.options(
        f"/widget/api/{inbox_id}/sessions",
        headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"},
    )
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == SHOP
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert "content-type" in pre.headers["access-control-allow-headers"]
    bad_pre = await client.options(f"/widget/api/{inbox_id}/sessions", headers={"Origin": EVIL})
    assert bad_pre.status_code == 403 and "access-control-allow-origin" not in bad_pre.headers
    for path in ("messages", "typing", "stream"):
        pre = await client.options(f"/widget/api/{path}", headers={"Origin": SHOP})
        assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == SHOP
        assert "authorization" in pre.headers["access-control-allow-headers"]
        assert (await client.options(f"/widget/api/{path}", headers={"Origin": EVIL})).status_code == 403


async def test_empty_allowed_origins_allows_only_own_origin(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id = await _inbox(factory, tenant, allowed_origins=[])
    assert (await _session(client, inbox_id, origin=SHOP)).status_code == 403
    assert (await _session(client, inbox_id, origin="http://testserver")).status_code == 201
    assert (await _session(client, inbox_id, origin=None)).status_code == 201


async def test_unknown_and_non_webchat_inboxes_are_not_found(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    api_inbox, _ = await factory.inbox(tenant, "api")
    assert (await _session(client, api_inbox)).status_code == 404
    assert (await _session(client, uuid.uuid4())).status_code == 404
    assert (await client.post("/widget/api/nope/sessions", json={})).status_code == 404


async def test_visitor_token_is_required_and_is_never_an_agent_token(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id = await _inbox(factory, tenant)
    visitor = await _visitor(client, inbox_id)

    missing = await client.post("/widget/api/messages", json={"body": "x", "client_message_id": "abcdefgh"})
    assert missing.status_code == 401
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert "www-authenticate" in missing.headers
    for token in ("garbage", tenant.token, visitor["token"] + "x"):
        assert (await _say(client, token, "hello")).status_code == 401
    assert (await client.get("/widget/api/messages", headers=_auth(tenant.token))).status_code == 401
    assert (await client.get("/widget/api/stream", params={"token": tenant.token})).status_code == 401
    # ...and the visitor token opens nothing in the agent API.
    agent_api = await client.get(
        "/api/v1/conversations", headers={"Authorization": f"Bearer {visitor['token']}"}
    )
    assert agent_api.status_code == 401


async def test_tokens_and_visitor_ids_are_bound_to_their_inbox_and_site(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_a = await _inbox(factory, tenant)
    inbox_b = await _inbox(factory, tenant, allowed_origins=[SHOP, OTHER_SHOP])
    visitor_a = await _visitor(client, inbox_a)

    # Inbox A's visitor id does not open a session (and its conversation) on inbox B.
    reused = await _session(client, inbox_b, visitor_id=visitor_a["visitor_id"])
    assert reused.status_code == 403
    forged = await _session(client, inbox_b, visitor_id="made-up-visitor")
    assert forged.status_code == 403

    # A's token used from B's other site is refused: A does not list that origin.
    sent = await client.post(
        "/widget/api/messages",
        json={"body": "hi", "client_message_id": "abcdefgh1"},
        headers=_auth(visitor_a["token"], OTHER_SHOP),
    )
    assert sent.status_code == 403

    # A token for B's visitor, issued to B's other site, is refused from SHOP.
    visitor_b = await _visitor(client, inbox_b, origin=OTHER_SHOP)
    cross = await client.get("/widget/api/messages", headers=_auth(visitor_b["token"], SHOP))
    assert cross.status_code == 403

    # Messages with A's token land in A, never in B.
    assert (await _say(client, visitor_a["token"], "for A")).status_code == 201
    listed = await client.get(
        "/api/v1/conversations", params={"inbox_id": str(inbox_b)}, headers=tenant.headers
    )
    assert listed.json()["items"] == []
    listed = await client.get(
        "/api/v1/conversations", params={"inbox_id": str(inbox_a)}, headers=tenant.headers
    )
    assert len(listed.json()["items"]) == 1


async def test_token_cannot_move_a_visitor_to_another_inbox(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_a = await _inbox(factory, tenant)
    inbox_b = await _inbox(factory, tenant)
    visitor_a = await _visitor(client, inbox_a)
    # Even correctly signed, claims pairing A's visitor with inbox B are refused.
    moved, _ = issue_token(VisitorClaims(inbox_b, visitor_a["visitor_id"], SHOP))
    assert (await _say(client, moved, "hi")).status_code == 401
    assert (await client.get("/widget/api/messages", headers=_auth(moved))).status_code == 401


async def test_expired_token_is_refused(
    client: httpx.AsyncClient, factory: Factory, time_machine: Any
) -> None:
    tenant = await factory.tenant()
    inbox_id = await _inbox(factory, tenant)
    visitor = await _visitor(client, inbox_id)
    time_machine.move_to(datetime.now(UTC) + timedelta(hours=25), tick=True)
    assert (await _say(client, visitor["token"], "late")).status_code == 401


async def test_message_dedupes_on_client_id_and_survives_page_loads(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id = await _inbox(factory, tenant)
    visitor = await _visitor(client, inbox_id, locale="es-ES")

    first = await _say(client, visitor["token"], "¿Dónde está mi pedido?", "client-msg-0001")
    assert first.status_code == 201, first.text
    again = await _say(client, visitor["token"], "¿Dónde está mi pedido?", "client-msg-0001")
    assert again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}

    # Another visitor using the same client id gets their own message, not the first one.
    stranger = await _visitor(client, inbox_id)
    theirs = await _say(client, stranger["token"], "hello", "client-msg-0001")
    assert theirs.status_code == 201 and theirs.json()["message_id"] != first.json()["message_id"]

    conversation_id = first.json()["conversation_id"]
    messages = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
    assert [m["body"] for m in messages.json()["items"]] == ["¿Dónde está mi pedido?"]

    # Next page load: same visitor id, same contact and open conversation.
    later = await _visitor(client, inbox_id, visitor_id=visitor["visitor_id"])
    assert later["visitor_id"] == visitor["visitor_id"] and later["has_conversation"] is True
    second = await _say(client, later["token"], "¿Hola?")
    assert second.json()["conversation_id"] == conversation_id
    conversation = await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)
    assert conversation.json()["language"] in ("es", "es-ES")


async def test_message_body_is_validated(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    inbox_id = await _inbox(factory, tenant)
    visitor = await _visitor(client, inbox_id)
    for body in (
        {"body": "", "client_message_id": "abcdefgh"},
        {"body": "x", "client_message_id": "no spaces!"},
        {},
    ):
        response = await client.post("/widget/api/messages", json=body, headers=_auth(visitor["token"]))
        assert response.status_code == 422
        # The widget can read why: CORS headers are on errors too.
        assert response.headers["access-control-allow-origin"] == SHOP
        assert response.json()["status"] == 422


async def test_prechat_details_are_kept_on_the_contact(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    inbox_id = await _inbox(factory, tenant, prechat_form=True)
    visitor = await _visitor(client, inbox_id, name="Ana Souza", email="ana@example.com", consent=True)
    assert visitor["settings"]["prechat_form"] is True
    sent = await _say(client, visitor["token"], "Oi")
    conversation = await client.get(
        f"/api/v1/conversations/{sent.json()['conversation_id']}", headers=tenant.headers
    )
    contact_id = conversation.json()["contact"]["id"]
    contact = (await client.get(f"/api/v1/contacts/{contact_id}", headers=tenant.headers)).json()
    assert contact["name"] == "Ana Souza" and contact["email"] == "ana@example.com"
    consents = (await client.get(f"/api/v1/contacts/{contact_id}/consents", headers=tenant.headers)).json()
    assert [(c["purpose"], c["channel"], c["granted"]) for c in consents["items"]] == [
        ("support", "webchat", True)
    ]
    assert consents["history"][0]["source"] == f"webchat_prechat:{inbox_id}"
    bad = await _session(client, inbox_id, email="not-an-email")
    assert bad.status_code == 422


async def test_thread_shows_incoming_and_replies_never_notes(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id = await _inbox(factory, tenant)
    visitor = await _visitor(client, inbox_id)
    empty = await client.get("/widget/api/messages", headers=_auth(visitor["token"]))
    assert empty.status_code == 200 and empty.json() == {"items": []}

    sent = await _say(client, visitor["token"], "My parcel is late", "parcel-0001")
    conversation_id = sent.json()["conversation_id"]
    for reply in ({"body": "internal: VIP customer", "private": True}, {"body": "Sorry! It ships today."}):
        posted = await client.post(
            f"/api/v1/conversations/{conversation_id}/messages", json=reply, headers=tenant.headers
        )
        assert posted.status_code == 201, posted.text
    other = await _visitor(client, inbox_id)
    await _say(client, other["token"], "someone else's question")

    thread = await client.get("/widget/api/messages", headers=_auth(visitor["token"]))
    items = thread.json()["items"]
    assert [(m["direction"], m["body"]) for m in items] == [
        ("incoming", "My parcel is late"),
        ("outgoing", "Sorry! It ships today."),
    ]
    assert items[0]["client_message_id"] == "parcel-0001"
    assert set(items[1]) == {"id", "direction", "body", "created_at", "client_message_id", "attachments"}


async def test_typing_reaches_agents_as_an_event(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    inbox_id = await _inbox(factory, tenant)
    visitor = await _visitor(client, inbox_id)
    # Before the first message there is no conversation to type into: accepted, no event.
    assert (
        await client.post("/widget/api/typing", json={}, headers=_auth(visitor["token"]))
    ).status_code == 204
    sent = await _say(client, visitor["token"], "hi")
    typing = await client.post("/widget/api/typing", json={"typing": True}, headers=_auth(visitor["token"]))
    assert typing.status_code == 204
    async with factory.db.session() as session:
        events = list(
            await session.scalars(
                select(DomainEvent).where(
                    DomainEvent.workspace_id == tenant.workspace_id, DomainEvent.type == "conversation.typing"
                )
            )
        )
    assert len(events) == 1
    assert str(events[0].conversation_id) == sent.json()["conversation_id"]
    assert events[0].payload["actor"] == "contact" and events[0].payload["typing"] is True


async def test_rate_limited_with_problem_and_retry_after(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    inbox_id = await _inbox(factory, tenant)
    statuses = [(await _session(client, inbox_id)).status_code for _ in range(21)]
    assert statuses[:20] == [201] * 20
    limited = await _session(client, inbox_id)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["content-type"].startswith("application/problem+json")


async def test_widget_script_is_served_small_and_localized(client: httpx.AsyncClient) -> None:
    response = await client.get("/widget/meridian-chat.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert len(gzip.compress(response.content, compresslevel=9)) < 30 * 1024
    source = response.text
    table = source[source.index("var I18N") : source.index("var NAMES")]
    names = json.loads("[" + re.search(r"var NAMES = \[(.*?)\];", source, re.S).group(1) + "]")  # type: ignore[union-attr]
    for lang in ("en", "es", "pt", "fr", "de", "ja", "zh", "ar", "ko"):
        block = re.search(rf"\b{lang}: \[(.*?)\]", table, re.S)
        assert block is not None, lang
        assert len(json.loads("[" + block.group(1) + "]")) == len(names), lang


# --- files, both ways -------------------------------------------------------------


async def _upload(
    client: httpx.AsyncClient,
    token: str,
    *,
    filename: str,
    data: bytes,
    content_type: str = "application/octet-stream",
    client_id: str | None = None,
    body: str | None = None,
) -> httpx.Response:
    form = {"client_message_id": client_id or uuid.uuid4().hex}
    if body is not None:
        form["body"] = body
    return await client.post(
        "/widget/api/attachments",
        data=form,
        files={"file": (filename, data, content_type)},
        headers=_auth(token),
    )


async def test_visitor_sends_a_file_stored_like_any_inbound_attachment(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id = await _inbox(factory, tenant)
    visitor = await _visitor(client, inbox_id)
    image = png()
    sent = await _upload(
        client,
        visitor["token"],
        filename="../../photo.png",
        data=image,
        client_id="photo-0001",
        body="Broken",
    )
    assert sent.status_code == 201, sent.text
    assert sent.headers["access-control-allow-origin"] == SHOP
    again = await _upload(client, visitor["token"], filename="photo.png", data=image, client_id="photo-0001")
    assert again.status_code == 200 and again.json()["duplicate"] is True

    # The agent sees it like a file from any channel, through the agent API.
    conversation_id = sent.json()["conversation_id"]
    messages = (
        await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
    ).json()["items"]
    assert len(messages) == 1
    assert messages[0]["body"] == "Broken" and messages[0]["content_type"] == "image"
    [agent_view] = messages[0]["attachments"]
    assert (agent_view["filename"], agent_view["content_type"], agent_view["size"]) == (
        "photo.png",
        "image/png",
        len(image),
    )
    assert (await client.get(agent_view["url"], headers=tenant.headers)).content == image

    # The visitor reads it back with the visitor token, and only that.
    [item] = (await client.get("/widget/api/messages", headers=_auth(visitor["token"]))).json()["items"]
    [mine] = item["attachments"]
    assert mine["inline"] is True and mine["url"] == f"/widget/api/attachments/{mine['id']}"
    fetched = await client.get(mine["url"], headers=_auth(visitor["token"]))
    assert fetched.status_code == 200 and fetched.content == image
    assert fetched.headers["content-type"] == "image/png"
    assert fetched.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in fetched.headers["content-security-policy"]
    assert fetched.headers["access-control-allow-origin"] == SHOP
    assert (await client.get(mine["url"], headers=tenant.headers)).status_code == 401
    assert (await client.get(mine["url"])).status_code == 401
    stranger = await _visitor(client, inbox_id)
    assert (await client.get(mine["url"], headers=_auth(stranger["token"]))).status_code == 404
    preflight = await client.options(
        mine["url"], headers={"Origin": SHOP, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 204 and "GET" in preflight.headers["access-control-allow-methods"]

    # A file without a caption, and a document: a download, not a preview.
    document = await _upload(client, visitor["token"], filename="Rechnung März.pdf", data=PDF)
    assert document.status_code == 201, document.text
    items = (await client.get("/widget/api/messages", headers=_auth(visitor["token"]))).json()["items"]
    assert items[-1]["body"] == ""
    assert [(f["filename"], f["content_type"], f["inline"]) for f in items[-1]["attachments"]] == [
        ("Rechnung März.pdf", "application/pdf", False)
    ]


async def test_bad_files_get_a_clear_4xx_and_change_nothing(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id = await _inbox(factory, tenant)
    visitor = await _visitor(client, inbox_id)
    token = visitor["token"]
    cases = [
        # HTML dressed as an image: the bytes decide, not the name or the claimed type.
        (415, {"filename": "cat.png", "data": b"<script>alert(1)</script>", "content_type": "image/png"}),
        (415, {"filename": "setup.exe", "data": b"MZ\x90\x00" + b"\x00" * 64}),
        (415, {"filename": "notes.txt", "data": b"\xff\xfe\x00bad"}),
        (413, {"filename": "big.png", "data": png() + b"\x00" * MAX_FILE_BYTES}),
        (422, {"filename": "empty.pdf", "data": b""}),
        (422, {"filename": "ok.pdf", "data": PDF, "client_id": "bad id!"}),
    ]
    for status, case in cases:
        response = await _upload(client, token, **case)  # type: ignore[arg-type]
        assert response.status_code == status, (case["filename"], response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["access-control-allow-origin"] == SHOP
    missing = await client.post(
        "/widget/api/attachments", data={"client_message_id": "abcdefgh"}, headers=_auth(token)
    )
    assert missing.status_code == 422
    unauthenticated = await client.post(
        "/widget/api/attachments",
        data={"client_message_id": "abcdefgh"},
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    assert unauthenticated.status_code == 401
    assert (await client.get("/widget/api/messages", headers=_auth(token))).json() == {"items": []}
    async with factory.db.session() as session:
        assert (
            await session.scalar(select(Message.id).where(Message.workspace_id == tenant.workspace_id))
            is None
        )


async def test_agent_files_reach_the_visitor_and_note_files_never(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id = await _inbox(factory, tenant)
    visitor = await _visitor(client, inbox_id)
    conversation_id = (await _say(client, visitor["token"], "Invoice please")).json()["conversation_id"]
    posted = {}
    for kind, body in (("reply", "Here it is"), ("note", "internal copy")):
        response = await client.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"body": body, "private": kind == "note"},
            headers=tenant.headers,
        )
        assert response.status_code == 201, response.text
        posted[kind] = response.json()["id"]
    reply_file = await attach_to_message(
        factory, posted["reply"], filename="invoice 42.pdf", content_type="application/pdf", data=PDF
    )
    note_file = await attach_to_message(
        factory, posted["note"], filename="secret.png", content_type="image/png", data=png()
    )
    # Even a "page" the agent attached is served as an opaque download, never rendered.
    html_file = await attach_to_message(
        factory, posted["reply"], filename="page.html", content_type="text/html", data=b"<script>x</script>"
    )

    items = (await client.get("/widget/api/messages", headers=_auth(visitor["token"]))).json()["items"]
    assert [m["body"] for m in items] == ["Invoice please", "Here it is"]
    files = items[1]["attachments"]
    assert [(f["id"], f["filename"], f["inline"]) for f in files] == [
        (reply_file, "invoice 42.pdf", False),
        (html_file, "page.html", False),
    ]
    pdf = await client.get(files[0]["url"], headers=_auth(visitor["token"]))
    assert pdf.status_code == 200 and pdf.content == PDF
    assert pdf.headers["content-type"] == "application/octet-stream"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert "invoice%2042.pdf" in pdf.headers["content-disposition"]
    html = await client.get(files[1]["url"], headers=_auth(visitor["token"]))
    assert html.headers["content-type"] == "application/octet-stream"
    note = await client.get(f"/widget/api/attachments/{note_file}", headers=_auth(visitor["token"]))
    assert note.status_code == 404


# --- open, closed, expected reply ---------------------------------------------------


async def test_session_says_when_the_owning_team_is_closed_and_opens(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    tokyo = ZoneInfo("Asia/Tokyo")
    today = datetime.now(tokyo).date()
    # Open around the clock except today and tomorrow (Tokyo time): closed now, opening
    # at midnight the day after tomorrow, Tokyo time, whatever the test machine's clock.
    closed_team = await factory.team(
        tenant,
        name="Tokyo",
        timezone="Asia/Tokyo",
        holidays={"closed": [today.isoformat(), (today + timedelta(days=1)).isoformat()]},
    )
    closed_inbox, _ = await factory.inbox(
        tenant, "webchat", config={"allowed_origins": [SHOP], "reply_time": "hours"}, team_id=closed_team
    )
    closed = (await _visitor(client, closed_inbox))["availability"]
    assert closed["open"] is False
    opens_at = datetime.fromisoformat(closed["opens_at"])
    assert opens_at == datetime.combine(today + timedelta(days=2), time(0), tokyo)
    # While closed the widget says when, not how fast.
    assert closed["reply_time"] is None

    open_team = await factory.team(tenant, name="Always", timezone="Europe/Berlin")
    open_inbox, _ = await factory.inbox(
        tenant, "webchat", config={"allowed_origins": [SHOP], "reply_time": "hours"}, team_id=open_team
    )
    opened = (await _visitor(client, open_inbox))["availability"]
    assert opened == {
        "open": True,
        "opens_at": None,
        "closes_at": None,
        "reply_time": "hours",
        "expected_reply_seconds": None,
    }


async def test_expected_reply_time_is_measured_when_not_configured(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id = await _inbox(factory, tenant)
    first = (await _visitor(client, inbox_id))["availability"]
    assert first["open"] is True and first["reply_time"] is None
    for n in range(availability_module.MIN_SAMPLES):
        visitor = await _visitor(client, inbox_id)
        conversation_id = (await _say(client, visitor["token"], f"question {n}")).json()["conversation_id"]
        reply = await client.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"body": "answer"},
            headers=tenant.headers,
        )
        assert reply.status_code == 201
    # The figure is cached per process (it was None while the loop ran); start afresh.
    availability_module._measured.clear()
    measured = (await _visitor(client, inbox_id))["availability"]
    assert measured["reply_time"] == "minutes"
    assert 0 <= measured["expected_reply_seconds"] < 60
    assert availability_module.reply_bucket(2 * 3600) == "hours"
    assert availability_module.reply_bucket(30 * 3600) == "day"


# --- the stream, over real HTTP -------------------------------------------------


@pytest.fixture
async def language_models() -> None:
    # Every inbound message has its language detected; loading those models for the
    # first time inside the live server's thread would stall its start-up.
    await asyncio.to_thread(warm_up)


async def _frames(lines: AsyncIterator[str]) -> AsyncIterator[dict[str, Any]]:
    current: dict[str, str] = {}
    async for line in lines:
        if line.startswith(("id:", "event:", "data:")):
            key, _, value = line.partition(":")
            current[key] = value.strip()
        elif line == "" and "data" in current:
            yield {
                **json.loads(current["data"]),
                "event_id": current.get("id"),
                "event": current.get("event"),
            }
            current = {}


async def test_stream_delivers_agent_replies_and_nothing_else(
    database_url: str, factory: Factory, language_models: None
) -> None:
    tenant = await factory.tenant()
    inbox_id = await _inbox(factory, tenant)
    with live_server(database_url) as base:
        async with httpx.AsyncClient(base_url=base, timeout=20) as http:
            visitor = await _visitor(http, inbox_id)
            other = await _visitor(http, inbox_id)
            mine = (await _say(http, visitor["token"], "question")).json()["conversation_id"]
            theirs = (await _say(http, other["token"], "other question")).json()["conversation_id"]

            async def reply(conversation_id: str, body: str, private: bool = False) -> None:
                response = await http.post(
                    f"/api/v1/conversations/{conversation_id}/messages",
                    json={"body": body, "private": private},
                    headers=tenant.headers,
                )
                assert response.status_code == 201, response.text

            url = "/widget/api/stream"
            async with http.stream(
                "GET", url, params={"token": visitor["token"]}, headers={"Origin": SHOP}
            ) as r:
                assert r.status_code == 200
                assert r.headers["content-type"].startswith("text/event-stream")
                assert r.headers["access-control-allow-origin"] == SHOP
                lines = r.aiter_lines()
                assert (await lines.__anext__()).startswith("retry:")
                # In order: a note on our conversation, a reply to someone else, our own
                # incoming message, then our reply; only the last may arrive.
                await reply(mine, "internal note", private=True)
                await reply(theirs, "for the other visitor")
                await _say(http, visitor["token"], "follow-up")
                await reply(mine, "Here is your answer")
                frame = await asyncio.wait_for(_frames(lines).__anext__(), 20)
                # An agent typing in the visitor's conversation: a bare typing frame.
                async with factory.db.session() as session:
                    await ping(
                        session, principal=tenant.principal, conversation_id=uuid.UUID(mine), state="typing"
                    )
                typing = await asyncio.wait_for(_frames(lines).__anext__(), 20)
            assert frame["event"] == "message"
            assert (frame["direction"], frame["body"]) == ("outgoing", "Here is your answer")
            assert typing == {"typing": True, "event": "typing", "event_id": None}

            # Reconnecting with Last-Event-ID replays only what came after it.
            await reply(mine, "while you were away")
            headers = {"Origin": SHOP, "Last-Event-ID": str(frame["event_id"])}
            async with http.stream("GET", url, params={"token": visitor["token"]}, headers=headers) as r:
                replayed = await asyncio.wait_for(_frames(r.aiter_lines()).__anext__(), 20)
            assert replayed["body"] == "while you were away"
