from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from meridian.channels.base import (
    ChannelAdapter,
    DeliveryError,
    OutboundAttachment,
    OutboundMessage,
    WebhookAuthError,
    WebhookRequest,
)
from meridian.channels.sms.adapter import TwilioSmsChannel, TwilioSmsConfig, fetch_media
from tests.channels.samples import load_fixture, signature_vectors
from tests.support.vendor_server import ScriptedResponse, VendorServer, vendor_server

AUTH_TOKEN = "twilio-auth-token"
URL = "https://meridian.example/webhooks/sms/inbox-1"
ADAPTER = TwilioSmsChannel()
CUSTOMER = "+14155550123"


def sign(token: str, url: str, params: dict[str, str]) -> str:
    # Written out from Twilio's "Webhooks security" page so the test trusts neither side.
    data = url + "".join(key + params[key] for key in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def request(body: bytes, signature: str | None, url: str = URL) -> WebhookRequest:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["x-twilio-signature"] = signature
    return WebhookRequest("POST", url, headers, {}, body)


def form_request(params: dict[str, str]) -> WebhookRequest:
    return request(urlencode(params).encode(), sign(AUTH_TOKEN, URL, params))


def fixture_form(name: str) -> dict[str, str]:
    form: dict[str, str] = json.loads(load_fixture("sms", name))
    return form


def outbound(body: str, **kwargs: Any) -> OutboundMessage:
    return OutboundMessage(
        message_id="m1",
        conversation_id="c1",
        conversation_number=9,
        idempotency_key="k1",
        recipient=CUSTOMER,
        body=body,
        **kwargs,
    )


def test_is_a_channel_adapter() -> None:
    # The annotation is the check: mypy --strict verifies the Protocol is satisfied.
    adapter: ChannelAdapter = TwilioSmsChannel()
    assert adapter.kind == "sms"
    assert adapter.receives_webhooks and adapter.reply_window is None
    assert adapter.secret_keys == frozenset({"auth_token"})
    assert adapter.handshake({}, WebhookRequest("GET", "https://x", {}, {}, b"")).status == 405


# --- signatures --------------------------------------------------------------------


def test_official_form_vector() -> None:
    vector = signature_vectors()["twilio_x_twilio_signature_form"]
    body = urlencode(vector["params"]).encode()
    config = {"auth_token": vector["auth_token"]}
    ADAPTER.authenticate(config, request(body, vector["signature"], vector["url"]))
    # Twilio may have signed the URL with the default port spelled out, or we may see it.
    ADAPTER.authenticate(config, request(body, vector["signature_if_url_has_explicit_443"], vector["url"]))
    with_port = vector["url"].replace("mycompany.com", "mycompany.com:443")
    ADAPTER.authenticate(config, request(body, vector["signature"], with_port))
    with pytest.raises(WebhookAuthError):
        tampered = urlencode({**vector["params"], "Digits": "9999"}).encode()
        ADAPTER.authenticate(config, request(tampered, vector["signature"], vector["url"]))


def test_official_json_body_vector() -> None:
    vector = signature_vectors()["twilio_x_twilio_signature_json_body"]
    config = {"auth_token": vector["auth_token"]}
    body = vector["body"].encode()
    ADAPTER.authenticate(config, request(body, vector["signature"], vector["url"]))
    with pytest.raises(WebhookAuthError):
        ADAPTER.authenticate(config, request(body + b" ", vector["signature"], vector["url"]))


_params = st.dictionaries(
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30),
    max_size=6,
)


@given(_params, st.sampled_from([URL, "https://x.example:8443/hook?a=1", "http://h.example/p"]))
def test_request_validator_and_we_agree(params: dict[str, str], url: str) -> None:
    validator = RequestValidator(AUTH_TOKEN)
    ours = sign(AUTH_TOKEN, url, params)
    assert validator.validate(url, params, ours)
    theirs = validator.compute_signature(url, params)
    ADAPTER.authenticate({"auth_token": AUTH_TOKEN}, request(urlencode(params).encode(), theirs, url))


@pytest.mark.parametrize("signature", [None, "", "bm90IGl0", sign("other", URL, {"Body": "x"})])
def test_forged_or_missing_signature_is_rejected(signature: str | None) -> None:
    body = urlencode({"Body": "x"}).encode()
    with pytest.raises(WebhookAuthError) as caught:
        ADAPTER.authenticate({"auth_token": AUTH_TOKEN}, request(body, signature))
    assert caught.value.status == 403
    if signature:
        assert not RequestValidator(AUTH_TOKEN).validate(URL, {"Body": "x"}, signature)


