"""The public help center: ``/help/{workspace_slug_or_id}/{locale}/...``, no sign-in."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from meridian.attachments.routes import content_disposition
from meridian.auth.deps import Session
from meridian.core.errors import NotFound
from meridian.core.ids import parse_id
from meridian.kb import public
from meridian.kb.assets import read_asset
from meridian.kb.help_render import render_page
from meridian.kb.models import KbArticle, KbSite
from meridian.kb.search import search
from meridian.kb.sites import help_url, resolve_site
from meridian.languages.tags import normalize_language_tag

router = APIRouter(prefix="/help", tags=["help center"], include_in_schema=False)
LOCALE_COOKIE = "meridian_help_locale"


async def _site(session: Session, key: str) -> KbSite:
    site = await resolve_site(session, key)
    if site is None:
        raise NotFound("help center")
    return site


async def _page_locale(session: Session, site: KbSite, locale: str) -> tuple[str, list[str]] | str:
    """The locale and the site's locales, or the canonical spelling to redirect to."""
    try:
        normalized = normalize_language_tag(locale)
    except ValueError:
        raise NotFound("page") from None
    if normalized != locale:
        return normalized
    return normalized, await public.site_locales(session, site)


def _base(site: KbSite, locale: str, available: list[str], path: str) -> dict[str, Any]:
    return {
        "site": site,
        "site_title": site.title,
        "home_url": help_url(site, locale),
        "search_url": help_url(site, locale, "/search"),
        "switch": [(code, help_url(site, code, path)) for code in available],
    }


def _remember(response: Response, locale: str) -> Response:
    response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


