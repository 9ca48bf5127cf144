from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from meridian.channels.base import (
    ChannelAdapter,
    DeliveryError,
    OutboundAttachment,
)
from meridian.channels.whatsapp.adapter import WhatsAppChannel, WhatsAppConfig
from tests.channels.meta_support import outbound, refused_url, signed_post
from tests.channels.samples import load_fixture, load_sample
from tests.support.vendor_server import ScriptedResponse, VendorServer, vendor_server

PHONE_NUMBER_ID = "106540352242922"
SECRET = "wa-app-secret"
MESSAGES_PATH = f"/v21.0/{PHONE_NUMBER_ID}/messages"
channel = WhatsAppChannel()


def config(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "phone_number_id": PHONE_NUMBER_ID,
        "access_token": "EAAJB-test-token",
        "app_secret": SECRET,
        "verify_token": "meatyhamhock",
    }
    values.update(overrides)
    return values


def fixture(name: str) -> bytes:
    return load_fixture("whatsapp", name)


def fixture_json(name: str) -> Any:
    return json.loads(fixture(name))


def parse(body: bytes, **overrides: Any) -> Any:
    return channel.parse(config(**overrides), signed_post(body, SECRET))


@pytest.fixture(scope="module")
def running_server() -> Iterator[VendorServer]:
    # One stand-in per module: stopping one waits out its 0.5 s poll interval.
    with vendor_server() as running:
        yield running


@pytest.fixture
def server(running_server: VendorServer) -> VendorServer:
    running_server.requests.clear()
    return running_server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def server_config(server: VendorServer) -> dict[str, Any]:
    return config(api_base_url=f"{server.url}/v21.0")


# --- shape of the adapter ------------------------------------------------------


def test_is_a_channel_adapter() -> None:
    adapter: ChannelAdapter = channel
    assert adapter.kind == "whatsapp"
    assert adapter.secret_keys == {"access_token", "app_secret", "verify_token"}
    assert adapter.reply_window == timedelta(hours=24)
    assert adapter.receives_webhooks is True


def test_config_defaults_to_graph_api_and_rejects_bad_input() -> None:
    settings = WhatsAppConfig.model_validate(config())
    assert str(settings.api_base_url) == "https://graph.facebook.com/v21.0"
    with pytest.raises(ValidationError):
        WhatsAppConfig.model_validate(config(phone_number_id=""))
    with pytest.raises(ValidationError):
        WhatsAppConfig.model_validate(config(phone_nmuber_id="1"))


# --- parsing ----------------------------------------------------------------------


def test_parses_the_text_sample() -> None:
    parsed = parse(load_sample("whatsapp_inbound_text.json"))
    assert parsed.statuses == [] and parsed.ignored == []
    [message] = parsed.messages
    assert message.external_id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
    assert message.body == "Does it come in another color?"
    assert message.content_type == "text"
    assert message.contact.identifier == "16505551234"
    assert message.contact.name == "Sheena Nelson"
    assert message.contact.phone == "+16505551234"
    assert message.sent_at == datetime.fromtimestamp(1749416383, UTC)
    assert json.loads(message.raw or "")["text"]["body"] == message.body


def test_parses_the_sent_status_sample() -> None:
    parsed = parse(load_sample("whatsapp_status_sent.json"))
    assert parsed.messages == []
    [status] = parsed.statuses
    wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="
    assert (status.status, status.external_id) == ("sent", wamid)
    assert status.recipient == "16505551234"
    assert status.dedupe_key == f"{wamid}:sent"
    assert status.at == datetime.fromtimestamp(1750030073, UTC)
    assert status.error is None


@pytest.mark.parametrize(
    ("kind", "media_id", "mime", "filename", "body"),
    [
        ("image", "2754859441498128", "image/jpeg", None, "This is the broken part"),
        (
            "document",
            "1003383421387256",
            "application/pdf",
            "invoice-2025-06.pdf",
            "Invoice attached",
        ),
        ("audio", "1003383421387257", "audio/ogg; codecs=opus", None, ""),
        ("video", "1166846181421424", "video/mp4", None, "It rattles like this"),
        ("sticker", "1228766238478932", "image/webp", None, ""),
    ],
)
def test_parses_media_messages_as_attachments_to_fetch(
    kind: str, media_id: str, mime: str, filename: str | None, body: str
) -> None:
    [message] = parse(fixture(f"{kind}.json")).messages
    assert (message.content_type, message.body) == (kind, body)
    [attachment] = message.attachments
    assert attachment.media_ref == media_id
    assert attachment.content_type == mime
    # Only documents carry a name; the others are named after the media id and type.
    extension = {"image": ".jpg", "audio": ".oga", "video": ".mp4", "sticker": ".webp"}
    assert attachment.filename == (filename or f"{kind}-{media_id}{extension.get(kind)}")
    assert attachment.data is None


