"""Country groups that more than one feature decides by (ISO 3166-1 alpha-2 codes)."""

from __future__ import annotations

# The 27 member states of the European Union.
EU_COUNTRIES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    }
)
# The rest of the EEA (GDPR applies there too), and the UK and Switzerland, whose UK GDPR
# and revised FADP keep the same one-month answer to a data subject.
GDPR_COUNTRIES = EU_COUNTRIES | {"IS", "LI", "NO", "GB", "CH"}
