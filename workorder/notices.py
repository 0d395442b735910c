"""The SMS notices a work order needs (R5 dispatch, R4.8 urgent reports, R8 reminders and
the escalation ladder), as rows of the outbox (:class:`Notice`, table ``notices``) written
in the caller's transaction: which text, to whom, and not before when. Delivering them is
hotline/notify.py's work.

Texts are short Chinese (one 70-character segment where possible) with the order number,
type and deadline, and no party's personal details. ``{link}`` in a text is filled by the
sender with a signed link to the feedback page (the domain knows no URLs). Ordinary
notices wait for the quiet hours to end; urgent ones go at once, at any hour. Quiet hours
end before staffed hours begin, so waiting never costs working time of the 2-hour rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from workorder.history import record_history
from workorder.models import Base, UTCDateTime, WorkOrder
from workorder.types import OrderType, Role

__all__ = ["LINK", "Notice", "QuietHours", "cancel_obsolete", "obsolete", "dispatch_notices", "dispatch_text", "escalation_row",
           "reminder_notices", "report_notice"]

LINK = "{link}"  # replaced by the sender with the signed feedback link


class Notice(Base):
    """An SMS to send (the outbox): written in the same transaction as the change that
    needs it (a dispatch, R5), so a crash can never leave one without the other. The
    provider's id, once known, makes a resend of the same notice impossible."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("order_id", "kind", "to_mobile"),
        Index("ix_notices_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    kind: Mapped[str] = mapped_column(String(16))  # dispatch | copy | reminder | report
    to_role: Mapped[str] = mapped_column(String(32))
    to_name: Mapped[str] = mapped_column(String(32), default="")
    to_mobile: Mapped[str] = mapped_column(String(24))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)  # quiet hours, back-off
    due_by: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R5: delivered before this
    # pending | sending | sent | delivered | failed | undelivered | cancelled
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider: Mapped[str | None] = mapped_column(String(16))
    # The provider's id (indexed for delivery receipts); not unique: a mock answers every
    # message with the same id, and uniqueness is the provider's business, not ours.
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    last_error: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # phone the judge instead


@dataclass(frozen=True)
class QuietHours:
    start: time = time(21, 0)
    end: time = time(8, 0)

    def not_before(self, now: datetime, tz: ZoneInfo) -> datetime:
        """``now``, or the end of the quiet hours ``now`` falls in."""
        local = now.astimezone(tz)
        t = local.time()
        quiet = (t >= self.start or t < self.end) if self.start > self.end else (
            self.start <= t < self.end)
        if not quiet:
            return now
        day = local.date() if t < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=tz)


def _deadline_text(due: datetime, tz: ZoneInfo) -> str:
    # Deadlines end at 24:00, stored as 00:00 of the next day: name the last day.
    last = (due - timedelta(microseconds=1)).astimezone(tz)
    return f"{last.month}月{last.day}日"


def dispatch_text(number: str, order_type: int, due: datetime, tz: ZoneInfo,
                  urgent: bool = False) -> str:
    prefix = "【12368】" + ("【紧急】" if urgent else "")
    return (f"{prefix}转办工单{number}（{OrderType(order_type).label_zh}），"
            f"请于{_deadline_text(due, tz)}前反馈：{LINK}")


def copy_text(number: str, order_type: int, assignee: str, due: datetime, tz: ZoneInfo,
              urgent: bool = False) -> str:
    prefix = "【12368】" + ("【紧急】" if urgent else "")
    return (f"{prefix}工单{number}（{OrderType(order_type).label_zh}）已转{assignee}办理，"
            f"请督促于{_deadline_text(due, tz)}前反馈：{LINK}")


def _row(order_id: int, kind: str, role: str, name: str, mobile: str, body: str,
         now: datetime, not_before: datetime, due_by: datetime | None) -> dict:
    """The outbox row of one text, not yet tried."""
    return {"order_id": order_id, "kind": kind, "to_role": role, "to_name": name,
            "to_mobile": mobile, "body": body, "created_at": now,
            "next_attempt_at": not_before, "due_by": due_by, "status": "pending",
            "attempts": 0}


def _add(session: Session, order: WorkOrder, kind: str, role: str, name: str, mobile: str,
         body: str, now: datetime, not_before: datetime, due_by: datetime | None) -> bool:
    """Adds the text unless there is nobody to text (the order's history says who it
    went to) or it was written already; True if added."""
    if not mobile:
        return False
    exists = session.scalar(select(Notice.id).where(Notice.order_id == order.id,
                                                    Notice.kind == kind,
                                                    Notice.to_mobile == mobile))
    if exists is not None:
        return False
    session.add(Notice(**_row(order.id, kind, role, name, mobile, body, now, not_before,
                              due_by)))
    return True


