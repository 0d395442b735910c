"""Delivering the outbox (R5) with the in-package fake sender, on SQLite and PostgreSQL:
sent once, retried with back-off, failed and flagged, never sent twice after a crash
between sending and recording, flagged before the 2-hour limit when the provider is down."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from support import court

from hotline import notify
from hotline.db import make_engine
from hotline.sms import SmsError
from hotline.sms.fake import FakeSender
from workorder.models import OrderHistory
from workorder.notices import Notice
from workorder.rules import Answers, Complaint

SH = ZoneInfo("Asia/Shanghai")
MON = datetime(2026, 11, 23, 10, 0, tzinfo=SH)


def link(notice: Notice) -> str:
    return f"http://127.0.0.1/f/{notice.id}"


@pytest.fixture
def forward_one(db_url):
    """Sessions on a database holding the test court and one order forwarded at MON."""
    engines = []

    def make(order_type: int, answers: Answers, case: str | None = None) -> sessionmaker:
        engine = make_engine(db_url)
        engines.append(engine)
        made = sessionmaker(engine, expire_on_commit=False)
        svc = court.service()
        with made.begin() as s:
            court.build(s)
            o = svc.open_order(s, court.MID, channel="hall", order_type=order_type,
                               by="seat1001", at=MON, caller_phone="13812345678",
                               case_number=case)
            svc.forward(s, o, version=None, by="seat1001", at=MON, answers=answers)
        return made

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def sessions(forward_one):
    """A contact-the-judge order (R4.2): a text to the judge and one to the head."""
    return forward_one(3, Answers(judge_unreachable=True), court.CASE)


def notices(sessions):
    with sessions() as s:
        return list(s.scalars(select(Notice).order_by(Notice.id)))


def test_r5_each_notice_is_sent_once_with_its_link_and_the_provider_id_kept(sessions):
    fake = FakeSender()
    report = notify.deliver_due(sessions, fake, MON, link)
    again = notify.deliver_due(sessions, fake, MON + timedelta(minutes=5), link)
    assert (report.sent, again.sent) == (2, 0)
    assert [m.to for m in fake.sent] == ["13700000005", "13900000010"]  # judge, head
    assert fake.sent[0].body.endswith("http://127.0.0.1/f/1")
    assert [(n.status, n.provider_id, n.attempts) for n in notices(sessions)] == [
        ("sent", "FAKE00000001", 1), ("sent", "FAKE00000002", 1)]


def test_r5_a_provider_down_is_retried_with_back_off_then_sent(sessions):
    fake = FakeSender()
    fake.fail_next(SmsError("HTTP 500", transient=True),
                   SmsError("HTTP 429", transient=True, retry_after=30))
    first = notify.deliver_due(sessions, fake, MON, link)
    assert (first.sent, first.retried) == (0, 2)
    waits = [n.next_attempt_at - MON for n in notices(sessions)]
    assert waits == [timedelta(seconds=5), timedelta(seconds=30)]
    assert notify.deliver_due(sessions, fake, MON + timedelta(seconds=6), link).sent == 1
    assert notify.deliver_due(sessions, fake, MON + timedelta(seconds=31), link).sent == 1
    assert len(fake.sent) == 2


def test_r5_a_bad_number_fails_at_once_and_asks_an_operator_to_phone(sessions):
    fake = FakeSender()
    fake.fail_next(SmsError("HTTP 400, code 21211", transient=False, code=21211))
    report = notify.deliver_due(sessions, fake, MON, link)
    assert (report.failed, report.sent) == (1, 1)
    failed = notices(sessions)[0]
    assert (failed.status, failed.flagged_at) == ("failed", MON)
    with sessions() as s:
        assert s.scalar(select(OrderHistory.action).where(
            OrderHistory.action == "sms_failed")) == "sms_failed"


def test_a_crash_between_sending_and_recording_never_sends_twice(sessions, monkeypatch):
    fake = FakeSender()
    real = notify._record

    def crash(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(notify, "_record", crash)
    with pytest.raises(SystemExit):
        notify.deliver_due(sessions, fake, MON, link)
    monkeypatch.setattr(notify, "_record", real)
    assert len(fake.sent) == 1 and notices(sessions)[0].status == "sending"
    # the lease has not run out: nobody touches it yet
    assert notify.deliver_due(sessions, fake, MON + timedelta(seconds=30), link).adopted == 0
    later = notify.deliver_due(sessions, fake, MON + notify.LEASE + timedelta(seconds=1), link)
    assert later.adopted == 1
    assert len(fake.sent) == 2  # the second notice, sent once; the first was not sent again
    assert [n.provider_id for n in notices(sessions)] == ["FAKE00000001", "FAKE00000002"]


def test_r5_a_provider_down_for_hours_is_flagged_before_the_two_hour_limit(sessions):
    fake = FakeSender()
    fake.fail_next(*[SmsError("down", transient=True)] * 100)
    t = MON
    flagged = 0
    while t < MON + timedelta(hours=2):
        flagged += notify.deliver_due(sessions, fake, t, link).flagged
        t += timedelta(minutes=10)
    assert flagged == 2 and fake.sent == []
    first_flag = min(n.flagged_at for n in notices(sessions))
    assert first_flag <= MON + timedelta(hours=2) - notify.FLAG_BEFORE


def test_r5_a_worker_killed_after_twilio_accepted_the_text_does_not_send_it_again(sessions,
                                                                                   monkeypatch):
    """The same crash with the real Twilio client, against Prism behind a record of what
    Twilio accepted: after the lease the text is found at the provider (same text, same
    link, kept at the first claim) and adopted, not sent again."""
    from support.prism import ACCOUNT, TOKEN, PrismServer
    from support.twilio_record import Record

    from hotline.sms.twilio import TwilioSender

    real = notify._record

    def crash(*args, **kwargs):
        raise SystemExit("worker killed")

    with PrismServer() as prism, Record(prism.url) as provider:
        twilio = TwilioSender(ACCOUNT, TOKEN, "+15005550006", base_url=provider.url)
        monkeypatch.setattr(notify, "_record", crash)
        with pytest.raises(SystemExit):
            notify.deliver_due(sessions, twilio, MON, link)
        monkeypatch.setattr(notify, "_record", real)
        first = notices(sessions)[0]
        assert first.status == "sending" and "{link}" not in first.body
        assert first.body.endswith(link(first))
        later = notify.deliver_due(sessions, twilio, MON + notify.LEASE + timedelta(seconds=1),
                                   link)
        assert (later.adopted, later.sent) == (1, 1)
        assert provider.summary() == {"accepted": 2, "texts": 2, "accepted_twice": 0}
    assert all(n.status == "sent" and n.provider_id.startswith("SM")
               for n in notices(sessions))


def test_r4_8_an_urgent_text_is_flagged_only_when_it_has_not_gone_for_a_while(forward_one):
    """An urgent report is due at once; flagging it before the sender had a chance would
    send operators to the phone for every urgent order."""
    made = forward_one(5, Answers(urgent=True, complaint=Complaint.FILING))
    with made.begin() as s:
        assert notify.flag_late(s, MON + timedelta(seconds=10)) == 0
    with made.begin() as s:
        assert notify.flag_late(s, MON + notify.FLAG_GRACE) > 0
    with made() as s:
        reports = list(s.scalars(select(Notice).where(Notice.kind == "report")))
    assert reports and all(n.flagged_at == MON + notify.FLAG_GRACE for n in reports)


NIGHT = datetime(2026, 11, 23, 22, 30, tzinfo=SH)  # quiet hours: texts wait until 08:00


def test_r5_r7_a_text_waiting_out_the_night_is_cancelled_once_the_order_is_fed_back(
        forward_one):
    """The judge fed back (by phone, recorded by an operator) before the morning: the texts
    asking for feedback are not sent at 08:00, and the history says why."""
    from workorder.models import WorkOrder

    sessions = forward_one(4, Answers())  # petition office: assignee and head alike
    svc = court.service()
    with sessions.begin() as s:
        o = svc.open_order(s, court.MID, channel="hall", order_type=3, by="seat1001",
                           at=NIGHT, caller_phone="13812345679", case_number=court.CASE)
        svc.forward(s, o, version=None, by="seat1001", at=NIGHT,
                    answers=Answers(judge_unreachable=True))
        number = o.number
        waiting = [(n.kind, n.next_attempt_at.astimezone(SH).hour) for n in s.scalars(
            select(Notice).where(Notice.order_id == o.id))]
    assert sorted(waiting) == [("copy", 8), ("dispatch", 8)]
    with sessions.begin() as s:
        o = svc.find(s, court.MID, number)
        svc.feedback(s, o, by="法官m", at=NIGHT + timedelta(hours=1), text="已电话答复当事人")
    fake = FakeSender()
    notify.deliver_due(sessions, fake, NIGHT.replace(hour=8) + timedelta(days=1), link)
    assert all(m.to != "13700000005" for m in fake.sent)  # nothing to the judge about it
    with sessions() as s:
        o = s.scalar(select(WorkOrder).where(WorkOrder.number == number))
        assert {n.kind: n.status for n in s.scalars(
            select(Notice).where(Notice.order_id == o.id))} == {
            "dispatch": "cancelled", "copy": "cancelled"}
        [row] = s.scalars(select(OrderHistory).where(OrderHistory.order_id == o.id,
                                                     OrderHistory.action == "sms_cancelled"))
        assert "dispatch to 法官m" in row.reason and "copy to 民事长m" in row.reason


def test_a_text_about_an_order_closed_meanwhile_is_cancelled_when_its_turn_comes(sessions):
    """Checked again at sending: a text whose order was closed by another node (or by a
    bulk change) is cancelled, not sent; a report to leadership would still go."""
    from workorder.models import WorkOrder

    with sessions.begin() as s:
        o = s.scalar(select(WorkOrder))
        o.closed_at, o.status = MON, "closed"
    fake = FakeSender()
    report = notify.deliver_due(sessions, fake, MON, link)
    assert fake.sent == [] and report.sent == 0
    assert {n.status for n in notices(sessions)} == {"cancelled"}
