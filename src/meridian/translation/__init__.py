"""Machine translation: one provider interface, six adapters, glossary protection."""

from __future__ import annotations

from meridian.translation.base import (
    ProviderSettings,
    QuotaExceeded,
    TranslationError,
    TranslationProvider,
    TranslationResult,
)
from meridian.translation.glossary import Glossary, GlossaryTerm, GlossaryTermLost
from meridian.translation.registry import PROVIDERS, create_provider

__all__ = [
    "PROVIDERS",
    "Glossary",
    "GlossaryTerm",
    "GlossaryTermLost",
    "ProviderSettings",
    "QuotaExceeded",
    "TranslationError",
    "TranslationProvider",
    "TranslationResult",
    "create_provider",
]
