"""Reduce a customer message to the words that say which language it is written in."""

from __future__ import annotations

import re
import unicodedata

import quotequail  # type: ignore[import-untyped]

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Order ids, tracking numbers, prices, dates, phone numbers: a Latin-alphabet token holding
# a digit reads the same in every language. Limited to ASCII neighbours because Chinese,
# Japanese and Thai run words together: "注文番号12345の商品" must keep its words.
_DIGIT_TOKEN = re.compile(r"[A-Za-z0-9_#/.:,+-]*\d[A-Za-z0-9_#/.:,+-]*")
_MENTION = re.compile(r"[@#]\w+")
_QUOTED_LINE = re.compile(r"^\s*>.*$", re.MULTILINE)
_SPACES = re.compile(r"\s+")

# Scripts written without spaces pack a word into one or two characters, so one of
# their characters says about as much as a short Latin word.
_DENSE_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "LAO", "KHMER", "MYANMAR")
_DENSE_WEIGHT = 3


def strip_quoted_history(text: str) -> str:
    """Drop the quoted earlier messages an email client appends below a reply."""
    unwrapped = quotequail.unwrap(text)
    if unwrapped is not None:
        # A forward with nothing written on top has no text of the customer's own.
        text = str(unwrapped.get("text_top", ""))
    return _QUOTED_LINE.sub("", text)


def clean_for_detection(text: str) -> str:
    """Remove quoted history, URLs, email addresses, numbers and ids; collapse whitespace."""
    text = strip_quoted_history(text)
    for pattern in (_URL, _EMAIL, _DIGIT_TOKEN, _MENTION):
        text = pattern.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def information_score(text: str) -> int:
    """Roughly how many letters of evidence ``text`` holds; emoji and punctuation hold none."""
    score = 0
    for char in text:
        # Vowel signs of Indic and Thai script are combining marks, yet carry as much
        # as a Latin vowel does.
        if unicodedata.category(char)[0] not in "LM":
            continue
        name = unicodedata.name(char, "")
        score += _DENSE_WEIGHT if name.startswith(_DENSE_SCRIPTS) else 1
    return score
