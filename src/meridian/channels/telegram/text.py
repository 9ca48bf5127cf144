"""Cutting a long reply into vendor-sized pieces.

Telegram, LINE and Twilio all cap one message's text; an agent's reply must not
fail because it is long, so it goes out as several messages in order.
"""

from __future__ import annotations


def utf16_len(text: str) -> int:
    # Vendors count length in UTF-16 code units (an emoji outside the BMP counts
    # twice), so counting code points would let a piece overshoot the cap.
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """How many code points of ``text`` fit in ``limit`` UTF-16 code units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` UTF-16 units whose concatenation is ``text``.

    A piece ends after the last line break in its window, else after the last
    whitespace, so words stay whole; a break in the first half of the window is
    passed over, because a run of tiny messages reads worse than one cut word.
    """
    if limit < 2:
        raise ValueError("limit must leave room for a surrogate pair")
    pieces: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        fit = _fitting_prefix(rest, limit)
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
