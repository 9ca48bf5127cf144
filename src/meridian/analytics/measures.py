"""From summed counters and histograms to the figures a report shows."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from meridian.analytics.buckets import BUCKETS, percentile
from meridian.analytics.models import COUNTERS, HISTOGRAMS

# histogram (without its _c/_b basis suffix) -> the name its percentiles have in a report
DURATIONS = {"fr": "first_response", "res": "resolution", "nr": "next_response"}


@dataclass
class Sums:
    """Everything one group adds up to."""

    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    histograms: dict[str, list[int]] = field(default_factory=lambda: {h: [0] * BUCKETS for h in HISTOGRAMS})
    # Raw durations when they were read from facts: percentiles are then exact.
    values: dict[str, list[float]] | None = None
    backlog: int = 0

    def merge(self, other: Sums) -> None:
        for name, value in other.counters.items():
            self.counters[name] += value
        for name, counts in other.histograms.items():
            mine = self.histograms[name]
            for index, count in enumerate(counts):
                mine[index] += count
        if self.values is not None and other.values is not None:
            for name, values in other.values.items():
                self.values.setdefault(name, []).extend(values)
        else:
            self.values = None
        self.backlog += other.backlog


def exact_percentile(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _ratio(numerator: int, denominator: int, digits: int = 4) -> float | None:
    return round(numerator / denominator, digits) if denominator else None


def _seconds(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def measures(sums: Sums, basis: str = "calendar") -> dict[str, Any]:
    """The report's figures; durations in calendar time, or in business time (the owning
    team's hours) for ``basis="business"``."""
    c = sums.counters
    suffix = "_b" if basis == "business" else "_c"

    def quantile(histogram: str, fraction: float) -> float | None:
        if sums.values is not None:
            return _seconds(exact_percentile(sums.values.get(histogram, []), fraction))
        return _seconds(percentile(sums.histograms[histogram], fraction))

    out: dict[str, Any] = {
        "conversations": c["conversations"],
        "new": c["conversations"],
        "resolved": c["resolutions"],
        "reopens": c["reopens"],
        "backlog": sums.backlog,
    }
    for histogram, name in DURATIONS.items():
        out[f"{name}_p50_s"] = quantile(histogram + suffix, 0.5)
        out[f"{name}_p90_s"] = quantile(histogram + suffix, 0.9)
    if basis != "business":
        # Sums are kept in calendar time only.
        out["first_response_avg_s"] = _ratio(c["first_response_sum_s"], c["first_responses"], 1)
        out["resolution_avg_s"] = _ratio(c["resolution_sum_s"], c["resolved"], 1)
    else:
        out["first_response_avg_s"] = out["resolution_avg_s"] = None
    out.update(
        {
            "first_responses": c["first_responses"],
            "resolved_conversations": c["resolved"],
            "sla_met": c["sla_met"],
            "sla_breached": c["sla_breached"],
            "sla_attainment": _ratio(c["sla_met"], c["sla_met"] + c["sla_breached"]),
            "csat_avg": _ratio(c["csat_sum"], c["csat_count"], 2),
            "csat_responses": c["csat_count"],
            "csat_surveys": c["csat_sent"],
            "csat_response_rate": _ratio(c["csat_count"], c["csat_sent"]),
            "reopened_conversations": c["reopened"],
            "reopen_rate": _ratio(c["reopened"], c["ever_resolved"]),
            "first_contact_resolutions": c["fcr"],
            "fcr_rate": _ratio(c["fcr"], c["resolved"]),
            "bot_engaged": c["bot_engaged"],
            "bot_deflected": c["bot_deflected"],
            "bot_deflection_rate": _ratio(c["bot_deflected"], c["conversations"]),
            "handoffs": c["handoffs"],
            "handoff_rate": _ratio(c["handed_off"], c["conversations"]),
        }
    )
    return out


def empty_counters() -> dict[str, int]:
    return dict.fromkeys(COUNTERS, 0)
