"""SLA clock arithmetic: budgets of business (or calendar) time, paused and resumed.

Each metric keeps the seconds it has *consumed* before the instant it last started
running (``since``). Its due time is ``since`` plus what is left of the budget, counted
on the owning team's calendar; pausing folds the time since ``since`` into
``consumed``, so a pending or snoozed stretch never counts. Changing the calendar (a
new owning team) or the budget (a new priority) works the same way: fold, then count
what is left from now. Everything is pure: the tracker stores the result as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from meridian.calendars import BusinessCalendar, NeverOpenError

WARN_FRACTION = 0.8  # sla.warning fires when 80% of the budget is used

State = Literal["running", "paused", "done"]


class Meter:
    """Counts business time on a calendar, or plain calendar time without one."""

    def __init__(self, calendar: BusinessCalendar | None) -> None:
        self.calendar = calendar

    def elapsed(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        if self.calendar is None:
            return (end - start).total_seconds()
        return self.calendar.working_seconds_between(start, end)

    def add(self, start: datetime, seconds: float) -> datetime | None:
        """When ``seconds`` of counted time have passed since ``start``; None if never."""
        if self.calendar is None:
            return start + timedelta(seconds=seconds)
        try:
            return self.calendar.add_working_time(start, seconds)
        except NeverOpenError:
            return None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


@dataclass
class Metric:
    budget_s: float
    started_at: datetime
    consumed_s: float = 0.0
    since: datetime | None = None
    state: State = "paused"
    due_at: datetime | None = None
    warn_at: datetime | None = None
    warned: bool = False
    breached_at: datetime | None = None
    breach_published: bool = False
    completed_at: datetime | None = None

    # -- storage -------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, datetime):
                out[key] = value.isoformat()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Metric:
        started = _time(data.get("started_at"))
        assert started is not None
        return cls(
            budget_s=float(data["budget_s"]),
            started_at=started,
            consumed_s=float(data.get("consumed_s", 0.0)),
            since=_time(data.get("since")),
            state=data.get("state", "paused"),
            due_at=_time(data.get("due_at")),
            warn_at=_time(data.get("warn_at")),
            warned=bool(data.get("warned", False)),
            breached_at=_time(data.get("breached_at")),
            breach_published=bool(data.get("breach_published", False)),
            completed_at=_time(data.get("completed_at")),
        )

    # -- transitions ---------------------------------------------------------
    def _recompute(self, meter: Meter) -> None:
        if self.state != "running" or self.since is None:
            self.due_at = self.warn_at = None
            return
        self.due_at = meter.add(self.since, max(0.0, self.budget_s - self.consumed_s))
        warn_budget = WARN_FRACTION * self.budget_s - self.consumed_s
        self.warn_at = None if self.warned else meter.add(self.since, max(0.0, warn_budget))

    def _fold(self, meter: Meter, at: datetime) -> None:
        if self.state == "running" and self.since is not None:
            self.consumed_s += meter.elapsed(self.since, at)
            self.since = at

    def resume(self, meter: Meter, at: datetime) -> None:
        if self.state == "paused":
            self.state, self.since = "running", at
            self._recompute(meter)

    def pause(self, meter: Meter, at: datetime) -> None:
        if self.state == "running":
            self._fold(meter, at)
            self.state, self.since = "paused", None
            self._recompute(meter)

    def rebase(self, old: Meter, new: Meter, at: datetime, budget_s: float | None = None) -> None:
        """Count from ``at`` on ``new`` (another team's calendar) and/or a new budget."""
        self._fold(old, at)
        if budget_s is not None:
            self.budget_s = budget_s
        self._recompute(new)

    def complete(self, at: datetime) -> Literal["met", "breached"]:
        if self.state != "done" and self.breached_at is None and self.due_at is not None and at > self.due_at:
            self.breached_at = self.due_at
        self.state, self.completed_at, self.since, self.warn_at = "done", at, None, None
        return "breached" if self.breached_at is not None else "met"

    def check(self, at: datetime) -> list[Literal["warning", "breached"]]:
        """What has newly happened by ``at``: the 80% warning, the breach."""
        happened: list[Literal["warning", "breached"]] = []
        if self.state != "running":
            return happened
        if not self.warned and self.warn_at is not None and at >= self.warn_at:
            self.warned, self.warn_at = True, None
            happened.append("warning")
        if self.breached_at is None and self.due_at is not None and at >= self.due_at:
            self.breached_at = self.due_at
            happened.append("breached")
        return happened

    def next_check(self) -> datetime | None:
        if self.state != "running":
            return None
        candidates = [
            self.warn_at if not self.warned else None,
            self.due_at if self.breached_at is None else None,
        ]
        return min((c for c in candidates if c is not None), default=None)


def start(meter: Meter, budget_s: float, at: datetime, *, running: bool = True) -> Metric:
    metric = Metric(budget_s=budget_s, started_at=at)
    if running:
        metric.resume(meter, at)
    return metric
