"""Sending SMS/MMS through Twilio's Message resource.

``POST {api_base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP
Basic auth (https://www.twilio.com/docs/messaging/api/message-resource).
"""

from __future__ import annotations

from collections.abc import Mapping
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

DEFAULT_API_BASE_URL = "https://api.twilio.com"
# Message resource, "Body": up to 1,600 characters; longer bodies fail with 21617.
BODY_LIMIT = 1600
# "MediaUrl": up to 10 media per message.
MEDIA_PER_MESSAGE = 10

# Error codes that no retry will fix, with what the agent should read
# (https://www.twilio.com/docs/api/errors/<code>).
PERMANENT_ERRORS = {
    20003: "Twilio rejected the account SID or auth token.",
    21211: "The customer's phone number is not a valid 'To' number.",
    21408: "The Twilio account may not send SMS to this country (geo permissions).",
    21606: "The inbox's from_number cannot send SMS.",
    21610: "The customer unsubscribed by replying STOP; they must text START to receive SMS.",
    21612: "Twilio cannot route a message to this number.",
    21614: "The customer's number cannot receive SMS (a landline?).",
}
# 20429: Too Many Requests (account concurrency limit).
TRANSIENT_ERRORS = frozenset({20429})


def _base(config: Mapping[str, Any]) -> str:
    return str(config.get("api_base_url") or DEFAULT_API_BASE_URL).rstrip("/")


def twilio_error(response: httpx.Response) -> DeliveryError:
    # Errors are JSON {"code", "message", "more_info", "status"}.
    try:
        payload = response.json()
    except ValueError:
        payload = None
    data = payload if isinstance(payload, dict) else {}
    code = data.get("code") if isinstance(data.get("code"), int) else None
    vendor = str(data.get("message") or "").strip()
    described = f"Twilio {code}: {vendor}" if code is not None else vendor or None
    if code in PERMANENT_ERRORS:
        return DeliveryError(
            f"{PERMANENT_ERRORS[code]} ({described})",
            permanent=True,
            http_status=response.status_code,
        )
    if code in TRANSIENT_ERRORS:
        error = classify_http_error(response, described)
        error.permanent = False
        return error
    return classify_http_error(response, described)


def _forms(message: OutboundMessage, config: Mapping[str, Any]) -> list[dict[str, Any]]:
    pieces = [piece for piece in split_text(message.body, BODY_LIMIT) if piece.strip()]
    media = [attachment.url for attachment in message.attachments]
    media_groups = [media[i : i + MEDIA_PER_MESSAGE] for i in range(0, len(media), MEDIA_PER_MESSAGE)]
    callback = message.reply_context.get("status_callback")
    forms: list[dict[str, Any]] = []
    for index in range(max(len(pieces), len(media_groups))):
        form: dict[str, Any] = {"To": message.recipient, "From": config["from_number"]}
        if index < len(pieces):
            form["Body"] = pieces[index]
        if index < len(media_groups):
            form["MediaUrl"] = media_groups[index]
        if callback:
            form["StatusCallback"] = str(callback)
        forms.append(form)
    return forms


async def send_message(
    config: Mapping[str, Any], message: OutboundMessage, http: httpx.AsyncClient
) -> SendResult:
    forms = _forms(message, config)
    if not forms:
        raise DeliveryError("The reply is empty: nothing to send by SMS.", permanent=True)
    account = config["account_sid"]
    url = f"{_base(config)}/2010-04-01/Accounts/{account}/Messages.json"
    # The Message resource has no idempotency key: a retry after a lost response can
    # send twice. Splitting ourselves (rather than one 1,600+ body) keeps each part
    # deliverable on its own.
    sids: list[str] = []
    for form in forms:
        try:
            response = await http.post(url, data=form, auth=(account, config["auth_token"]))
        except httpx.HTTPError as exc:
            raise transport_error(exc) from exc
        if response.status_code >= 300:
            raise twilio_error(response)
        try:
            sid = response.json().get("sid")
        except (ValueError, AttributeError):
            sid = None
        if sid:
            sids.append(str(sid))
    return SendResult(external_id=sids[0] if sids else None, meta={"message_ids": sids})


async def fetch_media(
    config: Mapping[str, Any], media_ref: str, http: httpx.AsyncClient
) -> tuple[bytes, str]:
    """Download an MMS attachment from its MediaUrl.

    Media URLs answer with a redirect to storage; accounts with "HTTP Basic
    Authentication for media" on require the account credentials, which httpx drops
    when the redirect leaves Twilio's host.
    """
    # Credentials go only to the configured API host, never to a URL elsewhere.
    ours = media_ref.startswith(_base(config) + "/")
    auth = (config["account_sid"], config["auth_token"]) if ours else None
    try:
        response = await http.get(media_ref, auth=auth, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise transport_error(exc) from exc
    if response.status_code >= 300:
        raise twilio_error(response)
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    return response.content, content_type or "application/octet-stream"
