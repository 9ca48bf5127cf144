from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from meridian.channels.base import (
    ChannelAdapter,
    DeliveryError,
    OutboundAttachment,
    ParsedWebhook,
)
from meridian.channels.instagram.adapter import InstagramChannel, InstagramConfig
from tests.channels.meta_support import outbound, refused_url, signed_post
from tests.channels.samples import load_fixture, load_sample
from tests.support.vendor_server import ScriptedResponse, VendorServer, vendor_server

PAGE_ID = "106066395400012"
IG_ACCOUNT = "17841405309211844"
IGSID = "1187654321098765"
SECRET = "instagram-app-secret"
MESSAGES_PATH = f"/v21.0/{PAGE_ID}/messages"
channel = InstagramChannel()


def config(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "page_id": PAGE_ID,
        "page_access_token": "EAAPage-ig-token",
        "app_secret": SECRET,
        "verify_token": "meatyhamhock",
        "instagram_account_id": IG_ACCOUNT,
    }
    values.update(overrides)
    return values


def parse(body: bytes, **overrides: Any) -> ParsedWebhook:
    return channel.parse(config(**overrides), signed_post(body, SECRET))


def documented_syntax_notification() -> bytes:
    """Meta's syntax example, made into the JSON it stands for.

    The sample has comment lines, bare ``<TIME...>`` placeholders and an unclosed outer
    list, so the placeholders get example times and the first object is decoded alone.
    """
    text = load_sample("instagram_messaging_message_syntax.txt").decode()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    text = "\n".join(lines)
    times = {
        "TIME_NOTIFICATION_WAS_SENT": "1569262486134",
        "TIME_WEBHOOK_WAS_TRIGGERED": "1569262485349",
    }
    text = re.sub(r":\s*<(\w+)>", lambda m: ":" + times[m.group(1)], text)
    payload, _ = json.JSONDecoder().raw_decode(text, text.index("{"))
    return json.dumps(payload).encode()


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


def test_is_a_channel_adapter_with_an_optional_account_id() -> None:
    adapter: ChannelAdapter = channel
    assert adapter.kind == "instagram"
    assert adapter.config_model is InstagramConfig
    settings = InstagramConfig.model_validate(config(instagram_account_id=None))
    assert settings.instagram_account_id is None
    with pytest.raises(ValidationError):
        InstagramConfig.model_validate(config(page_id="my page"))


def test_parses_the_documented_message_syntax() -> None:
    parsed = parse(documented_syntax_notification(), instagram_account_id=None)
    [message] = parsed.messages
    assert message.external_id == "<MESSAGE_ID>"
    assert message.body == "<MESSAGE_TEXT>"
    assert message.contact.identifier == "<SENDER_ID>"
    assert message.sent_at == datetime.fromtimestamp(1569262485.349, UTC)


def test_entries_for_another_instagram_account_are_ignored() -> None:
    parsed = parse(documented_syntax_notification())
    assert parsed.messages == []
    assert "<YOUR_APP_USERS_INSTAGRAM_USER_ID>" in parsed.ignored[0]


def test_text_with_media_and_a_shared_reel() -> None:
    [message] = parse(load_fixture("instagram", "attachments.json")).messages
    assert message.content_type == "image"
    [image] = message.attachments
    assert image.media_ref is not None and "asset_id=17962845561785410" in image.media_ref
    assert message.body.splitlines() == [
        "Is this one in stock?",
        "[ig_reel] https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=18042853780443258&signature=GhIj",
    ]


def test_seen_marks_one_message_read() -> None:
    [status] = parse(load_fixture("instagram", "seen.json")).statuses
    assert status.status == "read" and status.recipient == IGSID
    assert status.external_id is not None and status.external_id.startswith("aWdfZAG1")
    assert status.dedupe_key == f"{status.external_id}:read"


def test_icebreaker_postback_uses_its_title() -> None:
    [message] = parse(load_fixture("instagram", "postback.json")).messages
    assert (message.body, message.meta["postback_payload"]) == ("Talk to a person", "HUMAN")


def test_echo_deleted_unsupported_and_reactions_are_ignored() -> None:
    parsed = parse(load_fixture("instagram", "ignored.json"))
    assert parsed.messages == [] and parsed.statuses == []
    assert len(parsed.ignored) == 4
    assert parsed.ignored[0].startswith("echo")


def test_a_page_notification_is_not_instagram() -> None:
    parsed = parse(load_fixture("messenger", "postback.json"))
    assert parsed.messages == []
    assert "'page'" in parsed.ignored[0]


async def test_sends_through_the_linked_page(server: VendorServer, http: httpx.AsyncClient) -> None:
    server.script(
        MESSAGES_PATH,
        ScriptedResponse(200, json.loads(load_fixture("instagram", "send_response.json"))),
        ScriptedResponse(200, {"recipient_id": IGSID, "message_id": "aWdfZAG1second"}),
    )
    photo = OutboundAttachment("p.png", "image/png", "https://files.example/p.png")
    result = await channel.send(server_config(server), outbound(IGSID, "Yes!", attachments=(photo,)), http)
    assert result.external_id is not None and result.external_id.startswith("aWdfZAG1faXRl")
    text, image = server.requests_to(MESSAGES_PATH)
    assert text.query == {"access_token": ["EAAPage-ig-token"]}
    assert text.json() == {
        "recipient": {"id": IGSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "Yes!"},
    }
    assert image.json()["message"] == {
        "attachment": {"type": "image", "payload": {"url": "https://files.example/p.png"}}
    }


async def test_text_is_split_at_1000_utf8_bytes(server: VendorServer, http: httpx.AsyncClient) -> None:
    server.script(MESSAGES_PATH, *(ScriptedResponse(200, {"message_id": f"ig_{n}"}) for n in (1, 2)))
    text = "ご注文の商品は明日発送されます。" * 40  # 640 characters, 1920 UTF-8 bytes
    result = await channel.send(server_config(server), outbound(IGSID, text), http)
    pieces = [r.json()["message"]["text"] for r in server.requests_to(MESSAGES_PATH)]
    assert len(pieces) == 2
    assert all(len(piece.encode()) <= 1000 for piece in pieces)
    assert "".join(pieces) == text
    assert result.external_id == "ig_1"


@pytest.mark.parametrize(
    ("status", "error", "permanent"),
    [(500, {"message": "unknown", "code": 2}, False), (400, {"message": "bad", "code": 190}, True)],
)
async def test_errors_are_classified(
    server: VendorServer,
    http: httpx.AsyncClient,
    status: int,
    error: dict[str, Any],
    permanent: bool,
) -> None:
    server.script(MESSAGES_PATH, ScriptedResponse(status, {"error": error}))
    with pytest.raises(DeliveryError) as caught:
        await channel.send(server_config(server), outbound(IGSID), http)
    assert caught.value.permanent is permanent


async def test_connection_refused_is_transient(http: httpx.AsyncClient) -> None:
    with pytest.raises(DeliveryError) as caught:
        await channel.send(config(api_base_url=refused_url()), outbound(IGSID), http)
    assert caught.value.permanent is False