# Declared before the site routes: ``assets`` is reserved as a site slug (kb/schemas.py).
@router.get("/assets/{asset_id}/{filename}")
async def asset(asset_id: str, filename: str, session: Session) -> Response:
    """An article image. The name in the URL is for people; the id alone finds it."""
    ident = parse_id(asset_id)
    found = await read_asset(session, asset_id=ident) if ident is not None else None
    if found is None:
        raise NotFound("image")
    return Response(
        content=found.data,
        # Sniffed at upload; nosniff and the sandbox keep the browser from reading it as
        # anything else, and the bytes never change for an id, hence immutable.
        media_type=found.content_type,
        headers={
            "Content-Disposition": content_disposition("inline", found.filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "public, max-age=31536000, immutable",
        },
    )


@router.get("/{site_key_}")
async def entry(site_key_: str, request: Request, session: Session) -> RedirectResponse:
    """Send the visitor to their language: the one they picked before, else the browser's."""
    site = await _site(session, site_key_)
    available = await public.site_locales(session, site)
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen not in available:
        chosen = public.negotiate_locale(
            request.headers.get("accept-language", ""), available, site.default_locale
        )
    response = RedirectResponse(help_url(site, chosen), status_code=302)
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


@router.get("/{site_key_}/{locale}", response_class=HTMLResponse)
async def home(site_key_: str, locale: str, session: Session) -> Response:
    site = await _site(session, site_key_)
    resolved = await _page_locale(session, site, locale)
    if isinstance(resolved, str):
        return RedirectResponse(help_url(site, resolved), status_code=301)
    locale, available = resolved
    families = public.by_family(await public.published(session, site.workspace_id))
    shown = [s for s in (public.pick(arts, locale, site.default_locale) for arts in families.values()) if s]
    sections = []
    for category in await public.categories(session, site.workspace_id):
        items = [s for s in shown if s.article.category_id == category.id]
        if items:
            sections.append((category, public.category_name(category, locale), items))
    loose = [s for s in shown if s.article.category_id is None]
    page = render_page(
        "help/home.html",
        locale=locale,
        sections=sections,
        loose=loose,
        article_url=lambda a: help_url(site, locale, f"/articles/{a.slug}"),
        category_url=lambda c: help_url(site, locale, f"/categories/{c.slug}"),
        **_base(site, locale, available, ""),
    )
    return _remember(page, locale)


@router.get("/{site_key_}/{locale}/categories/{slug}", response_class=HTMLResponse)
async def category(site_key_: str, locale: str, slug: str, session: Session) -> Response:
    site = await _site(session, site_key_)
    resolved = await _page_locale(session, site, locale)
    if isinstance(resolved, str):
        return RedirectResponse(help_url(site, resolved, f"/categories/{slug}"), status_code=301)
    locale, available = resolved
    found = next((c for c in await public.categories(session, site.workspace_id) if c.slug == slug), None)
    if found is None:
        raise NotFound("category")
    families = public.by_family(
        [a for a in await public.published(session, site.workspace_id) if a.category_id == found.id]
    )
    shown = [s for s in (public.pick(arts, locale, site.default_locale) for arts in families.values()) if s]
    return render_page(
        "help/category.html",
        locale=locale,
        category_name=public.category_name(found, locale),
        items=shown,
        article_url=lambda a: help_url(site, locale, f"/articles/{a.slug}"),
        **_base(site, locale, available, f"/categories/{slug}"),
    )


async def _family_for_slug(session: Session, site: KbSite, locale: str, slug: str) -> list[KbArticle]:
    rows = list(
        await session.scalars(
            select(KbArticle).where(
                KbArticle.workspace_id == site.workspace_id,
                KbArticle.slug == slug,
                KbArticle.status == "published",
            )
        )
    )
    if not rows:
        return []
    exact = next((a for a in rows if a.locale == locale), rows[0])
    family = public.family_of(exact)
    members = await session.scalars(
        select(KbArticle).where(
            KbArticle.status == "published", (KbArticle.id == family) | (KbArticle.master_id == family)
        )
    )
    return list(members)


@router.get("/{site_key_}/{locale}/articles/{slug}", response_class=HTMLResponse)
async def article(
    site_key_: str, locale: str, slug: str, session: Session, voted: str | None = None
) -> Response:
    site = await _site(session, site_key_)
    resolved = await _page_locale(session, site, locale)
    if isinstance(resolved, str):
        return RedirectResponse(help_url(site, resolved, f"/articles/{slug}"), status_code=301)
    locale, available = resolved
    family = await _family_for_slug(session, site, locale, slug)
    shown = public.pick(family, locale, site.default_locale)
    if shown is None:
        raise NotFound("article")
    master = next((a for a in family if a.master_id is None), shown.article)
    alternates = [(a.locale, help_url(site, a.locale, f"/articles/{a.slug}")) for a in family]
    return render_page(
        "help/article.html",
        locale=locale,
        article=shown.article,
        in_locale=shown.in_locale,
        alternates=alternates,
        x_default=help_url(site, master.locale, f"/articles/{master.slug}"),
        canonical=help_url(site, shown.article.locale, f"/articles/{shown.article.slug}"),
        vote_url=help_url(site, locale, f"/articles/{slug}/vote"),
        voted=voted,
        **_base(site, locale, available, f"/articles/{slug}"),
    )


@router.post("/{site_key_}/{locale}/articles/{slug}/vote")
async def vote(
    site_key_: str,
    locale: str,
    slug: str,
    request: Request,
    session: Session,
    helpful: Annotated[str, Form(pattern="^(yes|no)$")],
) -> RedirectResponse:
    site = await _site(session, site_key_)
    family = await _family_for_slug(session, site, locale, slug)
    shown = public.pick(family, locale, site.default_locale)
    if shown is None:
        raise NotFound("article")
    address = request.client.host if request.client else ""
    voter = public.voter_key(shown.article.id, address, request.headers.get("user-agent", ""))
    await public.record_vote(session, article=shown.article, helpful=helpful == "yes", voter=voter)
    return RedirectResponse(help_url(site, locale, f"/articles/{slug}?voted={helpful}"), status_code=303)


@router.get("/{site_key_}/{locale}/search", response_class=HTMLResponse)
async def search_page(
    site_key_: str,
    locale: str,
    session: Session,
    q: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    site = await _site(session, site_key_)
    resolved = await _page_locale(session, site, locale)
    if isinstance(resolved, str):
        return RedirectResponse(help_url(site, resolved, "/search"), status_code=301)
    locale, available = resolved
    hits = await search(session, workspace_id=site.workspace_id, query=q, locale=locale) if q.strip() else []
    return render_page(
        "help/search.html",
        locale=locale,
        q=q,
        hits=hits,
        result_url=lambda h: help_url(site, locale, f"/articles/{h.slug}"),
        **_base(site, locale, available, "/search"),
    )
