"""Callbacks (回访, R10): after the handler fed back, and after every abandoned or
unanswered call (R2), someone calls the caller back, records the outcome and the caller's
satisfaction. Matters touching a party's litigation rights come first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workorder.calendar import CourtCalendar
from workorder.deadlines import Policy, end_of_working_day
from workorder.models import CallbackTask, OrderHistory, WorkOrder
from workorder.types import CallbackReason, OrderStatus, OrderType, Satisfaction

__all__ = ["CallbackError", "OUTCOMES", "create", "priority", "record"]

OUTCOMES = ("reached", "no_answer", "busy", "wrong_number", "refused")
HIGH, NORMAL = 1, 2


class CallbackError(ValueError):
    pass


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
    if task.status != "pending":
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
    if outcome == "reached" and task.reason == CallbackReason.FEEDBACK and sat is None:
        raise CallbackError("ask the caller's satisfaction (满意 / 基本满意 / 不满意) and "
                            "record it with the outcome 'reached'")
    task.attempts += 1
    task.outcome, task.note = outcome, note.strip()
    order = session.get(WorkOrder, task.order_id)
    if outcome == "reached" or outcome in ("wrong_number", "refused"):
        task.status, task.done_at, task.done_by = "done", at, by
        task.satisfaction = sat.value if sat else None
    elif task.attempts >= policy.callback_attempts:
        task.status, task.done_at, task.done_by = "failed", at, by
    else:
        task.due_at = end_of_working_day(cal, at, 1)
    session.add(OrderHistory(order_id=task.order_id, at=at, actor=by, action="callback",
                             changes={"outcome": [None, outcome],
                                      "satisfaction": [None, task.satisfaction]},
                             reason=note.strip()))
    if (order is not None and task.status == "done" and task.reason == CallbackReason.FEEDBACK
            and order.status == OrderStatus.FED_BACK):
        order.status, order.closed_at, order.updated_at = OrderStatus.CLOSED.value, at, at
        order.resolution = order.resolution or order.feedback_text
        session.add(OrderHistory(order_id=order.id, at=at, actor=by, action="closed",
                                 changes={"status": [OrderStatus.FED_BACK.value,
                                                     OrderStatus.CLOSED.value]},
                                 reason="callback done (R10)"))
    session.flush()
    return task


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
