"""Signing in to the console from tests, the way a browser does."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, email: str, password: str = "password123") -> str:
    """Sign in and return the session's CSRF token."""
    form = await client.get("/login")
    response = await client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_from(form.text)}
    )
    assert response.status_code == 303, response.text
    page = await client.get("/")
    assert page.status_code == 200
    return csrf_from(page.text)


async def incoming(
    client: httpx.AsyncClient, headers: dict[str, str], inbox_id: uuid.UUID, body: str, name: str = "Lucía"
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=headers,
        json={"contact": {"identifier": f"cust-{uuid.uuid4().hex[:8]}", "name": name}, "body": body},
    )
    assert response.status_code == 202, response.text
    data: dict[str, Any] = response.json()
    return data
