"""The work-order service on SQLite and PostgreSQL: handling by type (R4), dispatch and
feedback deadlines (R5, R7), repeat callers (R4.2, R8), callbacks (R10), the history and
the optimistic lock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker
from support import court

from hotline.db import make_engine
from workorder import callbacks
from workorder.models import CallbackTask, OrderHistory, WorkOrder
from workorder.orders import OrderError, StaleOrder
from workorder.rules import Answers, Complaint
from workorder.types import OrderStatus, Role

SH = ZoneInfo("Asia/Shanghai")
MON = datetime(2026, 11, 23, 10, 0, tzinfo=SH)  # a working Monday


def new(session, svc, order_type, at=MON, **kw):
    kw.setdefault("caller_phone", "13812345678")
    o = svc.open_order(session, kw.pop("court", court.MID), channel=kw.pop("channel", "hall"),
                       order_type=order_type, by="seat1001", at=at, **kw)
    session.commit()
    return o


def actions(session, o):
    return [h.action for h in session.scalars(select(OrderHistory)
                                              .where(OrderHistory.order_id == o.id)
                                              .order_by(OrderHistory.id))]


def test_r2_an_order_from_the_hall_is_numbered_per_day_and_its_registration_is_history(
        session, svc, ids):
    a = new(session, svc, 2, content="问诉讼费怎么交")
    b = new(session, svc, 2, at=MON + timedelta(minutes=5))
    assert (a.number, b.number) == ("20261123-0001", "20261123-0002")
    assert a.channel == "hall" and a.status == OrderStatus.IN_PROGRESS
    h = svc.history(session, a)
    assert [x.action for x in h] == ["registered"] and h[0].actor == "seat1001"
    assert h[0].changes["content"] == [None, "问诉讼费怎么交"]


def test_r4_1_a_consultation_is_closed_on_the_call(session, svc, ids):
    o = new(session, svc, 2)
    svc.close(session, o, version=o.version, by="seat1001", at=MON, resolution="已告知交费方式")
    session.commit()
    assert (o.status, o.rule, o.closed_at is not None) == ("closed", "R4.1", True)
    assert o.next_due_at is None


def test_r4_3_closing_a_petition_on_the_call_needs_a_reason_kept_in_the_history(
        session, svc, ids):
    o = new(session, svc, 4)
    with pytest.raises(OrderError, match="R4.3 proposes to forward to petition_head"):
        svc.close(session, o, version=o.version, by="seat1001", at=MON, resolution="已解释")
    session.rollback()
    assert session.get(WorkOrder, o.id).status == OrderStatus.IN_PROGRESS
    svc.close(session, o, version=o.version, by="seat1001", at=MON, resolution="已解释",
              reason="来电人只想了解信访流程")
    session.commit()
    last = svc.history(session, o)[-1]
    assert last.action == "closed" and "override of R4.3" in last.reason
    assert "只想了解信访流程" in last.reason


@pytest.mark.parametrize("order_type, answers, role, who", [
    (4, Answers(), Role.PETITION_HEAD, "信访长m"),
    (5, Answers(complaint=Complaint.FILING), Role.FILING_HEAD, "立案长m"),
    (5, Answers(complaint=Complaint.ENFORCEMENT), Role.ENFORCEMENT_SUPERVISION_HEAD, "执行长m"),
    (5, Answers(specific_clues=True), Role.DISCIPLINE_HEAD, "违法长m"),
])
def test_r4_3_to_r4_6_forwarded_orders_reach_the_office_the_rule_names(
        session, svc, ids, order_type, answers, role, who):
    o = new(session, svc, order_type)
    target = svc.forward(session, o, version=o.version, by="seat1001", at=MON, answers=answers)
    session.commit()
    assert (target.role, target.name) == (role, who)
    assert (o.assignee_role, o.assignee_name, o.status) == (role.value, who, "dispatched")


def test_r4_4_a_complaint_about_a_judge_goes_to_the_head_of_the_judges_department(
        session, svc, ids):
    o = new(session, svc, 5, content="法官拖延不开庭")
    t = svc.forward(session, o, version=o.version, by="seat1001", at=MON, judge="法官m")
    session.commit()
    assert (t.role, t.name, t.department_id) == (Role.DEPARTMENT_HEAD, "民事长m", ids["m_civil"])
    assert o.rule == "R4.4"


def test_r5_r7_dispatch_and_feedback_deadlines_count_working_time(session, svc, ids):
    friday_late = datetime(2026, 11, 27, 16, 30, tzinfo=SH)  # 1 staffed hour left on Friday
    o = new(session, svc, 4, at=friday_late)
    svc.forward(session, o, version=o.version, by="seat1001", at=friday_late, dispatch=False)
    session.commit()
    # R5: 1 hour on Friday, 1 hour from Monday 08:30
    assert o.dispatch_due_at == datetime(2026, 11, 30, 9, 30, tzinfo=SH)
    assert o.status == OrderStatus.TO_DISPATCH and o.next_due_at == o.dispatch_due_at
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=SH)
    svc.dispatch(session, o, by="seat1001", at=monday)
    session.commit()
    # R7: 3 working days after Monday → end of Thursday
    assert o.feedback_due_at == datetime(2026, 12, 4, 0, 0, tzinfo=SH)
    assert o.next_due_at == o.feedback_due_at
    assert svc.light(o, monday) == "green"
    assert svc.light(o, datetime(2026, 12, 3, 12, 0, tzinfo=SH)) == "yellow"
    assert svc.light(o, datetime(2026, 12, 4, 0, 1, tzinfo=SH)) == "red"


def test_r4_8_an_urgent_matter_is_dispatched_at_once_at_night_and_reported(session, svc, ids):
    night = datetime(2026, 11, 24, 22, 40, tzinfo=SH)
    o = new(session, svc, 1, at=night, case_number=court.CASE, content="账户今天被冻结")
    svc.forward(session, o, version=o.version, by="sup9001", at=night,
                answers=Answers(urgent=True, leadership=True))
    session.commit()
    assert (o.rule, o.urgent, o.dispatch_due_at, o.dispatched_at) == ("R4.8", True, night, night)
    assert o.assignee_name == "民事长m"
    reported = [h for h in svc.history(session, o) if h.action == "reported"][0]
    assert reported.changes["to"][1] == ["部门副职 民事副m 13800000010", "部门负责人 民事长m 13900000010",
                                         "分管副院长 副院长m 13900001001", "院长 院长m 13900001000"]


def test_r4_2_a_second_contact_the_judge_call_is_forwarded_to_the_presiding_judge(
        session, svc, ids):
    first = new(session, svc, 3, case_number=court.CASE)
    p = svc.proposal(session, first, Answers())
    assert (p.forward, p.rule) == (False, "R4.2")
    svc.close(session, first, version=first.version, by="seat1001", at=MON,
              resolution="告知法官办公电话")
    session.commit()
    again = new(session, svc, 3, at=MON + timedelta(days=2))
    p = svc.proposal(session, again, Answers())
    assert (p.forward, p.role, p.rule) == (True, Role.JUDGE, "R4.2")
    assert first.number in p.why
    svc.edit(session, again, version=again.version, by="seat1001", at=MON + timedelta(days=2),
             case_number="2026*1234")  # keyed on the phone: year*number
    t = svc.forward(session, again, version=again.version, by="seat1001",
                    at=MON + timedelta(days=2))
    session.commit()
    assert again.case_number == court.CASE
    assert (t.role, t.name, again.judge_id) == (Role.JUDGE, "法官m", ids["m_judge"])


def test_r8_a_repeat_call_about_a_forwarded_order_makes_it_overdue(session, svc, ids):
    o = new(session, svc, 4, case_number=court.CASE)
    svc.forward(session, o, version=o.version, by="seat1001", at=MON)
    session.commit()
    later = MON + timedelta(days=1)
    other_party = new(session, svc, 1, at=later, caller_phone="13900009999",
                      case_number=court.CASE)  # the other party to the case: another matter
    session.refresh(o)
    assert o.overdue_at is None and other_party.repeat_of_id is None
    assert svc.caller_history(session, other_party).open_forwarded == o.number  # suggested
    again = new(session, svc, 6, at=later, case_number=court.CASE)  # same caller, same case
    session.refresh(o)
    assert (o.overdue_at, o.overdue_reason, o.next_due_at) == (later, "repeat_call", later)
    assert again.repeat_of_id == o.id
    assert "overdue" in actions(session, o)
    assert svc.light(o, later) == "red"


def test_r4_7_r4_8_flags_on_the_order_count_and_are_never_cleared_by_a_close(
        session, svc, ids):
    o = new(session, svc, 2, case_number=court.CASE)
    svc.edit(session, o, version=o.version, by="seat1001", at=MON, abusive=True)
    session.commit()
    p = svc.proposal(session, o, Answers())
    assert "R4.7" in p.also  # from the stored flag, without answering again
    svc.close(session, o, version=o.version, by="seat1001", at=MON, resolution="已答复",
              answers=Answers())
    session.commit()
    assert o.abusive is True
    reported = [h for h in svc.history(session, o) if h.action == "reported"]
    assert reported and reported[0].changes["to"][1] == ["分管副院长 副院长m 13900001001"]
    urgent = new(session, svc, 4)
    svc.edit(session, urgent, version=urgent.version, by="seat1001", at=MON, urgent=True)
    svc.forward(session, urgent, version=None, by="seat1001", at=MON)  # no --urgent again
    session.commit()
    assert urgent.dispatch_due_at == MON  # green channel: at once
    assert "reported" in actions(session, urgent)


def test_who_acts_must_be_named_and_short_enough_for_every_database(session, svc, ids):
    o = new(session, svc, 2)
    with pytest.raises(OrderError, match="1 to 40 characters"):
        svc.edit(session, o, version=o.version, by="x" * 41, at=MON, content="新")
    session.rollback()
    assert session.get(WorkOrder, o.id).content == ""


def test_r8_the_same_phone_about_something_else_is_only_suggested(session, svc, ids):
    o = new(session, svc, 4)
    svc.forward(session, o, version=o.version, by="seat1001", at=MON)
    session.commit()
    again = new(session, svc, 2, at=MON + timedelta(hours=1))
    session.refresh(o)
    assert o.overdue_at is None
    assert svc.caller_history(session, again).open_forwarded == o.number
    svc.edit(session, again, version=again.version, by="seat1001", at=MON + timedelta(hours=1),
             repeat_of=o.number)
    session.commit()
    session.refresh(o)
    assert o.overdue_reason == "repeat_call"


def test_two_operators_editing_one_order_never_overwrite_each_other(db_url, session, svc, ids):
    o = new(session, svc, 2, content="原内容")
    other = sessionmaker(make_engine(db_url), expire_on_commit=False)()
    theirs = other.get(WorkOrder, o.id)
    svc.edit(session, o, version=1, by="seat1001", at=MON, content="座席一的修改")
    session.commit()
    with pytest.raises(StaleOrder, match=r"changed by seat1001 .*your version 1, now 2"):
        svc.edit(other, theirs, version=1, by="seat1002", at=MON, content="座席二的修改")
    other.rollback()
    # Both hold the order and neither names a version: the database's check still catches
    # the second write (UPDATE … WHERE version = the one it read).
    o2 = other.get(WorkOrder, o.id)
    other.refresh(o2)
    other.commit()
    svc.edit(session, o, version=None, by="seat1001", at=MON, content="第二次修改")
    session.commit()
    with pytest.raises(StaleOrder, match="at the same moment"):
        svc.edit(other, o2, version=None, by="seat1002", at=MON, content="同时修改")
    other.close()
    session.expire_all()
    assert session.get(WorkOrder, o.id).content == "第二次修改"


@pytest.mark.parametrize("fields, message", [
    ({"caller_phone": "12ab"}, "is not a phone number"),
    ({"case_number": "（2024）京010民初1号"}, "3 digits"),
    ({"case_number": "2026*9999"}, "no case 2026\\*9999 in the directory"),
    ({"order_type": "7"}, "not an order type key"),
    ({"status": "closed"}, "cannot edit status"),
])
def test_bad_input_is_refused_with_a_clear_message_and_nothing_changes(
        session, svc, ids, fields, message):
    o = new(session, svc, 2, content="原内容")
    with pytest.raises(OrderError, match=message):
        svc.edit(session, o, version=o.version, by="seat1001", at=MON, content="新内容", **fields)
    session.rollback()
    fresh = session.get(WorkOrder, o.id)
    assert (fresh.content, fresh.version) == ("原内容", 1)


def test_forwarding_to_an_unknown_department_or_judge_says_so(session, svc, ids):
    o = new(session, svc, 5)
    with pytest.raises(OrderError, match="unknown department '民事九庭'.*known: .*立案庭"):
        svc.forward(session, o, version=o.version, by="s", at=MON, department="民事九庭")
    with pytest.raises(OrderError, match="unknown judge '包公'"):
        svc.forward(session, o, version=o.version, by="s", at=MON, judge="包公")
    session.rollback()
    assert session.get(WorkOrder, o.id).status == OrderStatus.IN_PROGRESS


def test_r7_r10_feedback_stops_the_clock_and_a_satisfied_callback_closes_the_order(
        session, svc, ids):
    o = new(session, svc, 4, case_number=court.CASE)
    svc.forward(session, o, version=o.version, by="seat1001", at=MON)
    with pytest.raises(OrderError, match="feedback text is empty"):
        svc.feedback(session, o, by="信访长m", at=MON, text="  ")
    svc.feedback(session, o, by="信访长m", at=MON + timedelta(days=1), text="已约谈来电人")
    session.commit()
    assert (o.status, o.next_due_at) == (OrderStatus.FED_BACK, None)
    task = session.scalar(select(CallbackTask).where(CallbackTask.order_id == o.id))
    assert (task.reason, task.priority, task.phone) == ("feedback", 1, "13812345678")
    with pytest.raises(callbacks.CallbackError, match="满意 / 基本满意 / 不满意"):
        callbacks.record(session, svc.calendar, svc.policy, task.id, by="seat1002",
                         at=MON, outcome="reached", satisfaction="还行")
    callbacks.record(session, svc.calendar, svc.policy, task.id, by="seat1002",
                     at=MON + timedelta(days=2), outcome="reached", satisfaction="基本满意")
    session.commit()
    session.refresh(o)
    assert (o.status, task.status, task.satisfaction) == ("closed", "done", "基本满意")
    assert actions(session, o)[-2:] == ["callback", "closed"]


def test_r10_an_unanswered_callback_is_retried_then_fails(session, svc, ids):
    o = new(session, svc, 2)
    task = callbacks.create(session, svc.calendar, svc.policy, o,
                            callbacks.CallbackReason.ABANDONED, MON)
    for n in range(3):
        callbacks.record(session, svc.calendar, svc.policy, task.id, by="seat1002",
                         at=MON + timedelta(hours=n), outcome="no_answer")
    session.commit()
    assert (task.status, task.attempts, task.priority) == ("failed", 3, 2)
    with pytest.raises(callbacks.CallbackError, match="already failed"):
        callbacks.record(session, svc.calendar, svc.policy, task.id, by="x", at=MON,
                         outcome="reached")


def test_the_history_is_append_only_in_the_database(db_url, session, svc, ids):
    o = new(session, svc, 2)
    count = session.scalar(select(func.count()).select_from(OrderHistory))
    for sql in ("UPDATE order_history SET actor = 'someone'", "DELETE FROM order_history"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(sql))
        session.rollback()
    assert session.scalar(select(func.count()).select_from(OrderHistory)) == count
    assert svc.history(session, o)[0].actor == "seat1001"


def test_r10_an_order_whose_callback_fails_is_closed_not_left_without_a_clock(
        session, svc, ids):
    o = new(session, svc, 4)
    svc.forward(session, o, version=o.version, by="seat1001", at=MON)
    svc.feedback(session, o, by="信访长m", at=MON, text="已处理")
    task = session.scalar(select(CallbackTask).where(CallbackTask.order_id == o.id))
    for n in range(3):
        callbacks.record(session, svc.calendar, svc.policy, task.id, by="seat1002",
                         at=MON + timedelta(hours=n), outcome="no_answer")
    session.commit()
    assert (task.status, o.status) == ("failed", "closed")
    assert svc.history(session, o)[-1].reason == "callback failed: no_answer (R10)"


def test_r10_feedback_on_an_order_without_any_number_closes_it(session, svc, ids):
    o = new(session, svc, 4, caller_phone=None)
    svc.forward(session, o, version=o.version, by="seat1001", at=MON)
    svc.feedback(session, o, by="信访长m", at=MON, text="已处理")
    session.commit()
    assert o.status == "closed"
    assert svc.history(session, o)[-1].reason == "no number to call back (R10)"


def test_r10_two_seats_cannot_both_record_one_callback(db_url, session, svc, ids):
    o = new(session, svc, 2)
    task = callbacks.create(session, svc.calendar, svc.policy, o,
                            callbacks.CallbackReason.ABANDONED, MON)
    session.commit()
    other = sessionmaker(make_engine(db_url), expire_on_commit=False)()
    other.get(CallbackTask, task.id)  # seat B has the task open too
    callbacks.record(session, svc.calendar, svc.policy, task.id, by="seatA", at=MON,
                     outcome="reached")
    session.commit()
    with pytest.raises(callbacks.CallbackError, match="already done"):
        callbacks.record(other, svc.calendar, svc.policy, task.id, by="seatB", at=MON,
                         outcome="reached")
    other.rollback()
    other.close()
    session.refresh(o)
    assert o.status == "in_progress"  # the caller was reached: the operator handles it
