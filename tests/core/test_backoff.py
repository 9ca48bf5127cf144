"""The shared doubling of every retry: base, 2x, 4x..., capped, and safe for any step."""

from __future__ import annotations

from meridian.core.backoff import doubling


def test_doubles_from_the_base_up_to_the_cap() -> None:
    assert [doubling(step, base=30.0, cap=3600.0) for step in range(1, 9)] == [
        30.0,
        60.0,
        120.0,
        240.0,
        480.0,
        960.0,
        1920.0,
        3600.0,
    ]


def test_steps_below_one_count_as_one_and_huge_steps_do_not_overflow() -> None:
    assert doubling(0, base=2.0, cap=600.0) == doubling(-5, base=2.0, cap=600.0) == 2.0
    assert doubling(10_000, base=1.0, cap=300.0) == 300.0