def dispatch_notices(session: Session, order: WorkOrder, head: tuple[str, str] | None,
                     now: datetime, tz: ZoneInfo, quiet: QuietHours) -> None:
    """R5: on dispatch, an SMS to the assignee and one to the department head."""
    assert order.feedback_due_at is not None and order.assignee_role is not None
    not_before = now if order.urgent else quiet.not_before(now, tz)
    _add(session, order, "dispatch", order.assignee_role, order.assignee_name or "",
         order.assignee_mobile or "", dispatch_text(order.number, order.order_type,
                                                    order.feedback_due_at, tz, order.urgent),
         now, not_before, order.dispatch_due_at)
    if head and head[1] and head[1] != order.assignee_mobile:
        _add(session, order, "copy", Role.DEPARTMENT_HEAD.value, head[0], head[1],
             copy_text(order.number, order.order_type, order.assignee_name or "",
                       order.feedback_due_at, tz, order.urgent),
             now, not_before, order.dispatch_due_at)


def obsolete(notice: Notice, order: WorkOrder | None) -> str:
    """Why a text not yet sent no longer applies, or "": a request to feed back, a copy,
    a reminder or a ladder step about an order that has been fed back or closed since.
    Reports to leadership (R4.7/R4.8) always go: they are about what was said."""
    if order is None or notice.kind == "report":
        return ""
    if order.feedback_at is not None:
        return f"order {order.number} was fed back"
    if order.closed_at is not None:
        return f"order {order.number} was closed"
    return ""


def cancel_obsolete(session: Session, order: WorkOrder, at: datetime) -> int:
    """Cancel the order's texts still waiting to go (quiet hours, a back-off) that no
    longer apply, with a row in its history; the number cancelled. A text already being
    sent cannot be called back; the sender checks again before it sends one."""
    cancelled = []
    for n in session.scalars(select(Notice).where(Notice.order_id == order.id,
                                                 Notice.status == "pending")):
        why = obsolete(n, order)
        if why:
            n.status, n.last_error = "cancelled", f"not sent: {why}"[:255]
            cancelled.append(f"{n.kind} to {n.to_name or n.to_mobile}")
    if cancelled:
        record_history(session, order.id, at, "sms", "sms_cancelled",
                       reason="not sent, no longer needed: " + "; ".join(cancelled))
    return len(cancelled)


def report_notice(session: Session, order: WorkOrder, role: Role, name: str, mobile: str,
                  rule: str, now: datetime) -> None:
    """R4.7/R4.8: a report to leadership goes at once, whatever the hour."""
    what = "来电人情绪激动或事项紧急" if rule == "R4.8" else "来电人辱骂、骚扰"
    body = (f"【12368】【紧急】工单{order.number}（{OrderType(order.order_type).label_zh}）"
            f"{what}，请即关注：{LINK}")
    _add(session, order, "report", role.value, name, mobile, body, now,
         now, now)


def reminder_text(number: str, order_type: int, round_: int) -> str:
    again = f"第{round_}次" if round_ > 1 else ""
    return (f"【12368】{again}催办：工单{number}（{OrderType(order_type).label_zh}）"
            f"已逾期未反馈，请尽快办理并反馈：{LINK}")


def reminder_notices(session: Session, order: WorkOrder, round_: int, head: tuple[str, str],
                     now: datetime, due_by: datetime, tz: ZoneInfo,
                     quiet: QuietHours) -> int:
    """R8: the reminder (催办) to the department head, and to the assignee if someone else;
    it waits out the quiet hours (it is not urgent by itself) and is flagged for a phone
    call if still not sent shortly before the reminder's own deadline. Returns how many
    texts were written (none when nobody has a mobile number on file)."""
    body = reminder_text(order.number, order.order_type, round_)
    not_before = quiet.not_before(now, tz)
    kind = f"remind-{round_}"
    written = _add(session, order, kind, Role.DEPARTMENT_HEAD.value, head[0], head[1], body,
                   now, not_before, due_by)
    if order.assignee_mobile and order.assignee_mobile != head[1]:
        written += _add(session, order, kind, order.assignee_role or "",
                        order.assignee_name or "", order.assignee_mobile, body, now,
                        not_before, due_by)
    return int(written)


def escalation_row(order_id: int, number: str, order_type: int, level: int, role: Role,
                   name: str, mobile: str, now: datetime, tz: ZoneInfo,
                   quiet: QuietHours) -> dict:
    """R8's ladder: the text telling the next level up that an order reached it, as a row
    for the sweep's batch insert (one per order, level and mobile)."""
    body = (f"【12368】工单{number}（{OrderType(order_type).label_zh}）逾期未反馈，"
            f"已提级报{role.label_zh}督办：{LINK}")
    return _row(order_id, f"escalate-{level}", role.value, name, mobile, body, now,
                quiet.not_before(now, tz), None)
