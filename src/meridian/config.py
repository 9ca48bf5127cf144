"""Process settings, read once from ``MERIDIAN_*`` environment variables."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, PrivateAttr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MERIDIAN_", extra="ignore")
    _persisted_secret: str | None = PrivateAttr(default=None)

    # None means: start the embedded PostgreSQL in ``data_dir``.
    database_url: str | None = None
    data_dir: Path = Path(".meridian")
    # A random key per process would sign cookies no other process accepts; when unset we
    # persist one in the data dir so restarts and several local processes agree.
    secret_key: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    smtp_port: int | None = None
    # LMTP (RFC 2033) for a local mail server handing over mail; per-recipient replies.
    lmtp_port: int | None = None
    # The largest request body any endpoint accepts (webhooks, API, uploads).
    max_body_bytes: int = 10 * 1024 * 1024
    log_json: bool = True
    log_level: str = "INFO"
    workers_concurrency: int = Field(default=8, ge=1)
    # Web processes of `meridian serve` (None: one; see cli._web_processes).
    web_processes: int | None = Field(default=None, ge=1)
    # Key-encryption keys for the vault, one per data region: "eu=<base64 32 bytes>,us=...".
    # A region not listed gets a key derived from secret_key (see vault/crypto.py).
    region_keys: str | None = None
    # Regions with their own database: "eu=postgresql://...,us=postgresql://..."; in
    # embedded mode "eu=embedded" creates one on the embedded server (vault/regions.py).
    regions: str | None = None

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        # Read once per Settings: the vault asks for it on every key unwrap, and a file
        # read each time was a measurable part of an inbox page.
        if self._persisted_secret is None:
            path = self.data_dir / "secret_key"
            if path.exists():
                self._persisted_secret = path.read_text().strip()
            else:
                self.data_dir.mkdir(parents=True, exist_ok=True)
                key = secrets.token_urlsafe(48)
                path.write_text(key)
                path.chmod(0o600)
                self._persisted_secret = key
        return self._persisted_secret


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
