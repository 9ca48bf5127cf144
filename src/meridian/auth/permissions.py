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
    "contacts.export": "Export a contact's data (DSAR) and read privacy requests",
    "contacts.erase": "Erase a contact and read privacy requests",
    "kb.edit": "Write and edit knowledge base drafts",
    "kb.publish": "Publish knowledge base articles",
    "analytics.view": "See workspace reports and exports",
    "audit.view": "Read and verify the audit log",
    "settings.manage": "Change workspace settings, inboxes, teams, SLA policies and the bot",
    "agents.manage": "Invite agents (with the agent role)",
}

_EVERYONE = frozenset({"conversations.reply", "conversations.assign", "contacts.merge", "kb.edit"})
_REVIEWERS = _EVERYONE | {
    "conversations.view_all",
    "contacts.export",
    "contacts.erase",
    "kb.publish",
    "analytics.view",
}

BUILTIN: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "supervisor": _REVIEWERS,
    "agent": _EVERYONE,
}


def builtin_permissions(role: str) -> frozenset[str]:
    # An unknown stored role gets nothing rather than a guess.
    return BUILTIN.get(role, frozenset())
