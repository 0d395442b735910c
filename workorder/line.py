"""Is the line staffed right now? The calendar decides unless a supervisor switched the
line by hand (typhoon, system maintenance) with ``hotline mode open|closed``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from workorder.calendar import CourtCalendar


class ManualMode(StrEnum):
    AUTO = "auto"
    OPEN = "open"
    CLOSED = "closed"


def decide_mode(manual: ManualMode, calendar: CourtCalendar, at: datetime) -> tuple[str, str]:
    """``("open"|"closed", reason)`` for a call arriving at ``at`` (R1 staffed hours, R6)."""
    if manual is ManualMode.OPEN:
        return "open", "manual: open"
    if manual is ManualMode.CLOSED:
        return "closed", "manual: closed"
    if calendar.is_open(at):
        return "open", "staffed hours"
    day = at.astimezone(calendar.tz).date()
    if not calendar.is_working_day(day):
        return "closed", calendar.reason(day)
    return "closed", "outside staffed hours"
