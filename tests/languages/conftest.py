from __future__ import annotations

import pytest

from meridian.languages.detect import warm_up


@pytest.fixture(scope="session", autouse=True)
def _loaded_models() -> None:
    # Loading lingua's models is the slow part (seconds); do it once for the session.
    warm_up()
