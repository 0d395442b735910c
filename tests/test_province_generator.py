"""bench/province.py: the generated province has the shape the sweep and ledger benchmarks
rely on (R2, R4, R5, R7, R8, R10), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import importlib.util
import random
import re
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.db import make_engine
from workorder import deadlines
from workorder.calendar import CourtCalendar
from workorder.models import (
    Call,
    CallbackTask,
    Case,
    Court,
    Department,
    Escalation,
    Judge,
    Leader,
    OrderCounter,
    OrderHistory,
    Reminder,
    WorkOrder,
)

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("province", ROOT / "bench" / "province.py")
province = importlib.util.module_from_spec(_spec)
sys.modules["province"] = province  # dataclasses look their module up by name
_spec.loader.exec_module(province)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=TZ)
ORDERS = 5000
SEED = 7
# The default escalation ladder (R8): level → (working days after dispatch, role).
LADDER = {1: (3, "department_leader"), 2: (5, "deputy_president"), 3: (7, "president"),
          4: (8, "intermediate_president")}
TABLES = {"courts": Court, "leaders": Leader, "departments": Department, "judges": Judge,
          "cases": Case, "calls": Call, "work_orders": WorkOrder, "order_history": OrderHistory,
          "reminders": Reminder, "escalations": Escalation, "callbacks": CallbackTask,
          "order_counters": OrderCounter}


def _first_orders(url: str, n: int = 50) -> list[tuple]:
    engine = make_engine(url)
    with Session(engine) as s:
        rows = s.execute(select(WorkOrder.court, WorkOrder.number, WorkOrder.order_type,
                                WorkOrder.channel, WorkOrder.status, WorkOrder.created_at,
                                WorkOrder.next_due_at).order_by(WorkOrder.id).limit(n)).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_the_province_has_the_shape_the_benchmarks_read(db_url, tmp_path):
    seen: list[int] = []
    stats = province.generate(db_url, ORDERS, now=NOW, seed=SEED, progress=seen.append)
    assert seen and seen[-1] == ORDERS and seen == sorted(seen)
    cal = CourtCalendar()
    engine = make_engine(db_url)
    with Session(engine) as s:
        # Rows per table, as reported.
        for name, model in TABLES.items():
            assert s.scalar(select(func.count()).select_from(model)) == getattr(stats, name), name
        assert stats.work_orders == stats.order_history == ORDERS
        assert stats.cases == 20_000

        # The directory: one intermediate court, 15 primary courts under it.
        courts = s.scalars(select(Court).order_by(Court.id)).all()
        top = courts[0]
        assert (top.name, top.code, top.level, top.parent_id) == (
            "示范省第一中级人民法院", "豫01", "intermediate", None)
        assert [c.code for c in courts[1:]] == [f"豫01{i:02d}" for i in range(1, 16)]
        assert all(c.level == "primary" and c.parent_id == top.id and
                   re.fullmatch(r"示范市.+区人民法院", c.name) for c in courts[1:])
        primary = {c.name for c in courts[1:]}
        leaders = Counter(s.execute(select(Leader.court, Leader.role)).all())
        for c in courts:
            assert leaders[(c.name, "president")] == 1
            assert 2 <= leaders[(c.name, "deputy_president")] <= 3
        kinds = defaultdict(Counter)
        for d in s.scalars(select(Department)):
            kinds[d.court][d.kind] += 1
            assert d.leader_id and d.head_mobile.startswith("139") and d.liaison_name
        for c in courts:
            assert 10 <= sum(kinds[c.name].values()) <= 12
            for kind in ("filing", "petition", "enforcement", "enforcement_supervision",
                         "discipline", "trial"):
                assert kinds[c.name][kind] >= 1, (c.name, kind)
        per_dept = Counter(s.scalars(select(Judge.department_id)))
        trial = s.scalars(select(Department.id).where(Department.kind == "trial")).all()
        assert all(5 <= per_dept[d] <= 15 for d in trial) and set(per_dept) == set(trial)
        case = s.scalars(select(Case).limit(1)).one()
        assert re.fullmatch(r"（20\d\d）豫01(\d\d)?[民刑行][初终申]\d+号", case.number)

        orders = s.scalars(select(WorkOrder).order_by(WorkOrder.id)).all()
        calls = {c.id: c for c in s.scalars(select(Call))}
        reminders = defaultdict(list)
        for r in s.scalars(select(Reminder)):
            reminders[r.order_id].append(r)
        escalations = defaultdict(list)
        for e in s.scalars(select(Escalation).order_by(Escalation.level)):
            escalations[e.order_id].append(e)
        callbacks = defaultdict(dict)
        for cb in s.scalars(select(CallbackTask)):
            callbacks[cb.order_id][cb.reason] = cb
        counters = {(c.court, c.day): c.last for c in s.scalars(select(OrderCounter))}
    engine.dispose()
    now = NOW.astimezone(UTC)

    # Exactly round(orders * due_share) orders are due, all untouched by the sweep (R8).
    due = [o for o in orders if o.next_due_at is not None and o.next_due_at <= now]
    assert len(due) == round(ORDERS * 0.01) == stats.due_orders
    for o in due:
        assert (o.status, o.feedback_at, o.overdue_at, o.escalation_level) == (
            "dispatched", None, None, 0)
        assert o.next_due_at == o.feedback_due_at
        assert o.id not in reminders and o.id not in escalations and o.id not in callbacks
    for o in orders:
        if o.status in ("closed", "fed_back", "registered", "in_progress", "callback_pending",
                        "message_pending"):
            assert o.next_due_at is None, o.number
        if o.status == "closed":
            assert o.closed_at is not None and o.closed_at >= o.created_at and o.rule

    # Numbers: YYYYMMDD-NNNN per court and local day, unique, continued by the counters.
    numbers = Counter((o.court, o.number) for o in orders)
    assert max(numbers.values()) == 1
    last = Counter()
    for o in orders:
        day, seq = o.number.split("-")
        assert day == f"{o.created_at.astimezone(TZ):%Y%m%d}" and len(seq) == 4
        last[(o.court, day)] = max(last[(o.court, day)], int(seq))
    assert last == counters

    # The busiest month (local time) holds at least 10% of the orders.
    months = Counter(f"{o.created_at.astimezone(TZ):%Y-%m}" for o in orders)
    month, count = months.most_common(1)[0]
    assert (month, count) == (stats.busiest_month, stats.busiest_month_orders)
    assert count >= 0.10 * ORDERS
    assert min(o.created_at for o in orders) >= now - timedelta(days=366)
    assert max(o.created_at for o in orders) < now
    channels = Counter(o.channel for o in orders)
    assert 0.65 < channels["hotline"] / ORDERS < 0.75
    assert 0.2 < sum(o.case_number is not None for o in orders) / ORDERS < 0.4
    share = Counter(o.court for o in orders)
    assert 0.12 < share["示范省第一中级人民法院"] / ORDERS < 0.18

    # Every hotline order has its call (R2), and only hotline orders have one.
    hotline = [o for o in orders if o.channel == "hotline"]
    assert len(calls) == len(hotline) == len({o.call_id for o in hotline})
    assert all(o.call_id is None for o in orders if o.channel != "hotline")
    for o in hotline:
        call = calls[o.call_id]
        assert call.received_at == o.created_at
        assert (call.answered_at is not None) == (call.outcome == "answered")
    answered = [c for c in calls.values() if c.answered_at is not None]
    assert 0.88 < len(answered) / len(calls) < 0.97
    assert all(c.hold_time_s == (c.answered_at - c.offered_at).total_seconds()
               for c in answered)

    # Forwarded orders: the clocks of R5 and R7 on the court calendar.
    forwarded = [o for o in orders if o.assignee_role is not None]
    assert 0.10 < len(forwarded) / ORDERS < 0.20
    for o in forwarded:
        assert o.order_type in (3, 4, 5) and o.department_id and o.decided_at == o.created_at
        assert o.dispatch_due_at == cal.add_working_hours(o.created_at, 2)
        assert (o.judge_id is not None) == (o.rule == "R4.2")
        if o.dispatched_at is None:
            assert o.status == "to_dispatch" and o.next_due_at == o.dispatch_due_at > now
            continue
        assert o.dispatched_at <= now and o.feedback_due_at > o.dispatched_at
        last_day = cal.add_working_days(o.dispatched_at.astimezone(TZ).date(), 3)
        assert o.feedback_due_at == datetime.combine(last_day + timedelta(days=1), time(0),
                                                     tzinfo=TZ)
        if o.feedback_at is None:
            assert o.status == "dispatched"
        else:
            assert o.status in ("closed", "fed_back") and o.feedback_at <= now
            cb = callbacks[o.id]["feedback"]
            assert cb.priority == (1 if o.order_type in (3, 4) or o.case_number else 2)
            assert (cb.status == "done") == (o.status == "closed")
            assert (cb.satisfaction is not None) == (o.status == "closed")
        # Overdue: a late feedback, none by its deadline, or a late dispatch (R8).
        late_feedback = (o.feedback_at or now) > o.feedback_due_at
        if o.dispatched_at > o.dispatch_due_at:
            assert (o.overdue_at, o.overdue_reason) == (o.dispatch_due_at, "not_dispatched")
        elif late_feedback and o not in due:
            assert (o.overdue_at, o.overdue_reason) == (o.feedback_due_at, "no_feedback")
        else:
            assert o.overdue_at is None
        if o.overdue_at is not None:
            (reminder,) = reminders[o.id]
            assert reminder.round == 1 and reminder.created_at >= o.overdue_at
            day = cal.add_working_days(o.overdue_at.astimezone(TZ).date(), 1)
            assert reminder.due_by == datetime.combine(day + timedelta(days=1), time(0),
                                                       tzinfo=TZ)
        else:
            assert o.id not in reminders
        # The ladder: one row per level reached, in order, with its role.
        steps = escalations[o.id]
        assert [e.level for e in steps] == list(range(1, o.escalation_level + 1))
        for e in steps:
            days, role = LADDER[e.level]
            last_day = cal.add_working_days(o.dispatched_at.astimezone(TZ).date(), days)
            assert e.at == datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=TZ)
            assert e.role == role and e.court == o.court
            assert e.level < 4 or o.court in primary
            assert e.at <= (o.feedback_at or now)
        if o.escalation_level:
            assert o.overdue_at is not None
    assert sum(o.feedback_at is not None and o.feedback_at > o.feedback_due_at
               for o in forwarded) > 0
    assert any(o.escalation_level == 4 for o in forwarded)
    # Abandoned and unanswered calls are called back (R2).
    for o in hotline:
        outcome = calls[o.call_id].outcome
        if outcome in ("abandoned", "ivr_hangup", "callback"):
            reason = "unanswered" if outcome == "callback" else "abandoned"
            assert reason in callbacks[o.id]

    # Deterministic: the same seed writes the same orders (here also across databases);
    # another seed does not. A database with orders is refused.
    again = f"sqlite:///{tmp_path / 'again.db'}"
    province.generate(again, ORDERS, now=NOW, seed=SEED)
    assert _first_orders(again) == _first_orders(db_url)
    with pytest.raises(province.ProvinceError, match=f"already has {ORDERS} work orders"):
        province.generate(db_url, 100, now=NOW, seed=SEED)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    province.generate(other, 500, now=NOW, seed=SEED + 1, due_share=0)
    assert [r[1:3] for r in _first_orders(other)] != [r[1:3] for r in _first_orders(again)]


def test_the_sweep_would_find_exactly_the_due_orders(db_url):
    """Cross-check with the sweep's own rules (workorder.deadlines, default policy): every
    open order not in the due set is already swept, and its next_due_at is what the sweep
    would set; the due ones have their overdue step waiting (R5, R7, R8)."""
    stats = province.generate(db_url, ORDERS, now=NOW, seed=SEED + 2)
    cal = CourtCalendar()
    now = NOW.astimezone(UTC)
    engine = make_engine(db_url)
    with Session(engine) as s:
        primary = set(s.scalars(select(Court.name).where(Court.level == "primary")))
        open_orders = s.scalars(select(WorkOrder).where(
            WorkOrder.status.in_(("to_dispatch", "dispatched")))).all()
    engine.dispose()
    policy = deadlines.Policy()
    due = 0
    for o in open_orders:
        clock = deadlines.Clock(
            status=o.status, created_at=o.created_at, dispatch_due_at=o.dispatch_due_at,
            dispatched_at=o.dispatched_at, feedback_due_at=o.feedback_due_at,
            feedback_at=o.feedback_at, overdue_at=o.overdue_at,
            escalation_level=o.escalation_level, primary_court=o.court in primary)
        plan = deadlines.due_actions(clock, now, policy, cal)
        kinds = {a.kind for a in plan.actions}
        if o.next_due_at is not None and o.next_due_at <= now:
            due += 1
            assert "overdue" in kinds and "remind" in kinds
        else:
            assert kinds <= {"remind"}, (o.number, plan.actions)  # swept up to now
            assert plan.next_due_at == o.next_due_at, o.number
    assert due == stats.due_orders == round(ORDERS * 0.01)


def test_an_impossible_due_share_is_refused(tmp_path):
    with pytest.raises(province.ProvinceError, match="smaller due_share"):
        province.generate(f"sqlite:///{tmp_path / 'p.db'}", 200, now=NOW, due_share=0.5)


def test_working_hours_on_integers_match_the_court_calendar():
    cal = CourtCalendar()
    days = province._Days(cal, 8 * 3600)
    rng = random.Random(1)
    start = int(datetime(2025, 12, 20, tzinfo=TZ).timestamp())
    for _ in range(3000):
        t = start + rng.randrange(120 * 86400)
        seconds = rng.choice((0, 1, 7200, 7200, rng.randrange(40 * 3600)))
        at = datetime.fromtimestamp(t, UTC)
        expected = cal.add_working_hours(at, seconds / 3600)
        assert days.add_working_seconds(t, seconds) == int(expected.timestamp()), at
        n = rng.randint(1, 8)
        last = cal.add_working_days(at.astimezone(TZ).date(), n)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=TZ)
        assert days.end_of_working_day(t, n) == int(end.timestamp())


def test_the_province_is_written_beside_the_demo_court(tmp_path):
    """The panel benchmark fills the line's own database, which holds the demo court: the
    province shares none of its names and its ids carry on after the demo's."""
    from hotline.db import migrate
    from hotline.demo import load_demo

    url = f"sqlite:///{tmp_path / 'line.db'}"
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        assert load_demo(s)
    stats = province.generate(url, 300, now=NOW, seed=SEED, due_share=0)
    with Session(engine) as s:
        names = set(s.scalars(select(Court.name)))
        assert {"示范市中级人民法院", "示范市东城区人民法院", province.INTERMEDIATE_NAME} <= names
        assert len(names) == 3 + 16 and s.scalar(select(func.count(WorkOrder.id))) == 300
    engine.dispose()
    assert stats.work_orders == 300
