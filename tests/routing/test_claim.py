"""Routing locks only the agent it chooses, and checks under that lock that the agent
still has room (routing/service.py ``_decide_and_claim``), on real PostgreSQL."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.conversations.models import Conversation
from meridian.db.engine import Database
from meridian.routing import directory
from meridian.routing import service as routing
from meridian.routing.engine import AgentView, Decision
from meridian.routing.service import route_conversation
from meridian.teams.models import Team
from tests.routing import support


@dataclass
class Desk:
    workspace_id: uuid.UUID
    team_id: uuid.UUID
    inbox_id: uuid.UUID


async def _desk(db: Database) -> Desk:
    ws = await support.workspace(db)
    team = (await support.make_teams(db, ws, ["Berlin"]))["Berlin"]
    async with db.session() as session:
        row = await session.get(Team, team)
        assert row is not None
        row.business_hours = None  # open around the clock: only capacity decides here
        await session.commit()
    return Desk(ws, team, await support.api_inbox(db, ws, team_id=team))


async def _agent(db: Database, desk: Desk, name: str, *, max_concurrent: int, load: int = 0) -> uuid.UUID:
    agent = await support.make_agent(
        db, desk.workspace_id, name, teams=[desk.team_id], languages=["de"], max_concurrent=max_concurrent
    )
    if load:
        await support.give_load(db, desk.workspace_id, desk.inbox_id, agent, load)
    return agent


async def _arrival(db: Database, desk: Desk, who: str) -> uuid.UUID:
    return (await support.incoming(db, desk.inbox_id, identifier=who, language="de")).conversation_id


async def _route(db: Database, conversation_id: uuid.UUID) -> Decision | None:
    async with db.session() as session:
        decision = await route_conversation(session=session, conversation_id=conversation_id, trigger="test")
        await session.commit()
        return decision


async def _owner(db: Database, conversation_id: uuid.UUID) -> uuid.UUID | None:
    return (await support.conversation(db, conversation_id)).assignee_id


async def _open_load(db: Database, agent_id: uuid.UUID) -> int:
    async with db.session() as session:
        rows = await session.scalars(
            select(Conversation.id).where(Conversation.assignee_id == agent_id, Conversation.status == "open")
        )
        return len(list(rows))


async def _until_someone_waits(db: Database, task: asyncio.Task[Decision | None]) -> None:
    deadline = time.monotonic() + 60
    while True:
        async with db.session() as session:
            waiting = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        assert not task.done(), "the second decision should have waited for the agent's lock"
        assert time.monotonic() < deadline, "nobody ever waited for a lock"
        await asyncio.sleep(0.05)


async def _lockable(db: Database, agent_id: uuid.UUID) -> bool:
    """Whether another transaction could take the lock routing takes on this agent now."""
    async with db.session() as session:
        try:
            await session.execute(
                select(Agent.id).where(Agent.id == agent_id).with_for_update(key_share=True, nowait=True)
            )
        except OperationalError as exc:
            assert "lock" in str(exc)
            return False
        finally:
            await session.rollback()
        return True


@pytest.mark.parametrize("next_agent", [True, False], ids=["next-agent", "queue"])
async def test_two_decisions_racing_for_the_last_slot_assign_it_once(db: Database, next_agent: bool) -> None:
    desk = await _desk(db)
    # Anna (0/1) ranks first for both arrivals; Ben (1/3), when there, is next.
    anna = await _agent(db, desk, "Anna", max_concurrent=1)
    ben = await _agent(db, desk, "Ben", max_concurrent=3, load=1) if next_agent else None
    first = await _arrival(db, desk, "erste")
    second = await _arrival(db, desk, "zweite")

    async with db.session() as session:
        won = await route_conversation(session=session, conversation_id=first, trigger="test")
        assert won is not None and won.agent_id == anna
        # The second decision reads Anna's slot as free (the first is not committed)
        # and must wait for her lock, then count again and see the slot taken.
        racing = asyncio.create_task(_route(db, second))
        await _until_someone_waits(db, racing)
        assert ben is None or await _lockable(db, ben), "only the chosen agent is locked"
        await session.commit()
    lost = await racing

    assert lost is not None
    assert await _owner(db, first) == anna and await _open_load(db, anna) == 1
    if ben is not None:
        assert lost.outcome == "assigned" and lost.agent_id == ben
        assert await _owner(db, second) == ben and lost.load == 1 and "load 1/3" in lost.reason
    else:
        assert lost.outcome == "queued" and "everyone at capacity" in lost.reason
        assert await _owner(db, second) is None


async def _fill(db: Database, desk: Desk, agent_id: uuid.UUID) -> None:
    await support.give_load(db, desk.workspace_id, desk.inbox_id, agent_id, 1)


async def _take_offline(db: Database, desk: Desk, agent_id: uuid.UUID) -> None:
    async with db.session() as session:
        await session.execute(update(Agent).where(Agent.id == agent_id).values(availability="offline"))
        await session.commit()


def _meanwhile(monkeypatch: pytest.MonkeyPatch, change: Callable[[], Awaitable[None]]) -> list[bool]:
    """Let another transaction commit ``change`` right after routing's unlocked read,
    before it locks its choice; returns the ``lock`` flag of every read."""
    read = directory.agents_of
    reads: list[bool] = []

    async def read_then_change(
        session: AsyncSession, workspace_id: uuid.UUID, *, lock: bool = False
    ) -> list[AgentView]:
        views = await read(session, workspace_id, lock=lock)
        if not reads:
            await change()
        reads.append(lock)
        return views

    monkeypatch.setattr(directory, "agents_of", read_then_change)
    return reads


@pytest.mark.parametrize("change", [_fill, _take_offline], ids=["filled-up", "went-offline"])
async def test_a_decision_whose_agent_changed_after_the_read_decides_again(
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[Database, Desk, uuid.UUID], Awaitable[None]],
) -> None:
    desk = await _desk(db)
    anna = await _agent(db, desk, "Anna", max_concurrent=1)
    ben = await _agent(db, desk, "Ben", max_concurrent=3, load=1)
    arrival = await _arrival(db, desk, "kunde")
    reads = _meanwhile(monkeypatch, lambda: change(db, desk, anna))

    async with db.session() as session:
        decision = await route_conversation(session=session, conversation_id=arrival, trigger="test")
        assert decision is not None and decision.agent_id == ben
        assert decision.load == 1 and decision.capacity == 3
        # Anna's lock went with the rolled-back savepoint; Ben's stays until commit.
        assert await _lockable(db, anna)
        assert not await _lockable(db, ben)
        await session.commit()
    assert reads == [False], "one unlocked read, no last resort"
    assert await _owner(db, arrival) == ben
    assert await _open_load(db, anna) == (1 if change is _fill else 0)


async def test_after_losing_too_often_every_candidate_is_locked_and_counted(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = await _desk(db)
    anna = await _agent(db, desk, "Anna", max_concurrent=1)
    ben = await _agent(db, desk, "Ben", max_concurrent=3, load=1)
    arrival = await _arrival(db, desk, "kunde")
    monkeypatch.setattr(routing, "CLAIM_TRIES", 1)
    reads = _meanwhile(monkeypatch, lambda: _fill(db, desk, anna))

    async with db.session() as session:
        decision = await route_conversation(session=session, conversation_id=arrival, trigger="test")
        assert decision is not None and decision.agent_id == ben and decision.load == 1
        assert not await _lockable(db, anna) and not await _lockable(db, ben)
        await session.commit()
    assert reads == [False, True]
    assert await _owner(db, arrival) == ben and await _open_load(db, anna) == 1


async def test_a_row_naming_the_chosen_agent_is_not_held_up_by_routing(db: Database) -> None:
    desk = await _desk(db)
    anna = await _agent(db, desk, "Anna", max_concurrent=2)
    arrival = await _arrival(db, desk, "kunde")

    async with db.session() as session:
        decision = await route_conversation(session=session, conversation_id=arrival, trigger="test")
        assert decision is not None and decision.agent_id == anna
        # Its foreign-key check takes KEY SHARE on Anna, which the routing lock allows.
        await asyncio.wait_for(support.give_load(db, desk.workspace_id, desk.inbox_id, anna, 1), 30)
        await session.commit()
    assert await _open_load(db, anna) == 2


async def test_a_queue_drain_skips_a_customer_someone_else_holds(db: Database) -> None:
    """Each assignment of a drain keeps its agent locked until the drain commits, so the
    drain never waits for a customer another transaction holds (that one may want one of
    those agents: a circle of waits). It skips the held conversation and routes the rest."""
    desk = await _desk(db)
    await _agent(db, desk, "Lena", max_concurrent=5)
    held, free = await _arrival(db, desk, "held"), await _arrival(db, desk, "free")
    async with db.session() as holder:
        locked = await routing.lock_conversation(holder, held)
        assert locked is not None
        async with db.session() as drainer:
            await drainer.execute(text("SET LOCAL lock_timeout = '5s'"))
            assigned = await routing.drain_queue(session=drainer, workspace_id=desk.workspace_id)
            await drainer.commit()
        await holder.rollback()
    assert assigned == 1
    assert await _owner(db, free) is not None
    assert await _owner(db, held) is None
    # Once let go, the next drain routes it.
    async with db.session() as session:
        assert await routing.drain_queue(session=session, workspace_id=desk.workspace_id) == 1
        await session.commit()
    assert await _owner(db, held) is not None
