"""Every call is registered (每电必登, R2): the moment it reaches the line it has a call
record and a work order, so an abandoned or unanswered call is never lost and can be
called back. The functions take a SQLAlchemy session and do not commit: the caller's
unit of work decides when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from workorder import phone
from workorder.history import history_row
from workorder.models import Call, CallEvent, LineState, OrderHistory, WorkOrder
from workorder.types import CallOutcome, Channel, OrderStatus, OrderType

MODE_KEY = "mode"

# Statements on every call's path are built once: SQLAlchemy then reuses their compiled
# form, and a call costs only the execution (see bench/).
_MODE = select(LineState.value).where(LineState.key == bindparam("key"))
_CALL_BY_UID = select(Call.id, Call.mode, Call.mode_reason).where(
    Call.uniqueid == bindparam("uid"))
_ORDER_OF_CALL = select(WorkOrder.id, WorkOrder.number).where(
    WorkOrder.call_id == bindparam("call_id"))
_INSERT_CALL = insert(Call).returning(Call.id)
_INSERT_ORDER = insert(WorkOrder).returning(WorkOrder.id)
_INSERT_EVENT = insert(CallEvent)
_SET_CALL_TYPE = (update(Call).where(Call.uniqueid == bindparam("uid"))
                  .values(order_type=bindparam("t"), menu_attempts=bindparam("n"))
                  .returning(Call.id))
_SET_ORDER_TYPE = (update(WorkOrder).where(WorkOrder.call_id == bindparam("cid"))
                   .values(order_type=bindparam("t"), updated_at=bindparam("at"))
                   .returning(WorkOrder.id))
_INSERT_HISTORY = insert(OrderHistory)
IVR = "ivr"  # who acted, in the history of what the line did by itself (R2)
# The same SQL on SQLite and PostgreSQL; as text() it is compiled once (SQLAlchemy does not
# cache dialect-specific on_conflict constructs, which cost a quarter of the writer's time).
_NEXT_NUMBER = text(
    "INSERT INTO order_counters (court, day, last) VALUES (:court, :day, 1) "
    "ON CONFLICT (court, day) DO UPDATE SET last = order_counters.last + 1 RETURNING last"
)


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
    value = session.connection().scalar(_MODE, {"key": MODE_KEY})
    return value or "auto"


def set_manual_mode(session: Session, value: str, at: datetime, by: str) -> None:
    row = session.get(LineState, MODE_KEY)
    if row is None:
        session.add(LineState(key=MODE_KEY, value=value, updated_at=at, updated_by=by))
    else:
        row.value, row.updated_at, row.updated_by = value, at, by
    session.flush()  # manual_mode() reads through Core, which does not autoflush


def next_order_number(session: Session, court: str, local_day: str) -> str:
    """``YYYYMMDD-NNNN``: readable on the phone, unique per court and day. One atomic
    upsert on a counter row, so concurrent servers cannot hand out a number twice."""
    conn = session.connection()
    seq = conn.scalar(_NEXT_NUMBER, {"court": court, "day": local_day})
    return f"{local_day}-{seq:04d}"


def register_call(
    session: Session, court: str, tz: ZoneInfo, arrival: Arrival, mode: tuple[str, str]
) -> Registered:
    """Record the call and open its order. Idempotent on the PBX channel id, so a retried
    AGI request does not register the same call twice.

    This runs for every call while the caller waits, so it uses a few Core statements
    rather than the ORM's unit of work (about a fifth of the cost)."""
    conn = session.connection()
    existing = conn.execute(_CALL_BY_UID, {"uid": arrival.uniqueid}).first()
    if existing is not None:
        order = conn.execute(_ORDER_OF_CALL, {"call_id": existing.id}).one()
        return Registered(existing.id, order.id, order.number, existing.mode,
                          existing.mode_reason)
    number = phone.normalize(arrival.caller_id)
    name = phone.clip_raw(arrival.caller_name)
    if name.lower() in {"unknown", "anonymous"} or name == arrival.caller_id:
        name = ""
    call_id = conn.scalar(_INSERT_CALL, dict(
        uniqueid=arrival.uniqueid, caller_phone=number,
        caller_raw=phone.clip_raw(arrival.caller_id), caller_name=name,
        received_at=arrival.at, mode=mode[0], mode_reason=mode[1][:64], menu_attempts=0,
    ))
    order_number = next_order_number(session, court, arrival.at.astimezone(tz).strftime("%Y%m%d"))
    order_id = conn.scalar(_INSERT_ORDER, dict(
        court=court, number=order_number, channel=Channel.HOTLINE.value,
        order_type=OrderType.OTHER.value,  # until the caller chooses in the menu (R3)
        status=OrderStatus.REGISTERED.value, caller_phone=number, caller_name=name,
        content="", created_at=arrival.at, updated_at=arrival.at, call_id=call_id,
    ))
    conn.execute(_INSERT_EVENT, dict(call_id=call_id, kind="arrived", at=arrival.at, seat=None,
                                     detail={"mode": mode[0]}))
    # R2: who, when, what from the first moment: the line registered it
    caller = phone.clip_raw(arrival.caller_id) or "a withheld number"
    conn.execute(_INSERT_HISTORY, history_row(
        order_id, arrival.at, IVR, "registered",
        {"channel": (None, Channel.HOTLINE.value), "caller_phone": (None, number)},
        f"call {arrival.uniqueid[:64]} from {caller}; line {mode[0]} ({mode[1][:64]})"))
    return Registered(call_id, order_id, order_number, mode[0], mode[1])


