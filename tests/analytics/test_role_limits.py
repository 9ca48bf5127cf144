"""A team- or inbox-limited custom role reads its own teams' / inboxes' figures only:
the limit is a filter the query string cannot lift, on every report and export."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.analytics.scenario import Scenario
from tests.factories import AgentHandle, Factory

REPORTS = ("overview", "timeseries", "heatmap", "conversations")


async def _limited_reader(
    client: httpx.AsyncClient, factory: Factory, week: Scenario, **limits: list[str]
) -> AgentHandle:
    role = await client.post(
        "/api/v1/roles",
        headers=week.tenant.headers,
        json={"name": f"Lead {uuid.uuid4().hex[:8]}", "permissions": ["analytics.view"], **limits},
    )
    assert role.status_code == 201, role.text
    reader = await factory.agent(week.tenant)
    given = await client.put(
        f"/api/v1/agents/{reader.id}/role", headers=week.tenant.headers, json={"role_id": role.json()["id"]}
    )
    assert given.status_code == 200, given.text
    return reader


async def _get(client: httpx.AsyncClient, headers: dict[str, str], path: str, **params: Any) -> Any:
    response = await client.get(f"/api/v1/analytics/{path}", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json() if path != "export" else response.content


def _same(limited: Any, filtered: Any) -> None:
    # The filtered report echoes the filter it was asked for; the limited one must not
    # (its limit is not a choice): everything else is equal.
    if isinstance(limited, dict):
        limited = {k: v for k, v in limited.items() if k != "filters"}
        filtered = {k: v for k, v in filtered.items() if k != "filters"}
    assert limited == filtered


async def test_team_limited_reader_sees_exactly_the_team_filtered_reports(
    module_client: httpx.AsyncClient, week: Scenario, factory: Factory
) -> None:
    reader = await _limited_reader(module_client, factory, week, team_ids=[str(week.berlin)])
    admin = week.tenant.headers
    everyone = await _get(module_client, admin, "overview", **week.query())
    for group_by in (None, "team", "agent", "channel"):
        extra = {"group_by": group_by} if group_by else {}
        for path in REPORTS:
            mine = await _get(module_client, reader.headers, path, **week.query(**extra))
            berlin = await _get(module_client, admin, path, **week.query(team_id=str(week.berlin), **extra))
            _same(mine, berlin)
        csv_mine = await _get(
            module_client, reader.headers, "export", **week.query(report="overview", **extra)
        )
        csv_berlin = await _get(
            module_client, admin, "export", **week.query(report="overview", team_id=str(week.berlin), **extra)
        )
        assert csv_mine == csv_berlin
    overview = await _get(module_client, reader.headers, "overview", **week.query(group_by="team"))
    assert {g["key"] for g in overview["groups"]} == {str(week.berlin)}
    # The limit is not the whole workspace: the test would pass vacuously otherwise.
    assert 0 < overview["totals"]["conversations"] < everyone["totals"]["conversations"]
    # Asking for another team is not a way out: it finds nothing.
    other = await _get(module_client, reader.headers, "overview", **week.query(team_id=str(week.mexico)))
    assert other["totals"]["conversations"] == 0
    drill = await _get(module_client, reader.headers, "conversations", **week.query(team_id=str(week.mexico)))
    assert drill["items"] == []


async def test_inbox_limited_reader_is_never_served_a_cube_without_inboxes(
    module_client: httpx.AsyncClient, week: Scenario, factory: Factory
) -> None:
    reader = await _limited_reader(module_client, factory, week, inbox_ids=[str(week.inbox_a)])
    admin = week.tenant.headers
    # No grouping would read the totals cube, and by agent the agent cube: neither keeps
    # inboxes, so these are the cases a forced filter could get wrong.
    for extra in ({}, {"group_by": "agent"}, {"agent_id": str(week.lena)}, {"group_by": "inbox"}):
        for path in ("overview", "timeseries"):
            mine = await _get(module_client, reader.headers, path, **week.query(**extra))
            theirs = await _get(module_client, admin, path, **week.query(inbox_id=str(week.inbox_a), **extra))
            _same(mine, theirs)
    total = await _get(module_client, reader.headers, "overview", **week.query())
    everyone = await _get(module_client, admin, "overview", **week.query())
    assert 0 < total["totals"]["conversations"] < everyone["totals"]["conversations"]


async def test_dashboard_of_a_limited_reader_counts_only_their_team(
    module_client: httpx.AsyncClient, week: Scenario, factory: Factory
) -> None:
    from tests.console.helpers import sign_in

    reader = await _limited_reader(module_client, factory, week, team_ids=[str(week.berlin)])
    module_client.cookies.clear()
    await sign_in(module_client, reader.email)
    page = await module_client.get("/analytics", params=week.query(group_by="team"))
    module_client.cookies.clear()
    assert page.status_code == 200, page.text[:300]
    assert "Berlin" in page.text and "Mexico" not in page.text
