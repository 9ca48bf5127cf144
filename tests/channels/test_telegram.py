from __future__ import annotations

import itertools
import json
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from meridian.channels.base import (
    ChannelAdapter,
    DeliveryError,
    OutboundAttachment,
    OutboundMessage,
    WebhookAuthError,
    WebhookRequest,
)
from meridian.channels.telegram.adapter import (
    TelegramChannel,
    TelegramConfig,
    fetch_media,
    generate_secret_token,
    register_webhook,
)
from meridian.channels.text import utf16_len
from tests.channels.samples import load_fixture, load_sample
from tests.support.vendor_server import (
    RecordedRequest,
    ScriptedResponse,
    VendorServer,
    vendor_server,
)

TOKEN = "123456:TEST-token_abc"
SECRET = "s3cr3t-Token_value"
ADAPTER = TelegramChannel()


def request(body: bytes, secret: str | None = SECRET) -> WebhookRequest:
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["x-telegram-bot-api-secret-token"] = secret
    return WebhookRequest("POST", "https://meridian.example/webhooks/telegram/1", headers, {}, body)


def outbound(body: str, **kwargs: Any) -> OutboundMessage:
    return OutboundMessage(
        message_id="m1",
        conversation_id="c1",
        conversation_number=7,
        idempotency_key="key-1",
        recipient="1111111",
        body=body,
        **kwargs,
    )


# One stand-in server for the module (stopping one takes half a second); each test
# gets its own bot token, so its paths, scripts and recorded requests are its own.
_bot_ids = itertools.count(100000)


@dataclass
class Bot:
    server: VendorServer
    token: str

    @property
    def config(self) -> dict[str, str]:
        return config(self.server.url, self.token)

    def path(self, method: str) -> str:
        return f"/bot{self.token}/{method}"


@pytest.fixture(scope="module")
def server() -> Iterator[VendorServer]:
    with vendor_server() as vendor:
        yield vendor


@pytest.fixture
def bot(server: VendorServer) -> Bot:
    return Bot(server, f"{next(_bot_ids)}:TEST-token_abc")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def config(base: str, token: str = TOKEN) -> dict[str, str]:
    return {"bot_token": token, "secret_token": SECRET, "api_base_url": base}


def ok_message(message_id: int) -> ScriptedResponse:
    return ScriptedResponse(200, {"ok": True, "result": {"message_id": message_id, "date": 1}})


def test_is_a_channel_adapter() -> None:
    # The annotation is the check: mypy --strict verifies the Protocol is satisfied.
    adapter: ChannelAdapter = TelegramChannel()
    assert adapter.kind == "telegram"
    assert adapter.receives_webhooks and adapter.reply_window is None
    assert adapter.secret_keys == frozenset({"bot_token", "secret_token"})
    assert adapter.handshake({}, WebhookRequest("GET", "https://x", {}, {}, b"")).status == 405


# --- authentication ----------------------------------------------------------------


def test_authenticate_accepts_the_registered_secret() -> None:
    ADAPTER.authenticate(config("x"), request(load_sample("telegram_update_message.json")))


@pytest.mark.parametrize("secret", ["wrong-secret", "", None, SECRET + "x"])
def test_authenticate_rejects_forged_or_missing_secret(secret: str | None) -> None:
    with pytest.raises(WebhookAuthError) as caught:
        ADAPTER.authenticate(config("x"), request(b"{}", secret))
    assert caught.value.status == 403


def test_authenticate_fails_closed_without_a_configured_secret() -> None:
    with pytest.raises(WebhookAuthError):
        ADAPTER.authenticate({"bot_token": TOKEN}, request(b"{}", SECRET))


def test_config_validation() -> None:
    TelegramConfig.model_validate({"bot_token": TOKEN, "secret_token": generate_secret_token()})
    with pytest.raises(ValidationError):
        TelegramConfig.model_validate({"bot_token": TOKEN, "secret_token": "has spaces!"})
    with pytest.raises(ValidationError):
        TelegramConfig.model_validate({"bot_token": "not-a-token"})


