"""The court calendar: which days are working days and when the hotline is staffed.

Why this exists:

* R1 staffed hours: seats answer on working days from 08:30 to 17:30 by default
  (configurable per court); outside them the line takes messages.
* R6 after-hours messages are handled on the *next working day*, i.e. the first
  working day after a weekend or a holiday.
* R5/R7/R8 deadlines (dispatch within 2 working hours, feedback within 3 working days,
  reminders within 1 working day, the escalation ladder) are counted on working days.

"Working day" follows the official Chinese calendar: statutory holidays are closed and
the make-up working days (调休, often a Saturday or Sunday) are open. The State Council
publishes each year's arrangement in November; the ``holidays`` package carries it as
holidays plus ``weekend_workdays``. A court adds local closures (a typhoon day) and extra
working days in a TOML override file, and overrides always win over the library.

A year the library has no arrangement for must never crash a deadline computed in late
December, so each year is classified once (:class:`YearData`) and a warning is logged:

* ``official``: the library has the State Council arrangement (it lists make-up
  working days dated in that year). Used as is.
* ``statutory``: the library only derives the statutory holidays from the law (fixed and
  lunar dates, with 补假 for a holiday on a weekend) but has no 调休 arrangement yet —
  this is 2027 in holidays 0.109. The statutory days are law, so they stay closed;
  no weekend is a working day until the court lists the arrangement in the override file.
* ``weekdays``: the library has nothing for the year (outside its range, no holidays,
  or it failed). Plain Monday–Friday.

Pure domain code: no Asterisk, HTTP or SMS; the only I/O is reading the override file.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from workorder.errors import DomainError

__all__ = ["CalendarError", "CourtCalendar", "YearData", "load_overrides"]

log = logging.getLogger(__name__)

# Reason texts returned by CourtCalendar.reason() for days that are not holidays.
MAKE_UP_WORKDAY = "调休上班"
WEEKEND = "周末"
WORKDAY = "工作日"

# A calendar that never opens again (every day overridden closed) would make the
# "next working day" search loop forever; ten years without a working day is a bug.
_MAX_SEARCH_DAYS = 3660
_MAX_CACHED_SUMS = 65536  # about 10 years of start days × the few durations in use

_OVERRIDE_TABLES = ("closed", "open")
_OVERRIDE_KEYS = ("date", "reason")


class CalendarError(DomainError):
    """The calendar cannot be built; the one-line message says what to fix."""


class YearData(StrEnum):
    """How much the ``holidays`` library knows about one year (see the module docstring)."""

    OFFICIAL = "official"
    STATUTORY = "statutory"
    WEEKDAYS = "weekdays"


@dataclass(frozen=True, slots=True)
class _Year:
    data: YearData
    holidays: dict[date, str]  # library holidays dated in this year (closed)
    weekend_workdays: frozenset[date]  # library make-up working days dated in this year


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _is_plain_date(value: object) -> bool:
    # datetime is a subclass of date; a datetime key would never match a date key.
    return isinstance(value, date) and not isinstance(value, datetime)


def _check_date(d: object) -> None:
    if not _is_plain_date(d):
        raise TypeError(
            f"expected a datetime.date, got {type(d).__name__} {d!r}; "
            "convert a datetime to the court's time zone and take .date() first"
        )


def _check_aware(at: object, what: str) -> None:
    if not isinstance(at, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(at).__name__} {at!r}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(
            f"{what} must be timezone-aware, got naive {at.isoformat()}; "
            "attach a zone, e.g. datetime.now(ZoneInfo('Asia/Shanghai'))"
        )


def load_overrides(path: str | os.PathLike[str]) -> tuple[dict[date, str], dict[date, str]]:
    """Read a court override file; return ``(closed, opened)`` as ``{date: reason}``.

    The format is ``[[closed]]`` and ``[[open]]`` tables, each with an unquoted TOML
    ``date`` and a non-empty ``reason``. Anything else raises :class:`CalendarError`
    with one line naming the file and what to fix.
    """
    where = os.fspath(path)

    def fail(message: str) -> CalendarError:
        return CalendarError(_one_line(f"{where}: {message}"))

    try:
        with open(where, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise fail(
            f"cannot read the calendar override file ({exc.strerror or exc}); "
            "check the path and its permissions"
        ) from exc
    except UnicodeDecodeError as exc:
        raise fail("is not UTF-8 text; save the override file as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise fail(f"is not valid TOML ({exc}); fix the syntax, e.g. date = 2026-09-15") from exc

    for key in data:
        if key not in _OVERRIDE_TABLES:
            raise fail(f"unknown key {key!r}; only [[closed]] and [[open]] tables are allowed")

    result: dict[str, dict[date, str]] = {}
    for table in _OVERRIDE_TABLES:
        entries = data.get(table, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise fail(
                f"{table!r} must be an array of tables, each written as [[{table}]] "
                "followed by date = ... and reason = ..."
            )
        days: dict[date, str] = {}
        for number, entry in enumerate(entries, start=1):
            label = f"[[{table}]] entry {number}"
            for key in entry:
                if key not in _OVERRIDE_KEYS:
                    raise fail(f"{label} has unknown key {key!r}; allowed keys: date, reason")
            if "date" not in entry:
                raise fail(f"{label} has no date; add a line like date = 2026-09-15")
            day = entry["date"]
            if not _is_plain_date(day):
                raise fail(
                    f"{label}: date must be an unquoted TOML date like 2026-09-15, "
                    f"got {day!r} ({type(day).__name__})"
                )
            reason = entry.get("reason")
            if not isinstance(reason, str) or not reason.strip():
                raise fail(f'{label} ({day}) needs a reason, e.g. reason = "台风停工"')
            if day in days:
                raise fail(f"{day} is listed twice in [[{table}]]; keep one entry")
            days[day] = reason.strip()
        result[table] = days

    both = sorted(result["closed"].keys() & result["open"].keys())
    if both:
        raise fail(f"{both[0]} is both closed and open; remove it from [[closed]] or from [[open]]")
    return result["closed"], result["open"]


class CourtCalendar:
    """Working days and staffed hours of one court.

    Each year's library data is built once per instance, under a lock, and its warning
    (if any) is logged once; the data never changes afterwards, so FastAGI threads and
    background workers can share one instance.
    """

    def __init__(
        self,
        tz: str = "Asia/Shanghai",
        staffed_from: time = time(8, 30),
        staffed_until: time = time(17, 30),
        closed: dict[date, str] | None = None,
        opened: dict[date, str] | None = None,
    ) -> None:
        try:
            self.tz = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CalendarError(
                f"unknown time zone {tz!r}; use an IANA name such as 'Asia/Shanghai'"
            ) from exc
        for name, value in (("staffed_from", staffed_from), ("staffed_until", staffed_until)):
            if not isinstance(value, time) or value.tzinfo is not None:
                raise CalendarError(f"{name} must be a naive datetime.time, got {value!r}")
        if staffed_from >= staffed_until:
            raise CalendarError(
                f"staffed hours {staffed_from:%H:%M}–{staffed_until:%H:%M} are empty; "
                "staffed_from must be earlier than staffed_until"
            )
        self.tz_name = tz
        self.staffed_from = staffed_from
        self.staffed_until = staffed_until
        closed = dict(closed or {})
        opened = dict(opened or {})
        for day in (*closed, *opened):
            _check_date(day)
        both = sorted(closed.keys() & opened.keys())
        if both:
            raise CalendarError(f"{both[0]} is both closed and open; keep it in one of them")
        self.closed: MappingProxyType[date, str] = MappingProxyType(closed)
        self.opened: MappingProxyType[date, str] = MappingProxyType(opened)
        self.source: str | None = None  # the override file, for warnings
        self._years: dict[int, _Year] = {}
        self._sums: dict[tuple[date, int], date] = {}  # add_working_days results
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], **kw: object) -> CourtCalendar:
        """A calendar with the closures and extra working days of an override file."""
        if "closed" in kw or "opened" in kw:
            raise TypeError("from_file() takes closed/opened from the file, not as arguments")
        closed, opened = load_overrides(path)
        calendar = cls(closed=closed, opened=opened, **kw)  # type: ignore[arg-type]
        calendar.source = os.fspath(path)
        return calendar

    # ---- per-year data from the library --------------------------------------------

    def _year(self, year: int) -> _Year:
        found = self._years.get(year)
        if found is None:
            with self._lock:
                found = self._years.get(year)
                if found is None:
                    found = self._build_year(year)
                    self._years[year] = found
        return found

    def _build_year(self, year: int) -> _Year:
        version = getattr(holidays, "__version__", "?")
        first = getattr(holidays.China, "start_year", 1950)
        last = getattr(holidays.China, "end_year", 2100)
        named: dict[date, str] = {}
        workdays: frozenset[date] = frozenset()
        problem = ""
        if first <= year <= last:
            try:
                lib = holidays.country_holidays("CN", years=year, language="zh_CN")
                # The object also holds days of other years (a notice may move a working
                # day into the previous December), so keep only this year's.
                named = {d: str(n) for d, n in lib.items() if d.year == year}
                workdays = frozenset(d for d in lib.weekend_workdays if d.year == year)
            except Exception as exc:  # a gap in the calendar must not stop the line
                problem = f" ({type(exc).__name__}: {exc})"
                named, workdays = {}, frozenset()
        in_overrides = sum(1 for d in (*self.closed, *self.opened) if d.year == year)
        hint = (
            f"{in_overrides} day(s) of {year} are in the override file {self.source or ''}"
            if in_overrides
            else f"list {year}'s arrangement in the court's calendar override file"
        )
        if workdays:
            # Every State Council notice since 2001 moves working days onto weekends; the
            # library derives holidays for any year from the law, so "has holidays" alone
            # would take a year without a notice for a complete one.
            return _Year(YearData.OFFICIAL, named, workdays)
        if named:
            log.warning(
                "court calendar: holidays %s has no State Council arrangement (调休) for %d; "
                "using the statutory holidays only, no weekend is a working day; %s",
                version,
                year,
                hint,
            )
            return _Year(YearData.STATUTORY, named, frozenset())
        log.warning(
            "court calendar: holidays %s has no Chinese holiday data for %d%s; "
            "treating Monday-Friday as working days; %s",
            version,
            year,
            problem,
            hint,
        )
        return _Year(YearData.WEEKDAYS, {}, frozenset())

    def year_data(self, year: int) -> YearData:
        """How much the library knows about ``year`` (logs the warning on first use)."""
        return self._year(year).data

    # ---- days ------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """True on a working day: overrides first, then the official calendar."""
        _check_date(d)
        if d in self.opened:
            return True
        if d in self.closed:
            return False
        info = self._year(d.year)
        if d.weekday() >= 5:
            return d in info.weekend_workdays
        return d not in info.holidays

    def reason(self, d: date) -> str:
        """Why ``d`` is closed or open: override reason, holiday name, 调休上班, 周末, 工作日."""
        _check_date(d)
        if d in self.opened:
            return self.opened[d]
        if d in self.closed:
            return self.closed[d]
        info = self._year(d.year)
        if d in info.holidays:
            return info.holidays[d]
        if d in info.weekend_workdays:
            return MAKE_UP_WORKDAY
        return WEEKEND if d.weekday() >= 5 else WORKDAY

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d`` (R6)."""
        _check_date(d)
        day = d
        for _ in range(_MAX_SEARCH_DAYS):
            day += timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise CalendarError(f"no working day within {_MAX_SEARCH_DAYS} days after {d}")

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (R7/R8 deadlines).

        ``n == 0`` gives ``d`` itself if it is a working day, else the next one; a day
        that is not a working day does not count, so 1 working day after a Saturday is
        the following Monday (or the make-up working day, if one comes first).
        """
        _check_date(d)
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int number of working days, got {n!r}")
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        # Deadlines of thousands of orders start on the same few days: remember the answer
        # (the calendar never changes once built).
        key = (d, n)
        found = self._sums.get(key)
        if found is not None:
            return found
        if n == 0:
            day = d if self.is_working_day(d) else self.next_working_day(d)
        else:
            day = d
            for _ in range(n):
                day = self.next_working_day(day)
        if len(self._sums) >= _MAX_CACHED_SUMS:
            self._sums.clear()
        self._sums[key] = day
        return day

    # ---- instants --------------------------------------------------------------------

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.tz)

    def is_open(self, at: datetime) -> bool:
        """True during staffed hours of a working day (R1); ``at`` must be aware."""
        _check_aware(at, "at")
        local = at.astimezone(self.tz)
        return self.staffed_from <= local.time() < self.staffed_until and self.is_working_day(
            local.date()
        )

    def next_opening(self, at: datetime) -> datetime:
        """The first staffed instant at or after ``at``, in the court's time zone.

        The same instant if the line is open (R6: when a message left now is heard).
        """
        _check_aware(at, "at")
        local = at.astimezone(self.tz)
        day = local.date()
        if self.is_working_day(day):
            if local.time() < self.staffed_from:
                return self._at(day, self.staffed_from)
            if local.time() < self.staffed_until:
                return local
        return self._at(self.next_working_day(day), self.staffed_from)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """``start`` plus ``hours`` of staffed time only (R5 dispatch within 2 hours).

        Counting begins at the next opening if ``start`` is outside staffed time. A
        deadline that uses up a day exactly ends at closing time that day. Durations are
        wall-clock hours in the court's zone (the staff work 08:30–17:30 local time).
        """
        _check_aware(start, "start")
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            raise TypeError(f"hours must be a number, got {hours!r}")
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite number >= 0, got {hours!r}")
        remaining = timedelta(hours=hours)
        current = self.next_opening(start)
        while True:
            left_today = self._at(current.date(), self.staffed_until) - current
            if remaining <= left_today:
                return current + remaining
            remaining -= left_today
            current = self._at(self.next_working_day(current.date()), self.staffed_from)
