"""Every console string is translated in every shipped catalog, and the catalogs load."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from meridian.console.i18n import LOCALES_DIR, SUPPORTED, negotiate, translations, ui_locale

CONSOLE_DIR = Path(__file__).resolve().parents[2] / "src" / "meridian" / "console"
METHOD_MAP = [("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
KEYWORDS = {"_": None, "gettext": None, "N_": None}


def extracted() -> set[str]:
    ids: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(CONSOLE_DIR),
        METHOD_MAP,
        keywords=KEYWORDS,
        options_map={"templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}},
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_extraction_finds_the_console_strings() -> None:
    ids = extracted()
    # One from a template, one from Python (N_-marked labels), one with a placeholder.
    assert {"Sign in", "Resolved", "Customer #%(number)s"} <= ids


@pytest.mark.parametrize("locale", [code for code in SUPPORTED if code != "en"])
def test_catalog_is_complete(locale: str) -> None:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    translated = {m.id: m.string for m in catalog if m.id}
    missing = sorted(i for i in extracted() if i not in translated)
    empty = sorted(i for i, s in translated.items() if not s)
    assert not missing, f"{locale} lacks: {missing}"
    assert not empty, f"{locale} has empty translations: {empty}"
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert not fuzzy, f"{locale} has fuzzy entries: {fuzzy}"


def test_english_catalog_lists_every_string() -> None:
    with (LOCALES_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="en")
    assert extracted() <= {m.id for m in catalog if m.id}


def test_catalogs_compile_in_memory() -> None:
    assert translations("de").gettext("Sign in") == "Anmelden"
    assert translations("ar").gettext("Inbox") != "Inbox"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "en"),
        ("en-GB", "en"),
        ("de-AT", "de"),
        ("pt", "pt_BR"),
        ("pt-PT", "pt_BR"),
        ("zh", "zh_Hans"),
        ("zh-TW", "zh_Hant"),
        ("zh-Hant", "zh_Hant"),
        ("zh-Hans-SG", "zh_Hans"),
        ("ar-EG", "ar"),
        ("xx", "en"),
        ("", "en"),
        ("sw", "en"),
    ],
)
def test_locale_negotiation(tag: str, expected: str) -> None:
    assert negotiate(tag) == expected


def test_arabic_is_right_to_left_and_formats_dates_in_the_agents_zone() -> None:
    from datetime import UTC, datetime

    assert ui_locale("ar", "UTC").direction == "rtl"
    assert ui_locale("fr", "UTC").direction == "ltr"
    moment = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    # 23:30 UTC is already the next morning in Tokyo.
    assert "2026/03/02" in ui_locale("ja", "Asia/Tokyo").date_time(moment)
