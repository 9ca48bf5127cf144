from __future__ import annotations

import pytest

from meridian.channels.email.charsets import codec_for, decode_bytes


@pytest.mark.parametrize(
    ("label", "text", "codec"),
    [
        # 镕 is GBK, not GB2312: Chinese clients label GBK text "gb2312".
        ("gb2312", "朱镕基 订单", "gb18030"),
        ("GBK", "朱镕基 订单", "gb18030"),
        # 𨋢 (lift) exists only in the Hong Kong extension.
        ("big5", "大廈𨋢口", "big5hkscs"),
        # ① ㈱ 髙 are Windows additions to Shift_JIS (cp932).
        ("Shift_JIS", "①㈱髙橋", "cp932"),
        ("ISO-2022-JP", "配送状況", "iso2022_jp"),
        ("koi8-r", "Привет, мир", "koi8_r"),
        ("windows-1251", "Привет, мир", "cp1251"),
        ("windows-1250", "Zażółć gęślą jaźń", "cp1250"),
        ("windows-1252", "“café” – €5", "cp1252"),
        # Smart quotes labelled Latin-1: decoded as Windows-1252 like browsers do.
        ("iso-8859-1", "“quoted” €", "cp1252"),
        ("euc-kr", "안녕하세요", "cp949"),
    ],
)
def test_declared_charsets_decode_exactly(label: str, text: str, codec: str) -> None:
    decoded = decode_bytes(text.encode(codec), label)
    assert decoded.text == text
    assert decoded.defect is None


def test_utf8_mislabelled_as_ascii_or_latin1_is_read_as_utf8() -> None:
    for label in ("us-ascii", "iso-8859-1"):
        decoded = decode_bytes("Grüße, José".encode(), label)
        assert decoded.text == "Grüße, José"
        assert decoded.defect == f"text does not fit its charset {label!r}"


def test_unknown_charset_falls_back_to_utf8_then_detection() -> None:
    assert decode_bytes("naïve".encode(), "x-mac-bogus").text == "naïve"
    russian = "Здравствуйте, у меня не работает доступ к личному кабинету уже третий день."
    decoded = decode_bytes(russian.encode("cp1251"), "x-unknown")
    assert decoded.text == russian
    assert decoded.defect is not None and "unknown charset 'x-unknown'" in decoded.defect


def test_garbage_never_raises() -> None:
    decoded = decode_bytes(bytes(range(256)), "utf-8")
    assert isinstance(decoded.text, str)
    assert decoded.defect is not None


def test_unlabelled_ascii_is_fine() -> None:
    assert decode_bytes(b"plain", None).text == "plain"
    assert decode_bytes(b"plain", None).defect is None


def test_codec_for_labels() -> None:
    assert codec_for('"UTF-8"') == "utf-8"
    assert codec_for("utf-8*en") == "utf-8"
    assert codec_for("x-nonsense") is None
    assert codec_for(None) is None
