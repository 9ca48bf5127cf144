"""Rendering console pages: one Jinja2 environment per UI locale, gettext installed."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from meridian.attachments.routes import INLINE_TYPES
from meridian.auth.service import Principal
from meridian.console.admin_pages import PRIVACY, SETTINGS
from meridian.console.admin_pages import screens as admin_screens
from meridian.console.i18n import LANGUAGE_NAMES, N_, UiLocale, translations, ui_locale

TEMPLATES_DIR = Path(__file__).parent / "templates"

# Stored values are English keywords; these are their labels, translated at render time.
STATUS_LABELS = {
    "open": N_("Open"),
    "pending": N_("Pending"),
    "snoozed": N_("Snoozed"),
    "resolved": N_("Resolved"),
}
PRIORITY_LABELS = {
    "low": N_("Low"),
    "normal": N_("Normal"),
    "high": N_("High"),
    "urgent": N_("Urgent"),
}
DELIVERY_LABELS = {
    "none": N_("Not sent"),
    "queued": N_("Queued"),
    "retrying": N_("Retrying"),
    "sent": N_("Sent"),
    "delivered": N_("Delivered"),
    "read": N_("Read"),
    "failed": N_("Failed"),
}
CHANNEL_LABELS = {
    "api": N_("API"),
    "email": N_("Email"),
    "webchat": N_("Web chat"),
    "whatsapp": "WhatsApp",
    "messenger": "Messenger",
    "instagram": "Instagram",
    "telegram": "Telegram",
    "line": "LINE",
    "sms": N_("SMS"),
}
ROLE_LABELS = {"admin": N_("Admin"), "supervisor": N_("Supervisor"), "agent": N_("Agent")}
VIEW_LABELS = {"mine": N_("Mine"), "unassigned": N_("Unassigned"), "teams": N_("My teams"), "all": N_("All")}
NOTICES = {
    "saved": N_("Your changes were saved."),
    "signed_out": N_("You have signed out."),
    "updated": N_("Conversation updated."),
    "password_changed": N_("Your password was changed. Other sessions were signed out."),
    "merged": N_("The contacts were merged."),
    "merge_unknown": N_("No other contact is known by that identifier."),
    "token_revoked": N_("The token was revoked. Scripts using it can no longer sign in."),
}


@cache
def environment(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # newstyle: translated strings are escaped and %-formatted safely by Jinja itself.
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        STATUS_LABELS=STATUS_LABELS,
        PRIORITY_LABELS=PRIORITY_LABELS,
        DELIVERY_LABELS=DELIVERY_LABELS,
        CHANNEL_LABELS=CHANNEL_LABELS,
        VIEW_LABELS=VIEW_LABELS,
        ROLE_LABELS=ROLE_LABELS,
        # The admin screens the viewer may open (top bar and admin menus).
        admin_screens=admin_screens,
        SETTINGS_SCREENS=SETTINGS,
        PRIVACY_SCREENS=PRIVACY,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        # Stored JSON (a conversation's SLA due times) carries RFC 3339 strings.
        parse_time=datetime.fromisoformat,
        # The attachment route serves only these inline; the rest download.
        INLINE_IMAGE_TYPES=INLINE_TYPES,
    )
    return env


def locale_for(principal: Principal | None, request: Request) -> UiLocale:
    if principal is not None:
        return ui_locale(principal.locale, principal.timezone)
    # Before sign-in, the browser's first preference is our best guess.
    accept = request.headers.get("accept-language", "")
    first = accept.split(",")[0].split(";")[0].strip()
    return ui_locale(first or None, "UTC")


def render(
    request: Request,
    template: str,
    *,
    principal: Principal | None,
    status_code: int = 200,
    ui: UiLocale | None = None,
    **context: Any,
) -> HTMLResponse:
    ui = ui or locale_for(principal, request)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    html = (
        environment(ui.code)
        .get_template(template)
        .render(
            request=request,
            principal=principal,
            ui=ui,
            notice=ui.gettext(notice) if notice else None,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code)