# --- parsing -----------------------------------------------------------------------


def test_parse_verbatim_sample() -> None:
    parsed = ADAPTER.parse(config("x"), request(load_sample("telegram_update_message.json")))
    assert parsed.ignored == []
    [message] = parsed.messages
    assert message.external_id == "10000"
    assert message.contact.identifier == "1111111"
    assert message.contact.name == "Test Test Lastname"
    assert message.body == "/start"
    assert message.content_type == "text"
    assert message.sent_at == datetime(2015, 9, 7, 17, 5, 32, tzinfo=UTC)
    assert message.meta["edited"] is False
    assert json.loads(message.raw or "")["update_id"] == 10000


@pytest.mark.parametrize(
    ("fixture", "content_type", "body", "mime", "media_ref"),
    [
        ("photo_caption.json", "image", "Das Paket kam so an", "image/jpeg", "AgAD-large"),
        ("document.json", "document", "", "application/pdf", "BQACAgIAAxkBAAIBdoc"),
        ("audio.json", "audio", "", "audio/mpeg", "CQACAgIAAxkBAAIBaudio"),
        ("voice.json", "audio", "", "audio/ogg", "AwACAgIAAxkBAAIBvoice"),
        ("video.json", "video", "see the scratch at 0:07", "video/mp4", "BAACAgIAAxkBAAIBvideo"),
        ("sticker.json", "sticker", "👍", "application/x-tgsticker", "CAACAgIAAxkBAAIBsticker"),
    ],
)
def test_parse_media_messages(fixture: str, content_type: str, body: str, mime: str, media_ref: str) -> None:
    [message] = ADAPTER.parse(config("x"), request(load_fixture("telegram", fixture))).messages
    assert message.content_type == content_type
    assert message.body == body
    [attachment] = message.attachments
    assert (attachment.content_type, attachment.media_ref) == (mime, media_ref)
    assert attachment.data is None


def test_parse_photo_takes_locale_and_filename() -> None:
    [message] = ADAPTER.parse(config("x"), request(load_fixture("telegram", "photo_caption.json"))).messages
    assert message.contact.locale == "de"
    assert message.attachments[0].size == 98765
    doc = ADAPTER.parse(config("x"), request(load_fixture("telegram", "document.json"))).messages[0]
    assert doc.attachments[0].filename == "invoice-2024.pdf"


def test_parse_location_and_contact() -> None:
    [location] = ADAPTER.parse(config("x"), request(load_fixture("telegram", "location.json"))).messages
    assert location.content_type == "location"
    assert (location.meta["latitude"], location.meta["longitude"]) == (52.520008, 13.404954)
    assert "52.520008" in location.body
    [card] = ADAPTER.parse(config("x"), request(load_fixture("telegram", "contact.json"))).messages
    assert card.content_type == "contact"
    assert card.body == "Anna Schmidt +4915112345678"
    assert card.meta["shared_contact"]["phone_number"] == "+4915112345678"


def test_parse_edited_message_is_flagged_with_its_own_update_id() -> None:
    parsed = ADAPTER.parse(config("x"), request(load_fixture("telegram", "edited_message.json")))
    [message] = parsed.messages
    assert message.external_id == "10009"
    assert message.meta["edited"] is True
    assert message.body == "/start please"
    assert message.sent_at == datetime.fromtimestamp(1441645700, UTC)
    assert message.contact.locale == "en"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (load_fixture("telegram", "channel_post.json"), "channel_post"),
        (load_fixture("telegram", "callback_query.json"), "callback_query"),
        (load_fixture("telegram", "my_chat_member.json"), "my_chat_member"),
        (load_fixture("telegram", "service_message.json"), "new_chat_members"),
        (b"not json at all", "not JSON"),
        (b'["an", "array"]', "not an Update"),
        (b'{"update_id": 5}', "(empty)"),
        (b'{"update_id": 6, "message": {"text": "no chat"}}', "chat.id"),
    ],
)
def test_unknown_shapes_are_ignored_not_raised(body: bytes, reason: str) -> None:
    parsed = ADAPTER.parse(config("x"), request(body))
    assert parsed.messages == [] and parsed.statuses == []
    [ignored] = parsed.ignored
    assert reason in ignored


