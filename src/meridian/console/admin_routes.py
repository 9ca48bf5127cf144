"""The console's admin screens, one module per topic, gathered into one router.

Every page is admin-only (agents and supervisors get 403 on GET and POST alike), and
every form posts to the same service action the REST API uses.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from meridian.console import (
    admin_agents,
    admin_automations,
    admin_canned,
    admin_inboxes,
    admin_sla,
    admin_teams,
    admin_templates,
    admin_workspace,
)

router = APIRouter(include_in_schema=False)
for module in (
    admin_workspace,
    admin_agents,
    admin_teams,
    admin_inboxes,
    admin_canned,
    admin_templates,
    admin_sla,
    admin_automations,
):
    router.include_router(module.router)


@router.get("/admin")
async def admin_home() -> RedirectResponse:
    return RedirectResponse("/admin/workspace", status_code=303)
