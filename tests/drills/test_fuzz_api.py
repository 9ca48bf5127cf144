"""Drill 5a: schemathesis over ``/openapi.json`` with an admin token, against a real
uvicorn server: no operation answers 5xx or drops the connection, whatever it is sent.

Each operation gets ``max(5, 25 * scale)`` generated cases (positive and negative); the
SSE stream is left out (it never ends by design)."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from tests.drills.support import REPORT, scaled
from tests.factories import Factory
from tests.support.live_server import live_server

pytestmark = pytest.mark.drill

# The stream never ends by design; readiness answers 503 by design (no worker here).
SKIP = {("GET", "/api/v1/events"), ("GET", "/readyz")}


def _fuzz(base: str, token: str, examples: int) -> tuple[Counter[str], list[str], int]:
    # Fetched here with a patient timeout: building the schema takes a while on a busy machine.
    schema = schemathesis.openapi.from_dict(httpx.get(f"{base}/openapi.json", timeout=300).json())
    headers = {"Authorization": f"Bearer {token}"}
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        operations += 1

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            try:
                response = case.call(base_url=base, headers=headers, timeout=30)
            except requests.RequestException as exc:
                failures.append(f"{case.method} {case.formatted_path}: {type(exc).__name__}")
                return
            statuses[f"{response.status_code // 100}xx"] += 1
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}"
                )

        try:
            run()
        except Unsatisfiable:
            statuses["unsatisfiable"] += 1
    return statuses, failures, operations


async def test_no_operation_answers_5xx(database_url: str, factory: Factory) -> None:
    tenant = await factory.tenant()
    examples = scaled(25, 5)
    with live_server(database_url) as base:
        statuses, failures, operations = await asyncio.to_thread(_fuzz, base, tenant.token, examples)
    assert not failures, "\n".join(sorted(set(failures))[:30])
    REPORT.add(
        "api fuzz",
        f"schemathesis: {operations} operations x up to {examples} cases, {sum(statuses.values())} requests "
        f"({dict(sorted(statuses.items()))}), 0 answered 5xx or dropped the connection",
    )
