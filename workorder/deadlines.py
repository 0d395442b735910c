"""Working-time deadlines of a work order, its light, and what the sweep must do next.

The clocks (all on the court calendar, Asia/Shanghai by default):

* R5 dispatch: a forwarded order is dispatched within ``dispatch_hours`` working hours of
  its registration (staffed time only; urgent R4.8 orders at once).
* R7 feedback: within ``feedback_days`` working days of dispatch.
* R8 overdue: no feedback in time, not dispatched in time, or the caller phoned again
  about it. A reminder (催办) to the department head is due within ``reminder_days``
  working day of becoming overdue.
* The escalation ladder (Guangzhou): working days counted from dispatch, each step after
  the previous one; for a primary court, ``primary_court_days`` without a reply reach the
  intermediate court's president.

Day deadlines follow the rule for legal periods: the day a period starts does not count,
and it ends at 24:00 of its last (working) day. Every duration and step is configuration
(:class:`Policy`); nothing here does I/O, so it is tested with plain values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum

from workorder.calendar import CourtCalendar
from workorder.errors import DomainError
from workorder.types import OrderStatus, Role

__all__ = [
    "Action", "Clock", "LadderStep", "Light", "Policy", "PolicyError", "due_actions",
    "end_of_working_day", "light", "parse_ladder",
]


class PolicyError(DomainError):
    """A deadline setting is wrong; the message says which and how to fix it."""


@dataclass(frozen=True, slots=True)
class LadderStep:
    days: int  # working days after the previous step (the first: after dispatch)
    role: Role


DEFAULT_LADDER = (
    LadderStep(3, Role.DEPARTMENT_LEADER),
    LadderStep(2, Role.DEPUTY_PRESIDENT),
    LadderStep(2, Role.PRESIDENT),
)


def parse_ladder(text: str) -> tuple[LadderStep, ...]:
    """``"3:department_leader,2:deputy_president,2:president"`` → the ladder."""
    steps = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        days, sep, role = part.partition(":")
        try:
            n = int(days)
            r = Role(role.strip())
        except ValueError:
            raise PolicyError(
                f"escalation step {part!r} is not DAYS:ROLE; roles: "
                + ", ".join(r.value for r in Role)) from None
        if not sep or n < 1:
            raise PolicyError(f"escalation step {part!r}: days must be a whole number >= 1")
        steps.append(LadderStep(n, r))
    return tuple(steps)


@dataclass(frozen=True)
class Policy:
    dispatch_hours: float = 2.0  # R5
    feedback_days: int = 3  # R7
    reminder_days: int = 1  # R8
    ladder: tuple[LadderStep, ...] = DEFAULT_LADDER  # R8 escalation (Guangzhou)
    primary_court_days: int = 8  # R8: a primary court's order → intermediate president; 0 = off
    yellow_share: float = 0.25  # the light turns yellow when this share of the time is left
    repeat_window_days: int = 30  # calendar days an earlier call counts as "the same matter"
    callback_days: int = 1  # R10: a callback is due within this many working days
    callback_attempts: int = 3  # unanswered callback attempts before the task fails

    def __post_init__(self) -> None:
        if not 0 < self.dispatch_hours <= 24 * 30:
            raise PolicyError(f"dispatch_hours={self.dispatch_hours} must be > 0")
        for name in ("feedback_days", "reminder_days", "callback_days", "callback_attempts"):
            if getattr(self, name) < 1:
                raise PolicyError(f"{name}={getattr(self, name)} must be at least 1")
        if self.primary_court_days < 0 or self.repeat_window_days < 0:
            raise PolicyError("primary_court_days and repeat_window_days must not be negative")
        if not 0 <= self.yellow_share < 1:
            raise PolicyError(f"yellow_share={self.yellow_share} must be from 0 to below 1")

    def ladder_days(self, primary_court: bool) -> list[tuple[int, int, Role]]:
        """(level, working days after dispatch, role) for every step, in time order."""
        steps, total = [], 0
        for step in self.ladder:
            total += step.days
            steps.append((total, step.role))
        if primary_court and self.primary_court_days:
            steps.append((self.primary_court_days, Role.INTERMEDIATE_PRESIDENT))
        steps.sort(key=lambda s: s[0])  # stable: equal days keep the configured order
        return [(level, days, role) for level, (days, role) in enumerate(steps, start=1)]


def end_of_working_day(cal: CourtCalendar, start: datetime, n: int) -> datetime:
    """24:00 (court time) of the ``n``-th working day after the day of ``start``."""
    last = cal.add_working_days(start.astimezone(cal.tz).date(), n)
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=cal.tz)


class Light(StrEnum):
    """The order's light on every list (R8: red is automatic)."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True, slots=True)
