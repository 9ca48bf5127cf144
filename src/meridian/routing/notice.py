"""The "we'll answer by 09:00 your time" notice, in the customer's language and time zone.

Times and weekday names come from CLDR through Babel, so "Monday 09:00" reads
"lunes 9:00" or "月曜日 9:00" without hand-kept tables; only the sentences are ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_skeleton, get_timezone_location

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
    "ar": Sentences(
        "شكرًا على رسالتك. فريقنا خارج ساعات العمل حاليًا.",
        "سنرد عليك قبل الساعة {time} ({tz}).",
        "سنرد عليك قبل {day} الساعة {time} ({tz}).",
        "بتوقيتك المحلي",
    ),
}
NOTICE_LANGUAGES = tuple(SENTENCES)


def notice_language(tag: str | None) -> str:
    """The template language for a customer's tag: zh-* -> zh-Hans, pt-BR -> pt, else en."""
    wanted = primary(tag)
    if wanted == "zh":
        return "zh-Hans"
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


def _babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(language, sep="-")
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


def render_notice(
    *, opening: datetime, now: datetime, language: str, zone: ZoneInfo, zone_is_customers: bool
) -> str:
    """The whole notice text, e.g. "... We'll answer by Monday, 09:00 (your time)."."""
    sentences = SENTENCES[notice_language(language)]
    locale = _babel_locale(notice_language(language))
    local = opening.astimezone(zone)
    time_text = format_skeleton("Hm", local, locale=locale)
    tz_text = sentences.your_time if zone_is_customers else get_timezone_location(zone, locale=locale)
    today = now.astimezone(zone).date()
    if local.date() == today:
        line = sentences.by_time.format(time=time_text, tz=tz_text)
    else:
        near = local.date() - today < timedelta(days=6)
        day = (
            format_date(local.date(), "EEEE", locale=locale)
            if near
            else format_skeleton("MMMMd", local, locale=locale)
        )
        line = sentences.by_day.format(day=day, time=time_text, tz=tz_text)
    # CJK sentences end in a full-width stop and take no space after it.
    space = "" if sentences.intro.endswith("。") else " "
    return f"{sentences.intro}{space}{line}"
