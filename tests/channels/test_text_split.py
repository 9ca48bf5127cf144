"""The splitter every chat channel uses to keep a long reply within the vendor's cap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meridian.channels.text import one_per_char, split_text, utf8_size, utf16_len


def test_split_prefers_line_breaks_then_spaces() -> None:
    assert split_text("a" * 12 + "\nbbb ccc ddd", 20) == ["a" * 12 + "\n", "bbb ccc ddd"]
    assert split_text("x" * 15 + " " + "y" * 10, 20) == ["x" * 15 + " ", "y" * 10]
    # A break early in the window would leave a tiny piece: cut the word instead.
    assert split_text("a b" + "c" * 30, 20) == ["a b" + "c" * 17, "c" * 13]


def test_split_counts_utf16_units() -> None:
    emoji = "😀" * 3000  # 6000 UTF-16 units, 3000 code points
    pieces = split_text(emoji, 4096)
    assert [utf16_len(p) for p in pieces] == [4096, 1904]
    assert split_text("", 10) == [""]
    assert split_text("short", 10) == ["short"]
    with pytest.raises(ValueError):
        split_text("abc", 1)


@given(st.text(), st.integers(min_value=2, max_value=64))
def test_split_keeps_text_and_limit(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert "".join(pieces) == text
    assert all(utf16_len(piece) <= limit for piece in pieces)
    assert all(piece for piece in pieces) or text == ""


@given(st.text(), st.integers(min_value=4, max_value=64))
def test_split_by_utf8_bytes_and_characters(text: str, limit: int) -> None:
    # Instagram counts UTF-8 bytes, Messenger and WhatsApp characters.
    for size, measure in ((utf8_size, lambda p: len(p.encode())), (one_per_char, len)):
        pieces = split_text(text, limit, size)
        assert "".join(pieces) == text
        assert all(measure(piece) <= limit for piece in pieces)
    with pytest.raises(ValueError):
        split_text("abc", 3, utf8_size)
