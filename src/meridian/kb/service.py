"""Articles: reading them, and the named actions that write, review and publish them."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.core.clock import utcnow
from meridian.core.errors import Forbidden, NotFound, ProblemError
from meridian.events.service import publish
from meridian.jobs.defer import defer_in_transaction
from meridian.kb.models import KbArticle, KbArticleVersion, KbCategory, KbSite
from meridian.kb.render import render_html, slugify
from meridian.kb.schemas import (
    ArticleCreate,
    ArticleOut,
    ArticleUpdate,
    VariantSummary,
    VersionDiff,
)
from meridian.kb.sites import category_by_slug, get_site, help_url
from meridian.workspaces.models import Workspace


def _invalid(pointer: str, message: str, status: int = 422) -> ProblemError:
    return ProblemError(
        status, f"{pointer[1:]}: {message}", errors=[{"pointer": pointer, "message": message}]
    )


async def get_article(session: AsyncSession, *, workspace_id: uuid.UUID, article_id: uuid.UUID) -> KbArticle:
    article = await session.scalar(
        select(KbArticle).where(KbArticle.id == article_id, KbArticle.workspace_id == workspace_id)
    )
    if article is None:
        raise NotFound("article")
    return article


async def to_out_many(session: AsyncSession, articles: Sequence[KbArticle]) -> list[ArticleOut]:
    if not articles:
        return []
    workspace_id = articles[0].workspace_id
    site = await get_site(session, workspace_id=workspace_id)
    category_ids = {a.category_id for a in articles if a.category_id}
    slugs = (
        dict(
            (
                await session.execute(
                    select(KbCategory.id, KbCategory.slug).where(KbCategory.id.in_(category_ids))
                )
            ).all()
        )
        if category_ids
        else {}
    )
    variants: dict[uuid.UUID, list[VariantSummary]] = {a.id: [] for a in articles}
    for v in await session.scalars(
        select(KbArticle).where(KbArticle.master_id.in_(list(variants))).order_by(KbArticle.locale)
    ):
        assert v.master_id is not None
        variants[v.master_id].append(
            VariantSummary(id=str(v.id), locale=v.locale, status=v.status, outdated=v.outdated)
        )
    return [
        ArticleOut(
            id=str(a.id),
            title=a.title,
            body=a.body,
            body_html=a.body_html,
            locale=a.locale,
            category=slugs.get(a.category_id) if a.category_id else None,
            status=a.status,
            master_id=str(a.master_id) if a.master_id else None,
            slug=a.slug,
            version=a.version,
            outdated=a.outdated,
            variants=variants[a.id],
            author_id=str(a.author_id) if a.author_id else None,
            reviewer_id=str(a.reviewer_id) if a.reviewer_id else None,
            published_at=a.published_at,
            helpful_yes=a.helpful_yes,
            helpful_no=a.helpful_no,
            url=article_url(site, a) if a.status == "published" else None,
            created_at=a.created_at,
            updated_at=a.updated_at,
        )
        for a in articles
    ]


def article_url(site: KbSite, article: KbArticle) -> str:
    return help_url(site, article.locale, f"/articles/{article.slug}")


async def list_articles(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    status: str | None = None,
    locale: str | None = None,
    category: str | None = None,
    master_id: uuid.UUID | None = None,
    outdated: bool | None = None,
    limit: int = 100,
) -> list[KbArticle]:
    stmt = select(KbArticle).where(KbArticle.workspace_id == workspace_id)
    if status:
        stmt = stmt.where(KbArticle.status == status)
    if locale:
        stmt = stmt.where(KbArticle.locale == locale)
    if category:
        stmt = stmt.join(KbCategory, KbCategory.id == KbArticle.category_id).where(
            KbCategory.slug == category
        )
    if master_id:
        stmt = stmt.where(KbArticle.master_id == master_id)
    if outdated is not None:
        stmt = stmt.where(KbArticle.outdated.is_(outdated))
    stmt = stmt.order_by(KbArticle.updated_at.desc(), KbArticle.id.desc()).limit(limit)
    return list(await session.scalars(stmt))


async def _category_id(session: AsyncSession, workspace_id: uuid.UUID, slug: str | None) -> uuid.UUID | None:
    if not slug:
        return None
    category = await category_by_slug(session, workspace_id=workspace_id, slug=slug)
    if category is None:
        raise _invalid("/category", f"no category with slug {slug!r} (create it with POST /kb/categories)")
    return category.id


def _check_may_publish(principal: Principal) -> None:
    if not principal.can("kb.publish"):
        raise Forbidden("publishing needs a reviewer: a supervisor or an admin")


async def _after_change(session: AsyncSession, article: KbArticle, event: str, fields: Sequence[str]) -> None:
    """Mark the index stale, queue the re-index and announce the change, in this transaction."""
    from meridian.kb.tasks import reindex_article_job

    article.indexed_version = 0
    await _commit(session, flush_only=True)
    # One job per change (no queueing lock): a duplicate run finds nothing to do, and the
    # lock keeps two runs for one article from overlapping.
    await defer_in_transaction(
        session, reindex_article_job, lock=f"kb-reindex-{article.id}", article_id=str(article.id)
    )
    await publish(
        session,
        workspace_id=article.workspace_id,
        type=event,
        payload={
            "article_id": str(article.id),
            "master_id": str(article.master_id) if article.master_id else None,
            "locale": article.locale,
            "status": article.status,
            "version": article.version,
            "fields": sorted(fields),
        },
    )


async def _commit(session: AsyncSession, *, flush_only: bool = False) -> None:
    try:
        await (session.flush() if flush_only else session.commit())
    except IntegrityError as exc:
        await session.rollback()
        detail = str(exc.orig)
        if "master_id_locale" in detail:
            raise _invalid("/locale", "the master already has a variant in this locale", 409) from None
        raise _invalid("/slug", "another article in this locale has this slug", 409) from None


async def create_article(*, session: AsyncSession, principal: Principal, data: ArticleCreate) -> ArticleOut:
    if data.status == "published":
        _check_may_publish(principal)
    workspace = await session.get(Workspace, principal.workspace_id)
    assert workspace is not None
    locale = data.locale or workspace.default_locale
    master: KbArticle | None = None
    if data.master_id is not None:
        master = await session.scalar(
            select(KbArticle).where(
                KbArticle.id == data.master_id, KbArticle.workspace_id == principal.workspace_id
            )
        )
        if master is None:
            raise _invalid("/master_id", "no such article in this workspace")
        if master.master_id is not None:
            raise _invalid("/master_id", "that article is itself a variant; use its master")
        if master.locale == locale:
            raise _invalid("/locale", "a variant needs a locale other than its master's", 409)
    category_id = await _category_id(session, principal.workspace_id, data.category)
    now = utcnow()
    article = KbArticle(
        workspace_id=principal.workspace_id,
        master_id=master.id if master else None,
        category_id=category_id if category_id or master is None else master.category_id,
        slug=data.slug or (master.slug if master else slugify(data.title)),
        locale=locale,
        title=data.title,
        body=data.body,
        body_html=render_html(data.body),
        status=data.status,
        version=1,
        outdated=False,
        master_version=master.version if master else None,
        author_id=principal.agent_id,
        reviewer_id=principal.agent_id if data.status == "published" else None,
        published_at=now if data.status == "published" else None,
        indexed_version=0,
        helpful_yes=0,
        helpful_no=0,
    )
    session.add(article)
    await _commit(session, flush_only=True)
    session.add(
        KbArticleVersion(
            workspace_id=article.workspace_id,
            article_id=article.id,
            number=1,
            title=article.title,
            body=article.body,
            author_id=principal.agent_id,
        )
    )
    await _after_change(session, article, "kb.article.created", ["title", "body", "status"])
    await _commit(session)
    return (await to_out_many(session, [article]))[0]


async def update_article(
    *, session: AsyncSession, principal: Principal, article_id: uuid.UUID, data: ArticleUpdate
) -> ArticleOut:
    article = await get_article(session, workspace_id=principal.workspace_id, article_id=article_id)
    changes = data.model_dump(exclude_unset=True)
    content_changed = (data.title is not None and data.title != article.title) or (
        data.body is not None and data.body != article.body
    )
    if data.status == "published" and article.status != "published":
        _check_may_publish(principal)
        article.reviewer_id = principal.agent_id
        article.published_at = utcnow()
    elif article.status == "published" and data.status in ("draft", "in_review"):
        # Taking an article down is a reviewer's call too.
        _check_may_publish(principal)
    if data.status is not None:
        article.status = data.status
    if "category" in changes:
        article.category_id = await _category_id(session, principal.workspace_id, data.category)
    if data.slug is not None:
        article.slug = data.slug
    if data.locale is not None and data.locale != article.locale:
        article.locale = data.locale
    if content_changed:
        article.title = data.title if data.title is not None else article.title
        article.body = data.body if data.body is not None else article.body
        article.body_html = render_html(article.body)
        article.version += 1
        session.add(
            KbArticleVersion(
                workspace_id=article.workspace_id,
                article_id=article.id,
                number=article.version,
                title=article.title,
                body=article.body,
                author_id=principal.agent_id,
            )
        )
    master = await session.get(KbArticle, article.master_id) if article.master_id else None
    if master is not None and (content_changed or data.outdated is False):
        # The translator brought the variant up to the master as it is now.
        article.outdated = False
        article.master_version = master.version
    if master is None and content_changed:
        await session.execute(
            update(KbArticle)
            .where(KbArticle.master_id == article.id, KbArticle.workspace_id == article.workspace_id)
            .values(outdated=True)
        )
    article.updated_at = utcnow()
    await _after_change(session, article, "kb.article.updated", list(changes))
    await _commit(session)
    await session.refresh(article)
    return (await to_out_many(session, [article]))[0]


async def list_versions(
    session: AsyncSession, *, workspace_id: uuid.UUID, article_id: uuid.UUID
) -> list[KbArticleVersion]:
    article = await get_article(session, workspace_id=workspace_id, article_id=article_id)
    rows = await session.scalars(
        select(KbArticleVersion)
        .where(KbArticleVersion.article_id == article.id)
        .order_by(KbArticleVersion.number.desc())
    )
    return list(rows)


async def diff_versions(
    session: AsyncSession, *, workspace_id: uuid.UUID, article_id: uuid.UUID, number: int, against: int | None
) -> VersionDiff:
    """What changed from version ``against`` (default: the one before) to ``number``."""
    await get_article(session, workspace_id=workspace_id, article_id=article_id)
    base = number - 1 if against is None else against
    rows = {
        v.number: v
        for v in await session.scalars(
            select(KbArticleVersion).where(
                KbArticleVersion.article_id == article_id, KbArticleVersion.number.in_([number, base])
            )
        )
    }
    if number not in rows:
        raise NotFound("version")
    old = rows.get(base)
    if old is None and base != 0:
        raise NotFound("version")
    new = rows[number]

    def lines(v: KbArticleVersion | None) -> list[str]:
        return [] if v is None else [f"# {v.title}\n", "\n", *(line + "\n" for line in v.body.splitlines())]

    diff = difflib.unified_diff(lines(old), lines(new), fromfile=f"v{base}", tofile=f"v{number}")
    return VersionDiff(article_id=str(article_id), from_version=base, to_version=number, diff="".join(diff))
