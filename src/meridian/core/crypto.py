"""Keys derived from MERIDIAN_SECRET_KEY: one purpose, one key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from meridian.config import get_settings


def derive_key(purpose: str, *, secret: str | None = None) -> bytes:
    return _derive(purpose, secret or get_settings().resolved_secret_key())


@lru_cache(maxsize=64)
def _derive(purpose: str, secret: str) -> bytes:
    # Keyed by the secret itself, so a changed MERIDIAN_SECRET_KEY never meets a stale
    # key; cached because contact lookups derive the same key on every inbound message.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"meridian", info=purpose.encode()).derive(
        secret.encode()
    )


@lru_cache(maxsize=8)
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key("config-secrets", secret=secret)))


def encrypt_json(value: dict[str, Any]) -> str:
    secret = get_settings().resolved_secret_key()
    return _fernet(secret).encrypt(json.dumps(value).encode()).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    secret = get_settings().resolved_secret_key()
    try:
        data: dict[str, Any] = json.loads(_fernet(secret).decrypt(token.encode()))
    except InvalidToken as exc:
        raise RuntimeError("stored secrets cannot be decrypted: was MERIDIAN_SECRET_KEY changed?") from exc
    return data


def identifier_hash(kind: str, value: str) -> str:
    """A keyed hash for looking up a contact identity without storing the identifier."""
    key = derive_key("identity-lookup")
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def sha256_hex(value: str | bytes) -> str:
    data = value.encode() if isinstance(value, str) else value
    return hashlib.sha256(data).hexdigest()
