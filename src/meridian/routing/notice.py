"""The "we'll answer by 09:00 your time" notice, in the customer's language and time zone.

Times and weekday names come from CLDR through Babel, so "Monday 09:00" reads
"lunes 9:00" or "月曜日 9:00" without hand-kept tables; only the sentences are ours.
They are the shipped defaults of the ``routing_notice`` system template
(``canned/system.py``): a workspace may reword any language, and the routing service
sends whichever text wins.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_skeleton, get_timezone_location

from meridian.canned.render import render_template
from meridian.routing.engine import primary


@dataclass(frozen=True)
class Sentences:
    intro: str
    by_time: str  # the same local day: {time}, {tz}
    by_day: str  # another day: {day}, {time}, {tz}
    your_time: str


SENTENCES: dict[str, Sentences] = {
    "en": Sentences(
        "Thanks for your message. Our team is offline right now.",
        "We'll answer by {time} ({tz}).",
        "We'll answer by {day}, {time} ({tz}).",
        "your time",
    ),
    "es": Sentences(
        "Gracias por tu mensaje. Nuestro equipo está fuera de horario en este momento.",
        "Te responderemos antes de las {time} ({tz}).",
        "Te responderemos a más tardar el {day} a las {time} ({tz}).",
        "tu hora local",
    ),
    "pt": Sentences(
        "Obrigado pela sua mensagem. Nossa equipe está fora do horário de atendimento agora.",
        "Responderemos até as {time} ({tz}).",
        "Responderemos até {day}, às {time} ({tz}).",
        "seu horário local",
    ),
    "de": Sentences(
        "Danke für Ihre Nachricht. Unser Team ist gerade nicht erreichbar.",
        "Wir antworten bis {time} Uhr ({tz}).",
        "Wir antworten bis {day}, {time} Uhr ({tz}).",
        "Ihre Ortszeit",
    ),
    "fr": Sentences(
        "Merci pour votre message. Notre équipe est actuellement hors ligne.",
        "Nous vous répondrons avant {time} ({tz}).",
        "Nous vous répondrons d'ici {day}, {time} ({tz}).",
        "votre heure locale",
    ),
    "ja": Sentences(
        "お問い合わせありがとうございます。現在、担当チームは営業時間外です。",
        "{time}（{tz}）までにご返信いたします。",
        "{day} {time}（{tz}）までにご返信いたします。",
        "お客様の現地時間",
    ),
    "zh-Hans": Sentences(
        "感谢您的留言。我们的团队目前不在工作时间。",
        "我们将在{time}（{tz}）之前回复您。",
        "我们将在{day} {time}（{tz}）之前回复您。",
        "您的当地时间",
    ),
    "zh-Hant": Sentences(
        "感謝您的留言。我們的團隊目前不在服務時間。",
        "我們將在{time}（{tz}）之前回覆您。",
        "我們將在{day} {time}（{tz}）之前回覆您。",
        "您的當地時間",
    ),
    "ar": Sentences(
        "شكرًا على رسالتك. فريقنا خارج ساعات العمل حاليًا.",
        "سنرد عليك قبل الساعة {time} ({tz}).",
        "سنرد عليك قبل {day} الساعة {time} ({tz}).",
        "بتوقيتك المحلي",
    ),
}
NOTICE_LANGUAGES = tuple(SENTENCES)


def notice_language(tag: str | None) -> str:
    """The template language for a customer's tag: zh-Hant, other zh -> zh-Hans, pt-BR -> pt, else en."""
    wanted = primary(tag)
    if wanted == "zh":
        return (
            "zh-Hant" if tag and tag.lower().startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo")) else "zh-Hans"
        )
    return wanted if wanted in SENTENCES else "en"


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def customer_zone(
    *, contact_timezone: str | None, country: str | None, team_timezone: str, at: datetime
) -> tuple[ZoneInfo, bool]:
    """The zone to state the time ``at`` in, and whether it is known to be the customer's.

    A country whose zones all read the same clock at ``at`` (Germany's two, China's
    two) settles it; one whose zones differ (Mexico, the US) is settled only when the
    team's zone is among them. Otherwise the team's zone is used and named ("Mexico
    City time") instead of saying "your time".
    """
    zone = _zone(contact_timezone)
    if zone is not None:
        return zone, True
    names: list[str] = get_global("territory_zones").get((country or "").upper(), [])
    zones = [z for z in map(_zone, names) if z is not None]
    team = _zone(team_timezone) or ZoneInfo("UTC")
    if team.key in names:
        return team, True
    if zones and len({at.astimezone(z).utcoffset() for z in zones}) == 1:
        return zones[0], True
    return team, False


