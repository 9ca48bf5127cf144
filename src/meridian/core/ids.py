"""Identifiers: UUIDv7, so new rows land at the right edge of their B-tree indexes.

Python 3.11 has no ``uuid.uuid7``; the layout below follows RFC 9562 section 5.7
(48-bit Unix milliseconds, version, 74 random bits).
"""

from __future__ import annotations

import os
import time
import uuid


def new_id() -> uuid.UUID:
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a (12 bits)
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)  # rand_b
    return uuid.UUID(int=value)


def parse_id(value: str) -> uuid.UUID | None:
    """An id from a URL or body; ``None`` for anything that is not one (-> 404/422)."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None
