"""Which policy a conversation gets: the most specific one that matches."""

from __future__ import annotations

import uuid
from typing import Any

from meridian.sla.models import SlaPolicy
from meridian.sla.service import choose_policy

INBOX = uuid.uuid4()


def policy(name: str, priority: str | None = None, **conditions: Any) -> SlaPolicy:
    return SlaPolicy(
        name=name, priority=priority, first_response_minutes=60, business_hours=True, conditions=conditions
    )


def pick(policies: list[SlaPolicy], **context: Any) -> str | None:
    base: dict[str, Any] = {
        "priority": "normal",
        "channel": "whatsapp",
        "inbox_id": INBOX,
        "regions": ["eu", None],
        "tier": None,
    }
    chosen = choose_policy(policies, **{**base, **context})
    return chosen.name if chosen else None


def test_most_specific_policy_wins() -> None:
    policies = [
        policy("Any"),
        policy("WhatsApp", channel=["whatsapp"]),
        policy("Gold WhatsApp", channel=["whatsapp"], tier=["gold"]),
        policy("Urgent", "urgent"),
    ]
    assert pick(policies) == "WhatsApp"
    assert pick(policies, tier="gold") == "Gold WhatsApp"
    assert pick(policies, channel="email") == "Any"
    # A named priority beats any number of conditions.
    assert pick(policies, priority="urgent", tier="gold") == "Urgent"


def test_conditions_all_must_match() -> None:
    policies = [
        policy("EU email", channel=["email"], region=["EU"]),
        policy("This inbox", inbox_id=[str(INBOX)]),
    ]
    assert pick(policies, channel="email") == "EU email"  # region matches case-insensitively
    assert pick(policies, channel="email", regions=["latam", None]) == "This inbox"
    assert pick(policies, channel="sms", inbox_id=uuid.uuid4()) is None


def test_older_policy_wins_a_tie() -> None:
    assert pick([policy("First"), policy("Second")]) == "First"
