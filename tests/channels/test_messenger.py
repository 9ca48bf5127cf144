from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from meridian.channels.base import (
    ChannelAdapter,
    DeliveryError,
    OutboundAttachment,
    ParsedWebhook,
)
from meridian.channels.messenger.adapter import MessengerChannel
from tests.channels.meta_support import outbound, refused_url, signed_post
from tests.channels.samples import load_fixture, load_sample
from tests.support.vendor_server import ScriptedResponse, VendorServer, vendor_server

PAGE_ID = "106066395400012"
PSID = "6791234567890123"
SECRET = "messenger-app-secret"
MESSAGES_PATH = f"/v21.0/{PAGE_ID}/messages"
channel = MessengerChannel()


def config(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "page_id": PAGE_ID,
        "page_access_token": "EAAPage-token",
        "app_secret": SECRET,
        "verify_token": "meatyhamhock",
    }
    values.update(overrides)
    return values


def parse(body: bytes, **overrides: Any) -> ParsedWebhook:
    return channel.parse(config(**overrides), signed_post(body, SECRET))


def sample_notification() -> bytes:
    """The verbatim messaging item from Meta's docs, inside the page envelope it arrives in."""
    item = load_sample("messenger_inbound_text_messaging_entry.json").strip()
    head = b'{"object":"page","entry":[{"id":"<PAGE_ID>","time":1458692752478,"messaging":['
    return head + item + b"]}]}"


def sample_send_response() -> Any:
    text = load_sample("messenger_send_api_request_and_response.txt").decode()
    return json.loads(text[text.index("{", text.index("# On success")) :])


@pytest.fixture(scope="module")
def running_server() -> Iterator[VendorServer]:
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


def test_is_a_channel_adapter() -> None:
    adapter: ChannelAdapter = channel
    assert adapter.kind == "messenger"
    assert adapter.secret_keys == {"page_access_token", "app_secret", "verify_token"}
    assert adapter.reply_window == timedelta(hours=24)
    assert adapter.config_model.model_validate(config()).model_dump()["api_base_url"]


# --- parsing ---------------------------------------------------------------------


def test_parses_the_documented_text_message() -> None:
    parsed = parse(sample_notification(), page_id="<PAGE_ID>")
    assert parsed.ignored == [] and parsed.statuses == []
    [message] = parsed.messages
    assert message.external_id == "mid.1457764197618:41d102a3e1ae206a38"
    assert message.body == "hello, world!"
    assert message.contact.identifier == "<PSID>"
    assert message.sent_at == datetime.fromtimestamp(1458692752.478, UTC)
    assert message.meta["quick_reply_payload"] == "<DEVELOPER_DEFINED_PAYLOAD>"


def test_attachments_are_urls_to_fetch() -> None:
    [message] = parse(load_fixture("messenger", "attachments.json")).messages
    assert message.content_type == "image" and message.body == ""
    image, document = message.attachments
    assert image.media_ref is not None and image.media_ref.startswith("https://scontent.xx.fbcdn")
    assert image.content_type == "image/jpeg"
    assert document.content_type == "application/pdf"
    assert document.filename.endswith("order-4411.pdf")


def test_shared_location_keeps_its_coordinates() -> None:
    [message] = parse(load_fixture("messenger", "location.json")).messages
    assert message.content_type == "location" and message.attachments == ()
    assert message.body == "📍 Pinned Location (-23.561414, -46.655881)"
    assert (message.meta["latitude"], message.meta["longitude"]) == (-23.561414, -46.655881)
    assert message.meta["url"].startswith("https://l.facebook.com/")


def test_echoes_are_dropped() -> None:
    parsed = parse(load_fixture("messenger", "echo.json"))
    assert parsed.messages == []
    [reason] = parsed.ignored
    assert reason.startswith("echo")


def test_delivery_receipts_carry_mids_and_watermark() -> None:
    with_mid, watermark_only = parse(load_fixture("messenger", "delivery.json")).statuses
    assert with_mid.status == "delivered"
    assert with_mid.external_id == "mid.1458668856218:ed81099e15d3f4f233"
    assert with_mid.watermark == datetime.fromtimestamp(1458668856.253, UTC)
    assert with_mid.recipient == PSID
    assert watermark_only.external_id is None
    assert watermark_only.watermark == datetime.fromtimestamp(1458668857, UTC)
    assert with_mid.dedupe_key != watermark_only.dedupe_key


def test_read_receipt_is_a_watermark_for_the_sender() -> None:
    [status] = parse(load_fixture("messenger", "read.json")).statuses
    assert (status.status, status.recipient, status.external_id) == ("read", PSID, None)
    assert status.watermark == datetime.fromtimestamp(1458668856.253, UTC)


def test_postback_uses_its_title() -> None:
    [message] = parse(load_fixture("messenger", "postback.json")).messages
    assert message.body == "Track my order"
    assert message.external_id.startswith("m_AG5Hz2Uq7")
    assert message.meta["postback_payload"] == "TRACK_ORDER"


def test_batch_keeps_this_pages_messages_and_explains_the_rest() -> None:
    parsed = parse(load_fixture("messenger", "batch.json"))
    assert [m.body for m in parsed.messages] == ["Where is my order?", "Order 4411"]
    assert parsed.messages[1].meta["reply_to"] == "mid.batch-1"
    assert len(parsed.ignored) == 3
    joined = " | ".join(parsed.ignored)
    assert "reaction" in joined and "999999999999999" in joined and "standby" in joined


