"""Provider names as stored in a workspace's translation settings, and their adapters."""

from __future__ import annotations

from typing import Protocol

from meridian.translation.argos import ArgosProvider
from meridian.translation.base import ProviderSettings, TranslationError, TranslationProvider
from meridian.translation.deepl import DeepLProvider
from meridian.translation.google import GoogleProvider
from meridian.translation.libretranslate import LibreTranslateProvider
from meridian.translation.microsoft import MicrosoftProvider
from meridian.translation.openai import OpenAIProvider


class ProviderFactory(Protocol):
    def from_settings(self, settings: ProviderSettings) -> TranslationProvider: ...


# "none" means the workspace does not translate: no provider at all.
PROVIDERS: dict[str, ProviderFactory | None] = {
    "deepl": DeepLProvider,
    "google": GoogleProvider,
    "microsoft": MicrosoftProvider,
    "libretranslate": LibreTranslateProvider,
    "openai": OpenAIProvider,
    "argos": ArgosProvider,
    "none": None,
}


def create_provider(settings: ProviderSettings) -> TranslationProvider | None:
    """The configured provider, or None when translation is off.

    Raises ``TranslationError`` (not transient) for an unknown name or missing credentials.
    """
    if settings.provider not in PROVIDERS:
        raise TranslationError(f"unknown translation provider {settings.provider!r}", transient=False)
    factory = PROVIDERS[settings.provider]
    return None if factory is None else factory.from_settings(settings)
