from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from linebot.v3 import WebhookParser  # type: ignore[import-untyped]
from linebot.v3.exceptions import InvalidSignatureError  # type: ignore[import-untyped]
from linebot.v3.webhook import SignatureValidator  # type: ignore[import-untyped]

from meridian.channels.base import (
    ChannelAdapter,
    DeliveryError,
    OutboundAttachment,
    OutboundMessage,
    WebhookAuthError,
    WebhookRequest,
)
from meridian.channels.line.adapter import LineChannel, fetch_media
from meridian.channels.line.outbound import data_base
from meridian.core.clock import utcnow
from tests.channels.samples import load_fixture, load_sample, signature_vectors
from tests.support.vendor_server import ScriptedResponse, VendorServer, vendor_server

SECRET = "line-channel-secret"
ACCESS_TOKEN = "line-access-token"
ADAPTER = LineChannel()
USER = "U206d25c2ea6bd87c17655609a1c37cb8"


def sign(secret: str, body: bytes) -> str:
    # Written out here rather than imported so the test does not trust the code it checks.
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def request(body: bytes, signature: str | None) -> WebhookRequest:
    headers = {} if signature is None else {"x-line-signature": signature}
    return WebhookRequest("POST", "https://meridian.example/webhooks/line/1", headers, {}, body)


def signed(body: bytes) -> WebhookRequest:
    return request(body, sign(SECRET, body))


def outbound(body: str, key: str = "delivery-1", **kwargs: Any) -> OutboundMessage:
    return OutboundMessage(
        message_id="m1",
        conversation_id="c1",
        conversation_number=3,
        idempotency_key=key,
        recipient=USER,
        body=body,
        **kwargs,
    )


def token_context(age: timedelta) -> dict[str, str]:
    return {"reply_token": "rt-1", "reply_token_at": (utcnow() - age).isoformat()}


# One stand-in server for the module; each test calls it under its own path prefix.
_prefixes = itertools.count()


@dataclass
class Line:
    server: VendorServer
    prefix: str

    @property
    def config(self) -> dict[str, str]:
        return {
            "channel_secret": SECRET,
            "channel_access_token": ACCESS_TOKEN,
            "api_base_url": self.server.url + self.prefix,
        }

    def path(self, path: str) -> str:
        return self.prefix + path


@pytest.fixture(scope="module")
def server() -> Iterator[VendorServer]:
    with vendor_server() as vendor:
        yield vendor


@pytest.fixture
def line(server: VendorServer) -> Line:
    return Line(server, f"/t{next(_prefixes)}")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


REPLY, PUSH = "/v2/bot/message/reply", "/v2/bot/message/push"


def sent(ids: list[str]) -> ScriptedResponse:
    return ScriptedResponse(200, {"sentMessages": [{"id": i, "quoteToken": "q"} for i in ids]})


def test_is_a_channel_adapter() -> None:
    # The annotation is the check: mypy --strict verifies the Protocol is satisfied.
    adapter: ChannelAdapter = LineChannel()
    assert adapter.kind == "line"
    assert adapter.receives_webhooks and adapter.reply_window is None
    assert adapter.secret_keys == frozenset({"channel_secret", "channel_access_token"})
    assert adapter.handshake({}, WebhookRequest("GET", "https://x", {}, {}, b"")).status == 405


# --- signatures --------------------------------------------------------------------


def test_official_vector_is_accepted() -> None:
    vector = signature_vectors()["line_x_line_signature"]
    config = {"channel_secret": vector["channel_secret"]}
    ADAPTER.authenticate(config, request(vector["body"].encode(), vector["signature"]))


def test_sdk_accepts_our_signature_of_the_sample_and_so_do_we() -> None:
    body = load_sample("line_webhook_text_message.json")
    signature = sign(SECRET, body)
    events = WebhookParser(SECRET).parse(body.decode(), signature)
    assert events[0].webhook_event_id == "testwebhookeventid"
    ADAPTER.authenticate({"channel_secret": SECRET}, request(body, signature))


@given(st.binary(max_size=200), st.text(min_size=1, max_size=40), st.booleans())
def test_we_and_the_sdk_agree(body: bytes, secret: str, forge: bool) -> None:
    text = body.decode("latin-1")  # the SDK validates text; latin-1 maps bytes 1:1
    raw = text.encode("utf-8")
    signature = sign(secret, raw)
    if forge:
        signature = sign(secret + "x", raw)
    sdk_ok = SignatureValidator(secret).validate(text, signature)
    try:
        ADAPTER.authenticate({"channel_secret": secret}, request(raw, signature))
        ours_ok = True
    except WebhookAuthError:
        ours_ok = False
    assert sdk_ok is ours_ok is (not forge)


