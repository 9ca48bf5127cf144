"""The knowledge-base editor in the console: list, edit, review, versions, drafts from replies.

Every write goes through ``meridian.kb.service`` (the same actions as the API), so the
review rules live in one place: anyone may draft and submit, only a supervisor or an
admin approves, publishes or takes an article down.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.console.deps import KbEditPage, PagePrincipal
from meridian.console.i18n import N_
from meridian.console.render import render
from meridian.core.errors import NotFound, ProblemError
from meridian.core.ids import parse_id
from meridian.kb import assets, drafts, service, sites
from meridian.kb.models import ARTICLE_STATUSES
from meridian.kb.render import render_html
from meridian.kb.schemas import ArticleCreate, ArticleOut, ArticleUpdate, DraftFromMessage

router = APIRouter(prefix="/kb", include_in_schema=False)

ARTICLE_STATUS_LABELS = {
    "draft": N_("Draft"),
    "in_review": N_("In review"),
    "published": N_("Published"),
}
# Editor buttons: the status each one moves the article to (None: keep it).
ACTIONS: dict[str, str | None] = {
    "save": None,
    "submit": "in_review",
    "approve": "published",
    "reject": "draft",
    "unpublish": "draft",
}


def _may_publish(principal: Principal) -> bool:
    return principal.can("kb.publish")


def _blank(value: str) -> str | None:
    return value.strip() or None


def _not_found(request: Request, principal: Principal) -> Response:
    return render(request, "error.html", principal=principal, status_code=404, error="not_found")


def _problem_text(exc: ValidationError | ProblemError) -> str:
    if isinstance(exc, ProblemError):
        return exc.detail
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" if e["loc"] else e["msg"] for e in exc.errors()
    )


async def _editor(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    article: ArticleOut | None,
    form: dict[str, Any],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {"versions": [], "master": None}
    if article is not None:
        ident = uuid.UUID(article.id)
        context["versions"] = await service.list_versions(
            session, workspace_id=principal.workspace_id, article_id=ident
        )
        if article.master_id:
            master = await service.get_article(
                session, workspace_id=principal.workspace_id, article_id=uuid.UUID(article.master_id)
            )
            context["master"] = master
    return render(
        request,
        "kb_edit.html",
        principal=principal,
        status_code=status_code,
        article=article,
        form=form,
        error=error,
        categories=await sites.list_categories(session, workspace_id=principal.workspace_id),
        may_publish=_may_publish(principal),
        preview_html=render_html(form.get("body", "")),
        ARTICLE_STATUS_LABELS=ARTICLE_STATUS_LABELS,
        image_megabytes=assets.MAX_IMAGE_BYTES // (1024 * 1024),
        **context,
    )


@router.get("", response_class=HTMLResponse)
async def article_list(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    status: str = "",
    locale: str = "",
    category: str = "",
    outdated: str = "",
) -> Response:
    rows = await service.list_articles(
        session,
        workspace_id=principal.workspace_id,
        status=status if status in ARTICLE_STATUSES else None,
        locale=_blank(locale),
        category=_blank(category),
        outdated=True if outdated == "1" else None,
        limit=200,
    )
    articles = await service.to_out_many(session, rows)
    return render(
        request,
        "kb_list.html",
        principal=principal,
        articles=articles,
        categories=await sites.list_categories(session, workspace_id=principal.workspace_id),
        filters={"status": status, "locale": locale.strip(), "category": category, "outdated": outdated},
        statuses=ARTICLE_STATUSES,
        ARTICLE_STATUS_LABELS=ARTICLE_STATUS_LABELS,
    )


@router.get("/new", response_class=HTMLResponse)
async def new_article(
    request: Request, principal: PagePrincipal, session: Session, master_id: str = ""
) -> Response:
    form: dict[str, Any] = {
        "title": "",
        "body": "",
        "locale": "",
        "category": "",
        "slug": "",
        "master_id": "",
    }
    if master_id:
        ident = parse_id(master_id)
        if ident is None:
            return _not_found(request, principal)
        try:
            master = await service.get_article(session, workspace_id=principal.workspace_id, article_id=ident)
        except NotFound:
            return _not_found(request, principal)
        # A translator starts from the master's text.
        form.update(title=master.title, body=master.body, master_id=str(master.id))
    return await _editor(request, principal, session, article=None, form=form)


@router.post("/new", response_class=HTMLResponse)
async def create_article(
    request: Request,
    principal: KbEditPage,
    session: Session,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    locale: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    slug: Annotated[str, Form()] = "",
    master_id: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "save",
) -> Response:
    form = {
        "title": title,
        "body": body,
        "locale": locale,
        "category": category,
        "slug": slug,
        "master_id": master_id,
    }
    try:
        data = ArticleCreate(
            title=title.strip(),
            body=body,
            locale=_blank(locale),
            category=_blank(category),
            slug=_blank(slug),
            master_id=_blank(master_id),
            status="in_review" if action == "submit" else "draft",
        )
        out = await service.create_article(session=session, principal=principal, data=data)
    except (ValidationError, ProblemError) as exc:
        await session.rollback()
        return await _editor(
            request, principal, session, article=None, form=form, error=_problem_text(exc), status_code=422
        )
    return RedirectResponse(f"/kb/articles/{out.id}?notice=saved", status_code=303)


async def _load(session: Session, principal: Principal, article_id: str) -> ArticleOut | None:
    ident = parse_id(article_id)
    if ident is None:
        return None
    try:
        article = await service.get_article(session, workspace_id=principal.workspace_id, article_id=ident)
    except NotFound:
        return None
    return (await service.to_out_many(session, [article]))[0]


def _form_of(article: ArticleOut) -> dict[str, Any]:
    return {
        "title": article.title,
        "body": article.body,
        "locale": article.locale,
        "category": article.category or "",
        "slug": article.slug,
        "master_id": article.master_id or "",
    }


@router.get("/articles/{article_id}", response_class=HTMLResponse)
async def edit_article(
    request: Request, principal: PagePrincipal, session: Session, article_id: str
) -> Response:
    article = await _load(session, principal, article_id)
    if article is None:
        return _not_found(request, principal)
    return await _editor(request, principal, session, article=article, form=_form_of(article))


@router.post("/articles/{article_id}", response_class=HTMLResponse)
async def save_article(
    request: Request,
    principal: KbEditPage,
    session: Session,
    article_id: str,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    slug: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "save",
) -> Response:
    article = await _load(session, principal, article_id)
    if article is None:
        return _not_found(request, principal)
    form = {**_form_of(article), "title": title, "body": body, "category": category, "slug": slug}
    if action not in ACTIONS and action != "mark_current":
        return await _editor(
            request, principal, session, article=article, form=form, error=action, status_code=422
        )
    try:
        changes: dict[str, Any] = {
            "title": title.strip(),
            "body": body,
            "category": _blank(category),
            "slug": _blank(slug) or article.slug,
        }
        target = ACTIONS.get(action)
        if target is not None:
            changes["status"] = target
        if action == "mark_current":
            changes["outdated"] = False
        data = ArticleUpdate(**changes)
        await service.update_article(
            session=session, principal=principal, article_id=uuid.UUID(article.id), data=data
        )
    except (ValidationError, ProblemError) as exc:
        await session.rollback()
        status_code = exc.status if isinstance(exc, ProblemError) else 422
        return await _editor(
            request,
            principal,
            session,
            article=article,
            form=form,
            error=_problem_text(exc),
            status_code=status_code,
        )
    return RedirectResponse(f"/kb/articles/{article.id}?notice=saved", status_code=303)


@router.post("/preview", response_class=HTMLResponse)
async def preview(request: Request, principal: PagePrincipal, body: Annotated[str, Form()] = "") -> Response:
    """The editor's live preview: the help center's own renderer and sanitizer."""
    return render(request, "_kb_preview.html", principal=principal, preview_html=render_html(body))


# The editor's words for the upload refusals of ``kb.assets.upload_image`` (by status).
UPLOAD_ERRORS = {
    413: N_("The image is larger than %(megabytes)s MB."),
    415: N_("Only PNG, JPEG, GIF and WebP images can be added."),
    422: N_("Choose an image file first."),
}


@router.post("/assets", response_class=HTMLResponse)
async def upload_image(
    request: Request,
    principal: KbEditPage,
    session: Session,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """An image for the article; the fragment carries the Markdown the editor inserts."""
    status = 422
    if file is not None:
        data = await file.read(assets.MAX_IMAGE_BYTES + 1)
        try:
            uploaded = await assets.upload_image(
                session=session, principal=principal, filename=file.filename or "image", data=data
            )
        except ProblemError as exc:
            await session.rollback()
            status = exc.status
        else:
            return render(request, "_kb_asset.html", principal=principal, uploaded=uploaded, error=None)
    return render(
        request,
        "_kb_asset.html",
        principal=principal,
        status_code=status,
        uploaded=None,
        error=UPLOAD_ERRORS.get(status, UPLOAD_ERRORS[422]),
        megabytes=assets.MAX_IMAGE_BYTES // (1024 * 1024),
    )


@router.get("/articles/{article_id}/versions/{number}", response_class=HTMLResponse)
async def version_diff(
    request: Request, principal: PagePrincipal, session: Session, article_id: str, number: int
) -> Response:
    article = await _load(session, principal, article_id)
    if article is None:
        return _not_found(request, principal)
    try:
        diff = await service.diff_versions(
            session,
            workspace_id=principal.workspace_id,
            article_id=uuid.UUID(article.id),
            number=number,
            against=None,
        )
    except NotFound:
        return _not_found(request, principal)
    # The header lines (---, +++) name the versions; the page says that in words.
    lines = [line for line in diff.diff.splitlines() if not line.startswith(("---", "+++"))]
    return render(request, "kb_diff.html", principal=principal, article=article, diff=diff, lines=lines)


@router.post("/from-message/{message_id}", response_class=HTMLResponse)
async def from_message(
    request: Request,
    principal: KbEditPage,
    session: Session,
    message_id: str,
    title: Annotated[str, Form()] = "",
) -> Response:
    """Turn an agent's reply into a draft article in the reply's language."""
    ident = parse_id(message_id)
    if ident is None:
        return _not_found(request, principal)
    try:
        data = DraftFromMessage(message_id=ident, title=title.strip())
        out = await drafts.draft_from_message(session=session, principal=principal, data=data)
    except NotFound:
        return _not_found(request, principal)
    except (ValidationError, ProblemError) as exc:
        await session.rollback()
        return render(
            request,
            "kb_draft_error.html",
            principal=principal,
            status_code=exc.status if isinstance(exc, ProblemError) else 422,
            error=_problem_text(exc),
        )
    return RedirectResponse(f"/kb/articles/{out.id}?notice=saved", status_code=303)
