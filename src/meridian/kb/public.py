"""What the public help center shows: published articles, in the visitor's language.

Each article family (a master and its locale variants) appears once per locale: the
variant written for that locale, else one in the same language (es-MX for es), else the
master. Visitors never see drafts or articles under review.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.config import get_settings
from meridian.core.ids import new_id
from meridian.kb.models import KbArticle, KbCategory, KbSite, KbVote
from meridian.languages.tags import normalize_language_tag


@dataclass(frozen=True)
class Shown:
    article: KbArticle
    # False when no variant exists for the visitor's language and another is shown.
    in_locale: bool


def family_of(article: KbArticle) -> uuid.UUID:
    return article.master_id or article.id


def _language(tag: str) -> str:
    return tag.split("-")[0].lower()


def pick(candidates: list[KbArticle], locale: str, default_locale: str) -> Shown | None:
    """The article of one family to show in ``locale``."""
    for test in (
        lambda a: a.locale == locale,
        lambda a: _language(a.locale) == _language(locale),
    ):
        for article in candidates:
            if test(article):
                return Shown(article, True)
    for test in (lambda a: a.master_id is None, lambda a: a.locale == default_locale):
        for article in candidates:
            if test(article):
                return Shown(article, False)
    return Shown(candidates[0], False) if candidates else None


async def published(session: AsyncSession, workspace_id: uuid.UUID) -> list[KbArticle]:
    rows = await session.scalars(
        select(KbArticle)
        .where(KbArticle.workspace_id == workspace_id, KbArticle.status == "published")
        .order_by(KbArticle.title)
    )
    return list(rows)


def by_family(articles: list[KbArticle]) -> dict[uuid.UUID, list[KbArticle]]:
    families: dict[uuid.UUID, list[KbArticle]] = {}
    for article in articles:
        families.setdefault(family_of(article), []).append(article)
    return families


async def site_locales(session: AsyncSession, site: KbSite) -> list[str]:
    """Locales the site has content in, the default first."""
    rows = await session.scalars(
        select(KbArticle.locale)
        .where(KbArticle.workspace_id == site.workspace_id, KbArticle.status == "published")
        .distinct()
    )
    others = sorted(set(rows) - {site.default_locale})
    return [site.default_locale, *others]


async def categories(session: AsyncSession, workspace_id: uuid.UUID) -> list[KbCategory]:
    rows = await session.scalars(
        select(KbCategory)
        .where(KbCategory.workspace_id == workspace_id)
        .order_by(KbCategory.position, KbCategory.name)
    )
    return list(rows)


def category_name(category: KbCategory, locale: str) -> str:
    names = category.names or {}
    return str(names.get(locale) or names.get(_language(locale)) or category.name)


def negotiate_locale(accept_language: str, available: list[str], default: str) -> str:
    """The best of ``available`` for an ``Accept-Language`` header (RFC 9110 section 12.5.4)."""
    preferences: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            preferences.append((-quality, index, tag))
    for _, _, tag in sorted(preferences):
        try:
            wanted = normalize_language_tag(tag)
        except ValueError:
            continue
        if wanted in available:
            return wanted
        same_language = [a for a in available if _language(a) == _language(wanted)]
        if same_language:
            return same_language[0]
    return default


def voter_key(article_id: uuid.UUID, address: str, user_agent: str) -> str:
    """Keyed, so the stored value says nothing about who voted."""
    secret = get_settings().resolved_secret_key().encode()
    return hmac.new(secret, f"{article_id}|{address}|{user_agent}".encode(), hashlib.sha256).hexdigest()


async def record_vote(session: AsyncSession, *, article: KbArticle, helpful: bool, voter: str) -> bool:
    """One vote per visitor per article; False when this visitor already voted."""
    inserted = await session.scalar(
        insert(KbVote)
        .values(
            id=new_id(),
            workspace_id=article.workspace_id,
            article_id=article.id,
            helpful=helpful,
            voter=voter,
        )
        .on_conflict_do_nothing(index_elements=["article_id", "voter"])
        .returning(KbVote.id)
    )
    if inserted is None:
        return False
    column = KbArticle.helpful_yes if helpful else KbArticle.helpful_no
    await session.execute(
        update(KbArticle)
        .where(KbArticle.id == article.id)
        .values({column: column + 1, KbArticle.updated_at: KbArticle.updated_at})
    )
    await session.commit()
    return True
