"""First-assignment accuracy of the routing engine on the scenario table.

    python benchmarks/routing_accuracy.py [--verbose]

Runs every scenario of tests/routing/scenarios.py (three regional teams with real
hours and holidays, agents with languages, skills and loads, conversations arriving
at given UTC instants) through ``meridian.routing.engine.decide`` and counts how often
the first decision is the expected one: the expected agent, or waiting in the
expected team's queue until the expected opening. Two common helpdesk strategies
run on the same table for comparison: round robin over online agents, and the least
loaded online agent; neither looks at language, skills or business hours.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.routing.scenarios import AGENTS, LOADS, SCENARIOS, Scenario
from tests.routing.support import TEAMS, WEEKDAYS_9_TO_6

from meridian.bot.signals import classify
from meridian.calendars import BusinessCalendar
from meridian.routing.engine import AgentView, Decision, Need, TeamView, decide


def ident(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"meridian-benchmark:{name}")


def world(scenario: Scenario) -> tuple[Need, list[TeamView], list[AgentView]]:
    teams = [
        TeamView(
            ident(name),
            name,
            tuple(spec["languages"]),
            BusinessCalendar(spec["timezone"], WEEKDAYS_9_TO_6, spec["holidays"]),
        )
        for name, spec in TEAMS.items()
    ]
    loads = {**LOADS, **scenario.loads}
    agents = [
        AgentView(
            id=ident(name),
            name=name,
            languages=spec.languages,
            proficiency=scenario.proficiency.get(name, {}),
            channel_capacity=scenario.channel_capacity.get(name, {}),
            # The scenarios' conversations and loads are all on an api inbox.
            channel_loads={"api": loads.get(name, 0)},
            skills=frozenset(spec.skills),
            team_ids=frozenset({ident(spec.team)}),
            max_concurrent=spec.max_concurrent,
            availability="away" if name in scenario.away else "online",
            load=loads.get(name, 0),
        )
        for name, spec in AGENTS.items()
    ]
    skills = {t.removeprefix("skill:") for t in scenario.tags if t.startswith("skill:")}
    if scenario.asked_senior_before:
        skills.add("senior")
    # The bot's intent, mapped to skills by the workspace (routing/service.py).
    intent = classify(scenario.body).intent if scenario.body else None
    notes: tuple[str, ...] = ()
    if intent is not None and (wanted := set(scenario.intent_skills.get(intent, [])) - skills):
        skills |= wanted
        notes = (f"detected intent {intent}",)
    need = Need(
        language=scenario.language,
        channel="api",
        skills=frozenset(skills),
        notes=notes,
        sticky_agent_id=ident(scenario.last_agent) if scenario.last_agent else None,
    )
    return need, teams, agents


def correct(scenario: Scenario, decision: Decision) -> bool:
    if scenario.expect[0] == "agent":
        return decision.outcome == "assigned" and decision.agent_id == ident(scenario.expect[1])
    _, team, opening = scenario.expect  # type: ignore[misc]
    return decision.outcome == "queued" and decision.team_id == ident(team) and decision.wait_until == opening


Strategy = Callable[[Scenario, int], Decision]


def meridian(scenario: Scenario, _: int) -> Decision:
    need, teams, agents = world(scenario)
    return decide(need, teams, agents, scenario.at)


def round_robin(scenario: Scenario, turn: int) -> Decision:
    _, _, agents = world(scenario)
    online = [a for a in agents if a.availability == "online" and a.load < a.max_concurrent]
    pick = online[turn % len(online)]
    return Decision("assigned", next(iter(pick.team_ids)), pick.id, "round robin")


def least_loaded(scenario: Scenario, _: int) -> Decision:
    _, _, agents = world(scenario)
    online = [a for a in agents if a.availability == "online" and a.load < a.max_concurrent]
    pick = min(online, key=lambda a: (a.load / a.max_concurrent, a.name))
    return Decision("assigned", next(iter(pick.team_ids)), pick.id, "least loaded")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--verbose", action="store_true", help="print every Meridian decision")
    args = parser.parse_args()
    strategies: dict[str, Strategy] = {
        "meridian": meridian,
        "round robin": round_robin,
        "least loaded": least_loaded,
    }
    print(f"{len(SCENARIOS)} scenarios\n")
    print(f"{'strategy':<14} {'accuracy':>9} {'ms/decision':>12}")
    for label, strategy in strategies.items():
        right = 0
        started = time.perf_counter()
        for turn, scenario in enumerate(SCENARIOS):
            decision = strategy(scenario, turn)
            ok = correct(scenario, decision)
            right += ok
            if args.verbose and label == "meridian":
                mark = "ok " if ok else "BAD"
                print(f"  {mark} {scenario.name}: {decision.outcome}, {decision.reason}")
        elapsed = (time.perf_counter() - started) * 1000 / len(SCENARIOS)
        print(f"{label:<14} {right / len(SCENARIOS):>9.1%} {elapsed:>12.2f}")


if __name__ == "__main__":
    main()
