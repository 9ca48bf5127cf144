"""Meta webhook verification: the GET handshake and the ``X-Hub-Signature-256`` check.

Both follow Graph API Webhooks, "Getting started"
(https://developers.facebook.com/docs/graph-api/webhooks/getting-started): Meta
calls the callback URL with ``hub.mode=subscribe``, ``hub.verify_token`` and
``hub.challenge`` and expects the challenge back; every event POST is signed with
HMAC-SHA256 of the raw body under the app secret, sent as ``sha256=<hex>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from meridian.channels.base import HandshakeResponse, WebhookAuthError, WebhookRequest

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def handshake(verify_token: str | None, request: WebhookRequest) -> HandshakeResponse:
    mode = request.query.get("hub.mode")
    token = request.query.get("hub.verify_token")
    challenge = request.query.get("hub.challenge")
    if mode != "subscribe" or token is None or not verify_token:
        return HandshakeResponse(403, "not a valid webhook verification request")
    if not hmac.compare_digest(token.encode(), verify_token.encode()):
        return HandshakeResponse(403, "verify token does not match")
    if not challenge:
        return HandshakeResponse(400, "hub.challenge is missing")
    return HandshakeResponse(200, challenge)


def expected_signature(app_secret: str, body: bytes) -> str:
    return _PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(app_secret: str | None, request: WebhookRequest) -> None:
    """Raise ``WebhookAuthError`` unless the body bytes were signed with ``app_secret``.

    The HMAC is over the bytes exactly as received: parsing and re-serialising the
    JSON would change spacing and escapes and so the digest.
    """
    if not app_secret:
        # Without a secret nothing can be verified, and unsigned input is never accepted.
        raise WebhookAuthError("the inbox has no app_secret to verify Meta's signature")
    header = request.header(SIGNATURE_HEADER)
    if not header:
        raise WebhookAuthError(f"missing {SIGNATURE_HEADER} header", status=401)
    if not header.startswith(_PREFIX):
        raise WebhookAuthError(f"{SIGNATURE_HEADER} must be a sha256= signature")
    expected = expected_signature(app_secret, request.body)
    given = header.strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode(), given):
        raise WebhookAuthError(f"{SIGNATURE_HEADER} does not match the body")


def load_payload(body: bytes, expected_object: str) -> dict[str, Any] | str:
    """The decoded notification, or why it is not one we handle (for ``ignored``)."""
    try:
        payload = json.loads(body)
    except ValueError:
        return "webhook body is not JSON"
    if not isinstance(payload, dict):
        return "webhook body is not a JSON object"
    kind = payload.get("object")
    if kind != expected_object:
        return f"webhook object {kind!r} is not {expected_object!r}"
    return payload
