from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from meridian.core.schemas import LanguageTag, Name, StrictModel

ArticleStatus = Literal["draft", "in_review", "published"]
Title = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Body = Annotated[str, StringConstraints(max_length=200_000)]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=r"^[\w][\w-]*$")]
# Help-center paths the site slug must not shadow (``/help/assets/...`` serves images).
RESERVED_SITE_SLUGS = frozenset({"assets"})


def _not_reserved(value: str) -> str:
    if value in RESERVED_SITE_SLUGS:
        raise ValueError(f"{value!r} is reserved")
    return value


SiteSlug = Annotated[
    str,
    StringConstraints(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$"),
    AfterValidator(_not_reserved),
]


class ArticleCreate(StrictModel):
    title: Title
    body: Body = ""
    # Defaults to the workspace's default locale.
    locale: LanguageTag | None = None
    # A category's slug.
    category: str | None = None
    status: ArticleStatus = "draft"
    # Set to make this article a locale variant of that master article.
    master_id: uuid.UUID | None = None
    slug: Slug | None = None


class ArticleUpdate(StrictModel):
    title: Title | None = None
    body: Body | None = None
    locale: LanguageTag | None = None
    category: str | None = None
    status: ArticleStatus | None = None
    slug: Slug | None = None
    # ``false``: a translator checked the variant against the current master.
    outdated: Literal[False] | None = None


class VariantSummary(BaseModel):
    id: str
    locale: str
    status: str
    outdated: bool


class ArticleOut(BaseModel):
    id: str
    title: str
    body: str
    body_html: str
    locale: str
    category: str | None
    status: str
    master_id: str | None
    slug: str
    version: int
    outdated: bool
    variants: list[VariantSummary]
    author_id: str | None
    reviewer_id: str | None
    published_at: datetime | None
    helpful_yes: int
    helpful_no: int
    # Where the help center shows it (published articles only).
    url: str | None
    created_at: datetime
    updated_at: datetime


class ArticleList(BaseModel):
    items: list[ArticleOut]


class VersionOut(BaseModel):
    number: int
    title: str
    author_id: str | None
    created_at: datetime


class VersionList(BaseModel):
    items: list[VersionOut]


class VersionDiff(BaseModel):
    article_id: str
    from_version: int
    to_version: int
    # A unified diff (difflib) of the title and Markdown body.
    diff: str


class CategoryCreate(StrictModel):
    name: Name
    slug: Slug | None = None
    # Localized names: {"es": "Envíos", "ja": "配送"}.
    names: dict[LanguageTag, Name] = Field(default_factory=dict)
    position: int = 0


class CategoryUpdate(StrictModel):
    name: Name | None = None
    names: dict[LanguageTag, Name] | None = None
    position: int | None = None


class CategoryOut(BaseModel):
    id: str
    slug: str
    name: str
    names: dict[str, str]
    position: int


class CategoryList(BaseModel):
    items: list[CategoryOut]


class SiteUpdate(StrictModel):
    slug: SiteSlug | None = None
    title: Name | None = None
    default_locale: LanguageTag | None = None


class SiteOut(BaseModel):
    slug: str | None
    title: str | None
    default_locale: str
    url: str


class SearchItem(BaseModel):
    article_id: str
    title: str
    locale: str
    score: float
    snippet: str
    slug: str
    url: str
    # Cosine similarity of the best passage (absent when search ran on full text only).
    similarity: float | None = None


class SearchResult(BaseModel):
    items: list[SearchItem]
    # "hybrid" (full text + vectors) or "full_text" (no pgvector / no embedder).
    mode: str


class DraftFromMessage(StrictModel):
    message_id: uuid.UUID
    title: Title
    category: str | None = None
    locale: LanguageTag | None = None


class AssetOut(BaseModel):
    """An uploaded article image; ``markdown`` is ready to paste into an article body."""

    id: str
    filename: str
    content_type: str
    size: int
    url: str
    markdown: str
