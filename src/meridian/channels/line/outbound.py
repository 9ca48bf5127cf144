"""Calls to the LINE Messaging API: reply, push and content download.

Endpoints and limits from https://developers.line.biz/en/reference/messaging-api/
("Send reply message", "Send push message", "Get content", "Error responses").
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from meridian.channels.base import (
    DeliveryError,
    OutboundMessage,
    SendResult,
    classify_http_error,
    transport_error,
)
from meridian.channels.text import split_text
from meridian.core.clock import utcnow

DEFAULT_API_BASE_URL = "https://api.line.me"
# "Get content" lives on its own host (reference, "Domain name").
DEFAULT_DATA_BASE_URL = "https://api-data.line.me"
# Text message object: "Max character limit: 5000"; reply and push take 1-5 objects.
TEXT_LIMIT = 5000
MAX_OBJECTS = 5
# "Send reply message": the reply token must be used within one minute of receiving
# the webhook; later use is not guaranteed. A margin covers clock skew and the
# request's own travel time.
REPLY_TOKEN_LIFETIME = timedelta(seconds=50)
_RETRY_KEY_NAMESPACE = uuid.UUID("6f0f3c3e-5d4a-4a39-9d53-3c7c9d6b8a51")


def api_base(config: Mapping[str, Any]) -> str:
    return str(config.get("api_base_url") or DEFAULT_API_BASE_URL).rstrip("/")


def data_base(config: Mapping[str, Any]) -> str:
    # With the default API host the data host is LINE's; an overridden base URL (a
    # proxy, the tests' stand-in server) serves both.
    base = api_base(config)
    return DEFAULT_DATA_BASE_URL if base == DEFAULT_API_BASE_URL else base


def retry_key(idempotency_key: str, batch: int = 0) -> str:
    """``X-Line-Retry-Key`` must be a hexadecimal UUID (LINE docs, "Retry failed API
    requests"); derive a stable one from our key so a retried delivery reuses it."""
    try:
        base = uuid.UUID(idempotency_key)
    except ValueError:
        base = uuid.uuid5(_RETRY_KEY_NAMESPACE, idempotency_key)
    return str(base if batch == 0 else uuid.uuid5(base, str(batch)))


def fresh_reply_token(context: Mapping[str, Any]) -> str | None:
    token = context.get("reply_token")
    issued = context.get("reply_token_at")
    if not token or not issued:
        return None
    try:
        at = issued if isinstance(issued, datetime) else datetime.fromisoformat(str(issued))
    except ValueError:
        return None
    if at.tzinfo is None:
        return None
    return str(token) if utcnow() - at < REPLY_TOKEN_LIFETIME else None


def _objects(message: OutboundMessage) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = [
        {"type": "text", "text": piece} for piece in split_text(message.body, TEXT_LIMIT) if piece.strip()
    ]
    for attachment in message.attachments:
        if attachment.content_type in ("image/jpeg", "image/png"):
            # Image message: JPEG or PNG over HTTPS; the preview may be the same URL.
            objects.append(
                {
                    "type": "image",
                    "originalContentUrl": attachment.url,
                    "previewImageUrl": attachment.url,
                }
            )
        else:
            # LINE has no message type for arbitrary files (video and audio also need
            # a preview image or duration we do not have), so those go as a link.
            objects.append({"type": "text", "text": f"{attachment.filename}: {attachment.url}"})
    return objects


def line_error(response: httpx.Response) -> DeliveryError:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    data = payload if isinstance(payload, dict) else {}
    text = str(data.get("message") or "").strip()
    details = data.get("details")
    if isinstance(details, list) and details:
        parts = [f"{d.get('property', '')}: {d.get('message', '')}" for d in details if isinstance(d, dict)]
        text = f"{text} ({'; '.join(parts)})" if parts else text
    if response.status_code == 429 and "monthly limit" in text.lower():
        # 429 also means the channel used up its monthly message quota (reference,
        # "Status codes"); retrying before the next month cannot help.
        return DeliveryError(f"LINE monthly message limit reached: {text}", permanent=True, http_status=429)
    if response.status_code == 401:
        return DeliveryError(
            "LINE rejected the channel access token; update channel_access_token.",
            permanent=True,
            http_status=401,
        )
    return classify_http_error(response, text or None)


async def _post(
    http: httpx.AsyncClient,
    config: Mapping[str, Any],
    path: str,
    body: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    auth = {"Authorization": f"Bearer {config['channel_access_token']}", **(headers or {})}
    try:
        return await http.post(f"{api_base(config)}{path}", json=dict(body), headers=auth)
    except httpx.HTTPError as exc:
        raise transport_error(exc) from exc


def _sent_ids(response: httpx.Response) -> list[str]:
    # Both endpoints answer {"sentMessages": [{"id", "quoteToken"}, ...]}.
    try:
        sent = response.json().get("sentMessages")
    except (ValueError, AttributeError):
        sent = None
    if isinstance(sent, list):
        ids = [str(m["id"]) for m in sent if isinstance(m, dict) and m.get("id")]
        if ids:
            return ids
    request_id = response.headers.get("x-line-request-id")
    return [request_id] if request_id else []


async def _push(
    http: httpx.AsyncClient,
    config: Mapping[str, Any],
    to: str,
    batch: list[dict[str, Any]],
    key: str,
) -> list[str]:
    response = await _post(
        http,
        config,
        "/v2/bot/message/push",
        {"to": to, "messages": batch},
        {"X-Line-Retry-Key": key},
    )
    if response.status_code == 409:
        # 409 with a retry key means an earlier attempt was already accepted; its
        # request id comes back in x-line-accepted-request-id ("Retry failed API requests").
        accepted = response.headers.get("x-line-accepted-request-id")
        return [accepted] if accepted else []
    if response.status_code >= 300:
        raise line_error(response)
    return _sent_ids(response)


async def _reply(
    http: httpx.AsyncClient, config: Mapping[str, Any], token: str, batch: list[dict[str, Any]]
) -> list[str] | None:
    """Reply with the token; None when LINE says the token is no longer valid."""
    response = await _post(http, config, "/v2/bot/message/reply", {"replyToken": token, "messages": batch})
    if response.status_code == 400 and "invalid reply token" in response.text.lower():
        return None
    if response.status_code >= 300:
        raise line_error(response)
    return _sent_ids(response)


async def send_message(
    config: Mapping[str, Any], message: OutboundMessage, http: httpx.AsyncClient
) -> SendResult:
    objects = _objects(message)
    if not objects:
        raise DeliveryError("The reply is empty: nothing to send to LINE.", permanent=True)
    batches = [objects[i : i + MAX_OBJECTS] for i in range(0, len(objects), MAX_OBJECTS)]
    token = fresh_reply_token(message.reply_context)
    ids: list[str] = []
    methods: list[str] = []
    for index, batch in enumerate(batches):
        # A reply token is single-use, so only the first batch can use it. Replies are
        # free and push messages count against the quota, hence reply first.
        if index == 0 and token is not None:
            replied = await _reply(http, config, token, batch)
            if replied is not None:
                ids.extend(replied)
                methods.append("reply")
                continue
        ids.extend(
            await _push(http, config, message.recipient, batch, retry_key(message.idempotency_key, index))
        )
        methods.append("push")
    return SendResult(external_id=ids[0] if ids else None, meta={"message_ids": ids, "methods": methods})


async def fetch_media(
    config: Mapping[str, Any], media_ref: str, http: httpx.AsyncClient
) -> tuple[bytes, str]:
    """Download what the user sent: by message id from "Get content"
    (``GET {data host}/v2/bot/message/{id}/content``), or from the external URL."""
    if media_ref.startswith(("https://", "http://")):
        url, headers = media_ref, {}
    else:
        url = f"{data_base(config)}/v2/bot/message/{media_ref}/content"
        headers = {"Authorization": f"Bearer {config['channel_access_token']}"}
    try:
        response = await http.get(url, headers=headers, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise transport_error(exc) from exc
    if 200 < response.status_code < 300:
        # Only 200 carries the bytes. Video and audio can still be in preparation
        # (reference, "Verify video or audio preparation status"): ask again shortly.
        raise DeliveryError(
            "LINE is still preparing this media", retry_after=5, http_status=response.status_code
        )
    if response.status_code >= 300:
        raise line_error(response)
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    return response.content, content_type or "application/octet-stream"
