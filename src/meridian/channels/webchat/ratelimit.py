"""A small in-process token bucket for the visitor API.

Per process, not shared between workers: it exists to blunt a runaway or abusive
widget (a loop posting messages, a script minting sessions), not to meter usage, and
an attacker spread over N processes still gets only N times the budget. A proxy in
front (nginx ``limit_req``) is the place for anything stricter.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucket:
    def __init__(self, *, capacity: float, per_second: float, max_keys: int = 50_000) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str, cost: float = 1.0) -> float:
        """Spend ``cost``; returns 0 when allowed, else the seconds to wait."""
        now = time.monotonic()
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        # Most recently used last, so the oldest idle keys are the ones forgotten.
        self._buckets[key] = bucket
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0.0
        return (cost - bucket.tokens) / self.per_second