def test_signature_for_another_url_is_rejected() -> None:
    params = fixture_form("inbound_sms.json")
    signature = sign(AUTH_TOKEN, URL.replace("inbox-1", "inbox-2"), params)
    with pytest.raises(WebhookAuthError):
        ADAPTER.authenticate({"auth_token": AUTH_TOKEN}, request(urlencode(params).encode(), signature))


def test_config_validation() -> None:
    good = {"account_sid": "AC" + "a1" * 16, "auth_token": "t", "from_number": "+14155550100"}
    TwilioSmsConfig.model_validate(good)
    for bad in ({"from_number": "0415 555"}, {"account_sid": "XX123"}, {"extra": 1}):
        with pytest.raises(ValidationError):
            TwilioSmsConfig.model_validate({**good, **bad})


# --- parsing -----------------------------------------------------------------------


def test_parse_inbound_sms() -> None:
    parsed = ADAPTER.parse({}, form_request(fixture_form("inbound_sms.json")))
    [message] = parsed.messages
    assert message.external_id == "SM1f0e8ae6ade43cb3c0ce4525424e404f"
    assert message.contact.identifier == message.contact.phone == CUSTOMER
    assert message.body == "Hola, ¿dónde está mi pedido?"
    assert message.content_type == "text" and message.attachments == ()
    assert message.meta["to"] == "+14155550100"
    assert message.meta["FromCountry"] == "US"
    assert json.loads(message.raw or "")["MessageSid"] == message.external_id
    assert parsed.statuses == [] and parsed.ignored == []


def test_parse_inbound_mms() -> None:
    [message] = ADAPTER.parse({}, form_request(fixture_form("inbound_mms.json"))).messages
    assert message.content_type == "image"
    photo, pdf = message.attachments
    assert photo.content_type == "image/jpeg" and photo.media_ref and photo.media_ref.endswith("/ME111")
    assert pdf.content_type == "application/pdf" and pdf.filename.endswith(".pdf")


@pytest.mark.parametrize(
    ("vendor_status", "ours"),
    [
        ("queued", "sent"),
        ("sent", "sent"),
        ("delivered", "delivered"),
        ("read", "read"),
        ("undelivered", "failed"),
        ("failed", "failed"),
    ],
)
def test_status_callbacks(vendor_status: str, ours: str) -> None:
    form = {**fixture_form("status_delivered.json"), "MessageStatus": vendor_status}
    parsed = ADAPTER.parse({}, form_request(form))
    assert parsed.messages == []
    [status] = parsed.statuses
    assert (status.status, status.external_id) == (ours, "SM3b0e8ae6ade43cb3c0ce4525424e6060")
    assert status.dedupe_key == f"SM3b0e8ae6ade43cb3c0ce4525424e6060:{vendor_status}"


def test_failed_status_carries_the_error_code() -> None:
    [status] = ADAPTER.parse({}, form_request(fixture_form("status_undelivered.json"))).statuses
    assert status.status == "failed"
    assert status.error and "30003" in status.error and "unreachable" in status.error


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"Body": "no sender"},
        {"MessageStatus": "partially_delivered", "MessageSid": "SM1"},
        {"MessageStatus": "delivered"},
    ],
)
def test_unknown_shapes_are_ignored_not_raised(params: dict[str, str]) -> None:
    parsed = ADAPTER.parse({}, form_request(params))
    assert parsed.messages == [] and parsed.statuses == [] and parsed.ignored


# --- sending -----------------------------------------------------------------------

_accounts = itertools.count()


@dataclass
class Account:
    server: VendorServer
    sid: str

    @property
    def config(self) -> dict[str, str]:
        return {
            "account_sid": self.sid,
            "auth_token": AUTH_TOKEN,
            "from_number": "+14155550100",
            "api_base_url": self.server.url,
        }

    @property
    def messages(self) -> str:
        return f"/2010-04-01/Accounts/{self.sid}/Messages.json"


@pytest.fixture(scope="module")
def server() -> Iterator[VendorServer]:
    with vendor_server() as vendor:
        yield vendor


@pytest.fixture
def account(server: VendorServer) -> Account:
    # Each test its own account SID, so its path and recorded requests are its own.
    return Account(server, f"AC{next(_accounts):032x}")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def created(sid: str) -> ScriptedResponse:
    return ScriptedResponse(201, {**json.loads(load_fixture("sms", "message_created.json")), "sid": sid})


