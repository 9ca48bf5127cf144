from __future__ import annotations

import pytest

from meridian.languages.tags import language_name, normalize_language_tag, primary_language


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("pt_BR", "pt-BR"),
        ("PT-br", "pt-BR"),
        ("en", "en"),
        ("EN-us", "en-US"),
        ("zh-CN", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh-TW", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh_Hant_TW", "zh-Hant"),
        ("ZH-HANS", "zh-Hans"),
        ("zh", "zh"),
        ("sr-latn", "sr-Latn"),
        ("es-419", "es-419"),
        # Deprecated codes get their current form, without a region babel would add.
        ("iw", "he"),
        ("in", "id"),
        # Not in CLDR: casing rules of RFC 5646 only.
        ("qaa-latn-xx", "qaa-Latn-XX"),
    ],
)
def test_normalize_language_tag(tag: str, expected: str) -> None:
    assert normalize_language_tag(tag) == expected


@pytest.mark.parametrize("bad", ["", "  ", "e", "en--US", "english!", "12"])
def test_rejects_what_is_not_a_tag(bad: str) -> None:
    with pytest.raises(ValueError):
        normalize_language_tag(bad)


def test_primary_language_and_name() -> None:
    assert primary_language("pt_BR") == "pt"
    assert primary_language("zh-TW") == "zh"
    assert language_name("pt-BR") == "Portuguese (Brazil)"
    assert language_name("zh-Hant") == "Chinese (Traditional)"
