"""Typed reads of vendor JSON: vendors are trusted for the shape of a payload, never
for the type of a field (a signed webhook can still carry ``"profile": 1``).

Parsers read through these so that a wrong type becomes "absent" and the event is
ignored or rejected with a reason, instead of an ``AttributeError`` and a 500."""

from __future__ import annotations

from typing import Any


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def dict_items(value: Any) -> list[dict[str, Any]]:
    """The object elements of a JSON array; anything else in it (or a non-array) is dropped."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def text_or_none(value: Any) -> str | None:
    """A string field as ``str``; numbers are stringified, objects and arrays are absent."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    return None
