from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from meridian.db.engine import Database
from tests.analytics.scenario import Scenario, build
from tests.factories import Factory


@pytest.fixture(scope="session")
async def module_client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    from meridian.app import create_app

    application = create_app(db=db)
    async with LifespanManager(application) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture(scope="session")
async def week(module_client: httpx.AsyncClient, db: Database) -> Scenario:
    """The hand-counted week (tests/analytics/scenario.py), built once per test run."""
    return await build(module_client, Factory(db), db)
