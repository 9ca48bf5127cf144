"""An email inbox's settings (the ``email`` keys of api-contract.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Security = Literal["ssl", "starttls", "none"]

# IANA well-known ports; "none" still means port 25/143, just without TLS.
_IMAP_PORTS: dict[str, int] = {"ssl": 993, "starttls": 143, "none": 143}
_SMTP_PORTS: dict[str, int] = {"ssl": 465, "starttls": 587, "none": 25}


class EmailConfig(BaseModel):
    # Unknown keys are ignored, not rejected: the adapter may keep its own keys beside ours.
    model_config = ConfigDict(extra="ignore", frozen=True)

    imap_host: str | None = None
    imap_port: int | None = Field(default=None, ge=1, le=65535)
    imap_folder: str = "INBOX"
    smtp_host: str | None = None
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    username: str | None = None
    password: str | None = None
    from_address: str | None = None
    security: Security = "ssl"

    @field_validator("from_address")
    @classmethod
    def _has_at(cls, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError("must be an email address")
        return value

    @classmethod
    def coerce(cls, config: EmailConfig | Mapping[str, Any]) -> EmailConfig:
        return config if isinstance(config, EmailConfig) else cls.model_validate(dict(config))

    @property
    def imap_port_or_default(self) -> int:
        return self.imap_port or _IMAP_PORTS[self.security]

    @property
    def smtp_port_or_default(self) -> int:
        return self.smtp_port or _SMTP_PORTS[self.security]
