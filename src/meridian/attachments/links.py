"""Signed links to one attachment, for the vendors that fetch an outgoing file by URL.

WhatsApp (``link``), Messenger/Instagram (``payload.url``), LINE (``originalContentUrl``)
and Twilio (``MediaUrl``) download the file themselves and cannot send our API token, so
the link carries its own proof: the attachment id signed with a key derived for this
purpose only, valid for ``LINK_TTL``. Vendors fetch within seconds of the send; the
margin covers retries of a delivery that waited for a vendor outage to end.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

from meridian.config import get_settings
from meridian.core.crypto import derive_key

LINK_TTL = timedelta(days=7)
PATH = "/media/"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(derive_key("attachment-links"), salt="meridian.attachment-link")


def signed_url(attachment_id: uuid.UUID) -> str:
    """The absolute URL (on ``MERIDIAN_PUBLIC_URL``) a vendor fetches the file from."""
    token = str(_serializer().dumps(str(attachment_id)))
    return get_settings().public_url.rstrip("/") + PATH + token


def read_token(token: str) -> uuid.UUID | None:
    """The attachment a link names, or None when it is forged, malformed or expired."""
    if len(token) > 200:
        return None
    try:
        value = _serializer().loads(token, max_age=int(LINK_TTL.total_seconds()))
        return uuid.UUID(str(value))
    except (BadSignature, ValueError):
        return None
