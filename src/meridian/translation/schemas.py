from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, Field, StringConstraints, model_validator

from meridian.core.schemas import LanguageTag, StrictModel

ProviderName = Literal["deepl", "google", "microsoft", "libretranslate", "openai", "argos", "none"]
Term = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class TranslationSettingsIn(StrictModel):
    provider: ProviderName
    api_base_url: AnyHttpUrl | None = None
    # Write-only. Left out: the stored key is kept; null or "": the key is removed.
    api_key: str | None = Field(default=None, max_length=500)
    model: str | None = Field(default=None, max_length=200)
    # Microsoft Translator: the Azure region of a regional or multi-service resource.
    region: str | None = Field(default=None, max_length=64, pattern=r"^[a-z0-9-]+$")
    agent_language: LanguageTag = "en"
    # The languages customers write in; narrows detection (fewer, likelier candidates).
    languages: list[LanguageTag] | None = Field(default=None, max_length=75)


class TranslationSettingsOut(BaseModel):
    provider: str
    api_base_url: str | None
    api_key_set: bool
    model: str | None
    region: str | None
    agent_language: str
    languages: list[str]
    updated_at: datetime | None


class GlossaryEntryIn(StrictModel):
    term: Term
    do_not_translate: bool = False
    translations: dict[LanguageTag, Term] = Field(default_factory=dict, max_length=100)

    @model_validator(mode="after")
    def _says_something(self) -> GlossaryEntryIn:
        if not self.do_not_translate and not self.translations:
            raise ValueError("a term needs do_not_translate or at least one translation")
        return self


class GlossaryEntryOut(BaseModel):
    id: str
    term: str
    do_not_translate: bool
    translations: dict[str, str]
    created_at: datetime


class GlossaryList(BaseModel):
    items: list[GlossaryEntryOut]


class SuggestionOut(BaseModel):
    source_text: str
    target_text: str
    origin: str
    provider: str | None
    similarity: float


class SuggestionList(BaseModel):
    items: list[SuggestionOut]


class PreviewIn(StrictModel):
    body: str = Field(min_length=1, max_length=65_536)


class PreviewOut(BaseModel):
    body: str
    language: str
    source_language: str
    provider: str | None
    # "memory" (a stored segment, human or machine), "machine", or "none" (same language).
    origin: str


class TranslationCorrection(StrictModel):
    body: str = Field(min_length=1, max_length=65_536)
    # Defaults to the existing translation's language, else the workspace's agent language.
    language: LanguageTag | None = None