@pytest.mark.parametrize("signature", [None, "", sign("other-secret", b"{}"), "not base64 at all"])
def test_forged_or_missing_signature_is_rejected(signature: str | None) -> None:
    with pytest.raises(WebhookAuthError) as caught:
        ADAPTER.authenticate({"channel_secret": SECRET}, request(b"{}", signature))
    assert caught.value.status == 403
    if signature:
        with pytest.raises(InvalidSignatureError):
            WebhookParser(SECRET).parse("{}", signature)


def test_signature_over_other_bytes_is_rejected() -> None:
    body = load_sample("line_webhook_text_message.json")
    reserialised = json.dumps(json.loads(body)).encode()
    with pytest.raises(WebhookAuthError):
        ADAPTER.authenticate({"channel_secret": SECRET}, request(body, sign(SECRET, reserialised)))


# --- parsing -----------------------------------------------------------------------


def test_parse_verbatim_sample() -> None:
    parsed = ADAPTER.parse({}, signed(load_sample("line_webhook_text_message.json")))
    assert parsed.ignored == []
    [message] = parsed.messages
    assert message.external_id == "testwebhookeventid"
    assert message.contact.identifier == USER
    assert (message.body, message.content_type) == ("Hello, world", "text")
    assert message.sent_at == datetime.fromtimestamp(1462629479.859, UTC)
    assert message.meta["replyToken"] == "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"
    assert message.meta["isRedelivery"] is False
    assert message.meta["reply_token"] == "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"
    assert datetime.fromisoformat(message.meta["reply_token_at"]) == message.sent_at


def test_parse_media_events() -> None:
    image, video, audio, document = ADAPTER.parse(
        {}, signed(load_fixture("line", "media_events.json"))
    ).messages
    assert (image.content_type, image.attachments[0].media_ref) == ("image", "354718705033693859")
    assert image.attachments[0].content_type == "image/jpeg"
    assert image.external_id == "01FZ74A0TDDPYRVKNK77XKC3ZR"
    # Content from an external provider is only at its own URL.
    assert video.attachments[0].media_ref == "https://example.com/original.mp4"
    assert video.content_type == "video"
    assert audio.content_type == "audio" and audio.meta["isRedelivery"] is True
    assert document.content_type == "document"
    assert document.attachments[0].filename == "receipt.pdf"
    assert document.attachments[0].content_type == "application/pdf"
    assert document.attachments[0].size == 2138
    assert document.meta["groupId"] == "Ca56f94637c"
    assert document.contact.identifier == "U4af4980629"


def test_parse_location_and_sticker() -> None:
    location, sticker = ADAPTER.parse({}, signed(load_fixture("line", "location_sticker.json"))).messages
    assert location.content_type == "location"
    assert location.body.startswith("my location, 1-3 Kioicho")
    assert location.meta["latitude"] == 35.67966
    assert sticker.content_type == "sticker"
    assert sticker.body == "[sticker: cony, sally, Staring]"
    assert sticker.meta["stickerId"] == "52002738"


def test_non_message_events_are_ignored_with_reasons() -> None:
    parsed = ADAPTER.parse({}, signed(load_fixture("line", "non_message_events.json")))
    assert parsed.messages == []
    assert len(parsed.ignored) == 4
    for word in ("follow", "unfollow", "postback", "hologram"):
        assert any(word in reason for reason in parsed.ignored)


@pytest.mark.parametrize(
    "body",
    [
        load_fixture("line", "verify.json"),
        b"\xff\xfe not json",
        b"[1, 2]",
        b'{"destination": "x", "events": [42, {"type": "message"}]}',
        b'{"destination": "x", "events": [{"type": "message", "message": {"type": "text"},'
        b' "source": {"type": "group", "groupId": "C1"}}]}',
        # Found by the webhook fuzz: a list where LINE documents a string.
        b'{"events": [{"type": "message", "source": {"type": "user", "userId": "U4"},'
        b' "message": {"type": []}}]}',
    ],
)
def test_odd_bodies_are_ignored_not_raised(body: bytes) -> None:
    parsed = ADAPTER.parse({}, signed(body))
    assert parsed.messages == [] and parsed.ignored


# --- sending -----------------------------------------------------------------------


