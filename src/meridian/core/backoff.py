"""Exponential backoff: the one doubling-with-a-ceiling formula every retry shares.

Callers add their own jitter (full, or a few percent) and floors (a vendor's
Retry-After): those differ on purpose, the doubling does not.
"""

from __future__ import annotations

# 2**60 times any base is past every cap; a larger exponent would only risk overflow.
_MAX_EXPONENT = 60


def doubling(step: int, *, base: float, cap: float) -> float:
    """``base``, ``2 * base``, ``4 * base``... for step 1, 2, 3..., never above ``cap``
    (a step below 1 counts as 1)."""
    exponent: int = min(max(0, step - 1), _MAX_EXPONENT)
    return min(cap, base * float(2**exponent))
