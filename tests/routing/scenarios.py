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
    # Agent name -> {language tag: "native" | "fluent" | "basic"}; unset reads fluent.
    proficiency: dict[str, dict[str, str]] = field(default_factory=dict)
    # Agent name -> {channel: limit}; conversations arrive (and loads sit) on an api inbox.
    channel_capacity: dict[str, dict[str, int]] = field(default_factory=dict)
    # The customer's words (else a stock text in the language), and the workspace's
    # intent -> skills map (routing takes skills from the bot's detected intent).
    body: str | None = None
    intent_skills: dict[str, list[str]] = field(default_factory=dict)


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
    Scenario(
        "es: a native speaker before a less loaded basic one",
        utc(2027, 6, 14, 16, 0),
        "es",
        ("agent", "Sofia"),
        reason="native in es over basic",
        proficiency={"Diego": {"es": "basic"}, "Sofia": {"es": "native"}},
    ),
    Scenario(
        "es: equal levels, the load decides",
        utc(2027, 6, 14, 16, 0),
        "es",
        ("agent", "Diego"),
        reason="es speaker, team Mexico City open, load 1/8",
        proficiency={"Diego": {"es": "native"}, "Sofia": {"es": "native"}},
    ),
    Scenario(
        "es: the native speaker is full, the basic one answers",
        utc(2027, 6, 14, 16, 0),
        "es",
        ("agent", "Diego"),
        reason="team Mexico City open, load 1/8",
        loads={"Sofia": 8},
        proficiency={"Diego": {"es": "basic"}, "Sofia": {"es": "native"}},
    ),
    Scenario(
        "es: the returning customer's last agent before a better speaker",
        utc(2027, 6, 14, 16, 0),
        "es",
        ("agent", "Diego"),
        reason="returning customer's last agent",
        last_agent="Diego",
        proficiency={"Diego": {"es": "basic"}, "Sofia": {"es": "native"}},
    ),
    Scenario(
        "en in the Mexico City afternoon: native before fluent before basic",
        utc(2027, 6, 14, 16, 0),  # Berlin 18:00, closed; Shanghai night
        "en",
        ("agent", "Emma"),
        reason="native in en over fluent, basic",
        proficiency={"Emma": {"en": "native"}, "Diego": {"en": "basic"}},
    ),
    Scenario(
        "es: Diego takes one api conversation at a time and has one: Sofia",
        utc(2027, 6, 14, 16, 0),
        "es",
        ("agent", "Sofia"),
        reason="es speaker, team Mexico City open, load 3/8",
        channel_capacity={"Diego": {"api": 1}},
    ),
    Scenario(
        "es: Sofia's api limit still has room; the reason shows it",
        utc(2027, 6, 14, 16, 0),
        "es",
        ("agent", "Sofia"),
        reason="load 3/8, api 3/5",
        loads={"Diego": 8},
        channel_capacity={"Sofia": {"api": 5, "email": 1}},
    ),
    Scenario(
        "de asking where order 48213 is: the workspace maps order_status to billing",
        utc(2027, 6, 14, 8, 0),  # 10:00 Berlin; Lena (2/8) would win on load
        "de",
        ("agent", "Jonas"),
        reason="needs billing, detected intent order_status",
        body="Guten Tag, wo ist meine Bestellung 48213? Das Paket ist seit zwei Wochen unterwegs.",
        intent_skills={"order_status": ["billing"]},
    ),
    Scenario(
        "es order question: order_status needs a senior agent, so Sofia over Diego",
        utc(2027, 6, 14, 16, 0),
        "es",
        ("agent", "Sofia"),
        reason="needs senior, detected intent order_status",
        body="Hola, ¿dónde está mi pedido 77120? Ya pasaron dos semanas y no ha llegado nada.",
        intent_skills={"order_status": ["senior"], "refund": ["billing"]},
    ),
]