def _call(session: Session, uniqueid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.uniqueid == uniqueid))


def _order(session: Session, call: Call) -> WorkOrder | None:
    return session.scalar(select(WorkOrder).where(WorkOrder.call_id == call.id))


def choose_type(
    session: Session, uniqueid: str, order_type: OrderType, attempts: int, at: datetime,
    chosen: bool = True,
) -> bool:
    """The caller's menu choice (R3) becomes the order's type (``chosen`` False: the
    caller chose nothing and gets the default). False if the call is unknown. On every
    call's path, so Core statements like register_call."""
    conn = session.connection()
    call_id = conn.scalar(_SET_CALL_TYPE, {"uid": uniqueid, "t": int(order_type), "n": attempts})
    if call_id is None:
        return False
    order_id = conn.scalar(_SET_ORDER_TYPE, {"cid": call_id, "t": int(order_type), "at": at})
    conn.execute(_INSERT_EVENT, dict(call_id=call_id, kind="menu", at=at, seat=None,
                                     detail={"type": int(order_type), "attempts": attempts}))
    if order_id is not None:
        conn.execute(_INSERT_HISTORY, history_row(
            order_id, at, IVR, "menu", {"order_type": (None, int(order_type))},
            f"the caller chose {int(order_type)} {order_type.label_zh} in the menu (R3)"
            if chosen else f"no choice in the menu: {order_type.label_zh}, the default (R3)"))
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
        raise phone.PhoneError("no number to call back")
    call.outcome = CallOutcome.CALLBACK.value
    order = _order(session, call)
    if order is not None:
        order.callback_phone = target
        order.status = OrderStatus.CALLBACK_PENDING.value
        order.updated_at = at
    session.add(CallEvent(call_id=call.id, kind="callback_requested", at=at, detail={"to": target}))
    return target


def message_left(session: Session, uniqueid: str, relative_path: str, at: datetime,
                 exists: bool) -> Call | None:
    """The call's side of an after-hours (or overflow) message (R6): the call ended in a
    message and its order waits to be heard. None if the call is unknown or the caller hung
    up before speaking (no file); the recording itself is the store's
    (:func:`recordings.catalog.leave_message`)."""
    call = _call(session, uniqueid)
    if call is None or not exists:
        if call is not None:
            record_event(session, uniqueid, "message_empty", at)
        return None
    call.outcome = CallOutcome.MESSAGE.value
    order = _order(session, call)
    if order is not None:
        order.status = OrderStatus.MESSAGE_PENDING.value
        order.updated_at = at
    session.add(CallEvent(call_id=call.id, kind="message_left", at=at,
                          detail={"path": relative_path}))
    return call
