"""The permission catalog, and the three built-in roles expressed in it.

A custom role (``roles/``) is a named subset of this catalog plus optional team and
inbox limits. Built-in roles keep their historical powers exactly: they are the fixed
sets below, so an installation that never creates a custom role behaves as before.

The descriptions are the API's English and, unchanged, the msgids the console
translates (console/admin_roles.py): one text, so the two cannot drift apart.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a description for the console's catalogs (extracted by the keyword ``N_``);
    the console translates it when it renders. Defined here, not imported from
    console/i18n.py, so the permission catalog does not depend on the UI package."""
    return message


PERMISSIONS: dict[str, str] = {
    "conversations.view_all": N_("See every conversation, not only their own, their teams' and the queue"),
    "conversations.reply": N_("Write replies and notes"),
    "conversations.assign": N_("Assign conversations and change their status, team and priority"),
    "contacts.merge": N_("Merge duplicate contacts"),
    "contacts.manage": N_("Delete contacts and undo merges"),
    "contacts.export": N_("Export a contact's data (DSAR) and read privacy requests"),
    "contacts.erase": N_("Erase a contact and read privacy requests"),
    "kb.edit": N_("Write and edit knowledge base drafts"),
    "kb.publish": N_("Publish knowledge base articles"),
    "kb.manage": N_("Create and rename knowledge base categories"),
    "canned.manage": N_("Create and edit canned responses"),
    "automations.manage": N_("Create, edit and dry-run automation rules and macros"),
    "translation.glossary": N_("Edit the translation glossary"),
    "analytics.view": N_("See workspace reports and exports"),
    "audit.view": N_("Read and verify the audit log"),
    "privacy.view": N_("See retention policies, redaction and consent keyword settings"),
    "privacy.manage": N_("Change retention policies, redaction and consent keywords"),
    "residency.manage": N_("Move contacts between data regions"),
    "settings.manage": N_(
        "Change workspace, translation and help center settings, inboxes and their WhatsApp "
        "templates, teams, SLA policies, system messages and the bot"
    ),
    "agents.manage": N_("Invite agents (with the agent role)"),
    "agents.edit": N_("Change other agents' teams, skills, languages, capacity and availability"),
    "agents.access": N_("Change agents' role, email, password and region access; deactivate agents"),
    "roles.manage": N_("Create custom roles and give them to agents, never beyond one's own permissions"),
    "console.admin": N_(
        "Open the console's settings and privacy screens (each also needs its own permission)"
    ),
}

_EVERYONE = frozenset({"conversations.reply", "conversations.assign", "contacts.merge", "kb.edit"})
# What supervisors could do when routes still checked the built-in role: the permissions
# added with custom roles everywhere reproduce it exactly (the routes that were
# "admin or supervisor" now need one of these).
_REVIEWERS = _EVERYONE | {
    "conversations.view_all",
    "contacts.manage",
    "contacts.export",
    "contacts.erase",
    "kb.publish",
    "kb.manage",
    "canned.manage",
    "automations.manage",
    "translation.glossary",
    "analytics.view",
    "privacy.view",
    "agents.edit",
}

BUILTIN: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "supervisor": _REVIEWERS,
    "agent": _EVERYONE,
}


def builtin_permissions(role: str) -> frozenset[str]:
    # An unknown stored role gets nothing rather than a guess.
    return BUILTIN.get(role, frozenset())
