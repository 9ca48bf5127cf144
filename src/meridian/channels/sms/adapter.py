"""The SMS channel through Twilio: signed form webhooks in, the Message resource out."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs, parse_qsl, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from meridian.channels.base import (
    HandshakeResponse,
    OutboundMessage,
    ParsedWebhook,
    Rate,
    RateLimit,
    SendResult,
    WebhookAuthError,
    WebhookRequest,
)
from meridian.channels.sms import outbound
from meridian.channels.sms.inbound import parse_form

SIGNATURE_HEADER = "X-Twilio-Signature"


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]] = ()) -> str:
    """base64(HMAC-SHA1(auth token, URL + every name+value sorted by name)), per
    "Webhooks security" (https://www.twilio.com/docs/usage/webhooks/webhooks-security)."""
    # Sorting the pairs orders by name and then value, as Twilio does for repeated names.
    payload = url + "".join(name + value for name, value in sorted(set(params)))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _url_variants(url: str) -> list[str]:
    # Twilio signs the URL as configured, which may or may not spell out the default
    # port; a proxy in front of us may add or drop it, so both spellings are tried.
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        return [url, urlunsplit(parts._replace(netloc=host))]
    port = 443 if parts.scheme == "https" else 80
    return [url, urlunsplit(parts._replace(netloc=f"{host}:{port}"))]


class TwilioSmsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_sid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: str = Field(min_length=1)
    # E.164: "+" and up to 15 digits, no leading zero.
    from_number: str = Field(pattern=r"^\+[1-9]\d{1,14}$")
    api_base_url: HttpUrl = HttpUrl(outbound.DEFAULT_API_BASE_URL)


class TwilioSmsChannel:
    kind: ClassVar[str] = "sms"
    config_model: ClassVar[type[BaseModel]] = TwilioSmsConfig
    secret_keys: ClassVar[frozenset[str]] = frozenset({"auth_token"})
    reply_window: ClassVar[timedelta | None] = None
    receives_webhooks: ClassVar[bool] = True
    # Twilio: one message segment per second from a US/Canada long code; the inbox has one
    # `from_number` (https://help.twilio.com/articles/115002943027).
    rate_limit: ClassVar[RateLimit | None] = RateLimit(per_inbox=Rate(1.0))

    def handshake(self, config: Mapping[str, Any], request: WebhookRequest) -> HandshakeResponse:
        return HandshakeResponse(405, "Twilio delivers webhooks by POST")

    def authenticate(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        token = config.get("auth_token")
        given = request.header(SIGNATURE_HEADER)
        if not token:
            raise WebhookAuthError("the inbox has no auth_token", status=403)
        if not given:
            raise WebhookAuthError(f"{SIGNATURE_HEADER} is missing", status=403)
        query = parse_qs(urlsplit(request.public_url).query)
        params: list[tuple[str, str]]
        if "bodySHA256" in query:
            # JSON webhooks sign the URL alone, which carries the body's SHA-256
            # ("Webhooks security", validating requests with a JSON body).
            digest = hashlib.sha256(request.body).hexdigest()
            if not hmac.compare_digest(digest, query["bodySHA256"][0]):
                raise WebhookAuthError("bodySHA256 does not match the body", status=403)
            params = []
        else:
            params = parse_qsl(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        matches = [
            hmac.compare_digest(given.strip().encode(), signature(str(token), url, params).encode())
            for url in _url_variants(request.public_url)
        ]
        if not any(matches):
            raise WebhookAuthError(f"{SIGNATURE_HEADER} does not match", status=403)

    def parse(self, config: Mapping[str, Any], request: WebhookRequest) -> ParsedWebhook:
        parsed = parse_form(request.body)
        # Twilio reports a reply's delivery only to the StatusCallback sent with it
        # (Messages resource, "StatusCallback"): the URL this message came to, which
        # is the inbox's webhook. outbound.send_message reads it from reply_context.
        callback = urlunsplit(urlsplit(request.public_url)._replace(query="", fragment=""))
        parsed.messages = [
            dataclasses.replace(m, meta={**m.meta, "status_callback": callback}) for m in parsed.messages
        ]
        return parsed

    async def send(
        self, config: Mapping[str, Any], message: OutboundMessage, http: httpx.AsyncClient
    ) -> SendResult:
        return await outbound.send_message(config, message, http)

    async def fetch_media(
        self, config: Mapping[str, Any], media_ref: str, http: httpx.AsyncClient
    ) -> tuple[bytes, str]:
        return await outbound.fetch_media(config, media_ref, http)


fetch_media = outbound.fetch_media
