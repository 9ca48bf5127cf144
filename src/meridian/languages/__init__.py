"""Language detection and BCP 47 language tags."""

from __future__ import annotations

from meridian.languages.detect import Detection, detect_language, supported_languages, warm_up
from meridian.languages.tags import language_name, normalize_language_tag, primary_language

__all__ = [
    "Detection",
    "detect_language",
    "language_name",
    "normalize_language_tag",
    "primary_language",
    "supported_languages",
    "warm_up",
]
