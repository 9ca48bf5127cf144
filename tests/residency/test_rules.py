"""Region assignment rules and MERIDIAN_REGIONS parsing (pure functions)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from meridian.residency.rules import Rules, rules_from_settings
from meridian.vault.regions import RegionConfigError, parse_regions, region_urls

KNOWN = Rules(known=frozenset({"eu", "us", "in", "sg", "default"}))


@pytest.mark.parametrize(
    ("fields", "region"),
    [
        ({"explicit": "sg", "country": "DE"}, "sg"),
        ({"country": "DE", "phone": "+15551234567"}, "eu"),
        ({"country": "fr"}, "eu"),
        ({"country": "US"}, "us"),
        ({"phone": "+1 (555) 123-4567"}, "us"),
        ({"phone": "+919876543210"}, "in"),
        ({"phone": "+6591234567"}, "sg"),
        ({"phone": "+351912345678"}, "eu"),
        ({"phone": "+5215512345678"}, "default"),
        ({"email": "anna@example.de"}, "eu"),
        ({"email": "raj@example.in"}, "in"),
        ({"email": "someone@example.com"}, "default"),
        ({"country": "BR", "phone": "+5511987654321", "email": "joao@example.com.br"}, "default"),
        ({}, "default"),
    ],
)
def test_rules_pick_in_order(fields: dict[str, str], region: str) -> None:
    assert KNOWN.pick(**fields) == region


def test_unknown_regions_fall_back_to_the_default() -> None:
    # Without regional databases the defaults never move anyone out of "default".
    assert Rules().pick(country="DE", phone="+4915112345678") == "default"


def test_workspace_rules_override_and_extend() -> None:
    rules = rules_from_settings(
        {
            "residency": {
                "default_region": "us",
                "countries": {"CH": "eu"},
                "phone_prefixes": {"+41": "eu"},
                "email_domains": {"example.co.uk": "eu"},
            }
        }
    )
    assert rules.pick(country="CH") == "eu"
    assert rules.pick(phone="+41791234567") == "eu"
    assert rules.pick(email="jo@mail.example.co.uk") == "eu"
    assert rules.pick(email="jo@example.org") == "us"
    assert rules.pick(country="IN") == "us", "in is not a region this deployment knows"


def test_parse_regions() -> None:
    assert parse_regions("eu=postgresql://h/eu, us=embedded,sg=") == {
        "eu": "postgresql+psycopg://h/eu",
        "us": "",
        "sg": "",
    }
    assert parse_regions(None) == {}
    for bad in ("EU=postgresql://h/eu", "eu", "eu=postgresql://a/b,eu=postgresql://a/c", "eu=mysql://x"):
        with pytest.raises((RegionConfigError, ValueError)):
            parse_regions(bad)


def test_embedded_regions_get_a_database_beside_home() -> None:
    urls = region_urls(
        {"eu": "", "us": "postgresql+psycopg://u@db/us"},
        home_url="postgresql+psycopg://u@/meridian?host=/run/pg",
        embedded=True,
    )
    eu = make_url(urls["eu"])
    assert eu.database == "meridian_region_eu" and eu.query == {"host": "/run/pg"}
    assert urls["us"] == "postgresql+psycopg://u@db/us"
    with pytest.raises(RegionConfigError, match="needs a database URL"):
        region_urls({"eu": ""}, home_url="postgresql+psycopg://u@db/meridian", embedded=False)
