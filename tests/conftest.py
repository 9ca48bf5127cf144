"""Test set-up: a real PostgreSQL (the local server when MERIDIAN_TEST_DATABASE_URL is
set, else the embedded one), one freshly migrated database per test run, and a new
workspace per test so tests never see each other's data."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="meridian-tests-"))
os.environ.setdefault("MERIDIAN_SECRET_KEY", "test-secret-key-not-for-production-0123456789")
os.environ["MERIDIAN_DATA_DIR"] = str(_TMP / "data")
os.environ.setdefault("MERIDIAN_PUBLIC_URL", "http://testserver")
os.environ.setdefault("MERIDIAN_LOG_JSON", "false")

import httpx  # noqa: E402
import pytest  # noqa: E402
from asgi_lifespan import LifespanManager  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from meridian.db.embedded import start_embedded, to_sqlalchemy_url  # noqa: E402
from meridian.db.engine import Database, make_database, set_database  # noqa: E402
from meridian.db.migrate import upgrade  # noqa: E402
from tests.factories import Factory  # noqa: E402


def _server_url() -> str:
    external = os.environ.get("MERIDIAN_TEST_DATABASE_URL")
    if external:
        return to_sqlalchemy_url(external)
    return start_embedded(Path(os.environ.get("MERIDIAN_TEST_PG_DIR", str(_TMP / "pg-home"))))


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    server = make_url(_server_url())
    name = f"meridian_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[Database]:
    database = make_database(database_url, pool_size=5)
    set_database(database)
    yield database
    await database.dispose()


@pytest.fixture
async def factory(db: Database) -> Factory:
    return Factory(db)


@pytest.fixture
async def app(db: Database) -> AsyncIterator[object]:
    from meridian.app import create_app

    application = create_app(db=db)
    async with LifespanManager(application) as manager:
        await application.state.event_hub.connected.wait()
        yield manager.app


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
