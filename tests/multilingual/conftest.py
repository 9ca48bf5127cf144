from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from meridian.languages.detect import warm_up
from tests.support.vendor_server import VendorServer, vendor_server
from tests.translation.support import Vendor

_prefixes = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def _loaded_models() -> None:
    # Loading lingua's models takes seconds: once per session, before any timing matters.
    warm_up()


@pytest.fixture(scope="session")
def _server() -> Iterator[VendorServer]:
    with vendor_server() as server:
        yield server


@pytest.fixture
def vendor(_server: VendorServer) -> Vendor:
    return Vendor(_server, f"/ml{next(_prefixes)}")
