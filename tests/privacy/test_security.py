"""Security hygiene: headers, sign-in rate limits, TOTP two-factor sign-in."""

from __future__ import annotations

import re
import time

import httpx
import pyotp
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from meridian.security.headers import SecurityHeaders
from tests.console.helpers import csrf_from
from tests.factories import Factory

PENDING = re.compile(r'name="pending" value="([^"]+)"')


async def test_security_headers(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    page = await client.get("/login")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in page.headers, "no HSTS over plain http"
    assert "<script>" not in page.text and " hx-on" not in page.text
    api = await client.get("/api/v1/me", headers=tenant.headers)
    assert api.headers["x-content-type-options"] == "nosniff" and "content-security-policy" not in api.headers


async def test_hsts_over_https_and_route_headers_win() -> None:
    async def page(request: object) -> HTMLResponse:
        return HTMLResponse("<p>hi</p>", headers={"Content-Security-Policy": "default-src 'none'"})

    app = SecurityHeaders(Starlette(routes=[Route("/", page)]), https=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://x") as c:
        response = await c.get("/")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    assert response.headers["content-security-policy"] == "default-src 'none'"


async def _login_form(client: httpx.AsyncClient) -> str:
    return csrf_from((await client.get("/login")).text)


async def test_sign_in_is_rate_limited_per_account(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    csrf = await _login_form(client)
    statuses = []
    for _ in range(6):
        r = await client.post("/login", data={"email": agent.email, "password": "wrong", "csrf_token": csrf})
        statuses.append(r.status_code)
    assert statuses == [401] * 5 + [429]
    assert int(r.headers["retry-after"]) > 0 and r.headers["content-type"] == "application/problem+json"
    # The right password does not help once the account's budget is spent...
    right = await client.post(
        "/login", data={"email": agent.email, "password": "password123", "csrf_token": csrf}
    )
    assert right.status_code == 429
    # ...but another account from the same address still signs in.
    other = await factory.agent(tenant)
    ok = await client.post(
        "/login", data={"email": other.email, "password": "password123", "csrf_token": csrf}
    )
    assert ok.status_code == 303


async def test_sign_in_is_rate_limited_per_address(client: httpx.AsyncClient, factory: Factory) -> None:
    csrf = await _login_form(client)
    codes = [
        (
            await client.post(
                "/login", data={"email": f"nobody{n}@example.com", "password": "x", "csrf_token": csrf}
            )
        ).status_code
        for n in range(15)
    ]
    # Ten at once, then one every six seconds (each attempt hashes a password, so a
    # refill or two may land while these run).
    assert codes[:10] == [401] * 10 and 429 in codes[10:]


async def test_totp_enrolment_and_two_step_sign_in(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    assert (await client.get("/api/v1/me/2fa", headers=agent.headers)).json() == {"enabled": False}
    enrolment = (await client.post("/api/v1/me/2fa", headers=agent.headers)).json()
    assert enrolment["otpauth_uri"].startswith("otpauth://totp/Meridian:")
    totp = pyotp.TOTP(enrolment["secret"])
    # Not on until confirmed: the password alone still signs in.
    wrong = await client.post("/api/v1/me/2fa/confirm", headers=agent.headers, json={"code": "000000"})
    assert wrong.status_code == 422
    assert (
        await client.post(
            "/api/v1/me/2fa/confirm", headers=agent.headers, json={"code": totp.at(time.time() - 30)}
        )
    ).json() == {"enabled": True}
    assert (await client.post("/api/v1/me/2fa", headers=agent.headers)).status_code == 409

    csrf = await _login_form(client)
    step = await client.post(
        "/login", data={"email": agent.email, "password": "password123", "csrf_token": csrf}
    )
    assert step.status_code == 200 and "meridian_session" not in step.cookies
    pending = PENDING.search(step.text)
    assert pending is not None
    bad = await client.post(
        "/login/totp", data={"pending": pending.group(1), "code": "123456", "csrf_token": csrf}
    )
    assert bad.status_code == 401
    # Codes are single-use, so each step below uses the code of a later time step (the
    # previous, current and next steps are all accepted).
    code = totp.now()
    ok = await client.post(
        "/login/totp", data={"pending": pending.group(1), "code": code, "csrf_token": csrf}
    )
    assert ok.status_code == 303 and "meridian_session" in ok.cookies
    home = await client.get("/")
    assert home.status_code == 200
    signed_in = dict(client.cookies)
    client.cookies.clear()
    csrf = await _login_form(client)
    again = await client.post(
        "/login/totp", data={"pending": pending.group(1), "code": code, "csrf_token": csrf}
    )
    assert again.status_code == 401, "a code is accepted once"
    audit = (await client.get("/api/v1/audit", headers=tenant.headers)).json()["items"]
    assert [e["action"] for e in audit][:2] == ["agent.signed_in", "agent.2fa_enabled"]
    assert audit[0]["details"] == {"two_factor": True}

    client.cookies.update(signed_in)
    page = await client.get("/profile/2fa")
    assert page.status_code == 200 and "/profile/2fa/disable" in page.text
    off = await client.post(
        "/api/v1/me/2fa/disable", headers=agent.headers, json={"code": totp.at(time.time() + 30)}
    )
    assert off.status_code == 204
    assert (await client.get("/api/v1/me/2fa", headers=agent.headers)).json() == {"enabled": False}
