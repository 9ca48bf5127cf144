"""A WhatsApp inbox and signed webhooks into it, as many tests need them."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx

PHONE_NUMBER_ID = "106540352242922"  # the one in shared/channel-samples


async def create_whatsapp_inbox(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    app_secret: str,
    api_base_url: str | None = None,
    access_token: str = "EAAG-test",
    phone_number_id: str = PHONE_NUMBER_ID,
    name: str = "WhatsApp",
) -> dict[str, Any]:
    config = {
        "phone_number_id": phone_number_id,
        "access_token": access_token,
        "app_secret": app_secret,
        "verify_token": "verify-me",
        **({"api_base_url": api_base_url} if api_base_url else {}),
    }
    made = await client.post(
        "/api/v1/inboxes", headers=headers, json={"name": name, "channel": "whatsapp", "config": config}
    )
    assert made.status_code == 201, made.text
    inbox: dict[str, Any] = made.json()
    return inbox


async def post_signed_webhook(
    client: httpx.AsyncClient, inbox_id: str, body: bytes, *, app_secret: str
) -> httpx.Response:
    """POST ``body`` to the inbox's webhook with Meta's ``X-Hub-Signature-256`` over it."""
    signature = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return await client.post(
        f"/webhooks/whatsapp/{inbox_id}",
        content=body,
        headers={"X-Hub-Signature-256": signature, "content-type": "application/json"},
    )
