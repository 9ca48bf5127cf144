"""Grouping, filtering, time series, heat map and drill-down over the scenario week."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.analytics.scenario import Scenario


async def get(client: httpx.AsyncClient, week: Scenario, path: str, **params: str) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/analytics/{path}", headers=week.tenant.headers, params=week.query(**params)
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def by_key(report: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {group["key"]: group for group in report["groups"]}


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        ("language", {"de": 2, "es": 2, "en": 1}),
        ("channel", {"api": 4, "sms": 1}),
        ("team", {"berlin": 3, "mexico": 1, None: 1}),
        ("agent", {"lena": 2, "marco": 1, None: 2}),
        ("region", {"eu": 3, "latam": 1, None: 1}),
        ("inbox", {"inbox_a": 2, "inbox_b": 2, "inbox_c": 1}),
        ("tier", {"vip": 2, None: 3}),
        ("tag", {"billing": 2, "shipping": 1, None: 3}),
    ],
)
async def test_group_by_each_dimension(
    module_client: httpx.AsyncClient, week: Scenario, group_by: str, expected: dict[str | None, int]
) -> None:
    report = await get(module_client, week, "overview", group_by=group_by)
    ids = {"berlin": week.berlin, "mexico": week.mexico, "lena": week.lena, "marco": week.marco}
    ids |= {"inbox_a": week.inbox_a, "inbox_b": week.inbox_b, "inbox_c": week.inbox_c}
    want = {(str(ids[k]) if k in ids else k): n for k, n in expected.items()}
    assert {key: group["conversations"] for key, group in by_key(report).items()} == want
    # The groups add up to the totals (tags overlap, so not for them).
    if group_by != "tag":
        assert sum(g["resolved"] for g in report["groups"]) == report["totals"]["resolved"] == 4
        assert sum(g["backlog"] for g in report["groups"]) == report["totals"]["backlog"] == 2


async def test_group_measures_and_labels(module_client: httpx.AsyncClient, week: Scenario) -> None:
    teams = by_key(await get(module_client, week, "overview", group_by="team"))
    berlin, mexico = teams[str(week.berlin)], teams[str(week.mexico)]
    assert berlin["label"] == "Berlin" and mexico["label"] == "Mexico City"
    assert (berlin["resolved"], berlin["backlog"], berlin["reopens"]) == (4, 0, 1)
    assert (mexico["resolved"], mexico["backlog"], mexico["first_response_p50_s"]) == (0, 1, 86400)
    assert berlin["csat_avg"] == 5.0 and berlin["handoffs"] == 1


async def test_a_language_filter_changes_every_figure_consistently(
    module_client: httpx.AsyncClient, week: Scenario
) -> None:
    spanish = await get(module_client, week, "overview", language="es", group_by="team")
    t = spanish["totals"]
    assert (t["conversations"], t["resolved"], t["backlog"], t["handoffs"]) == (2, 1, 1, 1)
    assert (t["first_response_p50_s"], t["resolution_p50_s"], t["csat_avg"]) == (86400, 46800, None)
    assert {g["key"]: g["conversations"] for g in spanish["groups"]} == {
        str(week.berlin): 1,
        str(week.mexico): 1,
    }
    series = await get(module_client, week, "timeseries", language="es", interval="week")
    assert [(p["conversations"], p["resolved"], p["backlog"]) for p in series["points"]] == [(2, 1, 1)]
    heat = await get(module_client, week, "heatmap", language="es")
    assert heat["total"] == 2
    drill = await get(module_client, week, "conversations", language="es", metric="conversations")
    assert {item["conversation_id"] for item in drill["items"]} == {week.c[3], week.c[4]}


async def test_daily_and_weekly_series(module_client: httpx.AsyncClient, week: Scenario) -> None:
    daily = await get(module_client, week, "timeseries")
    rows = [(p["period"], p["conversations"], p["resolved"], p["backlog"]) for p in daily["points"]]
    assert rows == [
        ("2026-03-02", 2, 1, 1),
        ("2026-03-03", 1, 1, 1),
        ("2026-03-04", 1, 1, 2),
        ("2026-03-05", 1, 1, 2),
        ("2026-03-06", 0, 0, 2),
        ("2026-03-07", 0, 0, 2),
        ("2026-03-08", 0, 0, 2),
    ]
    assert daily["points"][0]["first_response_p50_s"] is not None
    weekly = await get(module_client, week, "timeseries", interval="week")
    assert [(p["period"], p["conversations"], p["resolved"], p["backlog"]) for p in weekly["points"]] == [
        ("2026-03-02", 5, 4, 2)
    ]


async def test_heat_map_is_in_each_customers_local_time(
    module_client: httpx.AsyncClient, week: Scenario
) -> None:
    heat = await get(module_client, week, "heatmap")
    cells = {(day, hour): n for day, row in enumerate(heat["matrix"]) for hour, n in enumerate(row) if n}
    # Mon 09 and 17 Berlin; Tue 09 and Wed 14 Mexico City; Thu 21 in Tokyo (12:00 UTC).
    assert cells == {(0, 9): 1, (0, 17): 1, (1, 9): 1, (2, 14): 1, (3, 21): 1}


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("backlog", {3, 5}),
        ("resolved", {1, 2, 4}),
        ("reopens", {2}),
        ("reopened_conversations", {2}),
        ("first_contact_resolutions", {1, 4}),
        ("handoffs", {4}),
        ("csat_responses", {1}),
        ("first_responses", {1, 2, 3, 5}),
    ],
)
async def test_drill_down_lists_the_conversations_behind_a_number(
    module_client: httpx.AsyncClient, week: Scenario, metric: str, expected: set[int]
) -> None:
    drill = await get(module_client, week, "conversations", metric=metric)
    assert {item["conversation_id"] for item in drill["items"]} == {week.c[n] for n in expected}


async def test_drill_down_by_group_key_and_pages(module_client: httpx.AsyncClient, week: Scenario) -> None:
    berlin = await get(module_client, week, "conversations", group_by="team", key=str(week.berlin), limit="2")
    assert len(berlin["items"]) == 2 and berlin["next_cursor"]
    rest = await get(
        module_client,
        week,
        "conversations",
        group_by="team",
        key=str(week.berlin),
        cursor=berlin["next_cursor"],
    )
    seen = {item["conversation_id"] for item in berlin["items"] + rest["items"]}
    assert seen == {week.c[1], week.c[2], week.c[4]} and rest["next_cursor"] is None
    none = await get(module_client, week, "conversations", group_by="team", key="")
    assert [item["conversation_id"] for item in none["items"]] == [week.c[5]]


async def test_bad_parameters_are_422(module_client: httpx.AsyncClient, week: Scenario) -> None:
    h = week.tenant.headers
    for params in (
        {"group_by": "planet"},
        {"since": "yesterday"},
        {"since": "2026-03-09", "until": "2026-03-02"},
        {"team_id": "not-an-id"},
    ):
        response = await module_client.get("/api/v1/analytics/overview", headers=h, params=params)
        assert response.status_code == 422, (params, response.text)
    response = await module_client.get(
        "/api/v1/analytics/conversations", headers=h, params={"metric": "vibes"}
    )
    assert response.status_code == 422
