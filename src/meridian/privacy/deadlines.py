"""Which law's deadline applies to a data subject request, from the contact's country
or, failing that, their data region."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from meridian.core.countries import GDPR_COUNTRIES


@dataclass(frozen=True)
class Regime:
    name: str
    days: int

    def due(self, received_at: datetime) -> datetime:
        return received_at + timedelta(days=self.days)


# GDPR Art. 12(3): "within one month of receipt", counted here as 30 days.
GDPR = Regime("gdpr", 30)
# CCPA, Cal. Civ. Code 1798.130(a)(2)(A): 45 days from receipt.
CCPA = Regime("ccpa", 45)
# LGPD Art. 19(II): a complete declaration within 15 days.
LGPD = Regime("lgpd", 15)
# Where no listed law applies, the strictest common deadline (one month).
DEFAULT = Regime("default", 30)

_BY_REGION = {"eu": GDPR, "uk": GDPR, "us": CCPA, "br": LGPD}


def regime_for(*, country: str | None, region: str | None) -> Regime:
    if country:
        code = country.upper()
        if code in GDPR_COUNTRIES:
            return GDPR
        if code == "US":
            return CCPA
        if code == "BR":
            return LGPD
        return DEFAULT
    return _BY_REGION.get((region or "").lower(), DEFAULT)
