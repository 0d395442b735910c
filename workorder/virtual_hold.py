"""Virtual hold (R1 overflow, R2; R10 when it does not reach the caller): a caller who
chose a callback keeps their place. The PBX side (hotline/virtual_hold.py) puts a
placeholder into the queue of the caller's type where the caller would stand, in order of
arrival among everyone waiting; a seat that serves the type takes it like a call, hears
who it is, and the party is dialled.

Here is the record and its life, free of the PBX: every change is a compare-and-set on
the row's state, so two dispatchers (two nodes, or one restarted half-way) never put two
placeholders — and never dial twice — for one request.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workorder import callbacks, outbound
from workorder.calendar import CourtCalendar
from workorder.deadlines import Policy, end_of_working_day
from workorder.history import record_history
from workorder.models import AutoCallback, Call, CallbackTask, OutboundCall, WorkOrder
from workorder.types import CallbackReason

WAITING, QUEUED, DONE, DEFERRED = "waiting", "queued", "done", "deferred"
PLACER = "自动回电"  # who places these calls, in the orders' history
PLACEHOLDER_PREFIX = "vh-"  # channel ids of placeholders waiting in a queue


@dataclass(frozen=True)
class Retry:
    """How often a callback is dialled before it is left to the next working day (R10),
    and how long between two tries."""

    attempts: int = 2
    after: timedelta = timedelta(minutes=2)


def request(session: Session, cal: CourtCalendar, policy: Policy, uniqueid: str,
            at: datetime) -> AutoCallback | None:
    """The caller of ``uniqueid`` chose a callback (after ``leave_callback``): its R2
    callback task, and a request that keeps the caller's place — their first entry into a
    queue. None if the call is unknown or has no number."""
    call = session.scalar(select(Call).where(Call.uniqueid == uniqueid))
    order = call and session.scalar(select(WorkOrder).where(WorkOrder.call_id == call.id))
    if order is None:
        return None
    task = callbacks.create(session, cal, policy, order, CallbackReason.UNANSWERED, at)
    if task is None or task.phone is None:
        return None
    existing = session.scalar(select(AutoCallback).where(AutoCallback.task_id == task.id))
    if existing is not None:
        return existing
    auto = AutoCallback(task_id=task.id, order_id=order.id, number=task.phone,
                        order_type=call.order_type or order.order_type or 6,
                        arrived_at=call.offered_at or call.received_at, state=WAITING,
                        attempts=0, next_try_at=at, updated_at=at)
    session.add(auto)
    session.flush()
    record_history(session, order.id, at, PLACER, "vhold",
                   {"callback_phone": (None, task.phone)}, "保留排队位置，座席空闲时自动回电")
    return auto


def due(session: Session, now: datetime) -> list[AutoCallback]:
    """Requests to put into their queue now, oldest arrival first."""
    return list(session.scalars(select(AutoCallback).where(
        AutoCallback.state == WAITING, AutoCallback.next_try_at <= now)
        .order_by(AutoCallback.arrived_at, AutoCallback.id)))


def queued(session: Session) -> dict[str, AutoCallback]:
    """Requests with a placeholder, by the placeholder's channel id."""
    return {a.placeholder: a for a in session.scalars(select(AutoCallback).where(
        AutoCallback.state == QUEUED, AutoCallback.placeholder.is_not(None)))}


@dataclass(frozen=True)
class Claimed:
    auto_id: int
    placeholder: str  # the channel id of the placeholder waiting in the queue
    attempt: str  # the channel id of the seat's leg: the OutboundCall's uniqueid
    number: str
    order_type: int
    order_number: str
    arrived_at: datetime


