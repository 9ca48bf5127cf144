"""The GET verify handshake and ``X-Hub-Signature-256`` check, for every Meta channel."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from meridian.channels.base import ChannelAdapter, WebhookAuthError
from meridian.channels.instagram.adapter import InstagramChannel
from meridian.channels.messenger.adapter import MessengerChannel
from meridian.channels.whatsapp.adapter import WhatsAppChannel
from tests.channels.meta_support import get, post, sign, signed_post
from tests.channels.samples import load_sample, signature_vectors

SECRET = "meta-app-secret"
ADAPTERS = [WhatsAppChannel(), MessengerChannel(), InstagramChannel()]


def config(**overrides: Any) -> dict[str, Any]:
    # The union of the three channels' keys: each adapter reads only its own.
    values: dict[str, Any] = {
        "phone_number_id": "106540352242922",
        "access_token": "EAA-token",
        "page_id": "106066395400012",
        "page_access_token": "EAA-page-token",
        "app_secret": SECRET,
        "verify_token": "meatyhamhock",
    }
    values.update(overrides)
    return values


@pytest.fixture(params=ADAPTERS, ids=lambda adapter: adapter.kind)
def adapter(request: pytest.FixtureRequest) -> ChannelAdapter:
    chosen: ChannelAdapter = request.param
    return chosen


def test_handshake_answers_metas_documented_verification_request(adapter: ChannelAdapter) -> None:
    sample = load_sample("meta_webhook_verification_request.txt").decode()
    query = dict(re.findall(r"(hub\.\w+)=([^&\s]+)", sample))
    response = adapter.handshake(config(), get(query))
    assert (response.status, response.body) == (200, "1158201444")


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.challenge": "42", "hub.verify_token": "wrong"},
        {"hub.mode": "unsubscribe", "hub.challenge": "42", "hub.verify_token": "meatyhamhock"},
        {"hub.mode": "subscribe", "hub.challenge": "42"},
        {},
    ],
)
def test_handshake_refuses_anything_else(adapter: ChannelAdapter, query: dict[str, str]) -> None:
    assert adapter.handshake(config(), get(query)).status == 403


def test_handshake_refuses_when_inbox_has_no_verify_token(adapter: ChannelAdapter) -> None:
    query = {"hub.mode": "subscribe", "hub.challenge": "42", "hub.verify_token": ""}
    assert adapter.handshake(config(verify_token=""), get(query)).status == 403


def test_signature_accepts_the_published_test_vector(adapter: ChannelAdapter) -> None:
    vector = signature_vectors()["meta_x_hub_signature_256"]
    request = post(vector["body"].encode(), {"X-Hub-Signature-256": vector["header_value"]})
    adapter.authenticate(config(app_secret=vector["app_secret"]), request)


def test_signature_accepts_a_signed_sample(adapter: ChannelAdapter) -> None:
    adapter.authenticate(config(), signed_post(load_sample("whatsapp_inbound_text.json"), SECRET))


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"X-Hub-Signature-256": sign("another-secret", b"{}")}, 403),
        ({"X-Hub-Signature-256": "sha256="}, 403),
        ({"X-Hub-Signature-256": "sha256=not-hex-ü"}, 403),
        ({"X-Hub-Signature-256": "sha1=" + "0" * 40}, 403),
        # The legacy SHA-1 header alone is not accepted.
        ({"X-Hub-Signature": "sha1=" + "0" * 40}, 401),
    ],
)
def test_signature_rejects_forged_missing_and_wrong_algorithm(
    adapter: ChannelAdapter, headers: dict[str, str], status: int
) -> None:
    with pytest.raises(WebhookAuthError) as caught:
        adapter.authenticate(config(), post(b"{}", headers))
    assert caught.value.status == status


def test_signature_is_over_the_raw_bytes_not_reserialised_json(adapter: ChannelAdapter) -> None:
    raw = load_sample("whatsapp_inbound_text.json")
    reserialised = json.dumps(json.loads(raw), separators=(",", ":")).encode()
    assert reserialised != raw
    request = post(raw, {"X-Hub-Signature-256": sign(SECRET, reserialised)})
    with pytest.raises(WebhookAuthError):
        adapter.authenticate(config(), request)


def test_signature_needs_an_app_secret(adapter: ChannelAdapter) -> None:
    with pytest.raises(WebhookAuthError):
        adapter.authenticate(config(app_secret=""), signed_post(b"{}", ""))
