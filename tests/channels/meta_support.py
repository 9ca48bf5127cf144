"""Building Meta webhook requests and outbound messages for the WhatsApp, Messenger and
Instagram tests."""

from __future__ import annotations

import hashlib
import hmac
import socket
from collections.abc import Mapping

from meridian.channels.base import OutboundAttachment, OutboundMessage, WebhookRequest

URL = "https://meridian.example/webhooks/meta/inbox-1"


def sign(secret: str, body: bytes) -> str:
    # Written out here rather than imported so the test does not trust the code it checks.
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(body: bytes, headers: Mapping[str, str] | None = None) -> WebhookRequest:
    return WebhookRequest(
        method="POST",
        public_url=URL,
        headers={k.lower(): v for k, v in (headers or {}).items()},
        query={},
        body=body,
    )


def signed_post(body: bytes, secret: str) -> WebhookRequest:
    return post(body, {"X-Hub-Signature-256": sign(secret, body)})


def get(query: Mapping[str, str]) -> WebhookRequest:
    return WebhookRequest(method="GET", public_url=URL, headers={}, query=dict(query), body=b"")


def outbound(
    recipient: str,
    body: str = "Your parcel left the warehouse today.",
    *,
    attachments: tuple[OutboundAttachment, ...] = (),
    template: Mapping[str, object] | None = None,
) -> OutboundMessage:
    return OutboundMessage(
        message_id="msg_01",
        conversation_id="conv_01",
        conversation_number=1042,
        idempotency_key="idem_01",
        recipient=recipient,
        body=body,
        attachments=attachments,
        template=template,
    )


def refused_url() -> str:
    """A loopback URL nothing listens on, for connection-refused checks."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v21.0"
