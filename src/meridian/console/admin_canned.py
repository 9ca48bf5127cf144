"""Admin: canned responses with one variant per locale, and a preview of each variant.

The preview fills the variables with a sample customer so an admin sees the numbers
and dates formatted for that variant's locale before an agent ever sends it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import TemplateError
from pydantic import ValidationError
from starlette.datastructures import FormData

from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.canned.render import babel_locale, render_template
from meridian.canned.schemas import CannedCreate, CannedOut
from meridian.canned.service import create_canned, get_canned, list_canned, replace_canned
from meridian.console.admin_common import admin_page, field_errors, path_entity, save_form
from meridian.console.deps import CannedPage
from meridian.core.errors import ProblemError

router = APIRouter(prefix="/admin/canned", include_in_schema=False)

SAMPLE = {
    "contact": {
        "name": "Ana García",
        "first_name": "Ana",
        "email": "ana@example.com",
        "locale": None,
        "attributes": {"total": 1234.5, "order": "A-1042"},
    },
    "conversation": {"number": 42, "subject": None, "created_at": datetime(2026, 3, 9, 14, 30, tzinfo=UTC)},
}


def preview(locale: str, body: str, agent_name: str) -> str:
    try:
        return render_template(
            body,
            variables={**SAMPLE, "agent": {"name": agent_name}},
            locale=babel_locale(locale, "en"),
            timezone="UTC",
        )
    except (TemplateError, ValueError, TypeError, ArithmeticError) as exc:
        return f"⚠ {exc}"


def _variants(form: FormData) -> list[tuple[str, str]]:
    locales = [str(v).strip() for v in form.getlist("variant_locale")]
    bodies = [str(v) for v in form.getlist("variant_body")]
    return [(locale, body) for locale, body in zip(locales, bodies, strict=False) if locale or body.strip()]


def _payload(form: FormData) -> dict[str, Any]:
    return {
        "shortcut": str(form.get("shortcut", "")).strip().lstrip("/"),
        "title": str(form.get("title", "")).strip() or None,
        "variants": dict(_variants(form)),
    }


def _variant_errors(exc: ValidationError | ProblemError) -> dict[str, str]:
    """Field errors, with a variant's keyed by locale: ('variants', 'es') or /variants/es."""
    errors = field_errors(exc)
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            loc = [str(p) for p in error["loc"]]
            if loc[:1] == ["variants"] and len(loc) > 1:
                errors[f"variant:{loc[1]}"] = str(error["msg"]).removeprefix("Value error, ")
    else:
        for item in exc.errors or []:
            parts = [p for p in str(item.get("pointer", "")).split("/") if p]
            if parts[:1] == ["variants"] and len(parts) > 1:
                errors[f"variant:{parts[1]}"] = str(item.get("message", ""))
    return errors


async def _form(
    request: Request,
    principal: Principal,
    *,
    canned: CannedOut | None,
    form: FormData | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    if form is not None:
        shortcut, title = str(form.get("shortcut", "")), str(form.get("title", ""))
        variants = _variants(form)
    elif canned is not None:
        shortcut, title = canned.shortcut, canned.title or ""
        variants = sorted(canned.variants.items())
    else:
        shortcut, title, variants = "", "", []
    return admin_page(
        request,
        principal,
        "admin_canned_form.html",
        status_code=status_code,
        canned=canned,
        shortcut=shortcut,
        title=title,
        # One empty row to add a language.
        variants=[*variants, ("", "")],
        previews={
            locale: preview(locale, body, principal.name) for locale, body in sorted(canned.variants.items())
        }
        if canned
        else {},
        errors=errors or {},
    )


CannedPath = Annotated[CannedOut, path_entity(get_canned, "canned_id")]


@router.get("", response_class=HTMLResponse)
async def canned_list(request: Request, principal: CannedPage, session: Session) -> Response:
    rows = await list_canned(session, workspace_id=principal.workspace_id)
    return admin_page(request, principal, "admin_canned.html", items=rows)


@router.get("/new", response_class=HTMLResponse)
async def new_canned(request: Request, principal: CannedPage) -> Response:
    return await _form(request, principal, canned=None)


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, principal: CannedPage, session: Session) -> Response:
    form = await request.form()
    return await save_form(
        session,
        lambda: create_canned(
            session=session, principal=principal, data=CannedCreate.model_validate(_payload(form))
        ),
        rejected=lambda exc: _form(
            request, principal, canned=None, form=form, errors=_variant_errors(exc), status_code=422
        ),
        done=lambda out: f"/admin/canned/{out.id}?notice=saved",
    )


@router.get("/{canned_id}", response_class=HTMLResponse)
async def edit_canned(request: Request, principal: CannedPage, canned: CannedPath) -> Response:
    return await _form(request, principal, canned=canned)


@router.post("/{canned_id}", response_class=HTMLResponse)
async def save_canned(
    request: Request, principal: CannedPage, session: Session, canned: CannedPath
) -> Response:
    form = await request.form()
    return await save_form(
        session,
        lambda: replace_canned(
            session=session,
            principal=principal,
            canned_id=uuid.UUID(canned.id),
            data=CannedCreate.model_validate(_payload(form)),
        ),
        rejected=lambda exc: _form(
            request, principal, canned=canned, form=form, errors=_variant_errors(exc), status_code=422
        ),
        done=f"/admin/canned/{canned.id}?notice=saved",
    )
