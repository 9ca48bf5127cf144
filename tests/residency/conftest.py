"""Two regional databases (eu, us) beside the test's home database, vault tables only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from meridian.db.engine import Database
from meridian.vault import regions


@dataclass
class Regional:
    urls: dict[str, str]

    def database(self, region: str) -> Database:
        found = regions.database_for(region)
        assert found is not None
        return found


@pytest.fixture(scope="session")
def regional_urls(database_url: str) -> Iterator[dict[str, str]]:
    home = make_url(database_url)
    urls = {
        name: home.set(database=f"{home.database}_{name}").render_as_string(hide_password=False)
        for name in ("eu", "us")
    }
    for url in urls.values():
        regions.create_database_if_missing(url)
        regions.create_vault_schema(url)
    yield urls
    admin = create_engine(home.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for url in urls.values():
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
async def regional(regional_urls: dict[str, str]) -> AsyncIterator[Regional]:
    regions.configure(regional_urls, pool_size=2)
    try:
        yield Regional(regional_urls)
    finally:
        await regions.dispose()
