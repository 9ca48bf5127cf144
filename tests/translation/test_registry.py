from __future__ import annotations

import pytest

from meridian.translation.argos import ArgosProvider
from meridian.translation.base import ProviderSettings, TranslationError, TranslationProvider
from meridian.translation.deepl import DeepLProvider
from meridian.translation.google import GoogleProvider
from meridian.translation.libretranslate import LibreTranslateProvider
from meridian.translation.microsoft import MicrosoftProvider
from meridian.translation.openai import OpenAIProvider
from meridian.translation.registry import PROVIDERS, create_provider


def test_provider_names_match_the_settings_contract() -> None:
    assert set(PROVIDERS) == {
        "deepl",
        "google",
        "microsoft",
        "libretranslate",
        "openai",
        "argos",
        "none",
    }


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("deepl", DeepLProvider),
        ("google", GoogleProvider),
        ("microsoft", MicrosoftProvider),
        ("libretranslate", LibreTranslateProvider),
        ("openai", OpenAIProvider),
    ],
)
def test_creates_http_providers_with_their_base_url(name: str, cls: type) -> None:
    settings = ProviderSettings(name, api_key="k", api_base_url="http://127.0.0.1:9/x/", model="m")
    provider = create_provider(settings)
    assert isinstance(provider, cls)
    assert isinstance(provider, TranslationProvider)
    assert provider.name == name
    assert vars(provider)["api_base_url"] == "http://127.0.0.1:9/x"


def test_none_means_no_translation_and_argos_needs_no_key() -> None:
    assert create_provider(ProviderSettings("none")) is None
    assert isinstance(create_provider(ProviderSettings("argos")), ArgosProvider)
    assert isinstance(create_provider(ProviderSettings("libretranslate")), LibreTranslateProvider)


def test_microsoft_region_and_openai_model_come_from_settings() -> None:
    microsoft = create_provider(ProviderSettings("microsoft", api_key="k", region="westeurope"))
    assert isinstance(microsoft, MicrosoftProvider) and microsoft.region == "westeurope"
    openai = create_provider(ProviderSettings("openai", api_key="k", model="gpt-4.1-mini"))
    assert isinstance(openai, OpenAIProvider) and openai.model == "gpt-4.1-mini"


@pytest.mark.parametrize(
    "settings",
    [
        ProviderSettings("babelfish", api_key="k"),
        ProviderSettings("deepl"),
        ProviderSettings("google"),
        ProviderSettings("microsoft"),
        ProviderSettings("openai"),
    ],
)
def test_unknown_names_and_missing_keys_are_permanent_errors(settings: ProviderSettings) -> None:
    with pytest.raises(TranslationError) as caught:
        create_provider(settings)
    assert not caught.value.transient