def notice_templates() -> dict[str, str]:
    """The shipped notice per language as a system template (``routing_notice``).

    Variables: ``time`` ("09:00" in the customer's clock), ``day`` (empty on the same
    local day, else the weekday or, further out, the date), ``zone`` (the zone's name,
    for when it is not known to be the customer's), ``your_time`` (whether it is) and
    ``opening`` (the instant, for ``{{ opening | datetime('full') }}`` and the like).
    """
    out: dict[str, str] = {}
    for language, sentences in SENTENCES.items():
        label = json.dumps(sentences.your_time, ensure_ascii=False)  # a Jinja string literal
        tz = "{{ " + label + " if your_time else zone }}"
        by_time = sentences.by_time.format(time="{{ time }}", tz=tz)
        by_day = sentences.by_day.format(day="{{ day }}", time="{{ time }}", tz=tz)
        # CJK sentences end in a full-width stop and take no space after it.
        space = "" if sentences.intro.endswith("。") else " "
        out[language] = f"{sentences.intro}{space}{{% if day %}}{by_day}{{% else %}}{by_time}{{% endif %}}"
    return out


def notice_values(
    *, opening: datetime, now: datetime, zone: ZoneInfo, zone_is_customers: bool
) -> Callable[[Locale], dict[str, Any]]:
    """The notice's variables, worded in the locale the text is rendered in."""

    def values(locale: Locale) -> dict[str, Any]:
        local = opening.astimezone(zone)
        today = now.astimezone(zone).date()
        day = ""
        if local.date() != today:
            near = local.date() - today < timedelta(days=6)
            day = (
                format_date(local.date(), "EEEE", locale=locale)
                if near
                else format_skeleton("MMMMd", local, locale=locale)
            )
        return {
            "time": format_skeleton("Hm", local, locale=locale),
            "day": day,
            "zone": zone_label(zone, locale),
            "your_time": zone_is_customers,
            "opening": opening,
        }

    return values


def zone_label(zone: ZoneInfo, locale: Locale) -> str:
    """The zone named by its city in the reader's language: "Berlin", "Ciudad de México".

    CLDR's location format wraps the city in the country and the locale's "time" word,
    which nests badly inside the notice's own parentheses ("bis 09:00 Uhr (Deutschland
    (Berlin) (Ortszeit))"); the city alone names the clock without the clutter.
    """
    if zone.key in ("UTC", "Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Etc/GMT"):
        return "UTC"
    return get_timezone_location(zone, locale=locale, return_city=True)


def render_notice(
    *, opening: datetime, now: datetime, language: str, zone: ZoneInfo, zone_is_customers: bool
) -> str:
    """The shipped notice text, e.g. "... We'll answer by Monday, 09:00 (your time)."."""
    template_language = notice_language(language)
    try:
        locale = Locale.parse(template_language, sep="-")
    except (ValueError, UnknownLocaleError):
        locale = Locale.parse("en")
    values = notice_values(opening=opening, now=now, zone=zone, zone_is_customers=zone_is_customers)
    return render_template(
        notice_templates()[template_language], variables=values(locale), locale=locale, timezone=zone.key
    )
