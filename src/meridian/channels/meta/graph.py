"""Calling the Graph API and classifying its errors for the outbox.

Graph errors are ``{"error": {"message", "type", "code", "error_subcode",
"error_data", "fbtrace_id"}}`` and the ``code`` is what to act on; the HTTP status
is mostly 400 even for throttling, so it cannot decide alone. Sources:
- Graph API "Handling Errors": https://developers.facebook.com/docs/graph-api/guides/error-handling
- Graph API "Rate Limiting" (codes 4, 17, 32, 613): https://developers.facebook.com/docs/graph-api/overview/rate-limiting
- WhatsApp Cloud API "Error codes": https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
- Page Messages reference (551, 10903, 230): https://developers.facebook.com/docs/graph-api/reference/page/messages
- Messenger Platform "Error codes" (subcode 2018278): https://developers.facebook.com/docs/messenger-platform/error-codes
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from meridian.channels.base import DeliveryError, transport_error
from meridian.core.clock import utcnow

# Worth another try later: throttling and Meta-side outages.
_TRANSIENT: dict[int, str] = {
    1: "Meta reported an unknown, possibly temporary, error",
    2: "Meta's API is temporarily unavailable",
    4: "the app hit Meta's rate limit",
    17: "the account hit Meta's rate limit",
    32: "the Page hit Meta's rate limit",
    341: "the app hit Meta's application limit",
    613: "Meta's rate limit was exceeded",
    80007: "the WhatsApp Business Account hit its rate limit",
    130429: "the phone number hit WhatsApp's throughput limit",
    131000: "WhatsApp failed to send for an unknown reason",
    131016: "WhatsApp is temporarily unavailable",
    131056: "too many messages to this customer in a short time",
}

# Retrying cannot help; the text is what the agent reads next to the failed message.
_PERMANENT: dict[int, str] = {
    10: "the app lacks permission to send from this account",
    100: "Meta rejected the request as invalid",
    190: "the access token is invalid or expired; update the inbox's token",
    230: "the customer's settings do not allow messages from this Page",
    368: "the account is temporarily blocked for a policy violation",
    551: "this person isn't available to receive messages right now",
    10903: "this customer cannot be replied to",
    131026: (
        "WhatsApp could not deliver the message: the number may not be on WhatsApp, "
        "may have blocked the business, or needs a newer WhatsApp"
    ),
    131031: "the WhatsApp Business Account is locked",
    131047: (
        "more than 24 hours have passed since the customer last wrote; WhatsApp only "
        "allows an approved template message until they write again"
    ),
    131048: "WhatsApp is limiting this number because earlier messages were flagged as spam",
    131051: "WhatsApp does not support this message type",
}

# Messenger's "outside the allowed window" is code 10 with this subcode.
_WINDOW_SUBCODE = 2018278
_WINDOW_TEXT = (
    "more than 24 hours have passed since the customer last wrote; Meta only allows "
    "a reply after they write again"
)

# WhatsApp asks for about 6 s between messages to one user (131056); see channels.md.
_PAIR_LIMIT_BACKOFF = 6.0


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds, in either form RFC 9110 allows (delta or HTTP-date)."""
    header = response.headers.get("retry-after")
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - utcnow()).total_seconds())


def _graph_error(response: httpx.Response) -> Mapping[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def classify_graph_error(response: httpx.Response) -> DeliveryError:
    error = _graph_error(response)
    code = _as_int(error.get("code"))
    subcode = _as_int(error.get("error_subcode"))
    vendor = str(error.get("message") or response.text[:300] or response.reason_phrase)
    error_data = error.get("error_data")
    details = error_data.get("details") if isinstance(error_data, dict) else None
    if details:
        vendor = f"{vendor} - {details}"
    status = response.status_code
    retry_after = retry_after_seconds(response)

    if code is not None and subcode == _WINDOW_SUBCODE:
        explanation, permanent = _WINDOW_TEXT, True
    elif status >= 500 or status in (408, 429):
        fallback = "Meta asked to slow down" if status == 429 else "Meta's API failed"
        explanation, permanent = _TRANSIENT.get(code or 0, fallback), False
    elif code in _TRANSIENT:
        explanation, permanent = _TRANSIENT[code], False
    elif code in _PERMANENT:
        explanation, permanent = _PERMANENT[code], True
    elif code is not None and 200 <= code <= 299:
        # 200-299 are the per-permission codes ("API Permission (Multiple values)").
        explanation, permanent = _PERMANENT[10], True
    else:
        explanation, permanent = "Meta rejected the message", status < 500

    if code == 131056 and retry_after is None:
        retry_after = _PAIR_LIMIT_BACKOFF
    label = f"Meta error {code}" if code is not None else f"HTTP {status}"
    text = f"{explanation[0].upper()}{explanation[1:]} ({label}: {vendor})"
    return DeliveryError(
        text,
        permanent=permanent,
        retry_after=None if permanent else retry_after,
        http_status=status,
    )


def partly_sent(error: DeliveryError, sent: int, total: int) -> DeliveryError:
    """The same failure, telling the agent which pieces of a split message already went out.

    The outbox retries the whole message, so those pieces may arrive twice.
    """
    if sent == 0:
        return error
    return DeliveryError(
        f"{error} (parts 1-{sent} of {total} were already sent)",
        permanent=error.permanent,
        retry_after=error.retry_after,
        http_status=error.http_status,
    )


async def graph_post(
    http: httpx.AsyncClient,
    url: str,
    *,
    json: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """POST to the Graph API and return the JSON answer, or raise a classified error."""
    try:
        response = await http.post(url, json=dict(json), headers=headers, params=params)
    except httpx.HTTPError as exc:
        raise transport_error(exc) from exc
    if response.status_code >= 300:
        raise classify_graph_error(response)
    return _json_object(response)


async def graph_get(http: httpx.AsyncClient, url: str, *, headers: Mapping[str, str]) -> dict[str, Any]:
    try:
        response = await http.get(url, headers=headers)
    except httpx.HTTPError as exc:
        raise transport_error(exc) from exc
    if response.status_code >= 300:
        raise classify_graph_error(response)
    return _json_object(response)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        # A 2xx that is not Graph JSON comes from something in between (a proxy's
        # page); Meta itself may well have accepted nothing, so try again.
        raise DeliveryError(
            f"unexpected non-JSON answer from Meta (HTTP {response.status_code})",
            http_status=response.status_code,
        )
    return data


# WhatsApp's largest media (documents) is 100 MB; anything bigger is not a customer's
# attachment and must not be buffered in memory.
MAX_MEDIA_BYTES = 100 * 1024 * 1024


async def download(
    http: httpx.AsyncClient, url: str, *, headers: Mapping[str, str] | None = None
) -> tuple[bytes, str]:
    """Fetch a media file: its bytes and the ``Content-Type`` it was served with."""
    try:
        async with http.stream("GET", url, headers=headers) as response:
            if response.status_code >= 300:
                await response.aread()
                raise classify_graph_error(response)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_MEDIA_BYTES:
                    raise DeliveryError(f"media is larger than {MAX_MEDIA_BYTES} bytes", permanent=True)
                chunks.append(chunk)
            content_type = response.headers.get("content-type", "application/octet-stream")
    except httpx.HTTPError as exc:
        raise transport_error(exc) from exc
    return b"".join(chunks), content_type