class Clock:
    """What the deadlines of one order depend on (a row of work_orders)."""

    status: str
    created_at: datetime
    dispatch_due_at: datetime | None = None
    dispatched_at: datetime | None = None
    feedback_due_at: datetime | None = None
    feedback_at: datetime | None = None
    overdue_at: datetime | None = None
    escalation_level: int = 0
    primary_court: bool = False


def _running_deadline(c: Clock) -> tuple[datetime, datetime] | None:
    """(start, due) of the clock that is running, or None when no clock runs."""
    if c.status == OrderStatus.TO_DISPATCH and c.dispatch_due_at is not None:
        return c.created_at, c.dispatch_due_at
    if (c.status == OrderStatus.DISPATCHED and c.feedback_at is None
            and c.dispatched_at is not None and c.feedback_due_at is not None):
        return c.dispatched_at, c.feedback_due_at
    return None


def light(c: Clock, now: datetime, policy: Policy) -> Light | None:
    """Green, yellow or red while a clock runs; None for orders without one."""
    running = _running_deadline(c)
    if running is None:
        return None
    if c.overdue_at is not None:
        return Light.RED
    start, due = running
    if now >= due:
        return Light.RED
    total = (due - start).total_seconds()
    left = (due - now).total_seconds()
    return Light.YELLOW if total > 0 and left <= policy.yellow_share * total else Light.GREEN


@dataclass(frozen=True, slots=True)
class Action:
    """Something the sweep records for an order: exactly once, keyed by kind and step."""

    kind: str  # overdue | remind | escalate
    at: datetime  # when it became due
    level: int = 0  # escalation level / reminder round
    role: Role | None = None
    reason: str = ""
    due_by: datetime | None = None  # reminders: by when the operator must send it


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    next_due_at: datetime | None = None


def due_actions(c: Clock, now: datetime, policy: Policy, cal: CourtCalendar) -> Plan:
    """What is due for an order at ``now`` and when to look at it next (R5, R7, R8).

    Pure: derived from the order's own timestamps, so running it twice, or after a crash,
    gives the same actions; the store makes each one happen once (unique keys).
    """
    plan = Plan()
    running = _running_deadline(c)
    if running is None:
        return plan
    _start, due = running
    overdue_at = c.overdue_at
    if overdue_at is None:
        if now < due:
            plan.next_due_at = due
        else:
            reason = "not_dispatched" if c.status == OrderStatus.TO_DISPATCH else "no_feedback"
            overdue_at = due
            plan.actions.append(Action("overdue", due, reason=reason))
    if overdue_at is not None:
        # A deadline at 24:00 is stored as 00:00 of the next day; the reminder's working
        # day counts from the day the deadline ended, so an order overdue at the end of
        # Thursday must be reminded by the end of Friday.
        due_by = end_of_working_day(cal, overdue_at - timedelta(microseconds=1),
                                    policy.reminder_days)
        plan.actions.append(Action("remind", overdue_at, level=1, role=Role.DEPARTMENT_HEAD,
                                   due_by=due_by))
    # The ladder counts from dispatch; an order never dispatched counts from when it
    # should have been, so a forgotten dispatch climbs the ladder too.
    base = c.dispatched_at or c.dispatch_due_at
    if base is None:
        return plan
    for level, days, role in policy.ladder_days(c.primary_court):
        at = end_of_working_day(cal, base, days)
        if level <= c.escalation_level:
            continue
        if at <= now:
            plan.actions.append(Action("escalate", at, level=level, role=role))
        else:
            if plan.next_due_at is None or at < plan.next_due_at:
                plan.next_due_at = at
            break  # later steps wait for this one
    return plan
