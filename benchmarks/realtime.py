"""Live updates: 500 SSE clients on `meridian serve`, webhook 2xx -> event at the right streams.

    python -m benchmarks.realtime [--clients 500] [--webhooks 100] [--data-dir DIR]

Starts `meridian serve`, creates 10 teams of 10 agents, one WhatsApp inbox per team,
and opens ``--clients`` streams on ``GET /api/v1/events`` (each agent with its own API
token, several tabs each). Then, one after the other, signed WhatsApp webhooks arrive
for random teams; for each, the time from the webhook's 2xx to its ``message.created``
event at every stream of that team's agents is recorded (the event carries the body,
which holds a marker). Streams of other teams must not see it. Target p99 under 250 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from benchmarks._common import latency, meridian_serve, record, start_database, use_data_dir
from benchmarks.ingest import APP_SECRET, PHONE_NUMBER_ID, bootstrap, whatsapp_request

TEAMS = 10
AGENTS_PER_TEAM = 10


def make_tokens(url: str, emails: list[str]) -> dict[str, str]:
    from sqlalchemy import select

    from meridian.agents.models import Agent
    from meridian.auth.service import create_api_token
    from meridian.db.engine import make_database

    async def run() -> dict[str, str]:
        db = make_database(url, pool_size=1)
        tokens = {}
        async with db.session() as session:
            for agent in await session.scalars(select(Agent).where(Agent.email.in_(emails))):
                token, _ = await create_api_token(session, agent=agent, name="realtime benchmark")
                tokens[agent.email] = token
            await session.commit()
        await db.dispose()
        return tokens

    return asyncio.run(run())


def setup(base: str, token: str) -> list[tuple[str, list[str]]]:
    """[(WhatsApp inbox id, [agent emails])] per team."""
    teams = []
    with httpx.Client(
        base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as api:
        for t in range(TEAMS):
            team = api.post("/teams", json={"name": f"Team {t}", "languages": ["en"]}).json()
            emails = []
            for a in range(AGENTS_PER_TEAM):
                email = f"rt-{t}-{a}-{uuid.uuid4().hex[:6]}@bench.meridian.test"
                response = api.post(
                    "/agents",
                    json={
                        "email": email,
                        "name": f"Agent {t}/{a}",
                        "team_ids": [team["id"]],
                        "languages": ["en"],
                    },
                )
                assert response.status_code == 201, response.text
                emails.append(email)
            config = {
                "phone_number_id": PHONE_NUMBER_ID,
                "access_token": "bench-access-token",
                "app_secret": APP_SECRET,
                "verify_token": "bench-verify",
            }
            inbox = api.post(
                "/inboxes",
                json={
                    "name": f"WhatsApp {t}",
                    "channel": "whatsapp",
                    "config": config,
                    "team_id": team["id"],
                },
            )
            assert inbox.status_code == 201, inbox.text
            teams.append((inbox.json()["id"], emails))
    return teams


async def measure(
    base: str, teams: list[tuple[str, list[str]]], tokens: dict[str, str], clients: int, webhooks: int
) -> dict[str, Any]:
    # arrivals[marker][client index] = perf_counter at arrival
    arrivals: dict[str, dict[int, float]] = {}
    client_team: list[int] = []
    plan = []
    for n in range(clients):
        team = n % len(teams)
        email = teams[team][1][(n // len(teams)) % AGENTS_PER_TEAM]
        plan.append(tokens[email])
        client_team.append(team)
    connected = 0
    limits = httpx.Limits(max_connections=clients + 16, max_keepalive_connections=clients + 16)
    timeout = httpx.Timeout(30, read=None)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as http:

        async def listen(index: int, token: str) -> None:
            nonlocal connected
            headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
            async with http.stream("GET", "/api/v1/events", headers=headers) as response:
                assert response.status_code == 200, response.status_code
                connected += 1
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    now = time.perf_counter()
                    data = json.loads(line[5:])
                    if data.get("type") != "message.created":
                        continue
                    body = str((data.get("data") or {}).get("body") or "")
                    marker = body.rsplit("[", 1)[-1].rstrip("]") if "[rt-" in body else None
                    if marker:
                        arrivals.setdefault(marker, {})[index] = now

        listeners = [asyncio.create_task(listen(i, token)) for i, token in enumerate(plan)]
        deadline = time.monotonic() + 300
        while connected < clients and time.monotonic() < deadline:  # noqa: ASYNC110 - a poll is enough
            await asyncio.sleep(0.2)
        print(f"  {connected} SSE clients connected")
        await asyncio.sleep(2)
        rng = random.Random(5)
        samples: list[float] = []
        missing = leaked = 0
        for n in range(webhooks):
            team = rng.randrange(len(teams))
            marker = f"rt-{n}"
            path, headers, body = whatsapp_request(teams[team][0], n, text=f"Where is my parcel? [{marker}]")
            response = await http.post(
                path, content=body, headers={**headers, "Content-Type": "application/json"}
            )
            acked = time.perf_counter()
            assert response.status_code == 200, response.text
            expected = {i for i, t in enumerate(client_team) if t == team}
            wait_until = time.monotonic() + 10
            while time.monotonic() < wait_until and not expected <= set(arrivals.get(marker, {})):  # noqa: ASYNC110
                await asyncio.sleep(0.005)
            got = arrivals.get(marker, {})
            samples.extend(max(0.0, got[i] - acked) for i in expected if i in got)
            missing += len(expected - set(got))
            leaked += len(set(got) - expected)
            await asyncio.sleep(0.05)
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
    return {"connected": connected, "latency": latency(samples), "missing": missing, "leaked": leaked}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--webhooks", type=int, default=100)
    parser.add_argument("--data-dir", type=Path, default=None, help="default: a fresh temporary directory")
    args = parser.parse_args(argv)
    data_dir = use_data_dir(args.data_dir)
    url = start_database(data_dir)
    _, token = bootstrap(url)
    with meridian_serve(data_dir) as (base, _pid):
        teams = setup(base, token)
        tokens = make_tokens(url, [e for _, emails in teams for e in emails])
        figures: dict[str, Any] = asyncio.run(measure(base, teams, tokens, args.clients, args.webhooks))
    figures.update(clients=args.clients, webhooks=args.webhooks)
    lat = figures["latency"]
    print(f"\nrealtime: {figures['connected']} SSE clients, {args.webhooks} webhooks, {lat['n']} deliveries")
    print(
        f"  webhook 2xx -> event at the team's streams: p50 {lat['p50_ms']:.1f}  p99 {lat['p99_ms']:.1f} ms"
    )
    print(f"  missing {figures['missing']}, seen by other teams {figures['leaked']} (target p99 < 250 ms)")
    record("realtime", figures)


if __name__ == "__main__":
    main()
