from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support.vendor_server import VendorServer, vendor_server
from tests.translation.support import Vendor

_prefixes = itertools.count()


@pytest.fixture(scope="session")
def _server() -> Iterator[VendorServer]:
    with vendor_server() as server:
        yield server


@pytest.fixture
def vendor(_server: VendorServer) -> Vendor:
    return Vendor(_server, f"/test{next(_prefixes)}")


@pytest.fixture(scope="session")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    # Shared, as in production: building a client (and its TLS context) is not free.
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client
