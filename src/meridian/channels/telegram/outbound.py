"""Calls to the Telegram Bot API: sending, downloading media, registering the webhook.

Every method is ``POST {api_base_url}/bot<token>/<method>`` answering
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description",
"parameters"}`` (https://core.telegram.org/bots/api#making-requests).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from typing import Any

import httpx

from meridian.channels.base import (
    DeliveryError,
    OutboundAttachment,
    OutboundMessage,
    SendResult,
    classify_http_error,
    transport_error,
)
from meridian.channels.text import split_text

DEFAULT_API_BASE_URL = "https://api.telegram.org"
# sendMessage: "Text of the message to be sent, 1-4096 characters after entities parsing".
TEXT_LIMIT = 4096
# sendPhoto takes these formats; anything else goes as a document so it arrives intact.
_PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def _base(config: Mapping[str, Any]) -> str:
    return str(config.get("api_base_url") or DEFAULT_API_BASE_URL).rstrip("/")


def _chat_id(recipient: str) -> int | str:
    # chat_id is "Integer or String" (a @channelusername); numeric ids go as numbers.
    try:
        return int(recipient)
    except ValueError:
        return recipient


def telegram_error(response: httpx.Response, payload: Any) -> DeliveryError:
    """Classify a failed call, turning Telegram's descriptions into words an agent can act on."""
    data = payload if isinstance(payload, dict) else {}
    description = str(data.get("description") or "").strip()
    code = data.get("error_code") if isinstance(data.get("error_code"), int) else response.status_code
    raw_parameters = data.get("parameters")
    parameters: dict[str, Any] = raw_parameters if isinstance(raw_parameters, dict) else {}
    lowered = description.lower()
    if code == 429:
        # "parameters.retry_after: the number of seconds left to wait before the request
        # can be repeated" (Bot API, ResponseParameters).
        wait = parameters.get("retry_after")
        retry_after = float(wait) if isinstance(wait, int | float) else None
        text = f"Telegram is throttling this bot: {description or 'Too Many Requests'}"
        return DeliveryError(text, permanent=False, retry_after=retry_after, http_status=429)
    human: str | None = None
    if code == 403 and "blocked" in lowered:
        human = "The customer blocked the Telegram bot; replies reach them once they unblock it."
    elif code == 403 and "deactivated" in lowered:
        human = "The customer's Telegram account was deleted."
    elif code == 403 and "kicked" in lowered:
        human = "The bot was removed from this Telegram chat."
    elif code == 400 and "chat not found" in lowered:
        human = "Telegram does not know this chat: it was deleted or never talked to the bot."
    elif parameters.get("migrate_to_chat_id") is not None:
        human = (
            "This Telegram group was upgraded to a supergroup with chat id "
            f"{parameters['migrate_to_chat_id']}; the conversation must continue there."
        )
    elif code == 401:
        human = "Telegram rejected the bot token; update bot_token in the inbox settings."
    if human is not None:
        return DeliveryError(f"{human} ({description})", permanent=True, http_status=code)
    return classify_http_error(response, description or None)


async def call(
    http: httpx.AsyncClient,
    config: Mapping[str, Any],
    method: str,
    payload: Mapping[str, Any],
    files: Mapping[str, tuple[str, bytes, str]] | None = None,
) -> Any:
    """One Bot API call; returns ``result`` or raises a classified ``DeliveryError``."""
    url = f"{_base(config)}/bot{config['bot_token']}/{method}"
    try:
        if files:
            form = {key: str(value) for key, value in payload.items()}
            response = await http.post(url, data=form, files=dict(files))
        else:
            response = await http.post(url, json=dict(payload))
    except httpx.HTTPError as exc:
        raise transport_error(exc) from exc
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code >= 300 or not isinstance(data, dict) or data.get("ok") is not True:
        raise telegram_error(response, data)
    return data.get("result")


def _attachment_call(
    chat_id: int | str, attachment: OutboundAttachment
) -> tuple[str, dict[str, Any], dict[str, tuple[str, bytes, str]] | None]:
    method, field = (
        ("sendPhoto", "photo") if attachment.content_type in _PHOTO_TYPES else ("sendDocument", "document")
    )
    if attachment.data is not None:
        # Uploading the bytes works for any file; sending "by URL will currently only
        # work for GIF, PDF and ZIP files" in sendDocument (Bot API, "Sending files").
        upload = (attachment.filename, attachment.data, attachment.content_type)
        return method, {"chat_id": chat_id}, {field: upload}
    return method, {"chat_id": chat_id, field: attachment.url}, None


async def send_message(
    config: Mapping[str, Any], message: OutboundMessage, http: httpx.AsyncClient
) -> SendResult:
    chat_id = _chat_id(message.recipient)
    calls: list[tuple[str, dict[str, Any], dict[str, tuple[str, bytes, str]] | None]] = [
        ("sendMessage", {"chat_id": chat_id, "text": piece}, None)
        for piece in split_text(message.body, TEXT_LIMIT)
        # Telegram refuses an empty text ("message text is empty").
        if piece.strip()
    ]
    calls.extend(_attachment_call(chat_id, attachment) for attachment in message.attachments)
    if not calls:
        raise DeliveryError("The reply is empty: nothing to send to Telegram.", permanent=True)
    # Telegram has no idempotency key: if a later piece fails and the outbox retries,
    # the pieces already sent go again. A rare duplicate beats a lost half reply.
    ids: list[str] = []
    for method, payload, files in calls:
        result = await call(http, config, method, payload, files)
        if isinstance(result, dict) and result.get("message_id") is not None:
            ids.append(str(result["message_id"]))
    return SendResult(external_id=ids[0] if ids else None, meta={"message_ids": ids})


async def fetch_media(
    config: Mapping[str, Any], media_ref: str, http: httpx.AsyncClient
) -> tuple[bytes, str]:
    """Download an inbound file by its ``file_id``.

    getFile returns ``file_path``; the bytes are at ``{api_base_url}/file/bot<token>/<file_path>``
    (Bot API, "getFile"; bots may download files up to 20 MB).
    """
    result = await call(http, config, "getFile", {"file_id": media_ref})
    file_path = result.get("file_path") if isinstance(result, dict) else None
    if not file_path:
        raise DeliveryError("Telegram gave no file_path for this file.", permanent=True)
    try:
        response = await http.get(f"{_base(config)}/file/bot{config['bot_token']}/{file_path}")
    except httpx.HTTPError as exc:
        raise transport_error(exc) from exc
    if response.status_code >= 300:
        raise classify_http_error(response)
    header = response.headers.get("content-type", "").split(";")[0].strip()
    # The file server mostly answers application/octet-stream; the path's extension
    # (photos/file_1.jpg, voice/file_2.oga) says more.
    if header and header != "application/octet-stream":
        return response.content, header
    guessed = mimetypes.guess_type(file_path)[0]
    return response.content, guessed or header or "application/octet-stream"


async def register_webhook(config: Mapping[str, Any], url: str, http: httpx.AsyncClient) -> None:
    """Point the bot at ``url``; Telegram then sends ``secret_token`` in
    ``X-Telegram-Bot-Api-Secret-Token`` with every update (Bot API, "setWebhook")."""
    secret = config.get("secret_token")
    if not secret:
        raise DeliveryError("The inbox has no secret_token to register.", permanent=True)
    payload = {
        "url": url,
        "secret_token": secret,
        # Only what becomes a conversation; other updates would only be acknowledged.
        "allowed_updates": ["message", "edited_message"],
    }
    await call(http, config, "setWebhook", payload)
