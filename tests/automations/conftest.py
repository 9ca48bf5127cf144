from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.routing.support import leave_outbox_empty


@pytest.fixture(autouse=True)
async def _outbox_left_empty(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    await leave_outbox_empty(request)