def test_parses_a_location() -> None:
    [message] = parse(fixture("location.json")).messages
    assert message.content_type == "location"
    assert message.body == (
        "📍 Philz Coffee, 101 Forest Ave, Palo Alto, CA 94301 (37.44221496582, -122.16139221191)"
    )
    assert message.meta["latitude"] == 37.44221496582
    assert message.meta["longitude"] == -122.16139221191


@pytest.mark.parametrize(
    ("name", "body", "reply_id"),
    [
        ("interactive_button_reply.json", "Cancel", "cancel-button"),
        ("interactive_list_reply.json", "Priority Mail Express", "priority-express"),
    ],
)
def test_interactive_replies_use_the_title_as_body(name: str, body: str, reply_id: str) -> None:
    [message] = parse(fixture(name)).messages
    assert message.body == body
    assert message.meta["reply_id"] == reply_id
    assert message.meta["reply_to"] == "wamid.HBgLMTQxMjU1NTA4MjkVAgARGBI1RjQ0QkU2OEM2RjIyNjY0QjMA"


def test_template_button_reply_uses_the_button_text() -> None:
    [message] = parse(fixture("button.json")).messages
    assert message.body == "Stop promotions"
    assert message.meta["button_payload"] == "Unsubscribe"


@pytest.mark.parametrize(
    ("name", "reason"),
    [("reaction.json", "reaction 👍"), ("unsupported.json", "Message type unknown")],
)
def test_reactions_and_unsupported_messages_are_ignored_with_a_reason(name: str, reason: str) -> None:
    parsed = parse(fixture(name))
    assert parsed.messages == [] and parsed.statuses == []
    [ignored] = parsed.ignored
    assert reason in ignored


def test_failed_status_carries_the_error() -> None:
    [status] = parse(fixture("status_failed.json")).statuses
    assert status.status == "failed"
    assert status.error is not None
    assert "131026" in status.error and "Message undeliverable" in status.error


def test_delivered_and_read_are_deduplicated_per_status() -> None:
    parsed = parse(fixture("statuses_delivered_read.json"))
    assert [s.status for s in parsed.statuses] == ["delivered", "read"]
    assert len({s.dedupe_key for s in parsed.statuses}) == 2
    assert len(parsed.ignored) == 1 and "deleted" in parsed.ignored[0]


def test_batched_payload_keeps_every_message_and_status_for_this_number() -> None:
    parsed = parse(fixture("batch.json"))
    assert [m.external_id for m in parsed.messages] == ["wamid.BATCH1", "wamid.BATCH2"]
    assert [m.contact.name for m in parsed.messages] == ["Sheena Nelson", "Kenji Sato"]
    assert parsed.messages[1].contact.phone == "+819012345678"
    assert [s.external_id for s in parsed.statuses] == ["wamid.OUT1"]
    assert len(parsed.ignored) == 2
    assert any("message_template_status_update" in reason for reason in parsed.ignored)
    assert any("999999999999999" in reason for reason in parsed.ignored)


def test_changes_for_another_phone_number_are_ignored() -> None:
    parsed = parse(load_sample("whatsapp_inbound_text.json"), phone_number_id="111111111111111")
    assert parsed.messages == []
    assert "106540352242922" in parsed.ignored[0]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"object": "page", "entry": []}',
        b'{"object": "whatsapp_business_account", "entry": "nope"}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages"}]}]}',
        fixture("malformed.json"),
        # Found by the webhook fuzz: a number where Meta documents an object.
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",'
        b' "value": {"metadata": {"phone_number_id": "106540352242922"},'
        b' "contacts": [{"profile": 1}]}}]}]}',
    ],
)
def test_unknown_shapes_are_ignored_not_raised(body: bytes) -> None:
    parsed = parse(body)
    assert parsed.messages == [] and parsed.statuses == []
    assert parsed.ignored


# --- sending ---------------------------------------------------------------------


async def test_sends_text_in_the_documented_shape(server: VendorServer, http: httpx.AsyncClient) -> None:
    server.script(MESSAGES_PATH, ScriptedResponse(200, fixture_json("send_response.json")))
    result = await channel.send(server_config(server), outbound("16505551234"), http)
    assert result.external_id == "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
    [request] = server.requests_to(MESSAGES_PATH)
    assert request.method == "POST"
    assert request.headers["authorization"] == "Bearer EAAJB-test-token"
    assert request.query == {}
    assert request.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "16505551234",
        "type": "text",
        "text": {"body": "Your parcel left the warehouse today."},
    }


