"""Which language a customer wrote in, from a few words, with lingua.

lingua (https://github.com/pemistahl/lingua-py) is the most accurate detector on short
text, which is what customer messages are. Its language models are shared by every
detector in the process, so one detector per candidate set costs little once a
language's models are loaded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from lingua import (
    ConfidenceValue,
    IsoCode639_1,
    Language,
    LanguageDetector,
    LanguageDetectorBuilder,
)

from meridian.languages.chinese import chinese_variant
from meridian.languages.cleanup import clean_for_detection, information_score
from meridian.languages.tags import normalize_language_tag

__all__ = [
    "DEFAULT_LANGUAGES",
    "Detection",
    "detect_language",
    "normalize_language_tag",
    "supported_languages",
    "warm_up",
]

# The languages looked for when a workspace names none: those most of the world's online
# shoppers write in. Preloading them takes ~7.5 s and ~0.95 GB on a 2-core machine, against
# ~11 s and ~1.3 GB for all 75 lingua languages, for the same accuracy on our benchmark
# (benchmarks/language_detection.py). A caller can still pass any lingua language as a
# candidate: its models then load on first use.
DEFAULT_LANGUAGES: tuple[str, ...] = (
    "en", "es", "pt", "fr", "de", "it", "nl", "pl", "ru", "uk", "tr", "ar", "he", "fa",
    "hi", "bn", "ur", "ta", "th", "vi", "id", "ms", "tl", "ja", "ko", "zh", "sv", "da",
    "nb", "fi", "cs", "sk", "hu", "ro", "bg", "el", "hr", "sr", "sl", "lt", "lv", "et",
    "ca",
)  # fmt: skip

# Below this much evidence ("ok", "thx", "👍", an order number) any guess is noise.
MIN_INFORMATION = 5
# A detection is trusted (may override what we knew about the contact) only with enough
# text and a clear winner; both figures were tuned on benchmarks/data/language_detection.jsonl.
RELIABLE_INFORMATION = 12
RELIABLE_CONFIDENCE = 0.5
RELIABLE_MARGIN = 2.0
# When the detector is unsure, the contact's known language wins if it scored at least
# this share of the winner: it separates close pairs (es/pt, id/ms, da/nb) better than
# the few words of one message do.
FALLBACK_SHARE = 0.5

_LINGUA_ALIASES = {"fil": Language.TAGALOG, "no": Language.BOKMAL}
_CHINESE_TAGS = ("zh-Hans", "zh-Hant")


@dataclass(frozen=True, slots=True)
class Detection:
    """``language`` is a BCP 47 tag (or None when nothing could be said)."""

    language: str | None
    confidence: float
    reliable: bool


def supported_languages() -> list[str]:
    """Every tag ``detect_language`` can return."""
    tags = {_tag_of(language) for language in Language.all()} - {"zh"}
    return sorted(tags | set(_CHINESE_TAGS))


def warm_up() -> None:
    """Load the default detector's models now, so the first message is not slow."""
    _default_detector()


def detect_language(
    text: str,
    *,
    candidates: Sequence[str] | None = None,
    fallback: str | None = None,
) -> Detection:
    """Detect the language of ``text``, choosing among ``candidates`` when given.

    ``fallback`` is what we already know (the contact's language); it is returned, marked
    unreliable, when the text says too little to tell.
    """
    known = normalize_language_tag(fallback) if fallback else None
    cleaned = clean_for_detection(text)
    if information_score(cleaned) < MIN_INFORMATION:
        return Detection(known, 0.0, False)

    allowed = [normalize_language_tag(tag) for tag in candidates or ()]
    detector = _detector_for(allowed)
    values = detector.compute_language_confidence_values(cleaned)
    if not values or values[0].value <= 0.0:
        return Detection(known, 0.0, False)

    top = values[0]
    runner_up = values[1].value if len(values) > 1 else 0.0
    reliable = (
        information_score(cleaned) >= RELIABLE_INFORMATION
        and top.value >= RELIABLE_CONFIDENCE
        and top.value >= RELIABLE_MARGIN * runner_up
    )
    language = _tag_of(top.language)
    by_script = False
    if language == "zh":
        preferred = [tag for tag in (known, *allowed) if tag]
        language, by_script = chinese_variant(cleaned, preferred=preferred)
        # Text made only of characters both systems share cannot tell its variant.
        reliable = reliable and by_script
    if known is None or known == language or by_script:
        return Detection(language, top.value, reliable)
    if known.split("-")[0] == language.split("-")[0]:
        # Same language: what we know about the contact is more specific (pt -> pt-BR).
        return Detection(known, top.value, reliable)
    if not reliable:
        known_value = _confidence_of(values, known)
        if known_value is not None and known_value >= FALLBACK_SHARE * top.value:
            return Detection(known, known_value, False)
    return Detection(language, top.value, reliable)


def _detector_for(allowed: Sequence[str]) -> LanguageDetector:
    languages = frozenset(_lingua_languages(allowed))
    if not languages:
        return _default_detector()
    return _restricted_detector(languages)


def _lingua_languages(tags: Iterable[str]) -> set[Language]:
    found: set[Language] = set()
    for tag in tags:
        primary = tag.split("-")[0]
        language = _LINGUA_ALIASES.get(primary)
        if language is None and len(primary) == 2:
            try:
                language = Language.from_iso_code_639_1(getattr(IsoCode639_1, primary.upper()))
            except (AttributeError, ValueError):
                language = None
        if language is not None:
            found.add(language)
    return found


_build_lock = threading.Lock()


def _default_detector() -> LanguageDetector:
    # Serialised so that concurrent first messages do not each load ~1 GB of models.
    with _build_lock:
        return _preloaded_default_detector()


@lru_cache(maxsize=1)
def _preloaded_default_detector() -> LanguageDetector:
    return (
        LanguageDetectorBuilder.from_languages(*_lingua_languages(DEFAULT_LANGUAGES))
        .with_preloaded_language_models()
        .build()
    )


@lru_cache(maxsize=256)
def _restricted_detector(languages: frozenset[Language]) -> LanguageDetector:
    # Lazily loaded: the models are shared with the default detector, so most are in
    # memory already, and preloading here would stall the first message of a workspace.
    return LanguageDetectorBuilder.from_languages(*languages).build()


def _tag_of(language: Language) -> str:
    return normalize_language_tag(language.iso_code_639_1.name.lower())


def _confidence_of(values: Sequence[ConfidenceValue], tag: str) -> float | None:
    wanted = _lingua_languages([tag])
    for value in values:
        if value.language in wanted:
            return float(value.value)
    return None
