"""Delivering the outbox (R5): claim a notice, send it through the SMS port, record the
provider's id — each step its own short transaction, so nothing is lost or sent twice:

* **claim**: ``pending → sending`` with a lease, only if still pending (two workers never
  take the same notice);
* **send**: outside any transaction (a slow provider holds no lock);
* **record**: ``sending → sent`` with the provider's id.

A worker killed between send and record leaves the notice ``sending`` with its lease
running out. Before sending such a notice again the sender is asked whether it already
has it (:meth:`lookup`): if so its id is adopted, otherwise it is sent again. Transient
failures back off exponentially (or as long as the provider asked); permanent ones fail
the notice. A notice still undelivered close to its R5 deadline is flagged for an
operator to phone the recipient, however the provider is doing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.sms import SmsError, SmsSender
from workorder.models import Notice, OrderHistory

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # a claimed notice not recorded by then is looked at again
FLAG_BEFORE = timedelta(minutes=30)  # R5: phone the recipient if not sent by due_by - this
MAX_BACKOFF = timedelta(minutes=30)


@dataclass
class DeliveryReport:
    sent: int = 0
    adopted: int = 0  # sent before a crash, found at the provider, not sent again
    retried: int = 0
    failed: int = 0
    flagged: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    if retry_after is not None:
        return timedelta(seconds=max(retry_after, 1))
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _claim(sessions: sessionmaker, notice_id: int, now: datetime) -> Notice | None:
    with sessions.begin() as s:
        n = s.execute(update(Notice).where(
            Notice.id == notice_id,
            or_(Notice.status == "pending",
                (Notice.status == "sending") & (Notice.next_attempt_at <= now)))
            .values(status="sending", attempts=Notice.attempts + 1,
                    next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)).rowcount
        if not n:
            return None
        notice = s.get(Notice, notice_id)
        s.expunge(notice)
        return notice


def deliver(sessions: sessionmaker, sender: SmsSender, notice_id: int, now: datetime,
            link_for: Callable[[Notice], str], status_callback: str | None = None,
            was_sending: bool = False) -> str:
    """Deliver one notice; returns what happened (sent, adopted, retry, failed, skipped)."""
    notice = _claim(sessions, notice_id, now)
    if notice is None:
        return "skipped"
    body = notice.body.replace("{link}", link_for(notice))
    lookup = getattr(sender, "lookup", None)
    if was_sending and lookup is not None:
        found = lookup(notice.to_mobile, body, notice.created_at)
        if found:
            _record(sessions, notice, sender.name, found, now)
            return "adopted"
    try:
        sent = sender.send(notice.to_mobile, body, status_callback=status_callback)
    except SmsError as exc:
        with sessions.begin() as s:
            n = s.get(Notice, notice.id)
            n.last_error = str(exc)[:255]
            if exc.transient:
                n.status = "pending"
                n.next_attempt_at = now + backoff(n.attempts, exc.retry_after)
            else:
                n.status = "failed"
                n.flagged_at = n.flagged_at or now
                if n.order_id:
                    s.add(OrderHistory(order_id=n.order_id, at=now, actor="sms",
                                       action="sms_failed", changes={},
                                       reason=f"SMS to {n.to_name} failed: {exc}; "
                                              "phone them (R5)"))
        return "retry" if exc.transient else "failed"
    _record(sessions, notice, sender.name, sent.provider_id, now)
    return "sent"


def _record(sessions: sessionmaker, notice: Notice, provider: str, provider_id: str,
            now: datetime) -> None:
    with sessions.begin() as s:
        n = s.get(Notice, notice.id)
        n.status, n.provider, n.provider_id, n.sent_at = "sent", provider, provider_id, now
        n.last_error = None


def flag_late(session: Session, now: datetime) -> int:
    """R5: notices not sent by shortly before their deadline are flagged for a phone call."""
    late = session.scalars(select(Notice).where(
        Notice.status.in_(["pending", "sending"]), Notice.flagged_at.is_(None),
        Notice.due_by.is_not(None), Notice.due_by <= now + FLAG_BEFORE)).all()
    for n in late:
        n.flagged_at = now
        if n.order_id:
            session.add(OrderHistory(order_id=n.order_id, at=now, actor="sms",
                                     action="sms_late", changes={},
                                     reason=f"SMS to {n.to_name} not sent before the 2-hour "
                                            f"limit ({n.last_error or 'not yet tried'}); "
                                            "phone them (R5)"))
    return len(late)


def deliver_due(sessions: sessionmaker, sender: SmsSender, now: datetime,
                link_for: Callable[[Notice], str], limit: int = 500) -> DeliveryReport:
    """Every notice whose time has come, and the flags for late ones."""
    report = DeliveryReport()
    with sessions.begin() as s:
        report.flagged = flag_late(s, now)
        due = s.execute(select(Notice.id, Notice.status).where(
            Notice.status.in_(["pending", "sending"]), Notice.next_attempt_at <= now)
            .order_by(Notice.next_attempt_at, Notice.id).limit(limit)).all()
    for notice_id, status in due:
        outcome = deliver(sessions, sender, notice_id, now, link_for,
                          was_sending=status == "sending")
        if outcome in ("sent", "adopted", "failed"):
            setattr(report, outcome, getattr(report, outcome) + 1)
        elif outcome == "retry":
            report.retried += 1
    return report
