"""Which PostgreSQL text search configuration fits a language, and CJK handling.

PostgreSQL ships Snowball stemmers for about thirty languages (``\\dF``); anything else
uses ``simple`` (lower-casing, no stemming). Chinese, Japanese and Korean are written
without spaces between words, so word-based full text finds little there: those texts
are matched with pg_trgm similarity instead.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.languages.tags import primary_language

# Primary language subtag -> the configuration PostgreSQL names after it.
CONFIG_BY_LANGUAGE = {
    "ar": "arabic",
    "hy": "armenian",
    "eu": "basque",
    "ca": "catalan",
    "da": "danish",
    "nl": "dutch",
    "en": "english",
    "fi": "finnish",
    "fr": "french",
    "de": "german",
    "el": "greek",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "ga": "irish",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "no": "norwegian",
    "nb": "norwegian",
    "nn": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "es": "spanish",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")

_available: dict[str, frozenset[str]] = {}


async def available_configs(session: AsyncSession) -> frozenset[str]:
    """The configurations this server has (older servers lack some, e.g. armenian)."""
    key = str(session.get_bind().engine.url)
    if key not in _available:
        rows = await session.execute(text("SELECT cfgname FROM pg_ts_config"))
        _available[key] = frozenset(rows.scalars())
    return _available[key]


async def config_for(session: AsyncSession, locale: str | None) -> str:
    if not locale:
        return "simple"
    try:
        language = primary_language(locale)
    except ValueError:
        return "simple"
    name = CONFIG_BY_LANGUAGE.get(language)
    return name if name and name in await available_configs(session) else "simple"


def is_cjk(value: str) -> bool:
    return bool(_CJK.search(value))


_trigrams: dict[str, bool] = {}


async def trigrams_work(session: AsyncSession) -> bool:
    """Whether pg_trgm sees CJK characters in this database (not under LC_CTYPE=C)."""
    key = str(session.get_bind().engine.url)
    if key not in _trigrams:
        _trigrams[key] = bool(
            await session.scalar(text("SELECT word_similarity('返品', '商品の返品方法') > 0.5"))
        )
    return _trigrams[key]


def cjk_bigrams(value: str) -> list[str]:
    """Overlapping pairs of CJK characters (返品方法 -> 返品, 品方, 方法), the common
    indexing unit for scripts without spaces."""
    grams: list[str] = []
    for run in _CJK_RUN.findall(value):
        if len(run) == 1:
            grams.append(run)
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return list(dict.fromkeys(grams)) or [value]
