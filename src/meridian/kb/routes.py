from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, UploadFile

from meridian.auth.deps import (
    CurrentPrincipal,
    KbEditPrincipal,
    KbManagePrincipal,
    Session,
    SettingsPrincipal,
)
from meridian.core.errors import path_id
from meridian.kb import assets, drafts, service, sites
from meridian.kb.index import vectors_enabled
from meridian.kb.schemas import (
    ArticleCreate,
    ArticleList,
    ArticleOut,
    ArticleUpdate,
    AssetOut,
    CategoryCreate,
    CategoryList,
    CategoryOut,
    CategoryUpdate,
    DraftFromMessage,
    SearchItem,
    SearchResult,
    SiteOut,
    SiteUpdate,
    VersionDiff,
    VersionList,
    VersionOut,
)
from meridian.kb.search import search as run_search

router = APIRouter(prefix="/kb", tags=["knowledge base"])


@router.post("/articles", response_model=ArticleOut, status_code=201)
async def create_article(data: ArticleCreate, principal: KbEditPrincipal, session: Session) -> ArticleOut:
    return await service.create_article(session=session, principal=principal, data=data)


@router.post("/articles/from-message", response_model=ArticleOut, status_code=201)
async def draft_from_message(
    data: DraftFromMessage, principal: KbEditPrincipal, session: Session
) -> ArticleOut:
    return await drafts.draft_from_message(session=session, principal=principal, data=data)


@router.get("/articles", response_model=ArticleList)
async def list_articles(
    principal: CurrentPrincipal,
    session: Session,
    status: Literal["draft", "in_review", "published"] | None = None,
    locale: str | None = None,
    category: str | None = None,
    master_id: str | None = None,
    outdated: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ArticleList:
    rows = await service.list_articles(
        session,
        workspace_id=principal.workspace_id,
        status=status,
        locale=locale,
        category=category,
        master_id=path_id(master_id, "article") if master_id else None,
        outdated=outdated,
        limit=limit,
    )
    return ArticleList(items=await service.to_out_many(session, rows))


@router.get("/articles/{article_id}", response_model=ArticleOut)
async def get_article(article_id: str, principal: CurrentPrincipal, session: Session) -> ArticleOut:
    article = await service.get_article(
        session, workspace_id=principal.workspace_id, article_id=path_id(article_id, "article")
    )
    return (await service.to_out_many(session, [article]))[0]


@router.patch("/articles/{article_id}", response_model=ArticleOut)
async def update_article(
    article_id: str, data: ArticleUpdate, principal: KbEditPrincipal, session: Session
) -> ArticleOut:
    return await service.update_article(
        session=session, principal=principal, article_id=path_id(article_id, "article"), data=data
    )


@router.get("/articles/{article_id}/versions", response_model=VersionList)
async def list_versions(article_id: str, principal: CurrentPrincipal, session: Session) -> VersionList:
    rows = await service.list_versions(
        session, workspace_id=principal.workspace_id, article_id=path_id(article_id, "article")
    )
    return VersionList(
        items=[
            VersionOut(
                number=v.number,
                title=v.title,
                author_id=str(v.author_id) if v.author_id else None,
                created_at=v.created_at,
            )
            for v in rows
        ]
    )


@router.get("/articles/{article_id}/versions/{number}/diff", response_model=VersionDiff)
async def diff_version(
    article_id: str,
    number: int,
    principal: CurrentPrincipal,
    session: Session,
    against: Annotated[int | None, Query(ge=0)] = None,
) -> VersionDiff:
    return await service.diff_versions(
        session,
        workspace_id=principal.workspace_id,
        article_id=path_id(article_id, "article"),
        number=number,
        against=against,
    )


@router.get("/categories", response_model=CategoryList)
async def list_categories(principal: CurrentPrincipal, session: Session) -> CategoryList:
    rows = await sites.list_categories(session, workspace_id=principal.workspace_id)
    return CategoryList(items=[sites.category_out(c) for c in rows])


@router.post("/categories", response_model=CategoryOut, status_code=201)
async def create_category(
    data: CategoryCreate, principal: KbManagePrincipal, session: Session
) -> CategoryOut:
    return await sites.create_category(session=session, principal=principal, data=data)


@router.patch("/categories/{category_id}", response_model=CategoryOut)
async def update_category(
    category_id: str, data: CategoryUpdate, principal: KbManagePrincipal, session: Session
) -> CategoryOut:
    return await sites.update_category(
        session=session, principal=principal, category_id=path_id(category_id, "category"), data=data
    )


@router.get("/site", response_model=SiteOut)
async def get_site(principal: CurrentPrincipal, session: Session) -> SiteOut:
    return sites.site_out(await sites.get_site(session, workspace_id=principal.workspace_id))


@router.put("/site", response_model=SiteOut)
async def update_site(data: SiteUpdate, principal: SettingsPrincipal, session: Session) -> SiteOut:
    return await sites.update_site(session=session, principal=principal, data=data)


@router.get("/search", response_model=SearchResult)
async def search(
    principal: CurrentPrincipal,
    session: Session,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    locale: str | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchResult:
    hits = await run_search(session, workspace_id=principal.workspace_id, query=q, locale=locale, limit=limit)
    site = await sites.get_site(session, workspace_id=principal.workspace_id)
    return SearchResult(
        items=[
            SearchItem(
                article_id=str(h.article_id),
                title=h.title,
                locale=h.locale,
                score=h.score,
                snippet=h.snippet,
                slug=h.slug,
                url=sites.help_url(site, h.locale, f"/articles/{h.slug}"),
                similarity=round(h.similarity, 4) if h.similarity is not None else None,
            )
            for h in hits
        ],
        mode="hybrid" if await vectors_enabled(session) else "full_text",
    )


@router.post("/assets", response_model=AssetOut, status_code=201)
async def upload_asset(
    principal: KbEditPrincipal, session: Session, file: Annotated[UploadFile, File()]
) -> AssetOut:
    """An image for articles (multipart field ``file``); the response has its Markdown."""
    # The body-size middleware already capped the request; read one byte past the image
    # limit so an oversized file is refused without buffering more of it.
    data = await file.read(assets.MAX_IMAGE_BYTES + 1)
    uploaded = await assets.upload_image(
        session=session, principal=principal, filename=file.filename or "image", data=data
    )
    return asset_out(uploaded)


def asset_out(uploaded: assets.Uploaded) -> AssetOut:
    row = uploaded.asset
    return AssetOut(
        id=str(row.id),
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        url=uploaded.url,
        markdown=uploaded.markdown,
    )