async def test_sends_a_template_when_given_one(server: VendorServer, http: httpx.AsyncClient) -> None:
    server.script(MESSAGES_PATH, ScriptedResponse(200, fixture_json("send_response.json")))
    template = {
        "name": "order_update",
        "language": {"code": "en_US"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "4411"}]}],
    }
    await channel.send(server_config(server), outbound("16505551234", template=template), http)
    [request] = server.requests_to(MESSAGES_PATH)
    sent = request.json()
    assert (sent["type"], sent["template"], sent["to"]) == ("template", template, "16505551234")
    assert "text" not in sent


async def test_sends_attachments_by_link_with_the_caption_on_the_first(
    server: VendorServer, http: httpx.AsyncClient
) -> None:
    server.script(
        MESSAGES_PATH,
        ScriptedResponse(200, {"messages": [{"id": "wamid.first"}]}),
        ScriptedResponse(200, {"messages": [{"id": "wamid.second"}]}),
    )
    attachments = (
        OutboundAttachment("photo.png", "image/png", "https://files.example/photo.png"),
        OutboundAttachment("label.pdf", "application/pdf", "https://files.example/label.pdf"),
    )
    message = outbound("16505551234", "Here is your label", attachments=attachments)
    result = await channel.send(server_config(server), message, http)
    assert result.external_id == "wamid.first"
    first, second = (r.json() for r in server.requests_to(MESSAGES_PATH))
    assert first["type"] == "image"
    assert first["image"] == {
        "link": "https://files.example/photo.png",
        "caption": "Here is your label",
    }
    assert second["type"] == "document"
    assert second["document"] == {
        "link": "https://files.example/label.pdf",
        "filename": "label.pdf",
    }


async def test_text_goes_first_when_the_first_attachment_takes_no_caption(
    server: VendorServer, http: httpx.AsyncClient
) -> None:
    server.script(
        MESSAGES_PATH,
        ScriptedResponse(200, {"messages": [{"id": "wamid.text"}]}),
        ScriptedResponse(200, {"messages": [{"id": "wamid.audio"}]}),
    )
    voice = OutboundAttachment("note.ogg", "audio/ogg", "https://files.example/note.ogg")
    result = await channel.send(
        server_config(server), outbound("16505551234", "Listen:", attachments=(voice,)), http
    )
    assert result.external_id == "wamid.text"
    kinds = [r.json()["type"] for r in server.requests_to(MESSAGES_PATH)]
    assert kinds == ["text", "audio"]


async def test_long_text_is_split_in_order(server: VendorServer, http: httpx.AsyncClient) -> None:
    server.script(
        MESSAGES_PATH,
        ScriptedResponse(200, {"messages": [{"id": "wamid.1"}]}),
        ScriptedResponse(200, {"messages": [{"id": "wamid.2"}]}),
    )
    text = " ".join(f"word{i}" for i in range(700))
    result = await channel.send(server_config(server), outbound("16505551234", text), http)
    bodies = [r.json()["text"]["body"] for r in server.requests_to(MESSAGES_PATH)]
    assert len(bodies) == 2 and all(len(body) <= 4096 for body in bodies)
    assert "".join(bodies) == text
    assert result.external_id == "wamid.1"
    assert result.meta["external_ids"] == ["wamid.1", "wamid.2"]


async def test_server_errors_are_transient(server: VendorServer, http: httpx.AsyncClient) -> None:
    server.script(MESSAGES_PATH, ScriptedResponse(500, {"error": {"message": "boom", "code": 2}}))
    with pytest.raises(DeliveryError) as caught:
        await channel.send(server_config(server), outbound("16505551234"), http)
    assert caught.value.permanent is False
    assert caught.value.http_status == 500


async def test_429_is_transient_and_honours_retry_after(
    server: VendorServer, http: httpx.AsyncClient
) -> None:
    server.script(
        MESSAGES_PATH,
        ScriptedResponse(429, fixture_json("error_130429.json"), headers={"Retry-After": "7"}),
    )
    with pytest.raises(DeliveryError) as caught:
        await channel.send(server_config(server), outbound("16505551234"), http)
    assert caught.value.permanent is False
    assert caught.value.retry_after == 7.0


