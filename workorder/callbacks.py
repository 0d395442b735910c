"""Callbacks (回访, R10): after the handler fed back, and after every abandoned or
unanswered call (R2), someone calls the caller back, records the outcome and the caller's
satisfaction. Matters touching a party's litigation rights come first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workorder import text
from workorder.calendar import CourtCalendar
from workorder.deadlines import Policy, end_of_working_day
from workorder.errors import DomainError
from workorder.history import record_history
from workorder.models import CallbackTask, WorkOrder
from workorder.types import CallbackReason, OrderStatus, OrderType, Satisfaction

__all__ = ["CallbackError", "OUTCOMES", "create", "open_tasks", "priority", "record", "task_of"]

OUTCOMES = ("reached", "no_answer", "busy", "wrong_number", "refused")
HIGH, NORMAL = 1, 2


class CallbackError(DomainError):
    """A callback cannot be recorded as asked."""


def priority(order_type: int, case_number: str | None, touches_rights: bool,
             rule: str | None) -> int:
    """R10: matters that touch a party's litigation rights are called back first — the
    operator's flag, a case on file, contacting the judge, petitions, and complaints that
    filing was refused or delayed (R4.5)."""
    if (touches_rights or case_number or rule == "R4.5"
            or order_type in (OrderType.CONTACT_JUDGE, OrderType.PETITION)):
        return HIGH
    return NORMAL


def create(session: Session, cal: CourtCalendar, policy: Policy, order: WorkOrder,
           reason: CallbackReason, at: datetime) -> CallbackTask | None:
    """The task for ``order`` and ``reason``, created once; None if there is no number."""
    existing = session.scalar(select(CallbackTask).where(CallbackTask.order_id == order.id,
                                                         CallbackTask.reason == reason.value))
    if existing is not None:
        return existing
    number = order.callback_phone or order.caller_phone
    if number is None:
        if reason == CallbackReason.FEEDBACK and order.status == OrderStatus.FED_BACK:
            # Nobody to call: the loop closes on the feedback (kept in the history).
            order.status, order.closed_at, order.updated_at = OrderStatus.CLOSED.value, at, at
            order.resolution = order.resolution or order.feedback_text
            record_history(session, order.id, at, "system", "closed",
                           {"status": (OrderStatus.FED_BACK.value, OrderStatus.CLOSED.value)},
                           "no number to call back (R10)")
        return None
    task = CallbackTask(
        order_id=order.id, reason=reason.value, phone=number, created_at=at,
        priority=priority(order.order_type, order.case_number, order.touches_rights,
                          order.rule),
        due_at=end_of_working_day(cal, at, policy.callback_days), status="pending",
        attempts=0, note="")
    session.add(task)
    session.flush()
    return task


def record(session: Session, cal: CourtCalendar, policy: Policy, task_id: int, *, by: str,
           at: datetime, outcome: str, satisfaction: str | None = None,
           note: str = "") -> CallbackTask:
    """The result of one callback attempt. Reaching the caller after feedback with their
    satisfaction closes the order (R10 closes the loop); an unanswered attempt is retried
    on the next working day until ``policy.callback_attempts`` have failed."""
    task = session.get(CallbackTask, task_id)
    if task is None:
        raise CallbackError(f"no callback task {task_id}; see `hotline callbacks list`")
    # Take the task (a row lock on PostgreSQL, the write lock on SQLite) before reading its
    # status, so two seats recording the same callback cannot both succeed.
    taken = session.execute(update(CallbackTask).where(CallbackTask.id == task_id,
                                                       CallbackTask.status == "pending")
                            .values(status="pending")
                            .execution_options(synchronize_session=False)).rowcount
    session.refresh(task)
    if not taken or task.status != "pending":
        raise CallbackError(f"callback {task_id} is already {task.status}")
    if outcome not in OUTCOMES:
        raise CallbackError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    sat = None
    if satisfaction:
        try:
            sat = Satisfaction(satisfaction.strip())
        except ValueError:
            raise CallbackError(f"satisfaction {satisfaction!r} is not one of "
                                + " / ".join(s.value for s in Satisfaction)) from None
    if outcome != "reached" and sat is not None:
        raise CallbackError("satisfaction is recorded only when the caller was reached")
    if sat is not None and task.reason != CallbackReason.FEEDBACK:
        raise CallbackError(f"callback {task.id} is for an {task.reason} call: no matter was "
                            "handled yet, so there is no satisfaction to ask (R10 counts "
                            "callbacks after feedback); record the outcome alone")
    if outcome == "reached" and task.reason == CallbackReason.FEEDBACK and sat is None:
        raise CallbackError("ask the caller's satisfaction (满意 / 基本满意 / 不满意) and "
                            "record it with the outcome 'reached'")
    try:  # the caller's words, checked like every free text (workorder/text.py)
        note = text.clean(note, "note", limit=text.NOTE_MAX)
    except text.TextError as exc:
        raise CallbackError(str(exc)) from None
    task.attempts += 1
    task.outcome, task.note = outcome, note
    order = session.get(WorkOrder, task.order_id)
    if outcome == "reached" or outcome in ("wrong_number", "refused"):
        task.status, task.done_at, task.done_by = "done", at, by
        task.satisfaction = sat.value if sat else None
    elif task.attempts >= policy.callback_attempts:
        task.status, task.done_at, task.done_by = "failed", at, by
    else:
        task.due_at = end_of_working_day(cal, at, 1)
    record_history(session, task.order_id, at, by, "callback",
                   {"outcome": (None, outcome), "satisfaction": (None, task.satisfaction)},
                   note)
    if order is not None and task.status != "pending":
        _settle(session, order, task, by, at)
    session.flush()
    return task


def _settle(session: Session, order: WorkOrder, task: CallbackTask, by: str,
            at: datetime) -> None:
    """No order is left without a clock and without a way out: the callback after feedback
    closes it whatever its outcome (the outcome is in the ledger); a callback after an
    abandoned call that reached nobody closes it too; a caller reached is now being handled
    by the operator who called."""
    before = order.status
    if task.reason == CallbackReason.FEEDBACK and order.status == OrderStatus.FED_BACK:
        why = "callback done (R10)" if task.outcome == "reached" else (
            f"callback {task.status}: {task.outcome} (R10)")
        order.resolution = order.resolution or order.feedback_text
    elif task.reason != CallbackReason.FEEDBACK and order.status in _WAITING:
        if task.outcome == "reached":
            order.status, order.updated_at = OrderStatus.IN_PROGRESS.value, at
            record_history(session, order.id, at, by, "called_back",
                           {"status": (before, order.status)},
                           "caller reached; the operator registers the matter")
            return
        why = f"called back, {task.outcome} after {task.attempts} attempt(s) (R2, R10)"
        order.resolution = order.resolution or f"回拨未果（{task.outcome}）"
    else:
        return
    order.status, order.closed_at, order.updated_at = OrderStatus.CLOSED.value, at, at
    order.next_due_at = None
    record_history(session, order.id, at, by, "closed",
                   {"status": (before, OrderStatus.CLOSED.value)}, why)


# Orders of abandoned/unanswered calls that wait for the callback.
_WAITING = {OrderStatus.REGISTERED, OrderStatus.CALLBACK_PENDING}


def task_of(session: Session, order: WorkOrder, reason: str | None = None) -> CallbackTask:
    """The order's pending callback (of ``reason``, where it has several)."""
    q = select(CallbackTask).where(CallbackTask.order_id == order.id,
                                   CallbackTask.status == "pending")
    if reason:
        q = q.where(CallbackTask.reason == reason)
    tasks = list(session.scalars(q.order_by(CallbackTask.id)))
    if not tasks:
        raise CallbackError(f"order {order.number} has no pending callback"
                            + (f" for {reason}" if reason else "")
                            + "; `hotline callbacks list` shows them")
    if len(tasks) > 1:
        raise CallbackError(f"order {order.number} has {len(tasks)} pending callbacks ("
                            + ", ".join(t.reason for t in tasks) + "); say which with --reason")
    return tasks[0]


def open_tasks(session: Session, court: str | None = None, include_done: bool = False,
               limit: int = 200) -> list[tuple[CallbackTask, WorkOrder]]:
    """Pending callbacks, litigation-rights matters first, then the oldest due."""
    q = select(CallbackTask, WorkOrder).join(WorkOrder, WorkOrder.id == CallbackTask.order_id)
    if not include_done:
        q = q.where(CallbackTask.status == "pending")
    if court:
        q = q.where(WorkOrder.court == court)
    q = q.order_by(CallbackTask.priority, CallbackTask.due_at, CallbackTask.id).limit(limit)
    return [(t, o) for t, o in session.execute(q).all()]
