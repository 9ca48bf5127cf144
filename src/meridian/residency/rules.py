"""Which data region a new contact belongs to.

In order: an explicit choice, else the contact's country, else their phone number's
calling code, else their email domain (exact domain first, then the country-code
top-level domain), else the workspace's default region. Defaults below; a workspace
overrides or extends them in ``workspaces.settings["residency"]``::

    {"default_region": "default",
     "countries": {"CH": "eu"}, "phone_prefixes": {"+41": "eu"},
     "email_domains": {"example.co.uk": "eu"}}

A rule only ever yields a region this deployment knows (one with its own database in
``MERIDIAN_REGIONS``, or one the workspace's rules name): without regional databases
every contact stays in the default region, as before residency existed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.core.countries import EU_COUNTRIES
from meridian.vault import regions
from meridian.workspaces.models import Workspace

DEFAULT_REGION = "default"

DEFAULT_COUNTRIES: dict[str, str] = {
    **{c: "eu" for c in EU_COUNTRIES},
    "US": "us",
    "IN": "in",
    "SG": "sg",
}
# ITU calling codes of the EU member states, and the defaults the brief names.
_EU_CALLING_CODES = [
    "+30",
    "+31",
    "+32",
    "+33",
    "+34",
    "+351",
    "+352",
    "+353",
    "+356",
    "+357",
    "+358",
    "+359",
    "+36",
    "+370",
    "+371",
    "+372",
    "+385",
    "+386",
    "+39",
    "+40",
    "+420",
    "+421",
    "+43",
    "+45",
    "+46",
    "+48",
    "+49",
]
DEFAULT_PHONE_PREFIXES: dict[str, str] = {
    **{p: "eu" for p in _EU_CALLING_CODES},
    "+1": "us",
    "+91": "in",
    "+65": "sg",
}
# Country-code TLDs map through the country rules (.de -> DE -> eu); "gr" is Greece's.
_TLD_COUNTRY = {c.lower(): c for c in DEFAULT_COUNTRIES} | {"uk": "GB"}


@dataclass(frozen=True)
class Rules:
    default_region: str = DEFAULT_REGION
    countries: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_COUNTRIES))
    phone_prefixes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PHONE_PREFIXES))
    email_domains: Mapping[str, str] = field(default_factory=dict)
    known: frozenset[str] = frozenset()

    def pick(
        self,
        *,
        explicit: str | None = None,
        country: str | None = None,
        phone: str | None = None,
        email: str | None = None,
    ) -> str:
        if explicit:
            return explicit
        for candidate in (self._by_country(country), self._by_phone(phone), self._by_email(email)):
            if candidate is not None and candidate in self.known:
                return candidate
        return self.default_region

    def _by_country(self, country: str | None) -> str | None:
        return self.countries.get(country.upper()) if country else None

    def _by_phone(self, phone: str | None) -> str | None:
        if not phone:
            return None
        digits = "+" + "".join(ch for ch in phone if ch.isdigit())
        # Longest prefix wins: +351 (Portugal) before +35.
        for length in range(min(len(digits), 8), 1, -1):
            region = self.phone_prefixes.get(digits[:length])
            if region is not None:
                return region
        return None

    def _by_email(self, email: str | None) -> str | None:
        if not email or "@" not in email:
            return None
        domain = email.rsplit("@", 1)[1].strip().lower()
        labels = domain.split(".")
        for i in range(len(labels) - 1):
            region = self.email_domains.get(".".join(labels[i:]))
            if region is not None:
                return region
        return self._by_country(_TLD_COUNTRY.get(labels[-1]))


def rules_from_settings(settings: Mapping[str, Any] | None) -> Rules:
    conf = dict((settings or {}).get("residency") or {})
    countries = {**DEFAULT_COUNTRIES, **{k.upper(): v for k, v in (conf.get("countries") or {}).items()}}
    prefixes = {**DEFAULT_PHONE_PREFIXES, **dict(conf.get("phone_prefixes") or {})}
    domains = {k.lower(): v for k, v in (conf.get("email_domains") or {}).items()}
    default = str(conf.get("default_region") or DEFAULT_REGION)
    named = {*(conf.get("countries") or {}).values(), *(conf.get("phone_prefixes") or {}).values()}
    named |= set(domains.values())
    known = frozenset({*regions.regional(), *named, default})
    return Rules(default, countries, prefixes, domains, known)


async def assign_region(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    explicit: str | None = None,
    country: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> str:
    settings = await session.scalar(select(Workspace.settings).where(Workspace.id == workspace_id))
    return rules_from_settings(settings).pick(explicit=explicit, country=country, phone=phone, email=email)
