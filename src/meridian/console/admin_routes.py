"""The console's admin screens, one module per topic, gathered into one router.

Every page needs ``console.admin`` and its own permission (console/admin_pages.py;
anyone else gets 403 on GET and POST alike), and every form posts to the same service
action the REST API uses.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from meridian.console import (
    admin_agents,
    admin_automations,
    admin_canned,
    admin_inboxes,
    admin_roles,
    admin_sla,
    admin_teams,
    admin_templates,
    admin_workspace,
)
from meridian.console.admin_pages import SETTINGS, screens
from meridian.console.deps import PagePrincipal
from meridian.console.errors import PageForbidden

router = APIRouter(include_in_schema=False)
for module in (
    admin_workspace,
    admin_agents,
    admin_roles,
    admin_teams,
    admin_inboxes,
    admin_canned,
    admin_templates,
    admin_sla,
    admin_automations,
):
    router.include_router(module.router)


@router.get("/admin")
async def admin_home(principal: PagePrincipal) -> RedirectResponse:
    # The first settings screen this person may open (an admin: the workspace).
    allowed = screens(principal, SETTINGS)
    if not allowed:
        raise PageForbidden(principal)
    return RedirectResponse(allowed[0].path, status_code=303)
