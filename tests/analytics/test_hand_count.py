"""The overview against a hand count of the scenario week (see scenario.py)."""

from __future__ import annotations

import httpx
import pytest

from tests.analytics.scenario import Scenario


async def overview(client: httpx.AsyncClient, week: Scenario, **params: str) -> dict:  # type: ignore[type-arg]
    response = await client.get(
        "/api/v1/analytics/overview", headers=week.tenant.headers, params=week.query(**params)
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_totals_match_the_hand_count(module_client: httpx.AsyncClient, week: Scenario) -> None:
    report = await overview(module_client, week)
    assert report["percentiles"] == "exact"
    t = report["totals"]
    assert (t["conversations"], t["resolved"], t["reopens"], t["backlog"]) == (5, 4, 1, 2)
    # First responses 600, 1800, 59400, 86400: median halfway between 1800 and 59400.
    assert t["first_response_p50_s"] == pytest.approx(30600)
    assert t["first_response_p90_s"] == pytest.approx(78300)
    assert t["first_response_avg_s"] == pytest.approx(37050)
    # Resolutions 7200, 46800, 151200.
    assert t["resolution_p50_s"] == pytest.approx(46800)
    assert t["resolution_p90_s"] == pytest.approx(130320)
    assert t["next_response_p50_s"] == pytest.approx(1200)
    assert (t["csat_avg"], t["csat_responses"], t["csat_surveys"]) == (5.0, 1, 2)
    assert t["reopen_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert t["fcr_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert (t["handoffs"], t["handoff_rate"]) == (1, 0.2)
    assert t["sla_attainment"] is None and t["bot_deflection_rate"] == 0.0


async def test_business_hours_basis(module_client: httpx.AsyncClient, week: Scenario) -> None:
    report = await overview(module_client, week, basis="business")
    t = report["totals"]
    assert report["basis"] == "business"
    # First responses in business time 600, 1800, 1800, 28800; resolutions 3600, 7200, 36000.
    assert t["first_response_p50_s"] == pytest.approx(1800)
    assert t["first_response_p90_s"] == pytest.approx(20700)
    assert t["resolution_p50_s"] == pytest.approx(7200)
    assert t["resolution_p90_s"] == pytest.approx(30240)
    assert t["next_response_p50_s"] == pytest.approx(1200)
    assert t["conversations"] == 5 and t["first_response_avg_s"] is None
