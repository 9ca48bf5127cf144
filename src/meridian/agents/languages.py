"""How well an agent speaks each of their languages, and the one text form used by forms.

``languages`` (the spoken tags, a fixed API name) stays a plain list; the level of
each lives beside it in ``language_proficiency``. A language without a level is
``fluent``: what every agent was before levels existed, so routing did not change for
workspaces that never set one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, get_args

from meridian.core.errors import ProblemError
from meridian.languages.tags import normalize_language_tag, primary_language

Level = Literal["native", "fluent", "basic"]
LEVELS: tuple[str, ...] = get_args(Level)
DEFAULT_LEVEL = "fluent"
# Higher is better; routing prefers the highest level among free speakers.
RANK = {"basic": 1, "fluent": 2, "native": 3}


def level_in(languages: Sequence[str], proficiency: Mapping[str, str], wanted: str) -> str | None:
    """The agent's best level in ``wanted`` (a primary subtag), None when they don't speak it."""
    levels = [proficiency.get(tag, DEFAULT_LEVEL) for tag in languages if _primary(tag) == wanted]
    return max(levels, key=lambda level: RANK.get(level, 0)) if levels else None


def _primary(tag: str) -> str | None:
    try:
        return primary_language(tag)
    except ValueError:
        return None


def check_proficiency(languages: Iterable[str], proficiency: Mapping[str, str]) -> dict[str, str]:
    """``proficiency`` for ``languages``; a level for a language not spoken is a 422."""
    spoken = set(languages)
    unknown = sorted(set(proficiency) - spoken)
    if unknown:
        raise ProblemError(
            422,
            f"a level is given for a language the agent does not speak: {', '.join(unknown)}",
            errors=[
                {"pointer": f"/language_proficiency/{tag}", "message": "not in languages"} for tag in unknown
            ],
        )
    return dict(proficiency)


def parse_spoken(text: str) -> tuple[list[str], dict[str, str]]:
    """The console's one-field form: "es:native, en, fr:basic" -> languages and levels.

    Raises ``ValueError`` naming the bad part (an unknown tag or level)."""
    languages: list[str] = []
    levels: dict[str, str] = {}
    for part in text.replace(";", ",").split(","):
        tag, _, level = part.strip().partition(":")
        tag, level = tag.strip(), level.strip().lower()
        if not tag:
            continue
        try:
            tag = normalize_language_tag(tag)
        except ValueError:
            raise ValueError(f"not a language tag: {tag}") from None
        if level and level not in LEVELS:
            raise ValueError(f"unknown level {level!r} for {tag} (use {', '.join(LEVELS)})")
        if tag not in languages:
            languages.append(tag)
        if level and level != DEFAULT_LEVEL:
            levels[tag] = level
    return languages, levels


def format_spoken(languages: Sequence[str], proficiency: Mapping[str, str]) -> str:
    """The inverse of ``parse_spoken``: "es:native, en"."""
    return ", ".join(
        f"{tag}:{proficiency[tag]}" if proficiency.get(tag, DEFAULT_LEVEL) != DEFAULT_LEVEL else tag
        for tag in languages
    )


def read_spoken(text: str) -> tuple[list[str], dict[str, str]]:
    """``parse_spoken`` for forms: a bad part is passed on as a tag, so the schema's
    validation names the field ("es:expert" is not a language tag) instead of a 500."""
    try:
        return parse_spoken(text)
    except ValueError:
        return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()], {}
