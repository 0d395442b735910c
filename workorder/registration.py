"""Every call is registered (每电必登, R2): the moment it reaches the line it has a call
record and a work order, so an abandoned or unanswered call is never lost and can be
called back. The functions take a SQLAlchemy session and do not commit: the caller's
unit of work decides when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workorder import phone
from workorder.models import Call, CallEvent, LineState, Recording, WorkOrder
from workorder.types import CallOutcome, Channel, OrderStatus, OrderType

MODE_KEY = "mode"


@dataclass(frozen=True)
class Arrival:
    uniqueid: str
    caller_id: str | None
    caller_name: str | None
    at: datetime


@dataclass(frozen=True)
class Registered:
    call_id: int
    order_id: int
    order_number: str
    mode: str
    reason: str


def manual_mode(session: Session) -> str:
    row = session.get(LineState, MODE_KEY)
    return row.value if row else "auto"


def set_manual_mode(session: Session, value: str, at: datetime, by: str) -> None:
    row = session.get(LineState, MODE_KEY)
    if row is None:
        session.add(LineState(key=MODE_KEY, value=value, updated_at=at, updated_by=by))
    else:
        row.value, row.updated_at, row.updated_by = value, at, by


def next_order_number(session: Session, court: str, local_day: str) -> str:
    """``YYYYMMDD-NNNN``: readable on the phone, unique per court and day."""
    prefix = f"{local_day}-"
    last = session.scalar(
        select(func.max(WorkOrder.number)).where(
            WorkOrder.court == court, WorkOrder.number.like(prefix + "%")
        )
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def register_call(
    session: Session, court: str, tz: ZoneInfo, arrival: Arrival, mode: tuple[str, str]
) -> Registered:
    """Record the call and open its order. Idempotent on the PBX channel id, so a retried
    AGI request does not register the same call twice."""
    existing = session.scalar(select(Call).where(Call.uniqueid == arrival.uniqueid))
    if existing is not None:
        order = session.scalar(select(WorkOrder).where(WorkOrder.call_id == existing.id))
        assert order is not None, "a registered call always has its order"
        return Registered(existing.id, order.id, order.number, existing.mode, existing.mode_reason)
    number = phone.normalize(arrival.caller_id)
    name = phone.clip_raw(arrival.caller_name)
    if name.lower() in {"unknown", "anonymous"} or name == arrival.caller_id:
        name = ""
    call = Call(
        uniqueid=arrival.uniqueid,
        caller_phone=number,
        caller_raw=phone.clip_raw(arrival.caller_id),
        caller_name=name,
        received_at=arrival.at,
        mode=mode[0],
        mode_reason=mode[1][:64],
    )
    session.add(call)
    session.flush()
    order = WorkOrder(
        court=court,
        number=next_order_number(session, court, arrival.at.astimezone(tz).strftime("%Y%m%d")),
        channel=Channel.HOTLINE.value,
        order_type=OrderType.OTHER.value,  # until the caller chooses in the menu (R3)
        status=OrderStatus.REGISTERED.value,
        caller_phone=number,
        caller_name=name,
        created_at=arrival.at,
        updated_at=arrival.at,
        call_id=call.id,
    )
    session.add(order)
    session.add(CallEvent(call_id=call.id, kind="arrived", at=arrival.at, detail={"mode": mode[0]}))
    session.flush()
    return Registered(call.id, order.id, order.number, mode[0], mode[1])


def _call(session: Session, uniqueid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.uniqueid == uniqueid))


def _order(session: Session, call: Call) -> WorkOrder | None:
    return session.scalar(select(WorkOrder).where(WorkOrder.call_id == call.id))


def choose_type(
    session: Session, uniqueid: str, order_type: OrderType, attempts: int, at: datetime
) -> bool:
    """The caller's menu choice (R3) becomes the order's type. False if the call is unknown."""
    call = _call(session, uniqueid)
    if call is None:
        return False
    call.order_type = int(order_type)
    call.menu_attempts = attempts
    order = _order(session, call)
    if order is not None:
        order.order_type = int(order_type)
        order.updated_at = at
    session.add(
        CallEvent(
            call_id=call.id, kind="menu", at=at,
            detail={"type": int(order_type), "attempts": attempts},
        )
    )
    return True


def record_event(
    session: Session, uniqueid: str, kind: str, at: datetime, seat: str | None = None,
    **detail: object,
) -> Call | None:
    """Append to the call timeline; None when the channel is not a hotline call."""
    call = _call(session, uniqueid)
    if call is None:
        return None
    session.add(CallEvent(call_id=call.id, kind=kind, at=at, seat=seat, detail=detail))
    return call


def record_overflow(session: Session, uniqueid: str, at: datetime, queue_status: str) -> bool:
    """R1 breach: nobody answered within the target; the call goes to the wider group."""
    call = record_event(session, uniqueid, "overflowed", at, queue_status=queue_status)
    if call is None:
        return False
    if call.overflowed_at is None:
        call.overflowed_at = at
    return True


def leave_callback(session: Session, uniqueid: str, number: str | None, at: datetime) -> str:
    """The caller asked to be called back: the order keeps its place (its creation time)
    and waits for a callback (R2, R10). Returns the number that will be called."""
    call = _call(session, uniqueid)
    if call is None:
        raise LookupError(f"no call {uniqueid!r}")
    target = phone.normalize(number) or call.caller_phone
    if target is None:
        raise ValueError("no number to call back")
    call.outcome = CallOutcome.CALLBACK.value
    order = _order(session, call)
    if order is not None:
        order.callback_phone = target
        order.status = OrderStatus.CALLBACK_PENDING.value
        order.updated_at = at
    session.add(CallEvent(call_id=call.id, kind="callback_requested", at=at, detail={"to": target}))
    return target


def leave_message(
    session: Session, uniqueid: str, relative_path: str, at: datetime, exists: bool
) -> Recording | None:
    """An after-hours (or overflow) message: its file is registered for processing on the
    next working day (R6). A caller who hung up before speaking leaves no file."""
    call = _call(session, uniqueid)
    if call is None or not exists:
        if call is not None:
            record_event(session, uniqueid, "message_empty", at)
        return None
    rec = session.scalar(select(Recording).where(Recording.path == relative_path))
    if rec is None:
        rec = Recording(call_id=call.id, kind="message", path=relative_path, created_at=at,
                        status="new")
        session.add(rec)
    call.outcome = CallOutcome.MESSAGE.value
    order = _order(session, call)
    if order is not None:
        order.status = OrderStatus.MESSAGE_PENDING.value
        order.updated_at = at
    session.add(CallEvent(call_id=call.id, kind="message_left", at=at,
                          detail={"path": relative_path}))
    return rec