def claim(session: Session, auto_id: int, now: datetime) -> Claimed | None:
    """Take a waiting request to put its placeholder in the queue; None if somebody else
    took it first (or it is no longer waiting), if an operator already reached the caller
    from the panel (the request is then done), or is calling them right now (it waits a
    minute). The call it will become is recorded here, in the same transaction."""
    taken = session.execute(update(AutoCallback).where(
        AutoCallback.id == auto_id, AutoCallback.state == WAITING)
        .values(state=QUEUED, claimed_at=now, originated_at=None, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if not taken:
        return None
    auto = session.get(AutoCallback, auto_id)
    session.refresh(auto)
    task = session.get(CallbackTask, auto.task_id)
    if task is None or task.status != "pending":  # an operator reached them meanwhile
        auto.state, auto.updated_at = DONE, now
        return None
    if outbound.live_call(session, task.id) is not None:  # an operator is calling them now
        auto.state, auto.next_try_at, auto.updated_at = WAITING, now + timedelta(minutes=1), now
        return None
    call = outbound.place(session, auto.order_id, auto.number, "", "callback", PLACER, now,
                          callback_id=task.id)
    auto.attempt, auto.placeholder = call.uniqueid, f"{PLACEHOLDER_PREFIX}{secrets.token_hex(8)}"
    order = session.get(WorkOrder, auto.order_id)
    return Claimed(auto.id, auto.placeholder, auto.attempt, auto.number, auto.order_type,
                   order.number, auto.arrived_at)


def originated(session: Session, placeholder: str, now: datetime) -> None:
    session.execute(update(AutoCallback).where(AutoCallback.placeholder == placeholder,
                                               AutoCallback.state == QUEUED)
                    .values(originated_at=now, updated_at=now)
                    .execution_options(synchronize_session=False))


def release(session: Session, placeholder: str, now: datetime, why: str,
            retry_after: timedelta = timedelta(0)) -> bool:
    """The placeholder left its queue without a seat (the line closing, the PBX gone, a
    placeholder that never got there): the request waits again, keeping its place and its
    attempts; the call it was to become was never placed."""
    auto = session.scalar(select(AutoCallback).where(AutoCallback.placeholder == placeholder)
                          .with_for_update())
    if auto is None or auto.state != QUEUED:
        return False
    call = session.scalar(select(OutboundCall).where(OutboundCall.uniqueid == auto.attempt))
    if call is not None and (call.seat or call.outcome is not None):
        return False  # a seat took it: the call's own outcome settles the request
    if call is not None:
        outbound.finish(session, call.uniqueid, "not_placed", now, cause=why)
    auto.state, auto.placeholder, auto.attempt = WAITING, None, None
    auto.claimed_at = auto.originated_at = None
    auto.next_try_at, auto.updated_at = now + retry_after, now
    return True


def taken_by(session: Session, placeholder: str, seat: str) -> bool:
    """A seat took the placeholder: the call is that seat's (the party is dialled now)."""
    auto = session.scalar(select(AutoCallback).where(AutoCallback.placeholder == placeholder))
    call = auto and session.scalar(select(OutboundCall).where(
        OutboundCall.uniqueid == auto.attempt))
    if call is None or call.seat:
        return False
    call.seat = seat[:32]
    return True


def settle(session: Session, cal: CourtCalendar, policy: Policy, call: OutboundCall,
           now: datetime, retry: Retry) -> AutoCallback | None:
    """After a callback's call has its outcome: reached → the R2 task done; not reached →
    another try after ``retry.after``, or, after ``retry.attempts`` tries, the next working
    day's callback task (R10)."""
    auto = session.scalar(select(AutoCallback).where(AutoCallback.attempt == call.uniqueid)
                          .with_for_update())
    if auto is None or auto.state != QUEUED:
        return None
    auto.placeholder, auto.updated_at = None, now
    if call.outcome == "answered":
        auto.state = DONE
        callbacks.record(session, cal, policy, auto.task_id, by=call.seat or PLACER, at=now,
                         outcome="reached", note="自动回电已接通")
        return auto
    if call.outcome in ("seat_missed", "not_placed"):
        auto.state, auto.next_try_at = WAITING, now  # nobody was dialled: back in its place
        return auto
    auto.attempts += 1
    task = session.get(CallbackTask, auto.task_id)
    if auto.attempts < retry.attempts:
        auto.state, auto.next_try_at = WAITING, now + retry.after
        return auto
    auto.state = DEFERRED
    if task is not None and task.status == "pending":
        task.attempts = max(task.attempts, auto.attempts)
        task.due_at = end_of_working_day(cal, now, 1)  # the next working day (R10)
        task.note = f"自动回电 {auto.attempts} 次未接通（{outbound.OUTCOME_ZH[call.outcome]}）"
    record_history(session, auto.order_id, now, PLACER, "vhold",
                   {"state": (QUEUED, DEFERRED)},
                   f"自动回电 {auto.attempts} 次未接通，转下一工作日回访")
    return auto


def stale(session: Session, now: datetime, lease: timedelta) -> list[str]:
    """Placeholders claimed longer than ``lease`` ago whose placing was never confirmed (a
    dispatcher that stopped between claiming and placing)."""
    return list(session.scalars(select(AutoCallback.placeholder).where(
        AutoCallback.state == QUEUED, AutoCallback.originated_at.is_(None),
        AutoCallback.claimed_at < now - lease)))


def pbx_restarted(session: Session, now: datetime) -> int:
    """The PBX started afresh: no placeholder survived, and a callback that was being
    dialled is failed (its hang-up never came); each request waits again."""
    n = 0
    for auto in session.scalars(select(AutoCallback).where(AutoCallback.state == QUEUED)):
        call = session.scalar(select(OutboundCall).where(OutboundCall.uniqueid == auto.attempt))
        if call is not None and call.outcome is None:
            outbound.finish(session, call.uniqueid, "not_placed" if not call.seat else "failed",
                            now, cause="the PBX restarted")
        auto.state, auto.placeholder, auto.attempt = WAITING, None, None
        auto.claimed_at = auto.originated_at = None
        auto.next_try_at, auto.updated_at = now, now
        n += 1
    return n


def position(arrived_at: datetime, waiting: Sequence[datetime]) -> int:
    """Where a placeholder enters its queue: after everyone waiting there who arrived
    before the caller did, before everyone who arrived after (1 = the head)."""
    return 1 + sum(1 for t in waiting if t <= arrived_at)
