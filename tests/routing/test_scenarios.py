"""The routing scenario table, end to end: ingest at a frozen instant, dispatch, owner."""

from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import update

from meridian.conversations.models import Conversation
from meridian.db.engine import Database
from meridian.workspaces.models import Workspace
from tests.routing import support
from tests.routing.scenarios import AGENTS, LOADS, SCENARIOS, Scenario


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_first_assignment(db: Database, scenario: Scenario) -> None:
    ws = await support.workspace(db)
    if scenario.intent_skills:
        async with db.session() as session:
            await session.execute(
                update(Workspace)
                .where(Workspace.id == ws)
                .values(settings={"intent_skills": scenario.intent_skills})
            )
            await session.commit()
    teams = await support.make_teams(db, ws)
    inbox = await support.api_inbox(db, ws)
    agents = {
        name: await support.make_agent(
            db,
            ws,
            name,
            teams=[teams[spec.team]],
            languages=list(spec.languages),
            max_concurrent=spec.max_concurrent,
            skills=list(spec.skills),
            language_proficiency=scenario.proficiency.get(name, {}),
            channel_capacity=scenario.channel_capacity.get(name, {}),
            availability="away" if name in scenario.away else "online",
        )
        for name, spec in AGENTS.items()
    }
    for name, load in {**LOADS, **scenario.loads}.items():
        await support.give_load(db, ws, inbox, agents[name], load)
    with time_machine.travel(scenario.at, tick=False):
        if scenario.last_agent or scenario.asked_senior_before:
            before = await support.incoming(db, inbox, identifier="returning", language=scenario.language)
            async with db.session() as session:
                await session.execute(
                    update(Conversation)
                    .where(Conversation.id == before.conversation_id)
                    .values(
                        status="resolved",
                        assignee_id=agents[scenario.last_agent] if scenario.last_agent else None,
                        tags=["skill:senior"] if scenario.asked_senior_before else [],
                    )
                )
                await session.commit()
            await support.settle(db)
        result = await support.incoming(
            db, inbox, identifier="returning", language=scenario.language, body=scenario.body
        )
        if scenario.tags:
            async with db.session() as session:
                await session.execute(
                    update(Conversation)
                    .where(Conversation.id == result.conversation_id)
                    .values(tags=list(scenario.tags))
                )
                await session.commit()
        await support.settle(db)
    conv = await support.conversation(db, result.conversation_id)
    routing = conv.routing or {}
    assert scenario.reason in routing.get("reason", ""), routing
    if scenario.expect[0] == "agent":
        assert conv.assignee_id == agents[scenario.expect[1]], routing
        assert routing["state"] == "assigned"
        return
    _, team, opening = scenario.expect  # type: ignore[misc]
    assert conv.assignee_id is None, routing
    assert conv.team_id == teams[team], routing
    assert routing["state"] == "queued"
    notices = [
        body
        for m, body in await support.thread(db, conv.id)
        if m.direction == "outgoing" and m.author_kind == "system"
    ]
    if opening is None:
        assert routing["wait_until"] is None and notices == []
    else:
        assert routing["wait_until"] == opening.isoformat()
        assert len(notices) == 1, notices
        assert routing["notice_for"] == opening.isoformat()
    assert await support.failures(db, ws) == []
