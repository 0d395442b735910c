"""Registration of every call (R2), the menu choice (R3), callbacks and messages, and the
headline figures (R1) — on SQLite and on a real PostgreSQL server."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from recordings.catalog import leave_message
from recordings.models import Recording
from workorder.models import Call, CallEvent, WorkOrder
from workorder.phone import PhoneError
from workorder.registration import (
    Arrival,
    choose_type,
    leave_callback,
    record_overflow,
    register_call,
)
from workorder.stats import line_stats
from workorder.types import CallOutcome, OrderStatus, OrderType

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def arrive(session, uid="c1", caller="13800138000", at=AT, mode=("open", "staffed hours")):
    reg = register_call(session, "示范法院", TZ, Arrival(uid, caller, "张三", at), mode)
    session.commit()
    return reg


def test_r2_every_call_gets_a_call_record_and_an_order_at_once(session):
    reg = arrive(session)
    order = session.get(WorkOrder, reg.order_id)
    assert order.number == "20261124-0001"
    assert order.channel == "hotline"
    assert order.status == OrderStatus.REGISTERED
    assert order.order_type == OrderType.OTHER
    assert order.caller_phone == "13800138000"
    assert order.caller_name == "张三"
    assert order.created_at == AT
    assert session.get(Call, reg.call_id).mode == "open"


def test_r2_order_numbers_count_up_per_court_day(session):
    numbers = [arrive(session, uid=f"c{n}").order_number for n in range(3)]
    next_day = arrive(session, uid="late", at=AT + timedelta(days=1)).order_number
    assert numbers == ["20261124-0001", "20261124-0002", "20261124-0003"]
    assert next_day == "20261125-0001"


def test_r2_registering_the_same_channel_twice_keeps_one_record(session):
    first = arrive(session)
    again = arrive(session)
    assert first == again
    assert session.scalar(select(WorkOrder.id).where(WorkOrder.id != first.order_id)) is None


@pytest.mark.parametrize("caller", ["anonymous", "", "x" * 5000, "<script>", "1" * 64])
def test_r2_withheld_or_malformed_caller_ids_are_still_registered(session, caller):
    reg = arrive(session, caller=caller)
    call = session.get(Call, reg.call_id)
    assert call.caller_phone is None
    assert len(call.caller_raw) <= 64


def test_r3_menu_choice_sets_the_order_type(session):
    reg = arrive(session)
    assert choose_type(session, "c1", OrderType.PETITION, 2, AT)
    session.commit()
    assert session.get(WorkOrder, reg.order_id).order_type == 4
    kinds = session.scalars(select(CallEvent.kind).where(CallEvent.call_id == reg.call_id))
    assert list(kinds) == ["arrived", "menu"]
    assert choose_type(session, "unknown-channel", OrderType.OTHER, 1, AT) is False


def test_r1_overflowed_caller_keeps_place_as_callback_order(session):
    reg = arrive(session)
    assert record_overflow(session, "c1", AT + timedelta(seconds=10), "TIMEOUT")
    target = leave_callback(session, "c1", "13900001111", AT + timedelta(seconds=40))
    session.commit()
    order = session.get(WorkOrder, reg.order_id)
    assert target == "13900001111"
    assert order.status == OrderStatus.CALLBACK_PENDING
    assert order.callback_phone == "13900001111"
    assert order.created_at == AT  # its place in the line is its original arrival
    call = session.get(Call, reg.call_id)
    assert call.overflowed_at == AT + timedelta(seconds=10)
    assert call.outcome == CallOutcome.CALLBACK


def test_r2_callback_defaults_to_the_calling_number_and_refuses_none(session):
    arrive(session)
    assert leave_callback(session, "c1", "", AT) == "13800138000"
    arrive(session, uid="anon", caller="anonymous")
    with pytest.raises(PhoneError):
        leave_callback(session, "anon", "not-a-number", AT)


def test_r6_message_is_registered_and_an_empty_one_is_not(session):
    reg = arrive(session, mode=("closed", "周末"))
    rec = leave_message(session, "c1", "messages/2026/11/24/c1.wav", AT, exists=True)
    session.commit()
    assert rec is not None and rec.kind == "message"
    assert session.get(WorkOrder, reg.order_id).status == OrderStatus.MESSAGE_PENDING
    arrive(session, uid="c2", mode=("closed", "周末"))
    assert leave_message(session, "c2", "messages/2026/11/24/c2.wav", AT, exists=False) is None
    session.commit()
    assert session.scalar(select(Recording).where(Recording.path.like("%c2%"))) is None


def test_r1_service_level_counts_like_app_queue(session):
    """ServicelevelPerf: answered with hold time <= target over answered; the share of
    offered calls is given beside it."""
    rows = [("a", 3, "answered"), ("b", 10, "answered"), ("c", 11, "answered"),
            ("d", None, "abandoned")]
    for uid, hold, outcome in rows:
        reg = arrive(session, uid=uid)
        call = session.get(Call, reg.call_id)
        call.offered_at = AT
        call.outcome = outcome
        if hold is not None:
            call.answered_at, call.hold_time_s = AT + timedelta(seconds=hold), hold
    arrive(session, uid="ivr-only")
    session.commit()
    stats = line_stats(session, AT - timedelta(hours=1), AT + timedelta(hours=1), 10)
    assert (stats.calls, stats.offered, stats.answered) == (5, 4, 3)
    assert stats.answered_within_target == 2
    assert stats.abandoned == 1
    assert stats.service_level == pytest.approx(66.7)
    assert stats.service_level_offered == 50.0


def test_manual_mode_switch_is_read_back_at_once(session):
    from workorder.registration import manual_mode, set_manual_mode

    assert manual_mode(session) == "auto"
    set_manual_mode(session, "closed", AT, "typhoon duty")
    assert manual_mode(session) == "closed"
    set_manual_mode(session, "open", AT, "typhoon duty")
    assert manual_mode(session) == "open"


def test_r2_an_order_made_by_the_phone_menu_has_its_history_from_the_first_moment(session):
    """Who, when, what: the line registered the call (with the caller, the line's mode)
    and the menu set its type; nothing is left without a history row (R2, R3)."""
    from workorder.models import OrderHistory

    reg = arrive(session)
    assert choose_type(session, "c1", OrderType.CONTACT_JUDGE, 1, AT + timedelta(seconds=9))
    arrive(session, uid="c2")
    assert choose_type(session, "c2", OrderType.OTHER, 1, AT, chosen=False)
    session.commit()
    rows = list(session.scalars(select(OrderHistory).where(
        OrderHistory.order_id == reg.order_id).order_by(OrderHistory.id)))
    assert [(h.actor, h.action) for h in rows] == [("ivr", "registered"), ("ivr", "menu")]
    assert rows[0].at == AT and "13800138000" in rows[0].reason and "open" in rows[0].reason
    assert rows[0].changes["channel"] == [None, "hotline"]
    assert rows[1].changes == {"order_type": [None, 3]} and "联系法官" in rows[1].reason
    other = session.scalar(select(OrderHistory.reason).where(
        OrderHistory.action == "menu", OrderHistory.order_id != reg.order_id))
    assert "the default" in other
