"""Categories and the help-center site: the parts of the knowledge base around articles."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.config import get_settings
from meridian.core.errors import NotFound, ProblemError
from meridian.core.ids import parse_id
from meridian.kb.models import KbCategory, KbSite
from meridian.kb.render import slugify
from meridian.kb.schemas import CategoryCreate, CategoryOut, CategoryUpdate, SiteOut, SiteUpdate
from meridian.workspaces.models import Workspace


def category_out(category: KbCategory) -> CategoryOut:
    return CategoryOut(
        id=str(category.id),
        slug=category.slug,
        name=category.name,
        names=dict(category.names),
        position=category.position,
    )


async def list_categories(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[KbCategory]:
    rows = await session.scalars(
        select(KbCategory)
        .where(KbCategory.workspace_id == workspace_id)
        .order_by(KbCategory.position, KbCategory.name)
    )
    return list(rows)


async def category_by_slug(session: AsyncSession, *, workspace_id: uuid.UUID, slug: str) -> KbCategory | None:
    return await session.scalar(
        select(KbCategory).where(KbCategory.workspace_id == workspace_id, KbCategory.slug == slug)
    )


async def create_category(
    *, session: AsyncSession, principal: Principal, data: CategoryCreate
) -> CategoryOut:
    category = KbCategory(
        workspace_id=principal.workspace_id,
        slug=data.slug or slugify(data.name),
        name=data.name,
        names=dict(data.names),
        position=data.position,
    )
    session.add(category)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise ProblemError(
            409,
            f"a category with slug {category.slug!r} already exists",
            errors=[{"pointer": "/slug", "message": "already taken"}],
        ) from None
    return category_out(category)


async def update_category(
    *, session: AsyncSession, principal: Principal, category_id: uuid.UUID, data: CategoryUpdate
) -> CategoryOut:
    category = await session.scalar(
        select(KbCategory).where(
            KbCategory.id == category_id, KbCategory.workspace_id == principal.workspace_id
        )
    )
    if category is None:
        raise NotFound("category")
    if data.name is not None:
        category.name = data.name
    if data.names is not None:
        category.names = dict(data.names)
    if data.position is not None:
        category.position = data.position
    await session.commit()
    return category_out(category)


async def get_site(session: AsyncSession, *, workspace_id: uuid.UUID) -> KbSite:
    """The workspace's site settings (defaults until an admin saves some)."""
    site = await session.get(KbSite, workspace_id)
    if site is None:
        workspace = await session.get(Workspace, workspace_id)
        locale = workspace.default_locale if workspace else "en"
        site = KbSite(workspace_id=workspace_id, slug=None, title=None, default_locale=locale)
    return site


def site_key(site: KbSite) -> str:
    return site.slug or str(site.workspace_id)


def help_url(site: KbSite, locale: str | None = None, path: str = "") -> str:
    base = get_settings().public_url.rstrip("/")
    url = f"{base}/help/{site_key(site)}"
    return f"{url}/{locale}{path}" if locale else url


def site_out(site: KbSite) -> SiteOut:
    return SiteOut(slug=site.slug, title=site.title, default_locale=site.default_locale, url=help_url(site))


async def update_site(*, session: AsyncSession, principal: Principal, data: SiteUpdate) -> SiteOut:
    site = await session.get(KbSite, principal.workspace_id)
    if site is None:
        site = await get_site(session, workspace_id=principal.workspace_id)
        session.add(site)
    changes = data.model_dump(exclude_unset=True)
    if "slug" in changes:
        site.slug = data.slug
    if "title" in changes:
        site.title = data.title
    if data.default_locale is not None:
        site.default_locale = data.default_locale
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise ProblemError(
            409, "that help-center slug is taken", errors=[{"pointer": "/slug", "message": "already taken"}]
        ) from None
    return site_out(site)


async def resolve_site(session: AsyncSession, key: str) -> KbSite | None:
    """A public URL's ``{workspace_slug_or_id}``."""
    site = await session.scalar(select(KbSite).where(KbSite.slug == key))
    if site is not None:
        return site
    workspace_id = parse_id(key)
    if workspace_id is None or await session.get(Workspace, workspace_id) is None:
        return None
    return await get_site(session, workspace_id=workspace_id)
