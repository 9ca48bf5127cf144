"""The routing scenario table: three regional teams with real hours, agents with
languages and loads, a conversation arriving at a UTC instant, and who should own it.

Shared by ``test_scenarios.py`` (through the database, ingest and dispatcher) and
``benchmarks/routing_accuracy.py`` (through the pure engine, against baselines).

Teams work Mon-Fri 09:00-18:00 local: Berlin (Europe/Berlin, DE-BE holidays; de en
fr), Shanghai (Asia/Shanghai, CN holidays; zh-Hans zh-Hant ja ko en), Mexico City
(America/Mexico_City, no DST since 2022, MX holidays; es pt en).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@dataclass(frozen=True)
class AgentSpec:
    team: str
    languages: tuple[str, ...]
    max_concurrent: int = 8
    skills: tuple[str, ...] = ()


AGENTS: dict[str, AgentSpec] = {
    "Lena": AgentSpec("Berlin", ("de", "en")),
    "Jonas": AgentSpec("Berlin", ("de", "en", "fr"), max_concurrent=2, skills=("billing",)),
    "Wei": AgentSpec("Shanghai", ("zh-Hans", "en", "ja")),
    "Sofia": AgentSpec("Mexico City", ("es", "pt", "en"), skills=("senior",)),
    "Diego": AgentSpec("Mexico City", ("es", "en")),
    "Emma": AgentSpec("Mexico City", ("en",)),
}
# Unless a scenario says otherwise: distinct loads, so "lowest load" has one answer.
LOADS = {"Lena": 2, "Jonas": 1, "Wei": 3, "Sofia": 3, "Diego": 1, "Emma": 4}


@dataclass(frozen=True)
class Scenario:
    name: str
    at: datetime
    language: str
    # ("agent", name) or ("queued", team, opening instant or None)
    expect: tuple[str, str, datetime | None] | tuple[str, str]
    reason: str = ""
    tags: tuple[str, ...] = ()
    loads: dict[str, int] = field(default_factory=dict)
    away: tuple[str, ...] = ()
    last_agent: str | None = None  # the returning customer's previous owner
    asked_senior_before: bool = False


# 2027-06-14 is a Monday. Mexico City is UTC-6 all year, Berlin UTC+2 in summer,
# Shanghai UTC+8.
SCENARIOS: list[Scenario] = [
    Scenario(
        "es, Mexico open: least loaded Spanish speaker",
        utc(2027, 6, 14, 16, 0),  # 10:00 Mexico City
        "es",
        ("agent", "Diego"),
        reason="es speaker, team Mexico City open, load 1/8",
    ),
    Scenario(
        "es-MX matches es; Diego full, so Sofia",
        utc(2027, 6, 14, 16, 0),
        "es-MX",
        ("agent", "Sofia"),
        loads={"Diego": 8},
    ),
    Scenario(
        "es at night: waits for Mexico City's Monday opening",
        utc(2027, 6, 14, 3, 0),  # Sun 21:00 Mexico City; Shanghai open but no es
        "es",
        ("queued", "Mexico City", utc(2027, 6, 14, 15, 0)),
        reason="no team open; team Mexico City opens",
    ),
    Scenario(
        "es on Saturday: waits until Monday 09:00 Mexico City",
        utc(2027, 6, 19, 18, 0),
        "es",
        ("queued", "Mexico City", utc(2027, 6, 21, 15, 0)),
    ),
    Scenario(
        "de, Berlin open: Lena's 2/8 beats Jonas's 1/2",
        utc(2027, 6, 14, 8, 0),  # 10:00 Berlin
        "de",
        ("agent", "Lena"),
        reason="de speaker, team Berlin open, load 2/8",
    ),
    Scenario(
        "de needing billing: the billing specialist",
        utc(2027, 6, 14, 8, 0),
        "de",
        ("agent", "Jonas"),
        tags=("skill:billing",),
        reason="needs billing",
    ),
    Scenario(
        "fr: only Jonas speaks it",
        utc(2027, 6, 14, 8, 0),
        "fr",
        ("agent", "Jonas"),
    ),
    Scenario(
        "zh-Hans, Shanghai open",
        utc(2027, 6, 14, 2, 0),  # 10:00 Shanghai
        "zh-Hans",
        ("agent", "Wei"),
    ),
    Scenario("ja goes to Wei", utc(2027, 6, 14, 2, 0), "ja", ("agent", "Wei")),
    Scenario(
        "ko: nobody speaks it, Shanghai covers it",
        utc(2027, 6, 14, 2, 0),
        "ko",
        ("agent", "Wei"),
        reason="no ko speaker, team covers ko",
    ),
    Scenario(
        "ar: nobody covers it, least loaded open agent",
        utc(2027, 6, 14, 8, 0),  # Berlin 10:00 and Shanghai 16:00 open
        "ar",
        ("agent", "Jonas"),
        loads={"Jonas": 0, "Lena": 2, "Wei": 3},
        reason="no ar speaker anywhere",
    ),
    Scenario(
        "en at 16:00 UTC: only Mexico City is open",
        utc(2027, 6, 14, 16, 0),  # Berlin 18:00 (just closed), Shanghai midnight
        "en",
        ("agent", "Diego"),
    ),
    Scenario(
        "returning customer goes back to Emma",
        utc(2027, 6, 14, 16, 0),
        "en",
        ("agent", "Emma"),
        last_agent="Emma",
        reason="returning customer's last agent",
    ),
    Scenario(
        "returning customer, Emma away: Diego",
        utc(2027, 6, 14, 16, 0),
        "en",
        ("agent", "Diego"),
        last_agent="Emma",
        away=("Emma",),
    ),
    Scenario(
        "asked for a senior before: Sofia despite her load",
        utc(2027, 6, 14, 16, 0),
        "es",
        ("agent", "Sofia"),
        asked_senior_before=True,
        reason="asked for a senior agent before",
    ),
    Scenario(
        "es, Mexico open but every Spanish speaker full",
        utc(2027, 6, 14, 16, 0),
        "es",
        ("queued", "Mexico City", None),
        loads={"Diego": 8, "Sofia": 8},
        reason="everyone at capacity",
    ),
    Scenario(
        "es, Mexico open but the Spanish speakers are away",
        utc(2027, 6, 14, 16, 0),
        "es",
        ("queued", "Mexico City", None),
        away=("Diego", "Sofia"),
        reason="nobody online",
    ),
    Scenario("pt-BR: Sofia", utc(2027, 6, 14, 16, 0), "pt-BR", ("agent", "Sofia")),
    Scenario(
        "de on Whit Monday: Berlin closed, waits for Tuesday",
        utc(2027, 5, 17, 8, 0),  # Pfingstmontag, a public holiday in Berlin
        "de",
        ("queued", "Berlin", utc(2027, 5, 18, 7, 0)),  # Tue 09:00 CEST
    ),
    Scenario(
        "de at 07:30 UTC in October: 09:30 CEST, open",
        utc(2027, 10, 25, 7, 30),
        "de",
        ("agent", "Lena"),
    ),
    Scenario(
        "de at 07:30 UTC after the switch to CET: 08:30, waits half an hour",
        utc(2027, 11, 1, 7, 30),
        "de",
        ("queued", "Berlin", utc(2027, 11, 1, 8, 0)),
    ),
]
