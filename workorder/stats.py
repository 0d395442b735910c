"""The line's headline figures for a period (R1, R9).

Service level is counted the way Asterisk's app_queue counts ``ServicelevelPerf``: calls
answered with a hold time of at most the target, over calls answered. The share over all
calls offered (abandoned and overflowed included) is given beside it, because that is what
a caller experiences.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from workorder.models import Call
from workorder.types import CallOutcome


@dataclass(frozen=True)
class LineStats:
    calls: int  # every call that reached the line (R2), open or closed
    offered: int  # offered to the seats (entered a queue)
    answered: int
    answered_within_target: int
    abandoned: int
    overflowed: int
    callbacks_requested: int
    messages: int
    service_level: float | None  # answered within target / answered (app_queue)
    service_level_offered: float | None  # answered within target / offered
    target_s: int

    def as_dict(self) -> dict:
        return asdict(self)


def line_stats(session: Session, start: datetime, end: datetime, target_s: int) -> LineStats:
    in_period = and_(Call.received_at >= start, Call.received_at < end)

    def count(cond) -> object:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    row = session.execute(
        select(
            func.count(Call.id),
            count(Call.offered_at.is_not(None)),
            count(Call.answered_at.is_not(None)),
            count(and_(Call.answered_at.is_not(None), Call.hold_time_s <= target_s)),
            count(Call.outcome == CallOutcome.ABANDONED.value),
            count(Call.overflowed_at.is_not(None)),
            count(Call.outcome == CallOutcome.CALLBACK.value),
            count(Call.outcome == CallOutcome.MESSAGE.value),
        ).where(in_period)
    ).one()
    calls, offered, answered, within, abandoned, overflowed, callbacks, messages = map(int, row)
    return LineStats(
        calls=calls, offered=offered, answered=answered, answered_within_target=within,
        abandoned=abandoned, overflowed=overflowed, callbacks_requested=callbacks,
        messages=messages,
        service_level=round(100 * within / answered, 1) if answered else None,
        service_level_offered=round(100 * within / offered, 1) if offered else None,
        target_s=target_s,
    )


def day_bounds(tz: ZoneInfo, ref: datetime | None = None) -> tuple[datetime, datetime]:
    """Midnight to midnight, court time, of the day ``ref`` falls in (default: now)."""
    local = (ref or datetime.now(UTC)).astimezone(tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)