async def test_fresh_reply_token_replies(line: Line, http: httpx.AsyncClient) -> None:
    line.server.script(line.path(REPLY), sent(["461230966842064897"]))
    context = token_context(timedelta(seconds=10))
    result = await ADAPTER.send(line.config, outbound("Hi!", reply_context=context), http)
    assert result.external_id == "461230966842064897"
    [reply] = line.server.requests_to(line.path(REPLY))
    assert reply.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert "x-line-retry-key" not in reply.headers  # reply refuses retry keys with 400
    assert reply.json() == {"replyToken": "rt-1", "messages": [{"type": "text", "text": "Hi!"}]}
    assert line.server.requests_to(line.path(PUSH)) == []


@pytest.mark.parametrize("context", [token_context(timedelta(seconds=70)), {}, {"reply_token": "rt"}])
async def test_without_a_fresh_token_pushes(
    line: Line, http: httpx.AsyncClient, context: dict[str, str]
) -> None:
    line.server.script(line.path(PUSH), sent(["1"]))
    await ADAPTER.send(line.config, outbound("Hi again", reply_context=context), http)
    assert line.server.requests_to(line.path(REPLY)) == []
    [push] = line.server.requests_to(line.path(PUSH))
    assert push.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert push.json() == {"to": USER, "messages": [{"type": "text", "text": "Hi again"}]}
    assert uuid.UUID(push.headers["x-line-retry-key"])


async def test_invalid_reply_token_falls_back_to_push(line: Line, http: httpx.AsyncClient) -> None:
    line.server.script(line.path(REPLY), ScriptedResponse(400, {"message": "Invalid reply token"}))
    line.server.script(line.path(PUSH), sent(["99"]))
    context = token_context(timedelta(seconds=5))
    result = await ADAPTER.send(line.config, outbound("late", reply_context=context), http)
    assert result.external_id == "99"
    assert result.meta["methods"] == ["push"]
    assert len(line.server.requests_to(line.path(REPLY))) == 1
    [push] = line.server.requests_to(line.path(PUSH))
    assert push.json()["messages"] == [{"type": "text", "text": "late"}]


async def test_retry_key_is_stable_and_409_counts_as_sent(line: Line, http: httpx.AsyncClient) -> None:
    key = "5f8e2a8e-1f0e-4d7e-9a51-0c1b2d3e4f50"
    line.server.script(
        line.path(PUSH),
        ScriptedResponse(500, {"message": "Internal error"}),
        ScriptedResponse(
            409,
            {"message": "The retry key is already accepted"},
            {"x-line-accepted-request-id": "req-original"},
        ),
    )
    with pytest.raises(DeliveryError) as caught:
        await ADAPTER.send(line.config, outbound("once", key=key), http)
    assert caught.value.permanent is False
    result = await ADAPTER.send(line.config, outbound("once", key=key), http)
    assert result.external_id == "req-original"
    first, second = line.server.requests_to(line.path(PUSH))
    assert first.headers["x-line-retry-key"] == second.headers["x-line-retry-key"] == key


async def test_long_text_is_split_into_objects_and_batches(line: Line, http: httpx.AsyncClient) -> None:
    line.server.script(line.path(REPLY), sent(["r1", "r2", "r3", "r4", "r5"]))
    line.server.script(line.path(PUSH), sent(["p1", "p2"]))
    body = ("x" * 999 + " ") * 35  # 35,000 characters: 7 text objects of at most 5,000
    context = token_context(timedelta(seconds=1))
    result = await ADAPTER.send(line.config, outbound(body, reply_context=context), http)
    [reply] = line.server.requests_to(line.path(REPLY))
    [push] = line.server.requests_to(line.path(PUSH))
    texts = [m["text"] for m in reply.json()["messages"] + push.json()["messages"]]
    assert [len(reply.json()["messages"]), len(push.json()["messages"])] == [5, 2]
    assert "".join(texts) == body and all(len(t) <= 5000 for t in texts)
    assert result.meta["message_ids"] == ["r1", "r2", "r3", "r4", "r5", "p1", "p2"]
    assert result.meta["methods"] == ["reply", "push"]


async def test_batches_pushed_with_distinct_retry_keys(line: Line, http: httpx.AsyncClient) -> None:
    line.server.script(line.path(PUSH), sent(["a"]), sent(["b"]))
    await ADAPTER.send(line.config, outbound("y " * 15_000), http)
    keys = [r.headers["x-line-retry-key"] for r in line.server.requests_to(line.path(PUSH))]
    assert len(keys) == 2 and len(set(keys)) == 2


