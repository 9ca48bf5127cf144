"""Cutting a long reply into vendor-sized pieces, sent in order.

Every vendor caps one message's text, each in its own unit: Telegram (4096), LINE
(5000) and Twilio (1600) count UTF-16 code units, Messenger (2000) and WhatsApp (4096)
characters, Instagram 1000 UTF-8 bytes. An agent's reply must not fail because it is
long, so it goes out as several messages.
"""

from __future__ import annotations

from collections.abc import Callable

CharSize = Callable[[str], int]


def one_per_char(char: str) -> int:
    return 1


def utf8_size(char: str) -> int:
    return len(char.encode("utf-8"))


def utf16_units(char: str) -> int:
    # An emoji outside the BMP is a surrogate pair: counting code points would let a
    # piece overshoot a UTF-16 cap.
    return 2 if ord(char) > 0xFFFF else 1


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int, size: CharSize) -> int:
    """How many characters of ``text`` fit in ``limit`` units of ``size``."""
    used = 0
    for index, char in enumerate(text):
        used += size(char)
        if used > limit:
            return index
    return len(text)


def split_text(text: str, limit: int, size: CharSize = utf16_units) -> list[str]:
    """Pieces each at most ``limit`` (measured with ``size``) whose concatenation is ``text``.

    A piece ends after the last line break in its window, else after the last
    whitespace, so words stay whole; a break in the first half of the window is
    passed over, because a run of tiny messages reads worse than one cut word.
    """
    if limit < size("\U0010ffff"):
        raise ValueError("limit must fit any single character")
    pieces: list[str] = []
    rest = text
    while sum(size(char) for char in rest) > limit:
        fit = _fitting_prefix(rest, limit, size)
        window = rest[:fit]
        cut = window.rfind("\n") + 1
        if cut <= fit // 2:
            cut = max((i for i, char in enumerate(window) if char.isspace()), default=-1) + 1
        if cut <= fit // 2:
            cut = fit
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest or not pieces:
        pieces.append(rest)
    return pieces
