"""Bot actions: small calls into the company's own systems.

An action recognises its request in the message (``Signals``), calls the configured
endpoint, and returns facts; the bot words them in the customer's language. Adding an
action means adding a class with ``name`` and ``run`` and listing it in ``ACTIONS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol
from urllib.parse import quote

import httpx
from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from meridian.bot.phrases import ORDER_STATES, Phrase, phrase
from meridian.bot.settings import BotConfig
from meridian.bot.signals import Signals

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@dataclass(frozen=True)
class ActionResult:
    # "done": an answer for the customer; "not_found"; "failed": hand over to a person.
    outcome: str
    text: str
    facts: dict[str, str]


class BotAction(Protocol):
    name: str

    def applies(self, signals: Signals, config: BotConfig) -> bool: ...

    async def run(
        self,
        signals: Signals,
        config: BotConfig,
        *,
        language: str,
        http: httpx.AsyncClient,
        say: Phrase = phrase,
    ) -> ActionResult: ...


def _localized_date(value: str, language: str) -> str:
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return value
    try:
        locale = Locale.parse(language, sep="-")
    except (ValueError, UnknownLocaleError):
        locale = Locale.parse("en")
    return format_date(day, format="long", locale=locale)


class OrderStatus:
    """``GET {order_status_url}`` with ``{order_id}`` filled in; expects JSON like
    ``{"status": "shipped", "estimated_delivery": "2026-12-02", "tracking_url": "..."}``
    and 404 for an unknown order."""

    name = "order_status"

    def applies(self, signals: Signals, config: BotConfig) -> bool:
        return (
            signals.intent == "order_status"
            and signals.order_id is not None
            and bool(config.order_status_url)
        )

    async def run(
        self,
        signals: Signals,
        config: BotConfig,
        *,
        language: str,
        http: httpx.AsyncClient,
        say: Phrase = phrase,
    ) -> ActionResult:
        order = signals.order_id or ""
        assert config.order_status_url
        url = config.order_status_url.replace("{order_id}", quote(order, safe=""))
        headers = (
            {"Authorization": f"Bearer {config.order_status_api_key}"} if config.order_status_api_key else {}
        )
        try:
            response = await http.get(url, headers=headers, timeout=TIMEOUT)
        except httpx.HTTPError:
            return ActionResult("failed", say("order_unavailable", language), {"order_id": order})
        if response.status_code == 404:
            return ActionResult(
                "not_found", say("order_not_found", language, order=order), {"order_id": order}
            )
        try:
            data = response.json() if response.status_code == 200 else None
            status = str(data["status"]) if isinstance(data, dict) else None
        except (ValueError, KeyError):
            status = None
        if status is None:
            return ActionResult("failed", say("order_unavailable", language), {"order_id": order})
        assert isinstance(data, dict)
        # Only what the shop said, worded by us: an unknown state is shown as sent.
        label = phrase(status, language) if status in ORDER_STATES else status
        lines = [phrase("order_status", language, order=order, status=label)]
        facts = {"order_id": order, "status": status}
        if isinstance(data.get("estimated_delivery"), str):
            lines.append(
                phrase("order_eta", language, date=_localized_date(data["estimated_delivery"], language))
            )
            facts["estimated_delivery"] = data["estimated_delivery"]
        if isinstance(data.get("tracking_url"), str) and data["tracking_url"].startswith(
            ("https://", "http://")
        ):
            lines.append(phrase("order_tracking", language, url=data["tracking_url"]))
            facts["tracking_url"] = data["tracking_url"]
        return ActionResult("done", "\n".join(lines), facts)


ACTIONS: list[BotAction] = [OrderStatus()]