async def test_attachments(line: Line, http: httpx.AsyncClient) -> None:
    line.server.script(line.path(PUSH), sent(["1", "2", "3"]))
    attachments = (
        OutboundAttachment("photo.jpg", "image/jpeg", "https://files.example/p.jpg"),
        OutboundAttachment("manual.pdf", "application/pdf", "https://files.example/m.pdf"),
    )
    await ADAPTER.send(line.config, outbound("See attached", attachments=attachments), http)
    [push] = line.server.requests_to(line.path(PUSH))
    assert push.json()["messages"] == [
        {"type": "text", "text": "See attached"},
        {
            "type": "image",
            "originalContentUrl": "https://files.example/p.jpg",
            "previewImageUrl": "https://files.example/p.jpg",
        },
        {"type": "text", "text": "manual.pdf: https://files.example/m.pdf"},
    ]


@pytest.mark.parametrize(
    ("answer", "permanent"),
    [
        (ScriptedResponse(429, {"message": "Too Many Requests"}), False),
        (ScriptedResponse(429, {"message": "You have reached your monthly limit."}), True),
        (ScriptedResponse(500, {"message": "Internal Server Error"}), False),
        (ScriptedResponse(503, b"unavailable"), False),
        (
            ScriptedResponse(
                400,
                {
                    "message": "The request body has 1 error(s)",
                    "details": [{"message": "May not be empty", "property": "messages[0].text"}],
                },
            ),
            True,
        ),
        (ScriptedResponse(401, {"message": "Authentication failed"}), True),
        (ScriptedResponse(403, {"message": "Not authorized"}), True),
    ],
)
async def test_error_classification(
    line: Line, http: httpx.AsyncClient, answer: ScriptedResponse, permanent: bool
) -> None:
    line.server.script(line.path(PUSH), answer)
    with pytest.raises(DeliveryError) as caught:
        await ADAPTER.send(line.config, outbound("hello"), http)
    assert caught.value.permanent is permanent
    assert caught.value.http_status == answer.status


async def test_reply_errors_other_than_the_token_are_not_retried_as_push(
    line: Line, http: httpx.AsyncClient
) -> None:
    line.server.script(line.path(REPLY), ScriptedResponse(429, {"message": "Too Many Requests"}))
    context = token_context(timedelta(seconds=1))
    with pytest.raises(DeliveryError) as caught:
        await ADAPTER.send(line.config, outbound("hi", reply_context=context), http)
    assert caught.value.permanent is False
    assert line.server.requests_to(line.path(PUSH)) == []


async def test_network_failure_is_transient(http: httpx.AsyncClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {"channel_access_token": ACCESS_TOKEN, "api_base_url": f"http://127.0.0.1:{port}"}
    with pytest.raises(DeliveryError) as caught:
        await ADAPTER.send(config, outbound("hi"), http)
    assert caught.value.permanent is False


# --- media -------------------------------------------------------------------------


def test_data_host_is_lines_unless_overridden() -> None:
    assert data_base({}) == "https://api-data.line.me"
    assert data_base({"api_base_url": "https://api.line.me/"}) == "https://api-data.line.me"
    assert data_base({"api_base_url": "http://127.0.0.1:8080/"}) == "http://127.0.0.1:8080"


async def test_fetch_media_by_message_id(line: Line, http: httpx.AsyncClient) -> None:
    path = line.path("/v2/bot/message/354718705033693859/content")
    line.server.script(path, ScriptedResponse(200, b"\xff\xd8jpeg", {"content-type": "image/jpeg"}))
    data, content_type = await fetch_media(line.config, "354718705033693859", http)
    assert (data, content_type) == (b"\xff\xd8jpeg", "image/jpeg")
    assert line.server.requests_to(path)[0].headers["authorization"] == f"Bearer {ACCESS_TOKEN}"


async def test_fetch_media_from_external_provider_sends_no_token(line: Line, http: httpx.AsyncClient) -> None:
    line.server.script(
        line.path("/ext/original.mp4"), ScriptedResponse(200, b"mp4", {"content-type": "video/mp4"})
    )
    url = line.server.url + line.path("/ext/original.mp4")
    assert await ADAPTER.fetch_media(line.config, url, http) == (b"mp4", "video/mp4")
    assert "authorization" not in line.server.requests_to(line.path("/ext/original.mp4"))[0].headers


async def test_fetch_media_not_ready_is_transient(line: Line, http: httpx.AsyncClient) -> None:
    line.server.script(line.path("/v2/bot/message/7/content"), ScriptedResponse(202, b""))
    with pytest.raises(DeliveryError) as caught:
        await fetch_media(line.config, "7", http)
    assert caught.value.permanent is False and caught.value.retry_after