async def test_throughput_limit_code_is_transient_even_on_http_400(
    server: VendorServer, http: httpx.AsyncClient
) -> None:
    server.script(MESSAGES_PATH, ScriptedResponse(400, fixture_json("error_130429.json")))
    with pytest.raises(DeliveryError) as caught:
        await channel.send(server_config(server), outbound("16505551234"), http)
    assert caught.value.permanent is False
    assert "130429" in str(caught.value)


async def test_expired_token_is_permanent(server: VendorServer, http: httpx.AsyncClient) -> None:
    server.script(MESSAGES_PATH, ScriptedResponse(401, fixture_json("error_190.json")))
    with pytest.raises(DeliveryError) as caught:
        await channel.send(server_config(server), outbound("16505551234"), http)
    assert caught.value.permanent is True
    assert "access token" in str(caught.value)
    assert "190" in str(caught.value)


async def test_closed_window_is_permanent_and_explained(
    server: VendorServer, http: httpx.AsyncClient
) -> None:
    server.script(MESSAGES_PATH, ScriptedResponse(400, fixture_json("error_131047.json")))
    with pytest.raises(DeliveryError) as caught:
        await channel.send(server_config(server), outbound("16505551234"), http)
    error = caught.value
    assert error.permanent is True and error.retry_after is None
    assert str(error).startswith("More than 24 hours have passed since the customer last wrote")
    assert "template" in str(error)
    assert "131047" in str(error)


async def test_connection_refused_is_transient(http: httpx.AsyncClient) -> None:
    with pytest.raises(DeliveryError) as caught:
        await channel.send(config(api_base_url=refused_url()), outbound("16505551234"), http)
    assert caught.value.permanent is False


async def test_failure_after_a_sent_part_says_so(server: VendorServer, http: httpx.AsyncClient) -> None:
    server.script(
        MESSAGES_PATH,
        ScriptedResponse(200, {"messages": [{"id": "wamid.1"}]}),
        ScriptedResponse(503, b"upstream unavailable"),
    )
    pdf = OutboundAttachment("a.pdf", "application/pdf", "https://files.example/a.pdf")
    message = outbound("16505551234", "x" * 2000, attachments=(pdf,))
    with pytest.raises(DeliveryError) as caught:
        await channel.send(server_config(server), message, http)
    assert caught.value.permanent is False
    assert "parts 1-1 of 2" in str(caught.value)


async def test_misconfigured_inbox_fails_permanently(http: httpx.AsyncClient) -> None:
    with pytest.raises(DeliveryError) as caught:
        await channel.send(config(access_token=""), outbound("16505551234"), http)
    assert caught.value.permanent is True
    assert "access_token" in str(caught.value)


# --- media ------------------------------------------------------------------------


async def test_fetch_media_resolves_the_id_then_downloads_with_the_token(
    server: VendorServer, http: httpx.AsyncClient
) -> None:
    media = fixture_json("media_url.json")
    media["url"] = f"{server.url}/whatsapp_business/attachments/?mid=2754859441498128&ext=1"
    server.script("/v21.0/2754859441498128", ScriptedResponse(200, media))
    jpeg = b"\xff\xd8\xff\xe0fake-jpeg"
    server.script(
        "/whatsapp_business/attachments/",
        ScriptedResponse(200, jpeg, headers={"content-type": "image/jpeg"}),
    )
    data, content_type = await channel.fetch_media(server_config(server), "2754859441498128", http)
    assert (data, content_type) == (jpeg, "image/jpeg")
    for path in ("/v21.0/2754859441498128", "/whatsapp_business/attachments/"):
        [request] = server.requests_to(path)
        assert request.headers["authorization"] == "Bearer EAAJB-test-token"


async def test_fetch_media_of_an_unknown_id_is_permanent(
    server: VendorServer, http: httpx.AsyncClient
) -> None:
    error = {"message": "Unsupported get request.", "type": "GraphMethodException", "code": 100}
    server.script("/v21.0/404404", ScriptedResponse(400, {"error": error}))
    with pytest.raises(DeliveryError) as caught:
        await channel.fetch_media(server_config(server), "404404", http)
    assert caught.value.permanent is True


async def test_pair_rate_limit_waits_the_documented_six_seconds(
    server: VendorServer, http: httpx.AsyncClient
) -> None:
    error = {"message": "(#131056) (Business Account, Consumer Account) pair rate limit hit"}
    server.script(MESSAGES_PATH, ScriptedResponse(400, {"error": {**error, "code": 131056}}))
    with pytest.raises(DeliveryError) as caught:
        await channel.send(server_config(server), outbound("16505551234"), http)
    assert caught.value.permanent is False
    assert caught.value.retry_after == 6.0
