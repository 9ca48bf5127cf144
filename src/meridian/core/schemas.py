"""Pieces shared by the API schemas."""

from __future__ import annotations

import re
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints


class StrictModel(BaseModel):
    """Input models: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. 'Europe/Berlin')") from None
    return value


_BCP47 = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def _language_tag(value: str) -> str:
    if not _BCP47.match(value):
        raise ValueError(f"{value!r} is not a BCP 47 language tag (e.g. 'es', 'pt-BR', 'zh-Hans')")
    try:
        Locale.parse(value.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise ValueError(f"{value!r} is not a known language") from None
    parts = value.replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 else part.upper() if len(part) == 2 else part)
    return "-".join(out)


TimeZoneName = Annotated[str, AfterValidator(_timezone)]
LanguageTag = Annotated[str, AfterValidator(_language_tag)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Email = Annotated[
    str,
    StringConstraints(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
