"""Admin: custom roles (a permission subset with optional team and inbox limits).

The form posts to the same actions as ``/api/v1/roles`` (roles/service.py), so the
same rules apply: names unique, limits only to this workspace's teams and inboxes,
nothing beyond the editor's own permissions, no deleting a role agents still hold.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from meridian.auth.deps import Session
from meridian.auth.permissions import PERMISSIONS
from meridian.auth.service import Principal
from meridian.console.admin_common import Rejected, admin_page, field_errors, path_entity, save_form
from meridian.console.deps import RolesPage
from meridian.console.i18n import N_
from meridian.core.errors import ProblemError
from meridian.inboxes.service import list_inboxes
from meridian.roles.models import Role
from meridian.roles.schemas import RoleCreate, RoleUpdate
from meridian.roles.service import create_role, delete_role, get_role, list_roles, update_role
from meridian.teams.service import list_teams

router = APIRouter(prefix="/admin/roles", include_in_schema=False)

# The catalog's groups, for the console's catalogs. The descriptions are marked where
# they are written (auth/permissions.py) and translated when the form renders.
GROUP_LABELS = {
    "conversations": N_("Conversations"),
    "contacts": N_("Contacts"),
    "kb": N_("Knowledge base"),
    "canned": N_("Canned responses"),
    "automations": N_("Automations"),
    "translation": N_("Translation"),
    "analytics": N_("Analytics"),
    "audit": N_("Audit log"),
    "privacy": N_("Privacy"),
    "residency": N_("Data residency"),
    "settings": N_("Settings"),
    "agents": N_("Agents"),
    "roles": N_("Roles"),
    "console": N_("Console"),
}


def permission_groups() -> list[tuple[str, list[str]]]:
    """The catalog in its order, grouped by the name's prefix."""
    groups: dict[str, list[str]] = {}
    for name in PERMISSIONS:
        groups.setdefault(name.split(".", 1)[0], []).append(name)
    return list(groups.items())


def _values(form: FormData) -> dict[str, Any]:
    return {
        "name": str(form.get("name", "")),
        "description": str(form.get("description", "")),
        "permissions": [str(p) for p in form.getlist("permissions")],
        # No choice is no limit (the API's null).
        "team_ids": [str(t) for t in form.getlist("team_ids")] or None,
        "inbox_ids": [str(i) for i in form.getlist("inbox_ids")] or None,
    }


def _stored(role: Role) -> dict[str, Any]:
    return {
        "name": role.name,
        "description": role.description,
        "permissions": list(role.permissions),
        "team_ids": role.team_ids,
        "inbox_ids": role.inbox_ids,
    }


async def _form(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    role: Role | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    in_use: int = 0,
    status_code: int = 200,
) -> Response:
    return admin_page(
        request,
        principal,
        "admin_role_form.html",
        status_code=status_code,
        role=role,
        values=values
        or (_stored(role) if role else {"permissions": [], "team_ids": None, "inbox_ids": None}),
        errors=errors or {},
        refusal=refusal,
        in_use=in_use,
        groups=permission_groups(),
        group_labels=GROUP_LABELS,
        permission_labels=PERMISSIONS,
        teams=await list_teams(session, workspace_id=principal.workspace_id),
        inboxes=await list_inboxes(session, workspace_id=principal.workspace_id),
    )


RolePath = Annotated[Role, path_entity(get_role, "role_id")]


@router.get("", response_class=HTMLResponse)
async def roles(request: Request, principal: RolesPage, session: Session) -> Response:
    listed = await list_roles(session, workspace_id=principal.workspace_id)
    return admin_page(request, principal, "admin_roles.html", roles=listed.items)


@router.get("/new", response_class=HTMLResponse)
async def new_role(request: Request, principal: RolesPage, session: Session) -> Response:
    return await _form(request, principal, session, role=None)


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, principal: RolesPage, session: Session) -> Response:
    values = _values(await request.form())
    return await save_form(
        session,
        lambda: create_role(session=session, principal=principal, data=RoleCreate.model_validate(values)),
        rejected=lambda exc: _form(
            request, principal, session, role=None, values=values, errors=field_errors(exc), status_code=422
        ),
        done=lambda saved: f"/admin/roles/{saved.id}?notice=saved",
    )


@router.get("/{role_id}", response_class=HTMLResponse)
async def edit_role(request: Request, principal: RolesPage, session: Session, role: RolePath) -> Response:
    return await _form(request, principal, session, role=role)


@router.post("/{role_id}", response_class=HTMLResponse)
async def save_role(request: Request, principal: RolesPage, session: Session, role: RolePath) -> Response:
    role_uuid: uuid.UUID = role.id
    values = _values(await request.form())
    return await save_form(
        session,
        lambda: update_role(
            session=session, principal=principal, role_id=role_uuid, data=RoleUpdate.model_validate(values)
        ),
        rejected=lambda exc: _form(
            request, principal, session, role=role, values=values, errors=field_errors(exc), status_code=422
        ),
        done=f"/admin/roles/{role_uuid}?notice=saved",
        refresh=[role],
    )


@router.post("/{role_id}/delete", response_class=HTMLResponse)
async def remove_role(request: Request, principal: RolesPage, session: Session, role: RolePath) -> Response:
    role_uuid: uuid.UUID = role.id
    if (await request.form()).get("confirm") != "1":
        # The box is required in the page; a post without it deletes nothing.
        return await _form(request, principal, session, role=role, refusal="confirm", status_code=422)

    async def refused(exc: Rejected) -> Response:
        # Agents still hold it: the API's 409, said in the admin's language.
        in_use = isinstance(exc, ProblemError) and exc.code == "role_in_use"
        return await _form(
            request,
            principal,
            session,
            role=role,
            refusal="in_use" if in_use else "other",
            in_use=(exc.params or {}).get("agents", 0) if isinstance(exc, ProblemError) else 0,
            status_code=409,
        )

    return await save_form(
        session,
        lambda: delete_role(session=session, principal=principal, role_id=role_uuid),
        rejected=refused,
        done="/admin/roles?notice=saved",
        refresh=[role],
    )
