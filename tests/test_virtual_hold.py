"""Virtual hold (R1 overflow, R2; R10 when it does not reach the caller): a caller who chose
a callback keeps their place, and the first free seat for the type calls them back.

On real Asterisks (the hotline's and the carrier's, tests/support/carrier.py): a caller
overflows, presses 1 and hangs up; a placeholder waits in the queue of the type; a seat
logs in, takes it, and the party is dialled and answers — the callback is done. Placeholders
stand where their callers would: after a caller who called earlier and still waits, before
one who called later. A busy party is tried again, then left to the next working day.
Three dispatchers racing over one request place one placeholder; a dispatcher that
stopped between claiming and placing is made good once."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from support.carrier import carrier_line

from hotline import ami, bootstrap, pbx
from hotline import virtual_hold as pbx_vhold
from hotline.db import DbWriter
from workorder import virtual_hold as vh
from workorder.models import AutoCallback, Call, CallbackTask, OutboundCall, WorkOrder
from workorder.registration import Arrival, leave_callback, register_call


# ---- the record (no PBX) ------------------------------------------------------------------
def test_a_placeholder_enters_after_earlier_callers_and_before_later_ones():
    t = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    waiting = [t - timedelta(seconds=40), t + timedelta(seconds=5), t + timedelta(seconds=30)]
    assert vh.position(t, waiting) == 2
    assert vh.position(t - timedelta(minutes=5), waiting) == 1  # the oldest: the head
    assert vh.position(t + timedelta(minutes=5), waiting) == 4  # the newest: the end
    assert vh.position(t, []) == 1


def test_the_seat_hears_the_number_and_the_order_s_last_four_digits():
    assert pbx_vhold.said("139-0000-0001", "20261207-0042") == "13900000001o0042"
    assert pbx_vhold.said("01012345678", "7") == "01012345678o7"


def waiting_request(platform, phone: str, arrived: datetime, uid: str) -> int:
    """A caller who overflowed and chose a callback (R2), as the handlers record it."""
    settings = platform.settings
    with platform.uow.begin() as s:
        register_call(s, settings.court_name, settings.tz, Arrival(uid, phone, "", arrived),
                      ("open", "工作时间"))
        call = s.scalar(select(Call).where(Call.uniqueid == uid))
        call.offered_at, call.queue, call.order_type = arrived, "hotline-1", 1
        asked = max(arrived, datetime.now(UTC))  # when the caller pressed 1
        leave_callback(s, uid, None, asked)
        return vh.request(s, platform.calendar, settings.policy, uid, asked).id


def test_two_claims_of_one_request_give_one_call(platform):
    now = datetime.now(UTC)
    auto_id = waiting_request(platform, "13900000101", now - timedelta(minutes=1), "1.1")
    results, barrier = [], threading.Barrier(4)

    def claim():
        barrier.wait()
        try:
            with platform.uow.begin() as s:
                results.append(vh.claim(s, auto_id, now))
        except Exception as exc:  # SQLite: the loser may also see "database is locked"
            results.append(exc)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [r for r in results if isinstance(r, vh.Claimed)]
    assert len(claimed) == 1
    with platform.uow() as s:
        assert len(s.scalars(select(OutboundCall)).all()) == 1
        auto = s.get(AutoCallback, auto_id)
        assert auto.state == vh.QUEUED and auto.placeholder == claimed[0].placeholder


def test_an_operator_calling_or_having_reached_the_caller_stops_the_automatic_callback(
        platform):
    from workorder import callbacks, outbound

    now = datetime.now(UTC)
    auto_id = waiting_request(platform, "13900000104", now - timedelta(minutes=1), "1.3")
    with platform.uow.begin() as s:
        auto = s.get(AutoCallback, auto_id)
        manual = outbound.place(s, auto.order_id, auto.number, "seat1002", "callback", "座席二",
                                now, callback_id=auto.task_id)
    with platform.uow.begin() as s:  # the panel's call is going on: not now, a minute later
        assert vh.claim(s, auto_id, now) is None
        auto = s.get(AutoCallback, auto_id)
        assert auto.state == vh.WAITING and auto.next_try_at == now + timedelta(minutes=1)
    with platform.uow.begin() as s:  # the operator reached them and recorded it
        outbound.finish(s, manual.uniqueid, "answered", now, talk_s=30)
        callbacks.record(s, platform.calendar, platform.settings.policy, auto.task_id,
                         by="座席二", at=now, outcome="reached")
    later = now + timedelta(minutes=2)
    with platform.uow.begin() as s:
        assert vh.claim(s, auto_id, later) is None
        assert s.get(AutoCallback, auto_id).state == vh.DONE
        assert len(s.scalars(select(OutboundCall)).all()) == 1  # never dialled again


def test_not_reached_is_retried_then_left_to_the_next_working_day(platform):
    now = datetime.now(UTC)
    auto_id = waiting_request(platform, "13900000103", now - timedelta(minutes=1), "1.2")
    retry = vh.Retry(attempts=2, after=timedelta(seconds=30))
    cal, policy = platform.calendar, platform.settings.policy
    for attempt in (1, 2):
        with platform.uow.begin() as s:
            claimed = vh.claim(s, auto_id, now)
            from workorder import outbound

            call = outbound.finish(s, claimed.attempt, "busy", now, cause="BUSY/17")
            auto = vh.settle(s, cal, policy, call, now, retry)
            if attempt == 1:
                assert auto.state == vh.WAITING and auto.next_try_at == now + retry.after
                now = auto.next_try_at
    with platform.uow() as s:
        auto = s.get(AutoCallback, auto_id)
        task = s.get(CallbackTask, auto.task_id)
        assert auto.state == vh.DEFERRED and auto.attempts == 2
        assert task.status == "pending" and task.due_at > now  # the next working day (R10)
        assert "2 次未接通" in task.note


# ---- on the PBX ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def vline(tmp_path_factory):
    """Seats logged out (placeholders wait), the line open, busy parties retried after 3 s."""
    # the announcement (about 8.5 s a callback) is bench/callback_bench.py's; off here
    with carrier_line(tmp_path_factory, overflow_ring_s=2, dial_ring_s=6, trunk_qualify_s=3,
                      vhold_retry_s=3, vhold_announce=False) as line:
        for seat in ("seat1001", "seat1002", "seat1003", "sup9001"):
            line.cli("seats", "logout", seat)
        line.cli("mode", "open")
        yield line


def placeholders(line) -> list[tuple[str, str, int]]:
    """(queue, uniqueid, position) of every caller waiting, in queue order."""
    async def look():
        async with ami.connect(line.settings) as m:
            return await ami.queue_callers(m)
    rows = asyncio.run(look())
    rows = sorted(rows, key=lambda r: (r.get("Queue", ""), int(r.get("Position", 0))))
    return [(r.get("Queue", ""), r.get("Uniqueid", ""), int(r.get("Position", 0))) for r in rows]


def wait_for(fn, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.25)
    raise AssertionError(f"{what}: not within {timeout} s")


def auto_of(line, auto_id: int) -> AutoCallback:
    with line.sessions()() as s:
        return s.get(AutoCallback, auto_id)


def line_platform(line):
    return bootstrap.build(line.settings)


@pytest.mark.asterisk
def test_r2_an_overflowed_caller_who_pressed_1_is_called_back_by_the_first_free_seat(vline):
    # key 1 (type 1) at 1.5 s; overflow at ~11.5 s; the wider group rings 2 s; the offer
    # plays from ~14 s: press 1 at ~18 s, then key the number the carrier's party answers
    keys = "1" + "W" * 16 + "1" + "W" * 2 + "13900000001#"
    out = vline.cli("call", "--caller", "13833330001", "--keys", keys, "--stay", "30",
                    "--no-wait", "--json").stdout
    uid = json.loads(out)["uniqueid"]

    def request():
        with vline.sessions()() as s:
            call = s.scalar(select(Call).where(Call.uniqueid == uid))
            order = call and s.scalar(select(WorkOrder).where(WorkOrder.call_id == call.id))
            return order and s.scalar(select(AutoCallback).where(
                AutoCallback.order_id == order.id, AutoCallback.state == vh.QUEUED))

    auto = wait_for(request, 60, "a placeholder for the callback")
    assert auto.number == "13900000001" and auto.order_type == 1
    wait_for(lambda: any(u == auto.placeholder for _q, u, _p in placeholders(vline)), 10,
             "the placeholder in hotline-1")
    assert not [n for n, _ in vline.carrier.calls() if n == "13900000001"]  # nobody free yet
    vline.cli("seats", "login", "seat1001")
    try:
        done = wait_for(lambda: auto_of(vline, auto.id).state == vh.DONE and auto_of(
            vline, auto.id), 40, "the callback answered")
    finally:
        vline.cli("seats", "logout", "seat1001")
    with vline.sessions()() as s:
        (call,) = s.scalars(select(OutboundCall).where(OutboundCall.callback_id == done.task_id))
        assert call.outcome == "answered" and call.seat == "seat1001" and call.talk_s >= 3
        assert call.purpose == "callback"
        task = s.get(CallbackTask, done.task_id)
        assert task.status == "done" and task.outcome == "reached"
    assert [n for n, _ in vline.carrier.calls()].count("13900000001") == 1  # never twice


@pytest.mark.asterisk
def test_r1_placeholders_stand_where_their_callers_would_in_arrival_order(vline):
    out = vline.cli("call", "--caller", "13833330002", "--keys", "1", "--stay", "25",
                    "--no-wait", "--json").stdout
    live = json.loads(out)["uniqueid"]

    def offered():
        with vline.sessions()() as s:
            return s.scalar(select(Call.offered_at).where(Call.uniqueid == live))

    entered = wait_for(offered, 20, "the live caller in the queue")
    with line_platform(vline) as platform:
        earlier = waiting_request(platform, "13900000101", entered - timedelta(seconds=30),
                                  "vh-test.1")
        later = waiting_request(platform, "13900000201", entered + timedelta(seconds=1),
                                "vh-test.2")

    def both_in():
        a, b = auto_of(vline, earlier), auto_of(vline, later)
        inside = [u for q, u, _p in placeholders(vline) if q == "hotline-1"]
        if a.placeholder in inside and b.placeholder in inside:
            return a, b, [u for q, u, _p in placeholders(vline) if q == "hotline-1"]
        return None

    a, b, order = wait_for(both_in, 8, "both placeholders in hotline-1")
    assert order == [a.placeholder, live, b.placeholder], order
    vline.cli("seats", "login", "seat1001")
    try:
        wait_for(lambda: auto_of(vline, earlier).state == vh.DONE, 30, "the earlier callback")
        calls = [n for n, _ in vline.carrier.calls()]
        assert "13900000101" in calls and "13900000201" not in calls[:calls.index("13900000101")]
        try:
            wait_for(lambda: auto_of(vline, later).state == vh.DONE, 60, "the later callback")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{pbx.console(vline.settings, 'queue show hotline-1')}"
                                 ) from None
    finally:
        vline.cli("seats", "logout", "seat1001")
    calls = [n for n, _ in vline.carrier.calls()]
    assert calls.index("13900000101") < calls.index("13900000201")
    assert calls.count("13900000101") == calls.count("13900000201") == 1


@pytest.mark.asterisk
def test_r10_a_busy_party_is_tried_again_then_left_to_the_next_working_day(vline):
    with line_platform(vline) as platform:
        auto_id = waiting_request(platform, "13900000003", datetime.now(UTC), "vh-test.3")
    vline.cli("seats", "login", "seat1001")
    try:
        auto = wait_for(lambda: auto_of(vline, auto_id).state == vh.DEFERRED and auto_of(
            vline, auto_id), 60, "two busy tries")
    finally:
        vline.cli("seats", "logout", "seat1001")
    assert auto.attempts == 2
    assert [n for n, _ in vline.carrier.calls()].count("13900000003") == 2
    with vline.sessions()() as s:
        outcomes = [c.outcome for c in s.scalars(select(OutboundCall).where(
            OutboundCall.number == "13900000003").order_by(OutboundCall.id))]
        task = s.get(CallbackTask, auto.task_id)
    assert outcomes == ["busy", "busy"]
    assert task.status == "pending" and "未接通" in task.note


@pytest.mark.asterisk
def test_racing_dispatchers_and_one_stopped_half_way_place_one_placeholder(vline):
    with line_platform(vline) as platform:
        raced = waiting_request(platform, "13900000301", datetime.now(UTC), "vh-test.4")
        halfway = waiting_request(platform, "13900000401", datetime.now(UTC), "vh-test.5")
        with platform.uow.begin() as s:  # claimed 30 s ago by a dispatcher that then stopped
            stopped = vh.claim(s, halfway, datetime.now(UTC) - timedelta(seconds=30))

        async def race():
            writer = DbWriter(platform.uow)
            try:
                async with ami.connect(platform.settings) as m1, \
                        ami.connect(platform.settings) as m2:
                    d1 = pbx_vhold.Dispatcher(platform, writer)
                    d2 = pbx_vhold.Dispatcher(platform, writer)
                    return await asyncio.gather(d1.round(m1), d2.round(m2))
            finally:
                writer.close()

        asyncio.run(race())  # `hotline serve`'s own dispatcher races them too
    a = wait_for(lambda: auto_of(vline, raced).placeholder and auto_of(vline, raced), 8, "raced")
    b = wait_for(lambda: (auto_of(vline, halfway).placeholder or "") not in ("", stopped.placeholder)
                 and auto_of(vline, halfway), 30, "the stopped one made good")
    time.sleep(3)  # a few more rounds of the server's dispatcher
    inside = [u for _q, u, _p in placeholders(vline)]
    assert inside.count(a.placeholder) == 1 and inside.count(b.placeholder) == 1
    assert stopped.placeholder not in inside
    with vline.sessions()() as s:
        for auto_id in (raced, halfway):
            task_id = s.get(AutoCallback, auto_id).task_id
            calls = s.scalars(select(OutboundCall).where(OutboundCall.callback_id == task_id)).all()
            live = [c for c in calls if c.outcome is None]
            assert len(live) == 1, [(c.uniqueid, c.outcome) for c in calls]
            assert all(c.outcome == "not_placed" for c in calls if c.outcome is not None)
    vh_phs = [u for _q, u, _p in placeholders(vline) if u.startswith("vh-")]
    assert len(vh_phs) == len(set(vh_phs))
