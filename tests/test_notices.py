"""The outbox of SMS notices (R5, R4.8), written with the dispatch in one transaction, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from support import court

from workorder.notices import LINK, Notice, QuietHours
from workorder.rules import Answers

SH = ZoneInfo("Asia/Shanghai")
MON = datetime(2026, 11, 23, 10, 0, tzinfo=SH)


def forward(session, svc, at=MON, answers=None, **kw):
    o = svc.open_order(session, court.MID, channel="hall", order_type=kw.pop("order_type", 3),
                       by="seat1001", at=at, caller_phone="13812345678", caller_name="张三",
                       case_number=court.CASE)
    svc.forward(session, o, version=None, by="seat1001", at=at, answers=answers or Answers(judge_unreachable=True),
                **kw)
    session.commit()
    return o, list(session.scalars(select(Notice).where(Notice.order_id == o.id)
                                   .order_by(Notice.id)))


def test_r5_dispatch_texts_the_judge_and_the_department_head_in_the_same_transaction(
        session, svc, ids):
    o, sent = forward(session, svc)
    assert [(n.kind, n.to_name, n.to_mobile) for n in sent] == [
        ("dispatch", "法官m", o.assignee_mobile), ("copy", "民事长m", "13900000010")]
    body = sent[0].body
    assert body == f"【12368】转办工单{o.number}（联系法官），请于11月26日前反馈：{LINK}"
    assert len(body.replace(LINK, "")) <= 45  # one 70-character segment with a 25-char link
    assert "张三" not in body and "13812345678" not in body  # no party's details
    assert sent[0].next_attempt_at == MON and sent[0].due_by == o.dispatch_due_at
    assert all(n.status == "pending" and n.attempts == 0 for n in sent)


def test_ordinary_texts_wait_for_the_quiet_hours_to_end_urgent_ones_do_not(session, svc, ids):
    night = datetime(2026, 11, 23, 22, 40, tzinfo=SH)
    _o, calm = forward(session, svc, at=night)
    assert {n.next_attempt_at for n in calm} == {datetime(2026, 11, 24, 8, 0, tzinfo=SH)}
    _u, urgent = forward(session, svc, at=night, answers=Answers(urgent=True, judge_unreachable=True))
    dispatch = [n for n in urgent if n.kind == "dispatch"][0]
    assert dispatch.next_attempt_at == night and dispatch.body.startswith("【12368】【紧急】")
    # R4.8: the deputy head and head are texted at once too
    reports = sorted((n.to_name, n.next_attempt_at) for n in urgent if n.kind == "report")
    assert reports == [("民事副m", night), ("民事长m", night)]


@pytest.mark.parametrize("at, expected", [
    (time(20, 59), None), (time(21, 0), (1, time(8, 0))), (time(23, 30), (1, time(8, 0))),
    (time(0, 10), (0, time(8, 0))), (time(7, 59), (0, time(8, 0))), (time(8, 0), None),
])
def test_quiet_hours_end_before_the_working_day_begins(at, expected):
    now = datetime.combine(MON.date(), at, tzinfo=SH)
    got = QuietHours().not_before(now, SH)
    if expected is None:
        assert got == now
    else:
        days, end = expected
        assert got == datetime(2026, 11, 23 + days, end.hour, end.minute, tzinfo=SH)
