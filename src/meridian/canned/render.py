"""Choosing a canned response's locale variant and rendering its variables safely.

Variables are Jinja2 expressions evaluated in a sandbox (no attribute access to
internals, bounded ranges, no oversized repetition), so a template written by a
supervisor cannot reach the server. Dates, times, numbers and currencies are formatted
by Babel for the customer's locale, and times shown in the customer's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import ChainableUndefined, TemplateError, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from meridian.core.clock import utcnow
from meridian.languages.tags import normalize_language_tag, primary_language

# Rendered text is a chat message: far below this, and a template that builds more is abuse.
MAX_OUTPUT = 20_000


class _Sandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 64:
            raise TemplateError("exponent too large")
        if operator == "*" and (isinstance(left, str | list) or isinstance(right, str | list)):
            count = right if isinstance(left, str | list) else left
            size = len(left if isinstance(left, str | list) else right)
            if isinstance(count, int) and count * size > MAX_OUTPUT:
                raise TemplateError("repetition too large")
        return super().call_binop(context, operator, left, right)


_ENV = _Sandbox(autoescape=False, undefined=ChainableUndefined, keep_trailing_newline=False)


def check_template(source: str) -> str | None:
    """The syntax error in ``source``, or None when it compiles."""
    try:
        _ENV.parse(source)
    except TemplateError as exc:
        return str(exc)
    return None


def pick_variant(variants: Mapping[str, str], wanted: str | None, default: str) -> str:
    """The locale whose variant to use: pt-BR -> pt -> another pt -> workspace default -> any.

    Another variant of the same language (pt-PT for pt-BR) reads better than a foreign
    language, except for Chinese, where the script (zh-Hans, zh-Hant) is what matters.
    """
    keys = sorted(variants)
    for tag in (wanted, default):
        if not tag:
            continue
        tag = normalize_language_tag(tag)
        primary = primary_language(tag)
        if tag in variants:
            return tag
        if primary in variants and primary != "zh":
            return primary
        if primary != "zh":
            for key in keys:
                if primary_language(key) == primary:
                    return key
    return "en" if "en" in variants else keys[0]


def babel_locale(*tags: str | None) -> Locale:
    for tag in tags:
        if not tag:
            continue
        try:
            return Locale.parse(normalize_language_tag(tag), sep="-")
        except (ValueError, UnknownLocaleError):
            continue
    return Locale.parse("en")


def _timezone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _as_datetime(value: Any) -> datetime | date | None:
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _as_number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _settings(context: Context) -> tuple[Locale, ZoneInfo]:
    return context["_locale"], context["_zone"]


@pass_context
def _datetime(context: Context, value: Any, fmt: str = "medium") -> str:
    locale, zone = _settings(context)
    moment = _as_datetime(value)
    if isinstance(moment, datetime):
        return format_datetime(moment, fmt, tzinfo=zone, locale=locale)
    return format_date(moment, fmt, locale=locale) if moment else str(value or "")


@pass_context
def _date(context: Context, value: Any, fmt: str = "medium") -> str:
    locale, zone = _settings(context)
    moment = _as_datetime(value)
    if isinstance(moment, datetime):
        # The customer's calendar day, which near midnight is not the server's.
        moment = moment.astimezone(zone)
    return format_date(moment, fmt, locale=locale) if moment else str(value or "")


@pass_context
def _time(context: Context, value: Any, fmt: str = "short") -> str:
    locale, zone = _settings(context)
    moment = _as_datetime(value)
    if isinstance(moment, datetime):
        return format_time(moment, fmt, tzinfo=zone, locale=locale)
    return str(value or "")


@pass_context
def _number(context: Context, value: Any) -> str:
    amount = _as_number(value)
    return format_decimal(amount, locale=_settings(context)[0]) if amount is not None else str(value or "")


@pass_context
def _currency(context: Context, value: Any, code: str = "USD") -> str:
    amount = _as_number(value)
    if amount is None:
        return str(value or "")
    return format_currency(amount, str(code).upper(), locale=_settings(context)[0])


@pass_context
def _percent(context: Context, value: Any) -> str:
    amount = _as_number(value)
    return format_percent(amount, locale=_settings(context)[0]) if amount is not None else str(value or "")


_ENV.filters.update(
    {
        "datetime": _datetime,
        "date": _date,
        "time": _time,
        "number": _number,
        "currency": _currency,
        "percent": _percent,
    }
)


def render_template(
    source: str, *, variables: Mapping[str, Any], locale: Locale, timezone: str | None
) -> str:
    """Render ``source`` with ``variables`` and the locale-aware filters; raises ``TemplateError``."""
    template = _ENV.from_string(source)
    rendered = template.render(
        {**variables, "now": utcnow(), "_locale": locale, "_zone": _timezone(timezone)}
    )
    if len(rendered) > MAX_OUTPUT:
        raise TemplateError("the rendered text is too long")
    return rendered.strip()


def first_name(name: str | None) -> str | None:
    parts: Sequence[str] = (name or "").split()
    return parts[0] if parts else None
