"""Envelope encryption for the vault.

Every contact has its own random 256-bit data key. Content is sealed with AES-256-GCM
under that key; the data key itself is stored only wrapped (AES key wrap, RFC 3394) by
the key-encryption key of the contact's data region. Destroying a contact's wrapped
data key makes every copy of their ciphertext unreadable, backups included: that is
erasure by crypto-shredding.

Region keys come from a ``KeyProvider``. The configured provider reads
``MERIDIAN_REGION_KEYS`` (``eu=<base64>,us=<base64>``) and derives a key from
``MERIDIAN_SECRET_KEY`` for any region not listed; a KMS-backed provider implements the
same two methods (wrap and unwrap never let the region key leave the KMS).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from meridian.config import get_settings
from meridian.core.crypto import derive_key

DATA_KEY_BYTES = 32
# A version byte first, so the format can change without guessing.
_FORMAT = b"\x01"
# 96-bit random nonces: the size GCM is specified for (NIST SP 800-38D, 8.2.2). With a
# key per contact, the number of encryptions per key stays far below the 2^32 limit.
_NONCE_BYTES = 12


class VaultKeyError(RuntimeError):
    """A region key is missing or does not match the one that wrapped a data key."""


@dataclass(frozen=True)
class WrappedKey:
    kek_id: str
    wrapped: bytes


class KeyProvider(Protocol):
    """Wraps and unwraps data keys with a region's key-encryption key."""

    def wrap(self, region: str, data_key: bytes) -> WrappedKey: ...

    def unwrap(self, region: str, key: WrappedKey) -> bytes: ...


def _fingerprint(kek: bytes) -> str:
    return hashlib.sha256(b"meridian-kek-id" + kek).hexdigest()[:12]


def parse_region_keys(spec: str | None) -> dict[str, bytes]:
    """``eu=<base64 of 32 bytes>,us=...`` -> {region: key}; malformed input is an error."""
    keys: dict[str, bytes] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        region, sep, encoded = part.partition("=")
        try:
            key = base64.b64decode(encoded.strip(), validate=True) if sep else b""
        except binascii.Error:
            key = b""
        if len(key) != DATA_KEY_BYTES or not region.strip():
            raise VaultKeyError(
                f"MERIDIAN_REGION_KEYS: {region.strip() or part!r} needs a base64-encoded 32-byte key"
            )
        keys[region.strip()] = key
    return keys


class ConfiguredKeys:
    """Region keys from configuration (``MERIDIAN_REGION_KEYS``, else derived per region)."""

    def __init__(self, configured: dict[str, bytes], secret: str) -> None:
        self._configured = configured
        self._secret = secret
        # HKDF and the fingerprint on every unwrap were a tenth of an inbox page's CPU (one
        # unwrap per contact shown). Both are fixed for this provider's (spec, secret).
        self._keks: dict[str, tuple[bytes, str]] = {}

    def _kek(self, region: str) -> tuple[bytes, str]:
        cached = self._keks.get(region)
        if cached is None:
            if region in self._configured:
                kek = self._configured[region]
            else:
                kek = derive_key(f"vault-kek:{region}", secret=self._secret)
            cached = self._keks[region] = (kek, _fingerprint(kek))
        return cached

    def wrap(self, region: str, data_key: bytes) -> WrappedKey:
        kek, kek_id = self._kek(region)
        return WrappedKey(kek_id, aes_key_wrap(kek, data_key))

    def unwrap(self, region: str, key: WrappedKey) -> bytes:
        kek, kek_id = self._kek(region)
        if key.kek_id != kek_id:
            raise VaultKeyError(
                f"the data key was wrapped by region key {key.kek_id}, but region {region!r} is "
                "configured with a different key: was MERIDIAN_REGION_KEYS or MERIDIAN_SECRET_KEY changed?"
            )
        try:
            return aes_key_unwrap(kek, key.wrapped)
        except InvalidUnwrap as exc:
            raise VaultKeyError(f"a data key of region {region!r} does not unwrap") from exc


@lru_cache(maxsize=4)
def _configured(spec: str | None, secret: str) -> ConfiguredKeys:
    return ConfiguredKeys(parse_region_keys(spec), secret)


_override: KeyProvider | None = None


def set_key_provider(provider: KeyProvider | None) -> None:
    """Install a KMS-backed provider (None restores the configured one)."""
    global _override
    _override = provider


def key_provider() -> KeyProvider:
    if _override is not None:
        return _override
    settings = get_settings()
    return _configured(settings.region_keys, settings.resolved_secret_key())


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=DATA_KEY_BYTES * 8)


def aad_for(kind: str, row_id: object) -> str:
    """Associated data naming where a value lives, e.g. ``message.body:<message id>``."""
    return f"{kind}:{row_id}"


def seal(key: bytes, plaintext: bytes, *, aad: str) -> bytes:
    """Encrypt; ``aad`` binds the ciphertext to where it is stored (row and column), so a
    ciphertext copied into another row or column fails to open."""
    nonce = os.urandom(_NONCE_BYTES)
    return _FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, aad.encode())


def open_sealed(key: bytes, blob: bytes, *, aad: str) -> bytes:
    return Opener(key).open(blob, aad=aad)


class Opener:
    """Opens many values sealed under one data key (a thread's messages, a page's contacts)
    with one cipher object."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def open(self, blob: bytes, *, aad: str) -> bytes:
        if blob[:1] != _FORMAT:
            raise VaultKeyError("unknown vault ciphertext format")
        try:
            return self._aead.decrypt(blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :], aad.encode())
        except InvalidTag as exc:
            raise VaultKeyError(f"vault ciphertext for {aad} does not authenticate") from exc

    def text(self, blob: bytes | None, *, aad: str) -> str | None:
        return None if blob is None else self.open(blob, aad=aad).decode()

    def json(self, blob: bytes | None, *, aad: str) -> Any:
        return None if blob is None else json.loads(self.open(blob, aad=aad))


def seal_text(key: bytes, value: str | None, *, aad: str) -> bytes | None:
    return None if value is None else seal(key, value.encode(), aad=aad)


def open_text(key: bytes, blob: bytes | None, *, aad: str) -> str | None:
    return None if blob is None else open_sealed(key, blob, aad=aad).decode()


def seal_json(key: bytes, value: Any, *, aad: str) -> bytes | None:
    if value is None:
        return None
    return seal(key, json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), aad=aad)


def open_json(key: bytes, blob: bytes | None, *, aad: str) -> Any:
    return None if blob is None else json.loads(open_sealed(key, blob, aad=aad))
