"""The sweep (R8 overdue, reminders, the escalation ladder; R2/R10 callbacks) on SQLite and
PostgreSQL: exactly once however often it runs, concurrently, or after a crash."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker
from support import court

from hotline.db import make_engine
from workorder import sweep as sweep_mod
from workorder.models import Call, CallbackTask, Escalation, OrderHistory, Reminder, WorkOrder
from workorder.notices import Notice
from workorder.registration import Arrival, register_call
from workorder.sweep import sweep

SH = ZoneInfo("Asia/Shanghai")
MON = datetime(2026, 11, 23, 10, 0, tzinfo=SH)


@pytest.fixture
def sessions(db_url):
    engine = make_engine(db_url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def forwarded(sessions, svc, n=1, where=court.MID, at=MON, order_type=4):
    """``n`` petitions forwarded and dispatched at ``at``."""
    numbers = []
    with sessions.begin() as s:
        for i in range(n):
            o = svc.open_order(s, where, channel="hall", order_type=order_type, by="seat1001",
                               at=at, caller_phone=f"1381234{i:04d}")
            svc.forward(s, o, version=o.version, by="seat1001", at=at)
            numbers.append(o.number)
    return numbers


@pytest.fixture
def directory(sessions):
    with sessions.begin() as s:
        return court.build(s)


def count(sessions, model):
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_r8_an_order_without_feedback_turns_red_once_with_one_reminder_and_one_escalation(
        sessions, svc, directory):
    [number] = forwarded(sessions, svc)
    before = sweep(sessions, svc.calendar, svc.policy, datetime(2026, 11, 26, 23, 0, tzinfo=SH))
    assert (before.orders, before.overdue) == (0, 0)  # due at 24:00 on Thursday
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=SH)
    first = sweep(sessions, svc.calendar, svc.policy, friday)
    assert (first.orders, first.overdue, first.reminders, first.escalations) == (1, 1, 1, 1)
    for _ in range(3):
        again = sweep(sessions, svc.calendar, svc.policy, friday + timedelta(hours=1))
        assert (again.orders, again.reminders, again.escalations) == (0, 0, 0)
    with sessions() as s:
        o = s.scalar(select(WorkOrder).where(WorkOrder.number == number))
        r = s.scalar(select(Reminder))
        e = s.scalar(select(Escalation))
        assert (o.overdue_at, o.overdue_reason) == (datetime(2026, 11, 27, tzinfo=SH),
                                                    "no_feedback")
        assert svc.light(o, friday) == "red"
        # R8: the reminder goes to the department head within 1 working day of the
        # deadline (end of Thursday) → by the end of Friday
        assert (r.to_name, r.due_by) == ("信访长m", datetime(2026, 11, 28, tzinfo=SH))
        assert (e.level, e.role, e.to_name) == (1, "department_leader", "信访长m")
        # the next step: 5 working days after Monday's dispatch → end of Monday 30 November
        assert o.next_due_at == datetime(2026, 12, 1, tzinfo=SH)
        assert o.escalation_level == 1
        assert s.scalar(select(func.count()).where(OrderHistory.action == "sweep")) == 1
        # the ladder's first step is texted to the department leader, in the same
        # transaction as the escalation, once however often the sweep runs
        [text] = s.scalars(select(Notice).where(Notice.kind.like("escalate-%")))
        assert (text.kind, text.to_name, text.to_mobile) == ("escalate-1", "信访长m",
                                                             e.to_mobile)
        assert text.body.startswith(f"【12368】工单{number}（") and "逾期未反馈" in text.body
        assert text.next_attempt_at == friday  # 09:00 is outside the quiet hours
    assert first.texts == 1


def test_r8_the_operator_s_reminder_is_texted_once_and_refused_when_no_longer_needed(
        sessions, svc, directory):
    from workorder.orders import OrderError

    [number] = forwarded(sessions, svc)
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=SH)
    sweep(sessions, svc.calendar, svc.policy, friday)
    with sessions.begin() as s:
        r = s.scalar(select(Reminder))
        assert svc.remind(s, r.id, by="seat1001", at=friday + timedelta(minutes=5)) >= 1
    with sessions() as s:
        texts = list(s.scalars(select(Notice).where(Notice.kind == "remind-1")))
        assert {t.to_name for t in texts} >= {"信访长m"}
        assert all(t.due_by == r.due_by and "催办" in t.body for t in texts)
        assert s.scalar(select(OrderHistory.reason).where(OrderHistory.action == "reminded")) \
            .startswith("reminder #1 to 信访长m by SMS")
    with sessions.begin() as s, pytest.raises(OrderError, match="sent already"):
        svc.remind(s, r.id, by="seat1002", at=friday + timedelta(minutes=6), phoned=True)
    with sessions.begin() as s, pytest.raises(OrderError, match="no reminder 999"):
        svc.remind(s, 999, by="seat1002", at=friday)
    # a second order whose reminder comes after its feedback: nothing to remind about
    [late] = forwarded(sessions, svc, at=MON + timedelta(hours=1))
    sweep(sessions, svc.calendar, svc.policy, friday + timedelta(hours=1))
    with sessions.begin() as s:
        o = svc.find(s, court.MID, late)
        svc.feedback(s, o, by="法官m", at=friday + timedelta(hours=2), text="已联系当事人")
        pending = s.scalar(select(Reminder).where(Reminder.order_id == o.id))
    with sessions.begin() as s, pytest.raises(OrderError, match="answered or closed"):
        svc.remind(s, pending.id, by="seat1001", at=friday + timedelta(hours=3))
    with sessions() as s:
        assert s.get(Reminder, pending.id).sent_at is None  # nothing changed by the refusal


def test_r8_an_escalation_at_night_is_texted_when_the_quiet_hours_end(sessions, svc,
                                                                       directory):
    forwarded(sessions, svc)
    night = datetime(2026, 11, 27, 2, 0, tzinfo=SH)
    assert sweep(sessions, svc.calendar, svc.policy, night, quiet=svc.quiet).texts == 1
    with sessions() as s:
        text = s.scalar(select(Notice).where(Notice.kind == "escalate-1"))
    assert text.next_attempt_at == datetime(2026, 11, 27, 8, 0, tzinfo=SH)


def test_r8_a_primary_courts_order_climbs_to_the_intermediate_courts_president(
        sessions, svc, directory):
    forwarded(sessions, svc, where=court.PRIMARY)
    late = datetime(2026, 12, 10, 9, 0, tzinfo=SH)  # 12 working days after dispatch
    report = sweep(sessions, svc.calendar, svc.policy, late)
    assert report.escalations == 4
    with sessions() as s:
        ladder = [(e.level, e.role, e.to_name, e.court) for e in
                  s.scalars(select(Escalation).order_by(Escalation.level))]
        o = s.scalar(select(WorkOrder))
    assert ladder == [(1, "department_leader", "信访长p", court.PRIMARY),
                      (2, "deputy_president", "院长p", court.PRIMARY),
                      (3, "president", "院长p", court.PRIMARY),
                      (4, "intermediate_president", "院长m", court.PRIMARY)]
    assert (o.escalation_level, o.next_due_at) == (4, None)


def test_r8_feedback_before_the_deadline_stops_the_ladder(sessions, svc, directory):
    [number] = forwarded(sessions, svc)
    with sessions.begin() as s:
        o = svc.find(s, court.MID, number)
        svc.feedback(s, o, by="信访长m", at=MON + timedelta(days=1), text="已处理")
    report = sweep(sessions, svc.calendar, svc.policy, MON + timedelta(days=30))
    assert (report.orders, report.overdue, report.escalations) == (0, 0, 0)


def test_r8_a_repeat_call_gets_its_reminder_at_the_next_sweep(sessions, svc, directory):
    [number] = forwarded(sessions, svc)
    with sessions.begin() as s:
        first = svc.find(s, court.MID, number)
        first.case_number = court.CASE
    with sessions.begin() as s:
        svc.open_order(s, court.MID, channel="hall", order_type=6, by="seat1002",
                       at=MON + timedelta(hours=3), case_number=court.CASE,
                       caller_phone="13812340000")  # the same caller, the same case
    report = sweep(sessions, svc.calendar, svc.policy, MON + timedelta(hours=4))
    assert (report.orders, report.overdue, report.reminders, report.escalations) == (1, 0, 1, 0)
    with sessions() as s:
        o = svc.find(s, court.MID, number)
        assert o.overdue_reason == "repeat_call"
        # the ladder still counts from dispatch: the first step is end of Thursday
        assert o.next_due_at == datetime(2026, 11, 27, tzinfo=SH)


def test_concurrent_sweeps_record_everything_exactly_once(sessions, svc, directory):
    forwarded(sessions, svc, n=30)
    late = datetime(2026, 12, 4, 9, 0, tzinfo=SH)  # levels 1–3 reached (7 working days)
    reports, errors = [], []

    def run():
        try:
            reports.append(sweep(sessions, svc.calendar, svc.policy, late, batch=7))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r.overdue for r in reports) == 30
    assert (count(sessions, Reminder), count(sessions, Escalation)) == (30, 90)
    with sessions() as s:
        assert s.scalar(select(func.count()).where(OrderHistory.action == "sweep")) == 30


def test_a_sweep_killed_half_way_loses_nothing_and_the_next_run_finishes(
        sessions, svc, directory, monkeypatch):
    forwarded(sessions, svc, n=12)
    late = datetime(2026, 11, 27, 9, 0, tzinfo=SH)
    real = sweep_mod._batch
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_mod, "_batch", dying)
    with pytest.raises(RuntimeError):
        sweep(sessions, svc.calendar, svc.policy, late, batch=5)
    assert count(sessions, Reminder) == 5  # the first batch was committed whole
    monkeypatch.setattr(sweep_mod, "_batch", real)
    report = sweep(sessions, svc.calendar, svc.policy, late, batch=5)
    assert report.orders == 7
    assert (count(sessions, Reminder), count(sessions, Escalation)) == (12, 12)


def _call(s, uid, phone, at, outcome, answered=False):
    reg = register_call(s, court.MID, SH, Arrival(uid, phone, "", at), ("open", "工作日"))
    c = s.get(Call, reg.call_id)
    c.outcome, c.queue = outcome, "hotline-2"
    if answered:
        c.answered_at = at + timedelta(seconds=5)
    return reg


def test_r2_r10_abandoned_and_unanswered_calls_get_one_callback_each(sessions, svc, directory):
    at = MON
    with sessions.begin() as s:
        _call(s, "a1", "13800000001", at, "abandoned")
        _call(s, "a2", "13800000002", at, "callback")
        _call(s, "a3", None, at, "abandoned")  # withheld number: nobody to call
        _call(s, "a4", "13800000004", at, "abandoned")
        _call(s, "a5", "13800000004", at + timedelta(minutes=3), "answered", answered=True)
    first = sweep(sessions, svc.calendar, svc.policy, at + timedelta(minutes=10))
    second = sweep(sessions, svc.calendar, svc.policy, at + timedelta(minutes=20))
    assert (first.callbacks, second.callbacks) == (2, 0)
    with sessions() as s:
        tasks = sorted((t.phone, t.reason) for t in s.scalars(select(CallbackTask)))
    assert tasks == [("13800000001", "abandoned"), ("13800000002", "unanswered")]


def test_r5_r8_the_running_hotline_sends_texts_and_sweeps_by_itself(tmp_path):
    """`hotline serve` runs the job worker in-process: an order already overdue gets its
    reminder and its escalation texts from the sweep job, and all the texts go out, with
    nobody typing a command. (The sweep and the outbox are also periodic jobs, every
    minute.) No quiet hours here: the test must not depend on the hour it runs at."""
    import asyncio
    import urllib.error
    import urllib.request

    from conftest import built, line_config, write_config

    from hotline import running
    from hotline import settings as hotline_settings

    write_config(tmp_path, **line_config(sms_quiet_from="00:00", sms_quiet_until="00:00"))
    settings = hotline_settings.load(environ={}, data_dir=str(tmp_path))
    with built(settings) as platform:
        sessions, jobs = platform.uow, platform.jobs
        svc = court.service()
        with sessions.begin() as s:
            court.build(s)
        # long overdue; its dispatch text is handed to the job engine as it is committed
        forwarded(sessions, svc, at=datetime(2026, 1, 5, 10, 0, tzinfo=SH))
        periodic = {t.name for t in jobs.huey._registry.periodic_tasks}
        assert periodic == {"sweep", "deliver_due", "store_scan", "speech", "retention"}

        def sent() -> int:
            with sessions() as s:
                return s.scalar(select(func.count()).where(Notice.status == "sent"))

        async def serve_briefly():
            async with running.servers(platform, with_ami=False):
                jobs.sweep()  # what the scheduler does every minute
                for _ in range(100):
                    await asyncio.sleep(0.1)
                    if count(sessions, Reminder) and sent() == count(sessions, Notice):
                        break
                # the feedback page is served too (R7): a forged link is refused plainly
                url = f"http://127.0.0.1:{settings.web_port}/f/forged.token"
                with pytest.raises(urllib.error.HTTPError) as refused:
                    await asyncio.to_thread(urllib.request.urlopen, url, None, 5)
                assert refused.value.code == 403

        asyncio.run(serve_briefly())
        # the petition office head is assignee and department head: one dispatch text; the
        # ladder's three steps (leader, deputy president, president) one text each
        with sessions() as s:
            kinds = sorted(s.scalars(select(Notice.kind).where(Notice.status == "sent")))
        assert kinds == ["dispatch", "escalate-1", "escalate-2", "escalate-3"]
        assert count(sessions, Reminder) == 1 and sent() == count(sessions, Notice)
