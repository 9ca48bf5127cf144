"""Which console admin screens exist and what each needs, for the gates and the menus.

Every screen needs ``console.admin`` (a door to the admin area, so supervisors, whose
built-in permissions include some of the screens' own, keep seeing none of them) plus
one of the screen's permissions. The top bar and the admin menus list only the screens
the viewer may open, from these same tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from meridian.auth.service import Principal
from meridian.console.i18n import N_

DOOR = "console.admin"


@dataclass(frozen=True)
class AdminScreen:
    path: str
    label: str
    # Any one of them opens the screen.
    permissions: tuple[str, ...]


SETTINGS = (
    AdminScreen("/admin/workspace", N_("Workspace"), ("settings.manage",)),
    AdminScreen("/admin/agents", N_("Agents"), ("agents.manage", "agents.access")),
    AdminScreen("/admin/roles", N_("Roles"), ("roles.manage",)),
    AdminScreen("/admin/teams", N_("Teams"), ("settings.manage",)),
    AdminScreen("/admin/inboxes", N_("Inboxes"), ("settings.manage",)),
    AdminScreen("/admin/canned", N_("Canned responses"), ("canned.manage",)),
    AdminScreen("/admin/system-messages", N_("System messages"), ("settings.manage",)),
    AdminScreen("/admin/sla", N_("SLA policies"), ("settings.manage",)),
    AdminScreen("/admin/automations", N_("Automations"), ("automations.manage",)),
)
PRIVACY = (
    AdminScreen("/admin/privacy", N_("Privacy requests"), ("contacts.erase", "contacts.export")),
    AdminScreen("/admin/privacy/retention", N_("Retention"), ("privacy.manage",)),
    AdminScreen("/admin/regions", N_("Region access"), ("agents.access",)),
    AdminScreen("/admin/audit", N_("Audit log"), ("audit.view",)),
)


def may_open(principal: Principal, permissions: tuple[str, ...]) -> bool:
    return principal.can(DOOR) and any(principal.can(p) for p in permissions)


def screens(principal: Principal, area: tuple[AdminScreen, ...]) -> list[AdminScreen]:
    return [s for s in area if may_open(principal, s.permissions)]
