"""Working-time deadlines (R5, R7), the light (R8 red is automatic), and what the sweep
must do for an order: overdue marks, reminders (催办) and the escalation ladder (R8).

Dates are real ones on the official Chinese calendar (``holidays``) as the court
calendar reads it:

* March 2026 is plain: Mon 9 Mar – Fri 13 Mar, Mon 16 Mar – Fri 20 Mar, Mon 23 Mar.
* Spring Festival 2026: Sat 14 Feb is a make-up working day, 15–23 Feb are closed,
  work resumes Tue 24 Feb.
* Mid-Autumn Fri 25 Sep 2026 is closed; National Day 2026 closes 1–7 Oct, Thu 8 Oct
  and the make-up Saturday 10 Oct are working days.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from workorder.calendar import CourtCalendar
from workorder.deadlines import (
    DEFAULT_LADDER,
    Action,
    Clock,
    LadderStep,
    Light,
    Policy,
    PolicyError,
    due_actions,
    end_of_working_day,
    light,
    parse_ladder,
)
from workorder.errors import DomainError
from workorder.types import OrderStatus, Role

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = Policy()


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def cal() -> CourtCalendar:
    return CourtCalendar()


def test_the_dates_these_tests_rely_on_are_what_the_calendar_says(cal: CourtCalendar) -> None:
    closed = [
        date(2026, 2, 16),
        date(2026, 2, 20),
        date(2026, 2, 23),
        date(2026, 3, 14),
        date(2026, 9, 25),
        date(2026, 10, 1),
        date(2026, 10, 7),
    ]
    opened = [
        date(2026, 2, 14),
        date(2026, 2, 24),
        date(2026, 3, 9),
        date(2026, 3, 13),
        date(2026, 9, 20),
        date(2026, 10, 8),
        date(2026, 10, 10),
    ]
    assert [cal.is_working_day(d) for d in closed] == [False] * len(closed)
    assert [cal.is_working_day(d) for d in opened] == [True] * len(opened)
    assert cal.reason(date(2026, 2, 14)) == "调休上班"
    assert cal.reason(date(2026, 10, 10)) == "调休上班"


# ---- end_of_working_day -------------------------------------------------------------------


def test_r7_feedback_from_monday_morning_is_due_at_midnight_after_thursday(
    cal: CourtCalendar,
) -> None:
    # Mon 9 Mar 2026 10:00: Tue, Wed, Thu are the three working days; ends 24:00 Thursday.
    due = end_of_working_day(cal, sh(2026, 3, 9, 10, 0), 3)
    assert due == sh(2026, 3, 13, 0, 0)
    assert due.tzinfo == SHANGHAI
    assert due.utcoffset() == sh(2026, 3, 13).utcoffset()


def test_r7_feedback_from_friday_skips_the_weekend_and_ends_after_wednesday(
    cal: CourtCalendar,
) -> None:
    # Fri 13 Mar 2026: Mon 16, Tue 17, Wed 18 → 24:00 Wednesday = Thursday 00:00.
    assert end_of_working_day(cal, sh(2026, 3, 13, 16, 0), 3) == sh(2026, 3, 19, 0, 0)


def test_the_day_a_period_starts_does_not_count_even_at_its_first_minute(
    cal: CourtCalendar,
) -> None:
    assert end_of_working_day(cal, sh(2026, 3, 9, 0, 0), 1) == sh(2026, 3, 11, 0, 0)
    assert end_of_working_day(cal, sh(2026, 3, 9, 23, 59), 1) == sh(2026, 3, 11, 0, 0)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # Fri 13 Feb 2026: the make-up Saturday 14 Feb, then Tue 24 and Wed 25 Feb.
        (sh(2026, 2, 13, 10, 0), 3, sh(2026, 2, 26, 0, 0)),
        # Sat 14 Feb (make-up day) → the next working day is Tue 24 Feb.
        (sh(2026, 2, 14, 10, 0), 1, sh(2026, 2, 25, 0, 0)),
        # Wed 30 Sep 2026: Thu 8 Oct, Fri 9 Oct, the make-up Saturday 10 Oct.
        (sh(2026, 9, 30, 10, 0), 3, sh(2026, 10, 11, 0, 0)),
        # Thu 24 Sep 2026: Fri 25 Sep is Mid-Autumn, so Mon 28 Sep.
        (sh(2026, 9, 24, 10, 0), 1, sh(2026, 9, 29, 0, 0)),
        # Started on a holiday (Thu 1 Oct 2026): counting begins with Thu 8 Oct.
        (sh(2026, 10, 1, 10, 0), 1, sh(2026, 10, 9, 0, 0)),
        # Sat 19 Sep 2026 is closed, Sun 20 Sep is a make-up working day.
        (sh(2026, 9, 19, 10, 0), 1, sh(2026, 9, 21, 0, 0)),
    ],
)
def test_r7_working_days_skip_statutory_holidays_and_count_make_up_days(
    cal: CourtCalendar, start: datetime, n: int, due: datetime
) -> None:
    assert end_of_working_day(cal, start, n) == due


def test_an_instant_given_in_utc_is_counted_on_the_shanghai_day(cal: CourtCalendar) -> None:
    # Sun 8 Mar 2026 16:30 UTC is Mon 9 Mar 00:30 in Shanghai: the start day is Monday,
    # so one working day ends 24:00 Tuesday (not 24:00 Monday, as the UTC Sunday would give).
    start = datetime(2026, 3, 8, 16, 30, tzinfo=UTC)
    due = end_of_working_day(cal, start, 1)
    assert due == sh(2026, 3, 11, 0, 0)
    assert due.tzinfo == SHANGHAI
    # The same calendar instant given in Shanghai time gives the same deadline.
    assert end_of_working_day(cal, sh(2026, 3, 9, 0, 30), 1) == due


# ---- Policy and the ladder ------------------------------------------------------------------


def test_the_default_policy_carries_the_court_rules() -> None:
    assert POLICY.dispatch_hours == 2.0  # R5
    assert POLICY.feedback_days == 3  # R7
    assert POLICY.reminder_days == 1  # R8
    assert POLICY.primary_court_days == 8  # R8, primary court → intermediate president
    assert POLICY.ladder == (
        LadderStep(3, Role.DEPARTMENT_LEADER),
        LadderStep(2, Role.DEPUTY_PRESIDENT),
        LadderStep(2, Role.PRESIDENT),
    )


@pytest.mark.parametrize(
    ("kwargs", "hint"),
    [
        ({"dispatch_hours": 0}, "dispatch_hours=0"),
        ({"dispatch_hours": -1.5}, "dispatch_hours"),
        ({"dispatch_hours": 24 * 30 + 1}, "dispatch_hours"),
        ({"feedback_days": 0}, "feedback_days=0"),
        ({"reminder_days": 0}, "reminder_days=0"),
        ({"callback_days": 0}, "callback_days=0"),
        ({"callback_attempts": 0}, "callback_attempts=0"),
        ({"yellow_share": 1.0}, "yellow_share=1.0"),
        ({"yellow_share": -0.1}, "yellow_share"),
        ({"primary_court_days": -1}, "primary_court_days"),
        ({"repeat_window_days": -1}, "repeat_window_days"),
    ],
)
def test_a_wrong_deadline_setting_raises_policy_error_naming_it(
    kwargs: dict[str, float], hint: str
) -> None:
    with pytest.raises(PolicyError, match=hint):
        Policy(**kwargs)


def test_policy_error_is_a_domain_error_not_a_value_error() -> None:
    assert issubclass(PolicyError, DomainError) and not issubclass(PolicyError, ValueError)


def test_edge_values_of_the_policy_are_accepted() -> None:
    p = Policy(dispatch_hours=24 * 30, yellow_share=0.0, primary_court_days=0, repeat_window_days=0)
    assert p.dispatch_hours == 720
    assert p.yellow_share == 0.0
    assert Policy(yellow_share=0.99).yellow_share == 0.99


@pytest.mark.parametrize(
    ("text", "ladder"),
    [
        (
            "3:department_leader,2:deputy_president",
            (LadderStep(3, Role.DEPARTMENT_LEADER), LadderStep(2, Role.DEPUTY_PRESIDENT)),
        ),
        ("3:department_leader,2:deputy_president,2:president", DEFAULT_LADDER),
        (
            " 1 : department_leader , 1:president ,",
            (LadderStep(1, Role.DEPARTMENT_LEADER), LadderStep(1, Role.PRESIDENT)),
        ),
        ("", ()),
        (" , ", ()),
    ],
)
def test_r8_ladder_is_parsed_from_days_and_roles(text: str, ladder: tuple[LadderStep, ...]) -> None:
    assert parse_ladder(text) == ladder


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("x:president", "not DAYS:ROLE"),
        ("3:nobody", "not DAYS:ROLE"),
        ("3", "not DAYS:ROLE"),
        ("0:president", "days must be a whole number >= 1"),
        ("-2:president", "days must be a whole number >= 1"),
        ("3:department_leader,2:Deputy President", "not DAYS:ROLE"),
    ],
)
def test_r8_a_bad_ladder_step_raises_policy_error(text: str, hint: str) -> None:
    with pytest.raises(PolicyError, match=hint):
        parse_ladder(text)


def test_r8_a_bad_ladder_step_lists_the_roles_to_choose_from() -> None:
    with pytest.raises(PolicyError) as info:
        parse_ladder("3:nobody")
    message = str(info.value)
    assert "'3:nobody'" in message
    assert "department_leader" in message and "intermediate_president" in message


def test_r8_ladder_days_for_a_primary_court_reach_the_intermediate_president_at_8() -> None:
    assert POLICY.ladder_days(primary_court=True) == [
        (1, 3, Role.DEPARTMENT_LEADER),
        (2, 5, Role.DEPUTY_PRESIDENT),
        (3, 7, Role.PRESIDENT),
        (4, 8, Role.INTERMEDIATE_PRESIDENT),
    ]


def test_r8_ladder_days_for_an_intermediate_court_stop_at_its_own_president() -> None:
    assert POLICY.ladder_days(primary_court=False) == [
        (1, 3, Role.DEPARTMENT_LEADER),
        (2, 5, Role.DEPUTY_PRESIDENT),
        (3, 7, Role.PRESIDENT),
    ]


def test_r8_primary_court_days_zero_turns_the_intermediate_step_off() -> None:
    p = Policy(primary_court_days=0)
    assert (
        p.ladder_days(primary_court=True)
        == p.ladder_days(primary_court=False)
        == [
            (1, 3, Role.DEPARTMENT_LEADER),
            (2, 5, Role.DEPUTY_PRESIDENT),
            (3, 7, Role.PRESIDENT),
        ]
    )


def test_r8_the_intermediate_step_is_sorted_into_time_order() -> None:
    p = Policy(primary_court_days=4)
    assert p.ladder_days(primary_court=True) == [
        (1, 3, Role.DEPARTMENT_LEADER),
        (2, 4, Role.INTERMEDIATE_PRESIDENT),
        (3, 5, Role.DEPUTY_PRESIDENT),
        (4, 7, Role.PRESIDENT),
    ]


def test_r8_steps_on_the_same_day_keep_the_configured_order() -> None:
    p = Policy(ladder=parse_ladder("3:department_leader,2:deputy_president,3:president"))
    assert p.ladder_days(primary_court=True) == [
        (1, 3, Role.DEPARTMENT_LEADER),
        (2, 5, Role.DEPUTY_PRESIDENT),
        (3, 8, Role.PRESIDENT),
        (4, 8, Role.INTERMEDIATE_PRESIDENT),
    ]


def test_r8_an_empty_ladder_leaves_only_the_primary_court_step() -> None:
    p = Policy(ladder=parse_ladder(""))
    assert p.ladder_days(primary_court=False) == []
    assert p.ladder_days(primary_court=True) == [(1, 8, Role.INTERMEDIATE_PRESIDENT)]


# ---- the light -------------------------------------------------------------------------------

# Dispatched Mon 9 Mar 2026 10:00; feedback due 24:00 Thursday = Fri 13 Mar 00:00 (86 h).
DISPATCHED_AT = sh(2026, 3, 9, 10, 0)
FEEDBACK_DUE = sh(2026, 3, 13, 0, 0)
DISPATCHED = Clock(
    status=OrderStatus.DISPATCHED,
    created_at=sh(2026, 3, 9, 9, 0),
    dispatch_due_at=sh(2026, 3, 9, 11, 0),
    dispatched_at=DISPATCHED_AT,
    feedback_due_at=FEEDBACK_DUE,
)
# Registered Mon 9 Mar 2026 10:00 for forwarding; dispatch due two working hours later.
TO_DISPATCH = Clock(
    status=OrderStatus.TO_DISPATCH,
    created_at=sh(2026, 3, 9, 10, 0),
    dispatch_due_at=sh(2026, 3, 9, 12, 0),
)


def test_r7_the_fixture_deadlines_are_the_ones_the_calendar_gives(cal: CourtCalendar) -> None:
    assert end_of_working_day(cal, DISPATCHED_AT, POLICY.feedback_days) == FEEDBACK_DUE
    assert cal.add_working_hours(TO_DISPATCH.created_at, POLICY.dispatch_hours) == sh(
        2026, 3, 9, 12, 0
    )


@pytest.mark.parametrize(
    "clock",
    [
        replace(DISPATCHED, status=OrderStatus.FED_BACK, feedback_at=sh(2026, 3, 10, 9, 0)),
        replace(DISPATCHED, status=OrderStatus.CLOSED, feedback_at=sh(2026, 3, 10, 9, 0)),
        replace(DISPATCHED, status=OrderStatus.CLOSED, overdue_at=sh(2026, 3, 13, 0, 0)),
        replace(DISPATCHED, feedback_at=sh(2026, 3, 10, 9, 0)),  # fed back, status not moved
        replace(DISPATCHED, feedback_due_at=None),
        replace(DISPATCHED, dispatched_at=None),
        replace(TO_DISPATCH, dispatch_due_at=None),
        Clock(status=OrderStatus.REGISTERED, created_at=sh(2026, 3, 9, 10, 0)),
        Clock(
            status=OrderStatus.MESSAGE_PENDING,
            created_at=sh(2026, 3, 9, 10, 0),
            dispatch_due_at=sh(2026, 3, 9, 12, 0),
        ),
    ],
    ids=[
        "fed_back",
        "closed",
        "closed_overdue",
        "feedback_at",
        "no_feedback_due",
        "not_dispatched",
        "no_dispatch_due",
        "registered",
        "message_pending",
    ],
)
def test_r8_an_order_without_a_running_clock_has_no_light(clock: Clock) -> None:
    assert light(clock, sh(2026, 3, 20, 10, 0), POLICY) is None


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (sh(2026, 3, 9, 10, 0), Light.GREEN),
        (sh(2026, 3, 11, 12, 0), Light.GREEN),
        # 25 % of 86 h = 21.5 h before the deadline: Thu 12 Mar 02:30.
        (sh(2026, 3, 12, 2, 29), Light.GREEN),
        (sh(2026, 3, 12, 2, 30), Light.YELLOW),
        (sh(2026, 3, 12, 23, 59), Light.YELLOW),
        (sh(2026, 3, 13, 0, 0), Light.RED),
        (sh(2026, 3, 20, 10, 0), Light.RED),
    ],
)
def test_r8_dispatched_order_light_runs_from_dispatch_to_feedback_due(
    now: datetime, expected: Light
) -> None:
    assert light(DISPATCHED, now, POLICY) is expected


def test_r8_dispatched_order_ignores_its_past_dispatch_deadline() -> None:
    # dispatch_due_at (11:00) is long past, but a dispatched order's clock is feedback.
    assert light(DISPATCHED, sh(2026, 3, 10, 12, 0), POLICY) is Light.GREEN


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (sh(2026, 3, 9, 10, 0), Light.GREEN),
        (sh(2026, 3, 9, 11, 29), Light.GREEN),
        (sh(2026, 3, 9, 11, 30), Light.YELLOW),  # 30 of 120 minutes left
        (sh(2026, 3, 9, 11, 59), Light.YELLOW),
        (sh(2026, 3, 9, 12, 0), Light.RED),
        (sh(2026, 3, 9, 15, 0), Light.RED),
    ],
)
def test_r5_to_dispatch_order_light_runs_from_registration_to_dispatch_due(
    now: datetime, expected: Light
) -> None:
    assert light(TO_DISPATCH, now, POLICY) is expected


def test_r5_to_dispatch_order_ignores_dispatch_and_feedback_fields() -> None:
    clock = replace(
        TO_DISPATCH, dispatched_at=sh(2026, 3, 1, 10, 0), feedback_due_at=sh(2026, 3, 5, 0, 0)
    )
    assert light(clock, sh(2026, 3, 9, 11, 0), POLICY) is Light.GREEN
    assert light(clock, sh(2026, 3, 9, 11, 45), POLICY) is Light.YELLOW


def test_r8_an_order_marked_overdue_is_red_whatever_the_time_left() -> None:
    repeat = replace(DISPATCHED, overdue_at=sh(2026, 3, 9, 15, 0))
    assert light(repeat, sh(2026, 3, 9, 15, 1), POLICY) is Light.RED
    assert (
        light(
            replace(TO_DISPATCH, overdue_at=sh(2026, 3, 9, 10, 30)), sh(2026, 3, 9, 10, 31), POLICY
        )
        is Light.RED
    )


def test_r8_yellow_share_is_configurable() -> None:
    now = sh(2026, 3, 11, 12, 0)  # 36 of 86 hours left
    assert light(DISPATCHED, now, Policy(yellow_share=0.25)) is Light.GREEN
    assert light(DISPATCHED, now, Policy(yellow_share=0.5)) is Light.YELLOW
    assert light(DISPATCHED, sh(2026, 3, 12, 23, 59), Policy(yellow_share=0.0)) is Light.GREEN


def test_r8_light_compares_instants_not_wall_clocks() -> None:
    # 16:00 UTC on Thu 12 Mar is Fri 13 Mar 00:00 in Shanghai: the deadline itself.
    assert light(DISPATCHED, datetime(2026, 3, 12, 15, 59, tzinfo=UTC), POLICY) is Light.YELLOW
    assert light(DISPATCHED, datetime(2026, 3, 12, 16, 0, tzinfo=UTC), POLICY) is Light.RED


# ---- due_actions -------------------------------------------------------------------------------


def kinds(actions: list[Action]) -> list[str]:
    return [a.kind for a in actions]


def test_r7_dispatched_order_before_its_deadline_needs_nothing_until_feedback_due(
    cal: CourtCalendar,
) -> None:
    plan = due_actions(DISPATCHED, sh(2026, 3, 12, 23, 59), POLICY, cal)
    assert plan.actions == []
    assert plan.next_due_at == FEEDBACK_DUE


def test_r8_no_feedback_by_the_deadline_marks_overdue_reminds_and_escalates_level_1(
    cal: CourtCalendar,
) -> None:
    plan = due_actions(DISPATCHED, sh(2026, 3, 13, 0, 1), POLICY, cal)
    assert plan.actions == [
        Action("overdue", FEEDBACK_DUE, reason="no_feedback"),
        # Overdue at 24:00 Thu 12 Mar; one working day after that day: 24:00 Fri 13 Mar.
        Action(
            "remind", FEEDBACK_DUE, level=1, role=Role.DEPARTMENT_HEAD, due_by=sh(2026, 3, 14, 0, 0)
        ),
        # The first ladder step (3 working days) coincides with the feedback deadline.
        Action("escalate", FEEDBACK_DUE, level=1, role=Role.DEPARTMENT_LEADER),
    ]
    # Level 2: 5 working days after dispatch (Tue 10 … Mon 16) → Tue 17 Mar 00:00.
    assert plan.next_due_at == sh(2026, 3, 17, 0, 0)


def test_r8_exactly_at_the_deadline_the_order_is_already_overdue(cal: CourtCalendar) -> None:
    plan = due_actions(DISPATCHED, FEEDBACK_DUE, POLICY, cal)
    assert kinds(plan.actions) == ["overdue", "remind", "escalate"]
    assert plan.actions[0].at == FEEDBACK_DUE


def test_r8_ten_working_days_after_dispatch_a_primary_court_order_climbs_all_four_levels(
    cal: CourtCalendar,
) -> None:
    # 10 working days after Mon 9 Mar 2026 end 24:00 Mon 23 Mar.
    now = sh(2026, 3, 24, 0, 0)
    assert end_of_working_day(cal, DISPATCHED_AT, 10) == now
    plan = due_actions(replace(DISPATCHED, primary_court=True), now, POLICY, cal)
    assert kinds(plan.actions) == [
        "overdue",
        "remind",
        "escalate",
        "escalate",
        "escalate",
        "escalate",
    ]
    assert [(a.level, a.role, a.at) for a in plan.actions if a.kind == "escalate"] == [
        (1, Role.DEPARTMENT_LEADER, sh(2026, 3, 13, 0, 0)),  # 3 days: Tue–Thu
        (2, Role.DEPUTY_PRESIDENT, sh(2026, 3, 17, 0, 0)),  # 5 days: … Mon 16
        (3, Role.PRESIDENT, sh(2026, 3, 19, 0, 0)),  # 7 days: … Wed 18
        (4, Role.INTERMEDIATE_PRESIDENT, sh(2026, 3, 20, 0, 0)),  # 8 days: … Thu 19
    ]
    assert plan.next_due_at is None


def test_r8_ten_working_days_after_dispatch_an_intermediate_court_order_has_three_levels(
    cal: CourtCalendar,
) -> None:
    plan = due_actions(DISPATCHED, sh(2026, 3, 24, 0, 0), POLICY, cal)
    assert [(a.level, a.role) for a in plan.actions if a.kind == "escalate"] == [
        (1, Role.DEPARTMENT_LEADER),
        (2, Role.DEPUTY_PRESIDENT),
        (3, Role.PRESIDENT),
    ]
    assert plan.next_due_at is None


def test_r8_a_primary_court_order_waits_for_the_intermediate_step_after_its_president(
    cal: CourtCalendar,
) -> None:
    clock = replace(DISPATCHED, primary_court=True, overdue_at=FEEDBACK_DUE, escalation_level=3)
    plan = due_actions(clock, sh(2026, 3, 19, 12, 0), POLICY, cal)
    assert kinds(plan.actions) == ["remind"]
    assert plan.next_due_at == sh(2026, 3, 20, 0, 0)


def test_r8_levels_already_reached_are_not_proposed_again(cal: CourtCalendar) -> None:
    clock = replace(DISPATCHED, primary_court=True, overdue_at=FEEDBACK_DUE, escalation_level=2)
    plan = due_actions(clock, sh(2026, 3, 24, 0, 0), POLICY, cal)
    assert plan.actions == [
        Action(
            "remind", FEEDBACK_DUE, level=1, role=Role.DEPARTMENT_HEAD, due_by=sh(2026, 3, 14, 0, 0)
        ),
        Action("escalate", sh(2026, 3, 19, 0, 0), level=3, role=Role.PRESIDENT),
        Action("escalate", sh(2026, 3, 20, 0, 0), level=4, role=Role.INTERMEDIATE_PRESIDENT),
    ]
    assert plan.next_due_at is None


def test_r5_an_order_not_dispatched_in_time_is_overdue_and_reminded(
    cal: CourtCalendar,
) -> None:
    plan = due_actions(TO_DISPATCH, sh(2026, 3, 9, 12, 0), POLICY, cal)
    assert plan.actions == [
        Action("overdue", sh(2026, 3, 9, 12, 0), reason="not_dispatched"),
        # Overdue Mon 9 Mar 12:00: the reminder is due by 24:00 Tue 10 Mar.
        Action(
            "remind",
            sh(2026, 3, 9, 12, 0),
            level=1,
            role=Role.DEPARTMENT_HEAD,
            due_by=sh(2026, 3, 11, 0, 0),
        ),
    ]
    # The ladder counts from the dispatch deadline: 3 working days → 24:00 Thu 12 Mar.
    assert plan.next_due_at == sh(2026, 3, 13, 0, 0)


def test_r5_the_ladder_of_an_undispatched_order_counts_from_its_dispatch_deadline(
    cal: CourtCalendar,
) -> None:
    # Registered Fri 13 Mar 2026 17:00: 30 minutes that day, 90 minutes on Monday.
    created = sh(2026, 3, 13, 17, 0)
    dispatch_due = cal.add_working_hours(created, POLICY.dispatch_hours)
    assert dispatch_due == sh(2026, 3, 16, 10, 0)
    clock = Clock(status=OrderStatus.TO_DISPATCH, created_at=created, dispatch_due_at=dispatch_due)
    # Counted from Monday 16 (not from Friday 13): level 1 at 24:00 Thu 19 Mar.
    plan = due_actions(clock, sh(2026, 3, 19, 12, 0), POLICY, cal)
    assert kinds(plan.actions) == ["overdue", "remind"]
    assert plan.actions[0] == Action("overdue", dispatch_due, reason="not_dispatched")
    assert plan.actions[1].due_by == sh(2026, 3, 18, 0, 0)
    assert plan.next_due_at == sh(2026, 3, 20, 0, 0)
    later = due_actions(clock, sh(2026, 3, 20, 0, 0), POLICY, cal)
    assert later.actions[2:] == [
        Action("escalate", sh(2026, 3, 20, 0, 0), level=1, role=Role.DEPARTMENT_LEADER),
    ]
    assert later.next_due_at == sh(2026, 3, 24, 0, 0)  # 5 days: Tue 17 … Mon 23


def test_r8_a_repeat_call_marks_overdue_early_so_the_reminder_is_due_at_once(
    cal: CourtCalendar,
) -> None:
    repeat_at = sh(2026, 3, 10, 15, 0)
    clock = replace(DISPATCHED, overdue_at=repeat_at)
    plan = due_actions(clock, sh(2026, 3, 10, 15, 5), POLICY, cal)
    assert plan.actions == [
        Action(
            "remind", repeat_at, level=1, role=Role.DEPARTMENT_HEAD, due_by=sh(2026, 3, 12, 0, 0)
        ),
    ]
    assert plan.next_due_at == sh(2026, 3, 13, 0, 0)  # the first ladder step
    # When the feedback deadline passes, there is no second 'overdue'.
    later = due_actions(clock, sh(2026, 3, 13, 0, 1), POLICY, cal)
    assert kinds(later.actions) == ["remind", "escalate"]
    assert later.actions[0].at == repeat_at


@pytest.mark.parametrize(
    ("clock", "now"),
    [
        (DISPATCHED, sh(2026, 3, 13, 0, 1)),
        (replace(DISPATCHED, primary_court=True), sh(2026, 3, 24, 0, 0)),
        (replace(DISPATCHED, primary_court=True), sh(2026, 3, 19, 9, 0)),
        (TO_DISPATCH, sh(2026, 3, 13, 10, 0)),
    ],
    ids=["just_overdue", "all_levels", "three_levels", "undispatched"],
)
def test_r8_feeding_the_result_back_proposes_nothing_new_at_the_same_instant(
    cal: CourtCalendar, clock: Clock, now: datetime
) -> None:
    first = due_actions(clock, now, POLICY, cal)
    overdue = [a for a in first.actions if a.kind == "overdue"]
    escalations = [a.level for a in first.actions if a.kind == "escalate"]
    assert len(overdue) == 1
    # The store keeps timestamps in UTC; the result must not depend on the zone.
    stored = replace(
        clock,
        overdue_at=overdue[0].at.astimezone(UTC),
        escalation_level=max(escalations, default=clock.escalation_level),
    )
    second = due_actions(stored, now, POLICY, cal)
    assert second.actions == [a for a in first.actions if a.kind == "remind"]
    assert second.next_due_at == first.next_due_at
    # And once more: nothing changes.
    assert due_actions(stored, now, POLICY, cal) == second


def test_r8_running_twice_without_storing_gives_the_same_plan(cal: CourtCalendar) -> None:
    now = sh(2026, 3, 17, 9, 0)
    assert due_actions(DISPATCHED, now, POLICY, cal) == due_actions(DISPATCHED, now, POLICY, cal)


@pytest.mark.parametrize(
    "clock",
    [
        replace(DISPATCHED, status=OrderStatus.FED_BACK, feedback_at=sh(2026, 3, 12, 9, 0)),
        replace(DISPATCHED, status=OrderStatus.CLOSED, feedback_at=sh(2026, 3, 12, 9, 0)),
        replace(
            DISPATCHED,
            status=OrderStatus.FED_BACK,
            feedback_at=sh(2026, 3, 16, 9, 0),
            overdue_at=FEEDBACK_DUE,
            escalation_level=1,
        ),
        replace(DISPATCHED, feedback_at=sh(2026, 3, 12, 9, 0)),
        replace(TO_DISPATCH, status=OrderStatus.CLOSED),
    ],
    ids=["fed_back", "closed", "fed_back_late", "feedback_at", "closed_undispatched"],
)
def test_r7_an_order_fed_back_or_closed_needs_nothing_more(
    cal: CourtCalendar, clock: Clock
) -> None:
    plan = due_actions(clock, sh(2026, 3, 24, 0, 0), POLICY, cal)
    assert plan.actions == []
    assert plan.next_due_at is None


def test_r8_a_custom_ladder_escalates_on_its_own_days(cal: CourtCalendar) -> None:
    policy = Policy(ladder=parse_ladder("1:department_leader,1:president"))
    # Dispatched Mon 9 Mar: step 1 after Tue 10, step 2 after Wed 11; feedback due Fri 00:00.
    plan = due_actions(DISPATCHED, sh(2026, 3, 11, 12, 0), policy, cal)
    assert plan.actions == [
        Action("escalate", sh(2026, 3, 11, 0, 0), level=1, role=Role.DEPARTMENT_LEADER),
    ]
    assert plan.next_due_at == sh(2026, 3, 12, 0, 0)  # before the feedback deadline
    plan = due_actions(DISPATCHED, sh(2026, 3, 13, 9, 0), policy, cal)
    assert plan.actions == [
        Action("overdue", FEEDBACK_DUE, reason="no_feedback"),
        Action(
            "remind", FEEDBACK_DUE, level=1, role=Role.DEPARTMENT_HEAD, due_by=sh(2026, 3, 14, 0, 0)
        ),
        Action("escalate", sh(2026, 3, 11, 0, 0), level=1, role=Role.DEPARTMENT_LEADER),
        Action("escalate", sh(2026, 3, 12, 0, 0), level=2, role=Role.PRESIDENT),
    ]
    assert plan.next_due_at is None


def test_r8_a_custom_ladder_on_a_primary_court_still_reaches_the_intermediate_president(
    cal: CourtCalendar,
) -> None:
    policy = Policy(ladder=parse_ladder("1:department_leader,1:president"))
    clock = replace(DISPATCHED, primary_court=True, overdue_at=FEEDBACK_DUE, escalation_level=2)
    plan = due_actions(clock, sh(2026, 3, 13, 9, 0), policy, cal)
    assert kinds(plan.actions) == ["remind"]
    assert plan.next_due_at == sh(2026, 3, 20, 0, 0)  # 8 working days after dispatch
    plan = due_actions(clock, sh(2026, 3, 20, 0, 0), policy, cal)
    assert plan.actions[1:] == [
        Action("escalate", sh(2026, 3, 20, 0, 0), level=3, role=Role.INTERMEDIATE_PRESIDENT),
    ]


def test_r8_without_a_ladder_an_overdue_order_is_only_reminded(cal: CourtCalendar) -> None:
    policy = Policy(ladder=parse_ladder(""), primary_court_days=0)
    plan = due_actions(replace(DISPATCHED, primary_court=True), sh(2026, 3, 24, 0, 0), policy, cal)
    assert kinds(plan.actions) == ["overdue", "remind"]
    assert plan.next_due_at is None


def test_r7_r8_deadlines_across_national_day_2026(cal: CourtCalendar) -> None:
    # Dispatched Wed 30 Sep 2026: feedback due after Thu 8, Fri 9 and the make-up Sat 10 Oct.
    dispatched = sh(2026, 9, 30, 15, 0)
    due = end_of_working_day(cal, dispatched, POLICY.feedback_days)
    assert due == sh(2026, 10, 11, 0, 0)
    clock = Clock(
        status=OrderStatus.DISPATCHED,
        created_at=sh(2026, 9, 30, 14, 0),
        dispatched_at=dispatched,
        feedback_due_at=due,
    )
    assert due_actions(clock, sh(2026, 10, 7, 12, 0), POLICY, cal).next_due_at == due
    plan = due_actions(clock, sh(2026, 10, 11, 8, 0), POLICY, cal)
    assert plan.actions == [
        Action("overdue", due, reason="no_feedback"),
        # Overdue on Sunday 11 Oct: the reminder is due by 24:00 Mon 12 Oct.
        Action("remind", due, level=1, role=Role.DEPARTMENT_HEAD, due_by=sh(2026, 10, 13, 0, 0)),
        Action("escalate", due, level=1, role=Role.DEPARTMENT_LEADER),
    ]
    # Level 2: 5 working days → Oct 8, 9, 10, 12, 13 → Wed 14 Oct 00:00.
    assert plan.next_due_at == sh(2026, 10, 14, 0, 0)
