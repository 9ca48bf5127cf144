"""p50/p99 of the agent's main views over the generated workspace (run generate first).

    python -m benchmarks.inbox [--data-dir DIR] [--repeat 200]

Each view runs through the functions the console and the API call, with a fresh session
per request as a request has: ``conversations.service.list_conversations`` plus
``to_out_many`` (contacts decrypted from the vault) and, for the console page, the view
counts (``console.queries.view_counts``); ``messages.service.list_messages`` (every body
decrypted) for the conversation with 200 messages. The agents are ordinary agents (they
see their conversations, their teams' and the unowned queue); one admin view shows the
whole workspace. Targets: p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks._common import DEFAULT_DATA_DIR, latency, record, start_database, use_data_dir
from benchmarks.generate import BENCH_AGENT, bench_workspace
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

TARGET_MS = 50.0


async def principal_for(session: AsyncSession, email: str) -> Any:
    from meridian.agents.models import Agent, AgentTeam
    from meridian.auth.service import Principal

    agent = await session.scalar(select(Agent).where(Agent.email == email))
    assert agent is not None, f"no agent {email}: run benchmarks.generate first"
    teams = await session.scalars(select(AgentTeam.team_id).where(AgentTeam.agent_id == agent.id))
    return Principal(
        agent_id=agent.id, workspace_id=agent.workspace_id, role=agent.role, team_ids=frozenset(teams)
    )


async def measure(url: str, workspace_id: uuid.UUID, repeat: int) -> dict[str, Any]:
    from meridian.console import queries
    from meridian.conversations.models import Conversation
    from meridian.conversations.service import ConversationFilter, list_conversations, to_out_many
    from meridian.db.engine import make_database, set_database
    from meridian.messages.service import list_messages

    db = make_database(url, pool_size=2)
    set_database(db)
    rng = random.Random(7)
    async with db.session() as session:
        emails = [BENCH_AGENT] + [
            f"bench-agent-{n}@bench.meridian.test" for n in rng.sample(range(1, 500), 19)
        ]
        agents = [await principal_for(session, email) for email in emails]
        admin = await principal_for(session, "bench-admin@bench.meridian.test")
        long_thread = await session.scalar(
            select(Conversation.id).where(Conversation.workspace_id == workspace_id, Conversation.number == 1)
        )
        languages = list(
            await session.scalars(
                select(Conversation.language)
                .where(Conversation.workspace_id == workspace_id)
                .group_by(Conversation.language)
                .order_by(func.count().desc())
            )
        )
    assert long_thread is not None

    async def console(principal: Any, view: str, **params: str) -> None:
        """What the console's inbox page reads (console/routes.py ``_list_context``)."""
        query = queries.InboxQuery.parse(params, view=view)
        async with db.session() as session:
            rows, _ = await list_conversations(
                session,
                principal=principal,
                filters=query.conversation_filter(principal),
                limit=50,
                cursor=None,
                sort=query.sort,
            )
            await to_out_many(session, rows)
            await queries.view_counts(session, principal=principal, query=query)
            await queries.filter_options(session, workspace_id=principal.workspace_id)

    async def api_page(principal: Any, filters: Any, cursor: str | None) -> str | None:
        """``GET /api/v1/conversations`` (conversations/routes.py)."""
        async with db.session() as session:
            rows, next_cursor = await list_conversations(
                session, principal=principal, filters=filters, limit=50, cursor=cursor
            )
            await to_out_many(session, rows)
            return next_cursor

    async def api_pages(principal: Any, filters: Any) -> None:
        cursor = None
        for _ in range(5):
            cursor = await api_page(principal, filters, cursor)
            if cursor is None:
                break

    async def thread(principal: Any) -> None:
        async with db.session() as session:
            out = await list_messages(session, principal=principal, conversation_id=long_thread)
            assert len(out) == 200 and out[0].body, "the 200-message thread did not decrypt"

    def agent(i: int) -> Any:
        return agents[i % len(agents)]

    lang = languages[len(languages) // 2] if languages else "de"
    views: dict[str, Callable[[int], Awaitable[Any]]] = {
        "console: mine (open)": lambda i: console(agent(i), "mine"),
        "console: unassigned, my teams, by SLA due": lambda i: console(
            agent(i), "unassigned", sort="sla_due"
        ),
        "console: my teams, by SLA due": lambda i: console(agent(i), "teams", sort="sla_due"),
        f"console: my teams, language={lang}": lambda i: console(agent(i), "teams", language=lang),
        "console: my teams, tag=refund, any status": lambda i: console(
            agent(i), "teams", tag="refund", status="any"
        ),
        f"console (admin): all, language={lang}, tag=billing": lambda i: console(
            admin, "all", language=lang, tag="billing", status="any"
        ),
        "console (admin): all open, by SLA due": lambda i: console(admin, "all", sort="sla_due"),
        "conversation with 200 messages (decrypted)": lambda i: thread(agents[0]),
        "API list, 5 pages by cursor (per page)": lambda i: api_pages(agent(i), ConversationFilter()),
        "API list (admin), 5 pages by cursor (per page)": lambda i: api_pages(admin, ConversationFilter()),
    }
    figures: dict[str, Any] = {}
    print(f"\n{'view':<56} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms':>7}  n={repeat}, target {TARGET_MS:.0f} ms)")
    for name, run in views.items():
        for i in range(5):
            await run(i)  # warm the cache, as a working server's is
        samples = []
        cpu = time.process_time()
        for i in range(repeat):
            t0 = time.perf_counter()
            await run(i)
            samples.append(time.perf_counter() - t0)
        # The Python side's own CPU time per request: on a shared machine the wall-clock
        # figures include waiting for a core, this does not.
        cpu_ms = (time.process_time() - cpu) * 1000 / repeat
        if name.startswith("API list"):
            samples = [s / 5 for s in samples]
            cpu_ms /= 5
        stats = {**latency(samples), "python_cpu_ms": round(cpu_ms, 1)}
        figures[name] = stats
        flag = "" if stats["p99_ms"] < TARGET_MS else "  MISSED"
        print(f"{name:<56} {stats['p50_ms']:8.1f} {stats['p99_ms']:8.1f} {cpu_ms:7.1f}{flag}")
    await db.dispose()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)
    url = start_database(use_data_dir(args.data_dir))
    workspace_id = bench_workspace(url)
    if workspace_id is None:
        raise SystemExit("no generated workspace here: run `python -m benchmarks.generate` first")
    figures = asyncio.run(measure(url, workspace_id, args.repeat))
    record("inbox", {"views": figures})


if __name__ == "__main__":
    main()