def test_every_entry_for_another_page_is_ignored() -> None:
    parsed = parse(load_fixture("messenger", "postback.json"), page_id="42")
    assert parsed.messages == [] and len(parsed.ignored) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe",
        b'{"object": "instagram", "entry": []}',
        b'{"object": "page", "entry": [{"id": "106066395400012", "messaging": "x"}]}',
        b'{"object": "page", "entry": [{"id": "106066395400012", "messaging": [{}]}]}',
        b'{"object": "page", "entry": [{"id": "106066395400012", "messaging": ['
        b'{"sender": {"id": "1"}, "message": {"mid": "m"}},'
        b'{"sender": {"id": "1"}, "delivery": {}},'
        b'{"message": {"text": "no sender"}}]}]}',
    ],
)
def test_unknown_shapes_are_ignored_not_raised(body: bytes) -> None:
    parsed = parse(body)
    assert parsed.messages == [] and parsed.statuses == [] and parsed.ignored


# --- sending ---------------------------------------------------------------------


async def test_sends_text_with_the_page_token(server: VendorServer, http: httpx.AsyncClient) -> None:
    server.script(MESSAGES_PATH, ScriptedResponse(200, sample_send_response()))
    result = await channel.send(server_config(server), outbound(PSID), http)
    assert result.external_id == "AG5Hz2U..."
    [request] = server.requests_to(MESSAGES_PATH)
    assert request.query == {"access_token": ["EAAPage-token"]}
    assert request.json() == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "Your parcel left the warehouse today."},
    }


async def test_sends_attachments_after_the_text(server: VendorServer, http: httpx.AsyncClient) -> None:
    server.script(
        MESSAGES_PATH,
        ScriptedResponse(200, {"recipient_id": PSID, "message_id": "m_text"}),
        ScriptedResponse(200, {"recipient_id": PSID, "message_id": "m_image"}),
    )
    photo = OutboundAttachment("photo.jpg", "image/jpeg", "https://files.example/photo.jpg")
    result = await channel.send(
        server_config(server), outbound(PSID, "See photo", attachments=(photo,)), http
    )
    assert result.external_id == "m_text"
    text, image = (r.json()["message"] for r in server.requests_to(MESSAGES_PATH))
    assert text == {"text": "See photo"}
    assert image == {
        "attachment": {
            "type": "image",
            "payload": {"url": "https://files.example/photo.jpg", "is_reusable": True},
        }
    }


async def test_long_text_is_split_under_2000_characters(
    server: VendorServer, http: httpx.AsyncClient
) -> None:
    server.script(MESSAGES_PATH, *(ScriptedResponse(200, {"message_id": f"m_{n}"}) for n in (1, 2, 3)))
    text = "\n".join(f"Line {i}: the quick brown fox jumps over the lazy dog." for i in range(90))
    result = await channel.send(server_config(server), outbound(PSID, text), http)
    pieces = [r.json()["message"]["text"] for r in server.requests_to(MESSAGES_PATH)]
    assert len(pieces) == 3
    assert all(len(piece) < 2000 for piece in pieces)
    assert "".join(pieces) == text
    assert result.external_id == "m_1"


@pytest.mark.parametrize(
    ("status", "body", "headers", "permanent", "retry_after", "words"),
    [
        (500, {"error": {"message": "An unknown error occurred", "code": 1}}, {}, False, None, ""),
        (429, {}, {"Retry-After": "12"}, False, 12.0, ""),
        (400, "error_613.json", {}, False, None, "rate limit"),
        (400, "error_190.json", {}, True, None, "access token"),
        (400, "error_window.json", {}, True, None, "24 hours"),
    ],
)
async def test_errors_are_classified(
    server: VendorServer,
    http: httpx.AsyncClient,
    status: int,
    body: Any,
    headers: dict[str, str],
    permanent: bool,
    retry_after: float | None,
    words: str,
) -> None:
    if isinstance(body, str):
        body = json.loads(load_fixture("messenger", body))
    server.script(MESSAGES_PATH, ScriptedResponse(status, body, headers=headers))
    with pytest.raises(DeliveryError) as caught:
        await channel.send(server_config(server), outbound(PSID), http)
    assert caught.value.permanent is permanent
    assert caught.value.retry_after == retry_after
    assert words in str(caught.value)


async def test_connection_refused_is_transient(http: httpx.AsyncClient) -> None:
    with pytest.raises(DeliveryError) as caught:
        await channel.send(config(api_base_url=refused_url()), outbound(PSID), http)
    assert caught.value.permanent is False


async def test_fetch_media_downloads_the_cdn_url(server: VendorServer, http: httpx.AsyncClient) -> None:
    server.script("/cdn/photo.png", ScriptedResponse(200, b"\x89PNG", {"content-type": "image/png"}))
    data, content_type = await channel.fetch_media(config(), f"{server.url}/cdn/photo.png", http)
    assert (data, content_type) == (b"\x89PNG", "image/png")
    [request] = server.requests_to("/cdn/photo.png")
    assert "authorization" not in request.headers