async def test_send_shape(account: Account, http: httpx.AsyncClient) -> None:
    account.server.script(account.messages, created("SM4c0e8ae6ade43cb3c0ce4525424e7070"))
    context = {"status_callback": "https://meridian.example/webhooks/sms/inbox-1"}
    result = await ADAPTER.send(account.config, outbound("Thanks, we are on it", reply_context=context), http)
    assert result.external_id == "SM4c0e8ae6ade43cb3c0ce4525424e7070"
    [sent] = account.server.requests_to(account.messages)
    basic = base64.b64encode(f"{account.sid}:{AUTH_TOKEN}".encode()).decode()
    assert sent.headers["authorization"] == f"Basic {basic}"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.form() == {
        "To": CUSTOMER,
        "From": "+14155550100",
        "Body": "Thanks, we are on it",
        "StatusCallback": "https://meridian.example/webhooks/sms/inbox-1",
    }


async def test_send_media_and_long_body(account: Account, http: httpx.AsyncClient) -> None:
    account.server.script(account.messages, created("SM1"), created("SM2"))
    attachments = (
        OutboundAttachment("a.jpg", "image/jpeg", "https://files.example/a.jpg"),
        OutboundAttachment("b.png", "image/png", "https://files.example/b.png"),
    )
    body = "word " * 500  # 2,500 characters: two messages
    result = await ADAPTER.send(account.config, outbound(body, attachments=attachments), http)
    first, second = account.server.requests_to(account.messages)
    assert first.query == {} and "StatusCallback" not in first.form()
    assert first.body.count(b"MediaUrl=") == 2 and b"MediaUrl=" not in second.body
    assert first.form()["Body"] + second.form()["Body"] == body
    assert len(first.form()["Body"]) <= 1600
    assert result.meta["message_ids"] == ["SM1", "SM2"]


def _twilio_error(status: int, code: int, message: str, **headers: str) -> ScriptedResponse:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return ScriptedResponse(status, body, headers)


@pytest.mark.parametrize(
    ("answer", "permanent", "words"),
    [
        (ScriptedResponse(400, json.loads(load_fixture("sms", "error_21610.json"))), True, "STOP"),
        (
            _twilio_error(400, 21211, "The 'To' number +1555 is not a valid phone number."),
            True,
            "valid",
        ),
        (_twilio_error(400, 21408, "Permission to send an SMS has not been enabled"), True, "geo"),
        (_twilio_error(429, 20429, "Too Many Requests", **{"Retry-After": "3"}), False, "20429"),
        (_twilio_error(503, 20500, "Service Unavailable"), False, "20500"),
        (ScriptedResponse(502, b"Bad Gateway"), False, "502"),
        (_twilio_error(401, 20003, "Authenticate"), True, "auth token"),
    ],
)
async def test_error_classification(
    account: Account, http: httpx.AsyncClient, answer: ScriptedResponse, permanent: bool, words: str
) -> None:
    account.server.script(account.messages, answer)
    with pytest.raises(DeliveryError) as caught:
        await ADAPTER.send(account.config, outbound("hi"), http)
    assert caught.value.permanent is permanent
    assert words in str(caught.value)
    assert caught.value.http_status == answer.status
    if "Retry-After" in answer.headers:
        assert caught.value.retry_after == 3.0


async def test_network_failure_is_transient(http: httpx.AsyncClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {
        "account_sid": "AC" + "0" * 32,
        "auth_token": AUTH_TOKEN,
        "from_number": "+14155550100",
        "api_base_url": f"http://127.0.0.1:{port}",
    }
    with pytest.raises(DeliveryError) as caught:
        await ADAPTER.send(config, outbound("hi"), http)
    assert caught.value.permanent is False


async def test_empty_reply_is_permanent(account: Account, http: httpx.AsyncClient) -> None:
    with pytest.raises(DeliveryError) as caught:
        await ADAPTER.send(account.config, outbound(" \n "), http)
    assert caught.value.permanent


# --- media -------------------------------------------------------------------------


async def test_fetch_media_follows_redirect_with_credentials_only_for_twilio(
    account: Account, http: httpx.AsyncClient
) -> None:
    media = f"/2010-04-01/Accounts/{account.sid}/Messages/MM1/Media/ME1"
    stored = f"/storage/{account.sid}/ME1"
    account.server.script(media, ScriptedResponse(307, b"", {"location": account.server.url + stored}))
    account.server.script(stored, ScriptedResponse(200, b"PNGDATA", {"content-type": "image/png"}))
    data, content_type = await fetch_media(account.config, account.server.url + media, http)
    assert (data, content_type) == (b"PNGDATA", "image/png")
    assert account.server.requests_to(media)[0].headers["authorization"].startswith("Basic ")

    elsewhere = {**account.config, "api_base_url": account.server.url + "/not-twilio"}
    account.server.script(stored, ScriptedResponse(200, b"PNGDATA", {"content-type": "image/png"}))
    await ADAPTER.fetch_media(elsewhere, account.server.url + stored, http)
    assert "authorization" not in account.server.requests_to(stored)[-1].headers
