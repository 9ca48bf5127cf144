"""Simplified or Traditional: the one thing about Chinese text lingua does not tell."""

from __future__ import annotations

from collections.abc import Sequence

import hanzidentifier  # type: ignore[import-untyped]
from hanzidentifier import helpers as _hanzi

# Characters that exist in only one of the two systems (CC-CEDICT, via hanzidentifier).
_TRADITIONAL_ONLY: frozenset[str] = frozenset(_hanzi.TRADITIONAL_CHARACTERS - _hanzi.SIMPLIFIED_CHARACTERS)
_SIMPLIFIED_ONLY: frozenset[str] = frozenset(_hanzi.SIMPLIFIED_CHARACTERS - _hanzi.TRADITIONAL_CHARACTERS)


def chinese_variant(text: str, *, preferred: Sequence[str] = ()) -> tuple[str, bool]:
    """``zh-Hans`` or ``zh-Hant`` for Chinese ``text``, and whether the text itself said so.

    Most short messages use only characters shared by both systems ("谢谢" is not, "好的"
    is); then the first Chinese tag in ``preferred`` (the contact's known language, the
    workspace's languages) decides, and Simplified, the more widely written, otherwise.
    """
    kind = hanzidentifier.identify(text)
    if kind == hanzidentifier.TRADITIONAL:
        return "zh-Hant", True
    if kind == hanzidentifier.SIMPLIFIED:
        return "zh-Hans", True
    if kind == hanzidentifier.MIXED:
        # Mixed text (a Simplified writer quoting a Traditional product name) goes by majority.
        traditional = sum(char in _TRADITIONAL_ONLY for char in text)
        simplified = sum(char in _SIMPLIFIED_ONLY for char in text)
        if traditional != simplified:
            return ("zh-Hant" if traditional > simplified else "zh-Hans"), True
    for tag in preferred:
        if tag in ("zh-Hans", "zh-Hant"):
            return tag, False
    return "zh-Hans", False