# --- sending -----------------------------------------------------------------------


async def test_send_text_shape(bot: Bot, http: httpx.AsyncClient) -> None:
    bot.server.script(bot.path("sendMessage"), ok_message(42))
    result = await ADAPTER.send(bot.config, outbound("Hallo 👋"), http)
    assert result.external_id == "42"
    [sent] = bot.server.requests_to(bot.path("sendMessage"))
    assert sent.method == "POST"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {"chat_id": 1111111, "text": "Hallo 👋"}


async def test_send_splits_long_text_in_order(bot: Bot, http: httpx.AsyncClient) -> None:
    bot.server.script(bot.path("sendMessage"), ok_message(1), ok_message(2), ok_message(3))
    paragraph = ("word " * 700).strip() + "\n"
    body = paragraph * 3
    result = await ADAPTER.send(bot.config, outbound(body), http)
    texts = [r.json()["text"] for r in bot.server.requests_to(bot.path("sendMessage"))]
    assert len(texts) == 3
    assert "".join(texts) == body
    assert all(utf16_len(text) <= 4096 for text in texts)
    assert all(not text.startswith(" ") for text in texts)  # cut at whitespace, words intact
    assert result.external_id == "1"
    assert result.meta["message_ids"] == ["1", "2", "3"]


async def test_send_attachments(bot: Bot, http: httpx.AsyncClient) -> None:
    bot.server.script(bot.path("sendPhoto"), ok_message(10))
    bot.server.script(bot.path("sendDocument"), ok_message(11))
    attachments = (
        OutboundAttachment("shot.png", "image/png", "https://files.example/shot.png"),
        OutboundAttachment("terms.docx", "application/msword", "https://files.example/t", b"DOCX"),
    )
    result = await ADAPTER.send(bot.config, outbound("", attachments=attachments), http)
    assert result.meta["message_ids"] == ["10", "11"]
    assert bot.server.requests_to(bot.path("sendMessage")) == []
    [photo] = bot.server.requests_to(bot.path("sendPhoto"))
    assert photo.json() == {"chat_id": 1111111, "photo": "https://files.example/shot.png"}
    [document] = bot.server.requests_to(bot.path("sendDocument"))
    assert document.headers["content-type"].startswith("multipart/form-data")
    assert b'filename="terms.docx"' in document.body and b"DOCX" in document.body
    assert b'name="chat_id"' in document.body


async def test_empty_reply_is_permanent(http: httpx.AsyncClient) -> None:
    with pytest.raises(DeliveryError) as caught:
        await ADAPTER.send(config("http://127.0.0.1:9"), outbound("   "), http)
    assert caught.value.permanent


def _telegram_error(code: int, description: str, **parameters: Any) -> ScriptedResponse:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return ScriptedResponse(code, body)


@pytest.mark.parametrize(
    ("answer", "permanent", "retry_after", "words"),
    [
        (
            _telegram_error(429, "Too Many Requests: retry after 7", retry_after=7),
            False,
            7.0,
            "throttling",
        ),
        (_telegram_error(403, "Forbidden: bot was blocked by the user"), True, None, "blocked"),
        (_telegram_error(403, "Forbidden: user is deactivated"), True, None, "deleted"),
        (
            _telegram_error(400, "Bad Request: chat not found"),
            True,
            None,
            "does not know this chat",
        ),
        (
            _telegram_error(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=-1001234,
            ),
            True,
            None,
            "-1001234",
        ),
        (_telegram_error(401, "Unauthorized"), True, None, "bot token"),
        (_telegram_error(502, "Bad Gateway"), False, None, "Bad Gateway"),
        (ScriptedResponse(500, b"<html>oops</html>"), False, None, "500"),
        (
            ScriptedResponse(200, {"ok": False, "error_code": 400, "description": "weird"}),
            True,
            None,
            "weird",
        ),
    ],
)
async def test_send_error_classification(
    bot: Bot,
    http: httpx.AsyncClient,
    answer: ScriptedResponse,
    permanent: bool,
    retry_after: float | None,
    words: str,
) -> None:
    bot.server.script(bot.path("sendMessage"), answer)
    with pytest.raises(DeliveryError) as caught:
        await ADAPTER.send(bot.config, outbound("hi"), http)
    assert caught.value.permanent is permanent
    assert caught.value.retry_after == retry_after
    assert words in str(caught.value)
    assert bot.token not in str(caught.value)


