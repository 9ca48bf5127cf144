"""Cutting a long reply into pieces the Send API accepts, sent in order.

Messenger caps ``message.text`` at 2000 characters and Instagram at 1000 UTF-8 bytes,
WhatsApp ``text.body`` at 4096 characters; an agent's long answer must still arrive.
"""

from __future__ import annotations

from collections.abc import Callable

CharSize = Callable[[str], int]


def one_per_char(char: str) -> int:
    return 1


def utf8_size(char: str) -> int:
    return len(char.encode("utf-8"))


def _fitting_prefix(text: str, limit: int, size: CharSize) -> int:
    used = 0
    for index, char in enumerate(text):
        used += size(char)
        if used > limit:
            return index
    return len(text)


def split_text(text: str, limit: int, size: CharSize = one_per_char) -> list[str]:
    """Pieces each at most ``limit`` (measured with ``size``) whose concatenation is ``text``.

    A piece ends after the last line break in its window, else after the last
    whitespace, so words stay whole; a break in the first half of the window is
    passed over, since a run of tiny messages reads worse than one cut word.
    """
    if limit < 4:
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
