"""The court calendar: staffed hours (R1), next working day (R6), working-day deadlines
(R5/R7/R8), on the real official Chinese calendar from the ``holidays`` package."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest

from workorder.calendar import CalendarError, CourtCalendar, YearData, load_overrides

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEMO_OVERRIDE = Path(__file__).resolve().parents[1] / "hotline" / "demo" / "calendar_override.toml"

# Real make-up working days (调休) from the State Council notices for 2025 and 2026.
MAKE_UP_WORKDAYS = [
    date(2025, 1, 26),  # Sunday before the Spring Festival
    date(2025, 2, 8),  # Saturday after the Spring Festival
    date(2025, 9, 28),  # Sunday before National Day
    date(2025, 10, 11),  # Saturday after National Day
    date(2026, 1, 4),  # Sunday after New Year's Day
    date(2026, 2, 14),  # Saturday before the Spring Festival
    date(2026, 2, 28),  # Saturday after the Spring Festival
    date(2026, 9, 20),  # Sunday before National Day
    date(2026, 10, 10),  # Saturday after National Day
]


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


@pytest.fixture
def cal() -> CourtCalendar:
    return CourtCalendar()


# ---- the official calendar ------------------------------------------------------------


def test_spring_festival_2025_and_2026_are_closed_for_the_whole_break(cal: CourtCalendar) -> None:
    # 2025: 28 Jan – 4 Feb off; 2026: 15 Feb – 23 Feb off (State Council notices).
    for day in days(date(2025, 1, 28), date(2025, 2, 4)) + days(
        date(2026, 2, 15), date(2026, 2, 23)
    ):
        assert not cal.is_working_day(day), day
    assert cal.is_working_day(date(2025, 2, 5))
    assert cal.is_working_day(date(2026, 2, 24))
    assert cal.reason(date(2025, 1, 29)) == "春节"
    assert cal.reason(date(2026, 2, 16)) == "农历除夕"


def test_national_day_2025_and_2026_are_closed_for_the_whole_break(cal: CourtCalendar) -> None:
    # 2025: 1–8 Oct off (with Mid-Autumn); 2026: 1–7 Oct off.
    for day in days(date(2025, 10, 1), date(2025, 10, 8)) + days(
        date(2026, 10, 1), date(2026, 10, 7)
    ):
        assert not cal.is_working_day(day), day
    assert cal.is_working_day(date(2025, 10, 9))
    assert cal.is_working_day(date(2026, 10, 8))
    assert cal.reason(date(2025, 10, 1)) == "国庆节"
    assert cal.reason(date(2025, 10, 6)) == "中秋节"
    assert "调休" in cal.reason(date(2025, 10, 7))  # a weekday moved off by the notice


def test_make_up_saturdays_and_sundays_are_working_days_as_the_library_says(
    cal: CourtCalendar,
) -> None:
    library = holidays.country_holidays("CN", years=[2025, 2026])
    for day in MAKE_UP_WORKDAYS:
        assert day.weekday() >= 5, day
        assert day in library.weekend_workdays, day  # the library agrees it is 调休
        assert cal.is_working_day(day), day
        assert cal.reason(day) == "调休上班"


def test_ordinary_weekends_are_closed_and_weekdays_open(cal: CourtCalendar) -> None:
    assert not cal.is_working_day(date(2025, 3, 8))  # Saturday
    assert not cal.is_working_day(date(2025, 3, 9))  # Sunday
    assert cal.reason(date(2025, 3, 9)) == "周末"
    assert cal.is_working_day(date(2025, 3, 10))
    assert cal.reason(date(2025, 3, 10)) == "工作日"


def test_a_holiday_on_a_weekend_is_named_by_the_holiday(cal: CourtCalendar) -> None:
    assert not cal.is_working_day(date(2026, 10, 3))  # Saturday, National Day
    assert cal.reason(date(2026, 10, 3)) == "国庆节"


# ---- R1 staffed hours -------------------------------------------------------------------


def test_r1_line_is_staffed_from_0830_until_before_1730_in_shanghai(cal: CourtCalendar) -> None:
    assert not cal.is_open(sh(2025, 3, 5, 8, 29))
    assert cal.is_open(sh(2025, 3, 5, 8, 30))
    assert cal.is_open(sh(2025, 3, 5, 17, 29))
    assert not cal.is_open(sh(2025, 3, 5, 17, 30))


def test_r1_staffed_hours_apply_to_utc_datetimes_converted_to_the_court_zone(
    cal: CourtCalendar,
) -> None:
    utc = UTC
    assert not cal.is_open(datetime(2025, 3, 5, 0, 29, tzinfo=utc))  # 08:29 in Shanghai
    assert cal.is_open(datetime(2025, 3, 5, 0, 30, tzinfo=utc))  # 08:30
    assert cal.is_open(datetime(2025, 3, 5, 9, 29, tzinfo=utc))  # 17:29
    assert not cal.is_open(datetime(2025, 3, 5, 9, 30, tzinfo=utc))  # 17:30
    # 23:00 UTC on Tuesday is 07:00 on Wednesday in Shanghai: not yet open.
    assert not cal.is_open(datetime(2025, 3, 4, 23, 0, tzinfo=utc))


def test_r1_line_is_closed_on_holidays_and_open_on_make_up_days(cal: CourtCalendar) -> None:
    assert not cal.is_open(sh(2025, 10, 1, 10, 0))
    assert not cal.is_open(sh(2025, 3, 8, 10, 0))  # ordinary Saturday
    assert cal.is_open(sh(2025, 10, 11, 10, 0))  # 调休 Saturday


def test_r1_staffed_hours_are_configurable_per_court() -> None:
    cal = CourtCalendar(staffed_from=time(9, 0), staffed_until=time(17, 0))
    assert not cal.is_open(sh(2025, 3, 5, 8, 30))
    assert cal.is_open(sh(2025, 3, 5, 9, 0))
    assert not cal.is_open(sh(2025, 3, 5, 17, 0))


def test_naive_datetimes_are_rejected_with_a_clear_message(cal: CourtCalendar) -> None:
    naive = datetime(2025, 3, 5, 10, 0)
    for call in (cal.is_open, cal.next_opening, lambda at: cal.add_working_hours(at, 1)):
        with pytest.raises(ValueError, match="timezone-aware"):
            call(naive)


def test_a_datetime_is_not_accepted_where_a_date_is_meant(cal: CourtCalendar) -> None:
    # A datetime would silently miss every date key; the caller must pick the local day.
    with pytest.raises(TypeError, match="date"):
        cal.is_working_day(sh(2025, 10, 1, 10, 0))


# ---- R6 next working day ----------------------------------------------------------------


def test_r6_message_left_before_national_day_is_handled_after_the_holiday(
    cal: CourtCalendar,
) -> None:
    assert cal.next_opening(sh(2025, 9, 30, 20, 0)) == sh(2025, 10, 9, 8, 30)
    assert cal.next_opening(sh(2026, 9, 30, 20, 0)) == sh(2026, 10, 8, 8, 30)
    assert cal.next_working_day(date(2025, 9, 30)) == date(2025, 10, 9)


def test_r6_message_left_on_friday_before_spring_festival_is_heard_on_the_make_up_saturday(
    cal: CourtCalendar,
) -> None:
    assert cal.next_opening(sh(2026, 2, 13, 18, 0)) == sh(2026, 2, 14, 8, 30)
    # ... and one left on that Saturday evening waits for the end of the break.
    assert cal.next_opening(sh(2026, 2, 14, 18, 0)) == sh(2026, 2, 24, 8, 30)


def test_r6_next_working_day_is_strictly_after_the_given_day(cal: CourtCalendar) -> None:
    assert cal.next_working_day(date(2025, 3, 5)) == date(2025, 3, 6)
    assert cal.next_working_day(date(2025, 3, 7)) == date(2025, 3, 10)  # Friday → Monday


def test_r6_next_opening_is_the_same_instant_when_open_and_today_before_opening(
    cal: CourtCalendar,
) -> None:
    at = datetime(2025, 3, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert cal.next_opening(at) == at
    assert cal.next_opening(at).tzinfo == SHANGHAI
    assert cal.next_opening(sh(2025, 3, 5, 6, 0)) == sh(2025, 3, 5, 8, 30)


# ---- R7/R8 working-day deadlines ---------------------------------------------------------


def test_r7_feedback_within_3_working_days_skips_national_day_and_counts_make_up_saturday(
    cal: CourtCalendar,
) -> None:
    # Dispatched Tue 30 Sep 2025: 9 Oct, 10 Oct, then the 调休 Saturday 11 Oct.
    assert cal.add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)
    assert cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert cal.add_working_days(date(2025, 1, 27), 1) == date(2025, 2, 5)


def test_r8_zero_working_days_is_the_day_itself_or_the_next_working_day(
    cal: CourtCalendar,
) -> None:
    assert cal.add_working_days(date(2025, 3, 5), 0) == date(2025, 3, 5)
    assert cal.add_working_days(date(2025, 10, 3), 0) == date(2025, 10, 9)


def test_working_days_counted_from_a_weekend_start_on_the_next_working_day(
    cal: CourtCalendar,
) -> None:
    assert cal.add_working_days(date(2025, 3, 8), 1) == date(2025, 3, 10)


def test_negative_working_days_are_rejected(cal: CourtCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_days(date(2025, 3, 5), -1)


def test_r5_two_working_hours_from_friday_evening_land_on_monday_morning(
    cal: CourtCalendar,
) -> None:
    # Fri 7 Mar 2025 16:30: one hour that day, one on Monday.
    assert cal.add_working_hours(sh(2025, 3, 7, 16, 30), 2) == sh(2025, 3, 10, 9, 30)
    assert cal.add_working_hours(sh(2025, 3, 7, 17, 0), 2) == sh(2025, 3, 10, 10, 0)


def test_r5_two_working_hours_from_friday_before_a_holiday_land_after_the_holiday(
    cal: CourtCalendar,
) -> None:
    # Fri 3 Apr 2026, then Qingming 4–6 Apr: 30 min on Friday, 90 min on Tuesday.
    assert cal.add_working_hours(sh(2026, 4, 3, 17, 0), 2) == sh(2026, 4, 7, 10, 0)
    # New Year 2026: 1–3 Jan off, Sunday 4 Jan is a make-up working day.
    assert cal.add_working_hours(sh(2025, 12, 31, 16, 30), 2) == sh(2026, 1, 4, 9, 30)


def test_r5_working_hours_from_outside_staffed_time_start_at_the_next_opening(
    cal: CourtCalendar,
) -> None:
    assert cal.add_working_hours(sh(2025, 9, 30, 20, 0), 2) == sh(2025, 10, 9, 10, 30)
    assert cal.add_working_hours(sh(2025, 3, 8, 12, 0), 0) == sh(2025, 3, 10, 8, 30)


def test_working_hours_that_fill_a_day_end_at_closing_time(cal: CourtCalendar) -> None:
    assert cal.add_working_hours(sh(2025, 3, 5, 8, 30), 9) == sh(2025, 3, 5, 17, 30)
    assert cal.add_working_hours(sh(2025, 3, 5, 8, 30), 9.5) == sh(2025, 3, 6, 9, 0)


def test_negative_or_infinite_working_hours_are_rejected(cal: CourtCalendar) -> None:
    for bad in (-1, float("inf"), float("nan")):
        with pytest.raises(ValueError):
            cal.add_working_hours(sh(2025, 3, 5, 9, 0), bad)


# ---- years the library lacks --------------------------------------------------------------


def test_year_without_any_library_data_falls_back_to_weekdays_and_warns_once(
    cal: CourtCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="workorder.calendar")
    # 2101 is past the library's range for China: no data at all.
    assert cal.is_working_day(date(2101, 1, 3))  # Monday
    assert cal.is_working_day(date(2101, 10, 3))  # Monday, not a holiday without data
    assert not cal.is_working_day(date(2101, 1, 1))  # Saturday
    assert cal.add_working_days(date(2101, 1, 7), 1) == date(2101, 1, 10)  # Fri → Mon
    assert cal.year_data(2101) is YearData.WEEKDAYS
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "2101" in r.message]
    assert len(warnings) == 1
    assert "Monday-Friday" in warnings[0].message


def test_2099_has_no_state_council_arrangement_so_only_statutory_days_close_and_it_warns(
    cal: CourtCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="workorder.calendar")
    assert cal.is_working_day(date(2099, 3, 4))  # an ordinary Wednesday
    assert not cal.is_working_day(date(2099, 10, 1))  # National Day is law
    weekends = [d for d in days(date(2099, 1, 1), date(2099, 12, 31)) if d.weekday() >= 5]
    assert not any(cal.is_working_day(d) for d in weekends)  # no 调休 is invented
    assert cal.next_working_day(date(2099, 10, 1)) == date(2099, 10, 6)
    assert cal.year_data(2099) is YearData.STATUTORY
    warnings = [r for r in caplog.records if "2099" in r.message]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "调休" in warnings[0].message


def test_a_year_the_library_has_only_estimated_keeps_new_years_day_closed(
    cal: CourtCalendar,
) -> None:
    # Whatever the library version, New Year's Day is a statutory holiday; if the library
    # has no arrangement for 2027 yet, the calendar must still not open on 1 Jan.
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.year_data(2027) in (YearData.OFFICIAL, YearData.STATUTORY)


def test_a_library_failure_for_a_year_falls_back_to_weekdays_without_raising(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise NotImplementedError("lunar table ends")

    monkeypatch.setattr(holidays, "country_holidays", broken)
    caplog.set_level(logging.WARNING, logger="workorder.calendar")
    cal = CourtCalendar()
    assert cal.is_working_day(date(2025, 10, 1))  # a Wednesday; no data, so a weekday
    assert cal.year_data(2025) is YearData.WEEKDAYS
    assert any("lunar table ends" in r.message for r in caplog.records)


def test_library_objects_are_built_once_per_year_not_per_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = holidays.country_holidays
    built: list[object] = []

    def counting(*args: object, **kwargs: object) -> object:
        built.append(kwargs.get("years"))
        return real(*args, **kwargs)

    monkeypatch.setattr(holidays, "country_holidays", counting)
    cal = CourtCalendar()
    for _ in range(50):
        cal.add_working_days(date(2025, 12, 1), 40)  # runs into 2026
    assert sorted(built) == [2025, 2026]


# ---- court overrides ------------------------------------------------------------------------


def test_override_closed_and_open_days_win_over_the_library() -> None:
    cal = CourtCalendar(
        closed={date(2025, 3, 5): "台风停工"},
        opened={date(2025, 10, 8): "集中执行日", date(2025, 3, 8): "周六加班"},
    )
    assert not cal.is_working_day(date(2025, 3, 5))
    assert cal.reason(date(2025, 3, 5)) == "台风停工"
    assert not cal.is_open(sh(2025, 3, 5, 10, 0))
    assert cal.is_working_day(date(2025, 10, 8))  # a holiday in the library
    assert cal.reason(date(2025, 10, 8)) == "集中执行日"
    assert cal.is_working_day(date(2025, 3, 8))  # a Saturday
    assert cal.next_working_day(date(2025, 3, 4)) == date(2025, 3, 6)


def test_override_file_is_loaded_and_wins(tmp_path: Path) -> None:
    path = tmp_path / "override.toml"
    path.write_text(
        '[[closed]]\ndate = 2026-09-15\nreason = "台风停工"\n\n'
        '[[open]]\ndate = 2026-10-07\nreason = "调休上班"\n',
        encoding="utf-8",
    )
    cal = CourtCalendar.from_file(path, staffed_from=time(9, 0))
    assert not cal.is_working_day(date(2026, 9, 15))
    assert cal.is_working_day(date(2026, 10, 7))
    assert cal.reason(date(2026, 9, 15)) == "台风停工"
    assert cal.staffed_from == time(9, 0)


def test_override_file_supplies_make_up_days_for_a_year_without_library_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "override.toml"
    path.write_text('[[open]]\ndate = 2101-01-08\nreason = "调休上班"\n', encoding="utf-8")
    cal = CourtCalendar.from_file(path)
    assert cal.is_working_day(date(2101, 1, 8))  # a Saturday
    assert cal.reason(date(2101, 1, 8)) == "调休上班"


def test_the_shipped_demo_override_file_is_valid() -> None:
    closed, opened = load_overrides(DEMO_OVERRIDE)
    assert closed and all(reason for reason in closed.values())
    cal = CourtCalendar.from_file(DEMO_OVERRIDE)
    assert all(not cal.is_working_day(day) for day in closed)


def test_an_empty_override_file_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.toml"
    path.write_text("# nothing local this year\n", encoding="utf-8")
    assert load_overrides(path) == ({}, {})


@pytest.mark.parametrize(
    ("content", "hint"),
    [
        ("[[closed]\ndate = 2026-09-15\n", "not valid TOML"),
        ('[[closed]]\ndate = 2026-02-30\nreason = "x"\n', "not valid TOML"),
        ('[[closed]]\ndate = "2026-09-15"\nreason = "台风停工"\n', "unquoted TOML date"),
        ('[[closed]]\ndate = 2026-09-15T08:00:00\nreason = "x"\n', "unquoted TOML date"),
        ('[[closed]]\nreason = "台风停工"\n', "has no date"),
        ("[[closed]]\ndate = 2026-09-15\n", "needs a reason"),
        ('[[closed]]\ndate = 2026-09-15\nreason = "x"\nresaon = "y"\n', "unknown key 'resaon'"),
        ('[[holiday]]\ndate = 2026-09-15\nreason = "x"\n', "unknown key 'holiday'"),
        ('closed = "2026-09-15"\n', "array of tables"),
        (
            '[[closed]]\ndate = 2026-09-15\nreason = "a"\n[[closed]]\ndate = 2026-09-15\n'
            'reason = "b"\n',
            "listed twice",
        ),
        (
            '[[closed]]\ndate = 2026-09-15\nreason = "a"\n[[open]]\ndate = 2026-09-15\n'
            'reason = "b"\n',
            "both closed and open",
        ),
    ],
)
def test_a_malformed_override_file_raises_one_line_naming_the_file(
    tmp_path: Path, content: str, hint: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CalendarError) as info:
        CourtCalendar.from_file(path)
    message = str(info.value)
    assert str(path) in message
    assert hint in message
    assert "\n" not in message


def test_a_missing_or_non_utf8_override_file_raises_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(CalendarError, match="cannot read") as info:
        CourtCalendar.from_file(missing)
    assert str(missing) in str(info.value)
    latin = tmp_path / "latin.toml"
    latin.write_bytes('[[closed]]\ndate = 2026-09-15\nreason = "台风"\n'.encode("gbk"))
    with pytest.raises(CalendarError) as info:
        CourtCalendar.from_file(latin)
    assert str(latin) in str(info.value)


def test_a_day_both_closed_and_open_in_code_is_rejected() -> None:
    with pytest.raises(CalendarError, match="both closed and open"):
        CourtCalendar(closed={date(2025, 3, 5): "a"}, opened={date(2025, 3, 5): "b"})


def test_bad_time_zone_or_empty_staffed_hours_are_rejected() -> None:
    with pytest.raises(CalendarError, match="time zone"):
        CourtCalendar(tz="Asia/Beijing")
    with pytest.raises(CalendarError, match="staffed_from must be earlier"):
        CourtCalendar(staffed_from=time(17, 30), staffed_until=time(8, 30))
