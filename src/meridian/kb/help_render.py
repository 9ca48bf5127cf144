"""The help center's templates and its own UI catalogs (``kb/locales/*/help.po``).

Locale codes and negotiation are the console's (the same ten UI languages); the
catalogs are separate so the public site never ships agent-console strings.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from meridian.console.i18n import negotiate

TEMPLATES_DIR = Path(__file__).parent / "templates"
LOCALES_DIR = Path(__file__).parent / "locales"


@cache
def translations(ui: str) -> Translations:
    po_path = LOCALES_DIR / ui / "LC_MESSAGES" / "help.po"
    if not po_path.is_file():
        return Translations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=ui)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


@cache
def environment(ui: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(ui), newstyle=True)  # type: ignore[attr-defined]
    return env


def language_label(tag: str) -> str:
    """A language named in itself ("Español", "日本語"), for the language menu."""
    try:
        name = Locale.parse(tag, sep="-").get_display_name(Locale.parse(tag, sep="-"))
    except (ValueError, UnknownLocaleError):
        return tag
    return (name[:1].upper() + name[1:]) if name else tag


def text_direction(tag: str) -> str:
    try:
        return "rtl" if Locale.parse(tag, sep="-").character_order == "right-to-left" else "ltr"
    except (ValueError, UnknownLocaleError):
        return "ltr"


def render_page(template: str, *, locale: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    ui = negotiate(locale)

    def date(value: Any) -> str:
        try:
            return format_date(value, format="long", locale=Locale.parse(locale, sep="-"))
        except (ValueError, UnknownLocaleError):
            return format_date(value, format="long", locale="en")

    html = (
        environment(ui)
        .get_template(template)
        .render(
            locale=locale,
            lang=locale,
            dir=text_direction(locale),
            language_label=language_label,
            direction=text_direction,
            format_date=date,
            **context,
        )
    )
    # Public, identical for every visitor of the URL: shared caches may keep it briefly.
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "public, max-age=60"})
