"""Exports open in a spreadsheet; reports are for supervisors and admins of one workspace."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from openpyxl import load_workbook

from tests.analytics.scenario import Scenario
from tests.factories import Factory


@pytest.mark.parametrize("report", ["overview", "timeseries", "heatmap", "conversations"])
async def test_csv_and_xlsx_exports_open(
    module_client: httpx.AsyncClient, week: Scenario, report: str
) -> None:
    tables = {}
    for fmt in ("csv", "xlsx"):
        response = await module_client.get(
            "/api/v1/analytics/export",
            headers=week.tenant.headers,
            params=week.query(report=report, format=fmt, group_by="team", metric="backlog"),
        )
        assert response.status_code == 200, response.text
        assert f'.{fmt}"' in response.headers["content-disposition"]
        if fmt == "csv":
            text = response.content.decode("utf-8-sig")
            rows = [row for row in csv.reader(io.StringIO(text))]
        else:
            sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
            assert sheet is not None
            rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        tables[fmt] = rows
    assert tables["csv"][0] == tables["xlsx"][0]
    assert len(tables["csv"]) == len(tables["xlsx"])
    header, *body = tables["csv"]
    if report == "overview":
        labels = {row[header.index("label")]: row for row in body}
        assert labels["Berlin"][header.index("conversations")] == "3"
        assert labels[""][header.index("key")] == "(total)"
    elif report == "conversations":
        assert {row[header.index("conversation_id")] for row in body} == {week.c[3], week.c[5]}
    elif report == "heatmap":
        assert [row[0] for row in body][:2] == ["Monday", "Tuesday"] and body[0][header.index("09:00")] == "1"
    else:
        assert [row[header.index("conversations")] for row in body] == ["2", "1", "1", "1", "0", "0", "0"]


async def test_only_supervisors_and_admins_see_reports(
    module_client: httpx.AsyncClient, week: Scenario, factory: Factory
) -> None:
    agent = await factory.agent(week.tenant, role="agent")
    supervisor = await factory.agent(week.tenant, role="supervisor")
    for path in ("overview", "timeseries", "heatmap", "conversations", "export"):
        url = f"/api/v1/analytics/{path}"
        assert (await module_client.get(url, params=week.query())).status_code == 401
        assert (await module_client.get(url, headers=agent.headers, params=week.query())).status_code == 403
        response = await module_client.get(url, headers=supervisor.headers, params=week.query())
        assert response.status_code == 200, response.text


async def test_another_workspace_sees_none_of_it(
    module_client: httpx.AsyncClient, week: Scenario, factory: Factory
) -> None:
    other = await factory.tenant("Elsewhere")
    params = week.query(group_by="team")
    report = (
        await module_client.get("/api/v1/analytics/overview", headers=other.headers, params=params)
    ).json()
    assert report["totals"]["conversations"] == 0 and report["groups"] == []
    # Even naming this workspace's team and conversations finds nothing.
    for path, extra in (
        ("overview", {"team_id": str(week.berlin)}),
        ("conversations", {"group_by": "team", "key": str(week.berlin)}),
        ("heatmap", {}),
    ):
        response = await module_client.get(
            f"/api/v1/analytics/{path}", headers=other.headers, params=week.query(**extra)
        )
        body = response.json()
        assert response.status_code == 200
        assert body.get("items", []) == [] and body.get("total", 0) == 0
        assert body.get("totals", {"conversations": 0})["conversations"] == 0
    rating = await module_client.post(
        f"/api/v1/conversations/{week.c[3]}/csat", headers=other.headers, json={"rating": 1}
    )
    assert rating.status_code == 404
