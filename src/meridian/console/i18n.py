"""The console's own language: gettext catalogs, locale choice, Babel formatting.

Catalogs are the ``.po`` files in ``locales/``; they are compiled in memory on first
use, so no ``.mo`` build step exists to forget.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from babel.units import format_unit

from meridian.core.clock import utcnow

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "en"
# The catalogs we ship, by directory name (CLDR style: underscores, script subtags).
SUPPORTED = ("en", "zh_Hans", "zh_Hant", "ja", "ko", "es", "pt_BR", "fr", "de", "ar")
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "zh_Hans": "简体中文",
    "zh_Hant": "繁體中文",
    "ja": "日本語",
    "ko": "한국어",
    "es": "Español",
    "pt_BR": "Português (Brasil)",
    "fr": "Français",
    "de": "Deutsch",
    "ar": "العربية",
}
# Chinese written in these regions defaults to Traditional characters (CLDR likely subtags).
_HANT_REGIONS = frozenset({"TW", "HK", "MO"})


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where the locale is known."""
    return message


def negotiate(tag: str | None) -> str:
    """Map an agent's BCP 47 ``locale`` to a shipped catalog: exact, then by language, then en."""
    if not tag:
        return DEFAULT_LOCALE
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return DEFAULT_LOCALE
    if locale.language == "zh":
        traditional = locale.script == "Hant" or (locale.script is None and locale.territory in _HANT_REGIONS)
        return "zh_Hant" if traditional else "zh_Hans"
    candidates = [f"{locale.language}_{locale.territory}" if locale.territory else "", locale.language]
    for candidate in candidates:
        if candidate in SUPPORTED:
            return candidate
    for supported in SUPPORTED:
        if supported.split("_")[0] == locale.language:
            return supported
    return DEFAULT_LOCALE


@cache
def translations(locale: str) -> Translations:
    """The compiled catalog for a supported locale (en has an empty one: msgids are English)."""
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.is_file():
        return Translations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class UiLocale:
    """Everything a page needs to speak the agent's language in the agent's time zone."""

    code: str
    timezone: str = "UTC"

    @property
    def babel(self) -> Locale:
        return Locale.parse(self.code)

    @property
    def lang(self) -> str:
        """The value for ``<html lang>`` (BCP 47, hyphenated)."""
        return self.code.replace("_", "-")

    @property
    def direction(self) -> str:
        return "rtl" if self.babel.character_order == "right-to-left" else "ltr"

    def gettext(self, message: str) -> str:
        return translations(self.code).gettext(message)

    def date_time(self, value: datetime | None, format: str = "medium") -> str:
        if value is None:
            return ""
        return format_datetime(value, format=format, tzinfo=_zone(self.timezone), locale=self.babel)

    def local(self, value: datetime) -> datetime:
        """The same instant on the agent's wall clock (for ``datetime-local`` fields)."""
        return value.astimezone(_zone(self.timezone))

    def relative(self, value: datetime | None) -> str:
        """'5 minutes ago', in the UI language."""
        if value is None:
            return ""
        return format_timedelta(value - utcnow(), add_direction=True, threshold=1.0, locale=self.babel)

    def language_name(self, tag: str) -> str:
        """A customer's language (BCP 47) named in the agent's UI language."""
        try:
            name = Locale.parse(tag.replace("-", "_")).get_display_name(self.babel)
        except (ValueError, UnknownLocaleError):
            return tag
        return name or tag

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.babel)

    def time_in(self, value: datetime | None, zone: str, format: str = "short") -> str:
        """A moment on someone else's wall clock (a customer's), in the agent's language."""
        if value is None:
            return ""
        return format_datetime(value, format=format, tzinfo=_zone(zone), locale=self.babel)

    def country_name(self, code: str | None) -> str:
        if not code:
            return ""
        return str(self.babel.territories.get(code.upper(), code))

    def file_size(self, size: int) -> str:
        """Bytes as kB/MB in the UI locale's units."""
        for unit, factor in (("gigabyte", 1e9), ("megabyte", 1e6), ("kilobyte", 1e3)):
            if size >= factor:
                return format_unit(
                    round(size / factor, 1), f"digital-{unit}", length="short", locale=self.babel
                )
        return format_unit(size, "digital-byte", length="short", locale=self.babel)


def ui_locale(locale: str | None, timezone: str | None) -> UiLocale:
    return UiLocale(negotiate(locale), timezone or "UTC")
