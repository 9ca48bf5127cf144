"""The ASGI application: routers, error handling, and what runs beside requests."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from meridian import __version__
from meridian.agents.routes import router as agents_router
from meridian.analytics.routes import router as analytics_router
from meridian.attachments.routes import media_router
from meridian.attachments.routes import router as attachments_router
from meridian.audit.routes import router as audit_router
from meridian.auth.routes import router as tokens_router
from meridian.automations.routes import router as automations_router
from meridian.bot.routes import router as bot_router
from meridian.canned.routes import router as canned_router
from meridian.channels.routes import api_router as channels_api_router
from meridian.channels.routes import webhook_router
from meridian.channels.webchat.routes import router as webchat_router
from meridian.channels.whatsapp.routes import router as whatsapp_templates_router
from meridian.config import get_settings
from meridian.console.admin_routes import router as console_admin_router
from meridian.console.errors import install_page_error_handler
from meridian.console.routes import STATIC_DIR
from meridian.console.routes import router as console_router
from meridian.contacts.routes import router as contacts_router
from meridian.conversations.routes import router as conversations_router
from meridian.core.errors import install_error_handlers
from meridian.core.middleware import BodySizeLimit, DatabaseUnavailable
from meridian.db.engine import (
    Database,
    get_database,
    make_database,
    resolve_database_url,
    set_database,
)
from meridian.events.hub import EventHub
from meridian.events.routes import router as events_router
from meridian.inboxes.routes import router as inboxes_router
from meridian.kb.help_routes import router as help_center_router
from meridian.kb.routes import router as kb_router
from meridian.languages.service import start_warm_up
from meridian.messages.routes import router as messages_router
from meridian.ops import metrics
from meridian.ops.routes import router as ops_router
from meridian.privacy.consent_routes import public_router as unsubscribe_router
from meridian.privacy.routes import router as privacy_router
from meridian.residency.routes import router as residency_router
from meridian.roles.routes import router as roles_router
from meridian.security.middleware import install_security
from meridian.sla.routes import router as sla_router
from meridian.teams.routes import router as teams_router
from meridian.translation.routes import router as translation_router
from meridian.vault import regions
from meridian.workspaces.routes import router as workspace_router

API_ROUTERS: list[APIRouter] = [
    workspace_router,
    agents_router,
    teams_router,
    inboxes_router,
    contacts_router,
    conversations_router,
    messages_router,
    channels_api_router,
    whatsapp_templates_router,
    events_router,
    sla_router,
    automations_router,
    privacy_router,
    residency_router,
    audit_router,
    roles_router,
    tokens_router,
    translation_router,
    canned_router,
    kb_router,
    bot_router,
    attachments_router,
    analytics_router,
]


def create_app(*, db: Database | None = None, run_workers: bool = False, demo: bool = False) -> FastAPI:
    settings = get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = db
        if database is None:
            try:
                database = get_database()
            except RuntimeError:
                database = make_database(resolve_database_url(settings))
                set_database(database)
        await regions.start(
            spec=settings.regions, home_url=database.url, embedded=settings.database_url is None
        )
        # Language models load in the background; requests are served meanwhile.
        start_warm_up()
        hub = EventHub(database)
        app.state.event_hub = hub
        await hub.start()
        workers = None
        if run_workers:
            from meridian.jobs.runtime import Workers

            workers = Workers(database, concurrency=settings.workers_concurrency)
            await workers.start()
        app.state.workers = workers
        try:
            yield
        finally:
            if workers is not None:
                await workers.stop()
            await hub.stop()

    if db is not None:
        set_database(db)
    app = FastAPI(
        title="Meridian",
        version=__version__,
        description="Open-source customer service for companies that sell worldwide.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    install_error_handlers(app)
    install_page_error_handler(app)
    for router in API_ROUTERS:
        app.include_router(router, prefix="/api/v1")
    app.include_router(webhook_router)
    app.include_router(media_router)
    app.include_router(help_center_router)
    app.include_router(webchat_router)
    app.include_router(unsubscribe_router)
    if demo:
        from meridian.demo.sandbox import router as sandbox_router
        from meridian.demo.widget_page import router as demo_widget_router

        app.include_router(sandbox_router)
        app.include_router(demo_widget_router)
    app.include_router(ops_router)
    app.include_router(console_router)
    app.include_router(console_admin_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.middleware("http")
    async def measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics.REQUESTS.labels(request.method, path, str(response.status_code)).inc()
        metrics.LATENCY.labels(request.method, path).observe(time.perf_counter() - started)
        return response

    app.add_middleware(DatabaseUnavailable)
    install_security(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app
