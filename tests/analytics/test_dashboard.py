"""The console's analytics page: charts, figures that follow the filters, drill-down, access."""

from __future__ import annotations

import html
import re

import httpx

from tests.analytics.scenario import Scenario
from tests.console.helpers import sign_in
from tests.factories import Factory


def tile(page: str, metric: str) -> str:
    match = re.search(rf'class="tile-value" href="[^"]*metric={metric}[^"]*">([^<]*)</a>', page)
    assert match, f"no tile for {metric}"
    return html.unescape(match.group(1)).strip()


async def test_supervisors_see_charts_and_figures_that_follow_the_language_filter(
    client: httpx.AsyncClient, week: Scenario, factory: Factory
) -> None:
    client.cookies.clear()
    supervisor = await factory.agent(week.tenant, role="supervisor", locale="de")
    await sign_in(client, supervisor.email)
    home = await client.get("/")
    assert 'href="/analytics"' in home.text
    page = await client.get("/analytics", params=week.query(group_by="team"))
    assert page.status_code == 200, page.text
    text = page.text
    assert "Auswertungen" in text and text.count("<svg") >= 3
    assert 'class="bar-new"' in text and 'class="heat' in text and "polyline" in text
    assert (tile(text, "conversations"), tile(text, "resolved"), tile(text, "backlog")) == ("5", "4", "2")
    assert "Berlin" in text and "Mexico City" in text
    assert "/api/v1/analytics/export?" in text and "format=xlsx" in text
    spanish = (await client.get("/analytics", params=week.query(group_by="team", language="es"))).text
    assert (tile(spanish, "conversations"), tile(spanish, "resolved"), tile(spanish, "backlog")) == (
        "2",
        "1",
        "1",
    )
    weekly = await client.get("/analytics", params=week.query(interval="week", basis="business"))
    assert weekly.status_code == 200


async def test_drill_down_page_links_the_conversations(
    client: httpx.AsyncClient, week: Scenario, factory: Factory
) -> None:
    client.cookies.clear()
    supervisor = await factory.agent(week.tenant, role="supervisor")
    await sign_in(client, supervisor.email)
    page = await client.get("/analytics/conversations", params=week.query(metric="backlog"))
    assert page.status_code == 200
    linked = set(re.findall(r'href="/conversations/([0-9a-f-]{36})"', page.text))
    assert linked == {week.c[3], week.c[5]}
    assert "Backlog" in page.text


async def test_agents_do_not_see_analytics(
    client: httpx.AsyncClient, week: Scenario, factory: Factory
) -> None:
    client.cookies.clear()
    agent = await factory.agent(week.tenant, role="agent")
    await sign_in(client, agent.email)
    assert 'href="/analytics"' not in (await client.get("/")).text
    assert (await client.get("/analytics")).status_code == 403
    assert (await client.get("/analytics/conversations")).status_code == 403
    bad = await client.get("/analytics", params={"since": "not-a-date"})
    assert bad.status_code == 403
