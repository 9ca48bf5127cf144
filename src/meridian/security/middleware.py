"""Installing security on the app: one call from ``create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from meridian.config import get_settings
from meridian.security.console_routes import router as console_router
from meridian.security.headers import SecurityHeaders
from meridian.security.ratelimit import RateLimit
from meridian.security.routes import router as api_router


def install_security(app: FastAPI) -> None:
    """Rate limits, security headers, and the two-factor pages and API."""
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(console_router)
    app.add_middleware(RateLimit)
    app.add_middleware(SecurityHeaders, https=get_settings().public_url.startswith("https://"))