async def test_network_failure_is_transient(http: httpx.AsyncClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DeliveryError) as caught:
        await ADAPTER.send(config(f"http://127.0.0.1:{port}"), outbound("hi"), http)
    assert caught.value.permanent is False


# --- media and webhook registration ------------------------------------------------


async def test_fetch_media(bot: Bot, http: httpx.AsyncClient) -> None:
    bot.server.script(
        bot.path("getFile"),
        ScriptedResponse(
            200, {"ok": True, "result": {"file_id": "AgAD-large", "file_path": "photos/file_1.jpg"}}
        ),
    )
    bot.server.script(
        f"/file/bot{bot.token}/photos/file_1.jpg",
        ScriptedResponse(200, b"\xff\xd8JPEG", {"content-type": "application/octet-stream"}),
    )
    data, content_type = await fetch_media(bot.config, "AgAD-large", http)
    assert (data, content_type) == (b"\xff\xd8JPEG", "image/jpeg")
    assert bot.server.requests_to(bot.path("getFile"))[0].json() == {"file_id": "AgAD-large"}


async def test_fetch_media_too_big_is_permanent(bot: Bot, http: httpx.AsyncClient) -> None:
    bot.server.script(bot.path("getFile"), _telegram_error(400, "Bad Request: file is too big"))
    with pytest.raises(DeliveryError) as caught:
        await ADAPTER.fetch_media(bot.config, "big", http)
    assert caught.value.permanent


async def test_register_webhook(bot: Bot, http: httpx.AsyncClient) -> None:
    def answer(req: RecordedRequest) -> ScriptedResponse:
        return ScriptedResponse(200, {"ok": True, "result": True, "description": "Webhook was set"})

    bot.server.respond(bot.path("setWebhook"), answer)
    await register_webhook(bot.config, "https://meridian.example/webhooks/telegram/1", http)
    [sent] = bot.server.requests_to(bot.path("setWebhook"))
    assert sent.json()["url"] == "https://meridian.example/webhooks/telegram/1"
    assert sent.json()["secret_token"] == SECRET
    with pytest.raises(DeliveryError):
        await register_webhook({"bot_token": bot.token, "api_base_url": bot.server.url}, "https://x", http)


@pytest.mark.parametrize(
    "message",
    [
        # Found by the webhook fuzzer (tests/drills/test_fuzz_webhooks.py): fields of
        # the wrong type leaked into InboundMessage instead of being ignored.
        {"chat": {"id": 1111111, "first_name": 7, "username": 8}, "text": 1.0, "date": 10**20},
        {"chat": {"id": ""}, "text": "/start"},
        {"chat": {"id": 5}, "photo": [1, {"file_id": 3}, {"file_id": "ok", "width": "9"}]},
        {"chat": {"id": 5}, "document": {"file_id": "d", "file_name": 4, "mime_type": []}},
    ],
)
def test_wrongly_typed_fields_never_leak_into_a_message(message: dict[str, Any]) -> None:
    body = json.dumps({"update_id": 10000, "message": message}).encode()
    parsed = ADAPTER.parse({}, request(body))
    for msg in parsed.messages:
        assert isinstance(msg.body, str)
        assert msg.contact.identifier and isinstance(msg.contact.name, str | None)
        assert all(isinstance(a.filename, str) and isinstance(a.content_type, str) for a in msg.attachments)
    assert len(parsed.messages) + len(parsed.ignored) == 1
