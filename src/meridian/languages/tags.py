"""BCP 47 language tags in the one spelling Meridian stores and compares."""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale, UnknownLocaleError

_WELL_FORMED = re.compile(r"^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$")
_SCRIPT = re.compile(r"^[A-Za-z]{4}$")
_REGION = re.compile(r"^(?:[A-Za-z]{2}|[0-9]{3})$")


# Cached: routing compares every agent's languages with the customer's on every
# decision (about a hundred calls per inbound message), and babel's parse is slow.
@lru_cache(maxsize=4096)
def normalize_language_tag(tag: str) -> str:
    """Return ``tag`` in canonical BCP 47 form: ``pt_BR`` -> ``pt-BR``, ``zh-TW`` -> ``zh-Hant``.

    Deprecated codes are replaced (``iw`` -> ``he``, ``in`` -> ``id``). Chinese is reduced
    to its script because that, not the region, decides whether a reader can read it.
    Raises ``ValueError`` for something that is not a language tag at all.
    """
    cleaned = tag.strip().replace("_", "-")
    if not _WELL_FORMED.match(cleaned):
        raise ValueError(f"not a language tag: {tag!r}")
    subtags = cleaned.split("-")
    try:
        locale = Locale.parse(cleaned, sep="-")
    except (ValueError, UnknownLocaleError):
        return _canonical_casing(subtags)
    if locale.language == "zh":
        # babel fills in the script from the region (zh-TW -> Hant), which is what we want.
        return f"zh-{locale.script}" if locale.script else "zh"
    if subtags[0].lower() == "und":
        return "und"
    parts = [locale.language]
    # babel's alias table adds a default region (iw -> he_IL); keep only what was asked for.
    if locale.script and any(_SCRIPT.match(s) for s in subtags[1:]):
        parts.append(locale.script)
    if locale.territory and any(_REGION.match(s) for s in subtags[1:]):
        parts.append(locale.territory)
    return "-".join(parts)


@lru_cache(maxsize=4096)
def primary_language(tag: str) -> str:
    """The language subtag of a tag, canonicalised (``pt-BR`` -> ``pt``, ``zh-Hant`` -> ``zh``)."""
    return normalize_language_tag(tag).split("-")[0]


def language_name(tag: str, *, locale: str = "en") -> str:
    """A human name for ``tag`` ("Portuguese (Brazil)", "Chinese (Traditional)")."""
    normalized = normalize_language_tag(tag)
    try:
        name = Locale.parse(normalized, sep="-").get_display_name(locale)
    except (ValueError, UnknownLocaleError):
        return normalized
    return name or normalized


def _canonical_casing(subtags: list[str]) -> str:
    # RFC 5646 section 2.1.1: language lower case, script title case, region upper case.
    out = [subtags[0].lower()]
    for sub in subtags[1:]:
        if _SCRIPT.match(sub) and out[-1] != "x":
            out.append(sub.title())
        elif _REGION.match(sub) and out[-1] != "x":
            out.append(sub.upper())
        else:
            out.append(sub.lower())
    return "-".join(out)
