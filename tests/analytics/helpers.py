"""Driving conversations through the real API and running the event subscribers."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from meridian.db.engine import Database
from meridian.events.dispatch import SUBSCRIBERS, dispatch_batch, load_subscribers

ANALYTICS = ("analytics.csat", "analytics")


async def drain(db: Database, *, only_analytics: bool = True) -> None:
    """Run the subscribers on every due event: the worker's dispatcher, inline.

    By default only analytics' own subscribers run, so routing and automations
    (other features, tested on their own) cannot move the hand-counted figures.
    """
    load_subscribers()
    saved = dict(SUBSCRIBERS)
    if only_analytics:
        for name in list(SUBSCRIBERS):
            if name not in ANALYTICS:
                del SUBSCRIBERS[name]
    try:
        for _ in range(200):
            if await dispatch_batch(db, limit=200) == 0:
                return
        raise AssertionError("events kept coming")
    finally:
        SUBSCRIBERS.clear()
        SUBSCRIBERS.update(saved)


async def incoming(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    inbox_id: uuid.UUID,
    body: str,
    *,
    identifier: str,
    locale: str | None = None,
) -> dict[str, Any]:
    contact: dict[str, Any] = {"identifier": identifier, "name": "Customer"}
    if locale:
        contact["locale"] = locale
    response = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=headers,
        json={"contact": contact, "body": body, "external_id": uuid.uuid4().hex},
    )
    assert response.status_code == 202, response.text
    data: dict[str, Any] = response.json()
    return data


async def reply(client: httpx.AsyncClient, headers: dict[str, str], conversation_id: str, body: str) -> None:
    response = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages", headers=headers, json={"body": body}
    )
    assert response.status_code == 201, response.text


async def patch(
    client: httpx.AsyncClient, headers: dict[str, str], conversation_id: str, **fields: Any
) -> dict[str, Any]:
    response = await client.patch(f"/api/v1/conversations/{conversation_id}", headers=headers, json=fields)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data
