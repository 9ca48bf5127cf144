"""Turning the bytes of a mail part into text whatever charset it claims.

Mail clients label text with the name of a legacy charset but write with the
vendor's superset (Outlook's "gb2312" is GBK, Windows' "shift_jis" is cp932), and
some labels are plain wrong. We decode with the superset, fall back to detection
when the label is unknown or the bytes do not fit, and never raise.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import from_bytes

# Declared name -> the codec that really decodes what senders produce.
# The supersets follow the WHATWG Encoding Standard's label table
# (https://encoding.spec.whatwg.org/#names-and-labels): gb2312/gbk -> gb18030,
# shift_jis -> windows-31j (cp932), big5 -> big5-hkscs, iso-8859-1/us-ascii -> windows-1252,
# euc-kr/ks_c_5601-1987 -> windows-949.
_SUPERSETS: dict[str, str] = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "chinese": "gb18030",
    "csgb2312": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "cn-big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "ms932": "cp932",
    # Outlook's ISO-2022-JP carries JIS X 0212 and other extensions now and then;
    # iso2022_jp_2 is the widest ISO-2022-JP variant Python ships.
    "iso-2022-jp": "iso2022_jp_2",
    "csiso2022jp": "iso2022_jp_2",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
}


@dataclass(frozen=True)
class Decoded:
    text: str
    # Set when the label was missing, unknown or did not fit the bytes.
    defect: str | None = None


def codec_for(label: str | None) -> str | None:
    """The Python codec for a declared charset, or ``None`` if we do not know it."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    # RFC 2231 language suffix: "utf-8*en" or "us-ascii'en'".
    name = name.split("*", 1)[0].split("'", 1)[0]
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, label: str | None) -> Decoded:
    codec = codec_for(label)
    if codec is None and data.isascii():
        # Unlabelled ASCII is what RFC 2045 says a part without a charset is.
        return Decoded(data.decode("ascii"), _defect(label, None) if label else None)
    utf8 = _attempt(data, "utf-8")
    if codec == "cp1252" and utf8 is not None and not data.isascii():
        # Mailers stamp us-ascii or iso-8859-1 on whatever they send; non-ASCII bytes
        # that form valid UTF-8 are almost never meant as Latin-1.
        return Decoded(utf8, _defect(label, codec))
    if codec is not None:
        text = _attempt(data, codec)
        if text is not None:
            return Decoded(text)
    if utf8 is not None:
        return Decoded(utf8, _defect(label, codec))
    if codec is not None and codec != "utf-8":
        # A known charset with a few bad bytes is closer to the truth than a guess.
        return Decoded(data.decode(codec, errors="replace"), _defect(label, codec))
    best = from_bytes(data).best()
    if best is not None:
        return Decoded(str(best), _defect(label, codec, guess=best.encoding))
    return Decoded(data.decode("utf-8", errors="replace"), _defect(label, codec))


def _attempt(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _defect(label: str | None, codec: str | None, guess: str | None = None) -> str:
    if not label:
        what = "8-bit text without a charset"
    elif codec is None:
        what = f"unknown charset {label!r}"
    else:
        what = f"text does not fit its charset {label!r}"
    return f"{what}; decoded as {guess}" if guess else what
