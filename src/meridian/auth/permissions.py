"""The permission catalog, and the three built-in roles expressed in it.

A custom role (``roles/``) is a named subset of this catalog plus optional team and
inbox limits. Built-in roles keep their historical powers exactly: they are the fixed
sets below, so an installation that never creates a custom role behaves as before.
"""

from __future__ import annotations

PERMISSIONS: dict[str, str] = {
    "conversations.view_all": "See every conversation, not only their own, their teams' and the queue",
    "conversations.reply": "Write replies and notes",
    "conversations.assign": "Assign conversations and change their status, team and priority",
    "contacts.merge": "Merge duplicate contacts",
    "contacts.manage": "Delete contacts and undo merges",
    "contacts.export": "Export a contact's data (DSAR) and read privacy requests",
    "contacts.erase": "Erase a contact and read privacy requests",
    "kb.edit": "Write and edit knowledge base drafts",
    "kb.publish": "Publish knowledge base articles",
    "kb.manage": "Create and rename knowledge base categories",
    "canned.manage": "Create and edit canned responses",
    "automations.manage": "Create, edit and dry-run automation rules and macros",
    "translation.glossary": "Edit the translation glossary",
    "analytics.view": "See workspace reports and exports",
    "audit.view": "Read and verify the audit log",
    "privacy.view": "See retention policies, redaction and consent keyword settings",
    "privacy.manage": "Change retention policies, redaction and consent keywords",
    "residency.manage": "Move contacts between data regions",
    "settings.manage": (
        "Change workspace, translation and help center settings, inboxes and their WhatsApp "
        "templates, teams, SLA policies, system messages and the bot"
    ),
    "agents.manage": "Invite agents (with the agent role)",
    "agents.edit": "Change other agents' teams, skills, languages, capacity and availability",
    "agents.access": "Change agents' role, email, password and region access; deactivate agents",
    "roles.manage": "Create custom roles and give them to agents, never beyond one's own permissions",
    "console.admin": "Open the console's settings and privacy screens (each also needs its own permission)",
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
