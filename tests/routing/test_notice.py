"""The "we'll answer by" notice: the customer's language, the customer's clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from meridian.routing.notice import NOTICE_LANGUAGES, customer_zone, notice_language, render_notice

# Mexico City opens Monday 2027-06-14 09:00 local = 15:00 UTC.
OPENING = datetime(2027, 6, 14, 15, 0, tzinfo=UTC)
SUNDAY_NIGHT = datetime(2027, 6, 14, 3, 0, tzinfo=UTC)  # Sunday 21:00 in Mexico City
MONDAY_MORNING = datetime(2027, 6, 14, 12, 0, tzinfo=UTC)  # Monday 06:00 in Mexico City
MEXICO = ZoneInfo("America/Mexico_City")


@pytest.mark.parametrize(
    ("language", "same_day", "next_day"),
    [
        ("en", "We'll answer by 09:00 (your time).", "We'll answer by Monday, 09:00 (your time)."),
        ("es", "antes de las 9:00 (tu hora local)", "a más tardar el lunes a las 9:00 (tu hora local)"),
        ("pt", "até as 09:00 (seu horário local)", "até segunda-feira, às 09:00"),
        ("de", "bis 09:00 Uhr (Ihre Ortszeit)", "bis Montag, 09:00 Uhr"),
        ("fr", "avant 09:00 (votre heure locale)", "d'ici lundi, 09:00"),
        ("ja", "9:00（お客様の現地時間）までに", "月曜日 9:00（お客様の現地時間）までに"),
        ("zh-Hans", "我们将在09:00（您的当地时间）之前回复您。", "我们将在星期一 09:00"),
        ("ar", "قبل الساعة 09:00 (بتوقيتك المحلي)", "قبل الاثنين الساعة 09:00"),
    ],
)
def test_notice_in_each_language(language: str, same_day: str, next_day: str) -> None:
    early = render_notice(
        opening=OPENING, now=MONDAY_MORNING, language=language, zone=MEXICO, zone_is_customers=True
    )
    late = render_notice(
        opening=OPENING, now=SUNDAY_NIGHT, language=language, zone=MEXICO, zone_is_customers=True
    )
    assert same_day in early
    assert next_day in late


def test_every_language_has_a_template_and_variants_fall_back() -> None:
    assert set(NOTICE_LANGUAGES) >= {"en", "es", "pt", "de", "fr", "ja", "zh-Hans", "ar"}
    assert notice_language("es-MX") == "es"
    assert notice_language("pt-BR") == "pt"
    assert notice_language("zh-Hant") == "zh-Hant"
    assert notice_language("zh-CN") == "zh-Hans"
    assert notice_language("sw") == "en"
    assert notice_language(None) == "en"


def test_a_far_opening_names_the_date() -> None:
    text = render_notice(
        opening=datetime(2027, 6, 28, 15, 0, tzinfo=UTC),
        now=SUNDAY_NIGHT,
        language="en",
        zone=MEXICO,
        zone_is_customers=True,
    )
    assert "June 28" in text


def test_customer_zone_from_contact_country_or_team() -> None:
    at = OPENING
    assert customer_zone(contact_timezone="Asia/Tokyo", country="MX", team_timezone="UTC", at=at) == (
        ZoneInfo("Asia/Tokyo"),
        True,
    )
    # Germany has two zones reading the same clock; Japan one.
    assert customer_zone(contact_timezone=None, country="DE", team_timezone="UTC", at=at) == (
        ZoneInfo("Europe/Berlin"),
        True,
    )
    # Mexico has several clocks; the team's zone is one of them, so it is taken as the customer's.
    assert (
        customer_zone(contact_timezone=None, country="MX", team_timezone="America/Mexico_City", at=at)[1]
        is True
    )
    # The US has several clocks and the team is elsewhere: the team's zone, named.
    zone, known = customer_zone(
        contact_timezone=None, country="US", team_timezone="America/Mexico_City", at=at
    )
    assert (zone, known) == (MEXICO, False)
    named = render_notice(
        opening=OPENING, now=MONDAY_MORNING, language="es", zone=zone, zone_is_customers=known
    )
    assert "Ciudad de México" in named and "tu hora local" not in named
