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

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.sms import SmsError, SmsSender
from workorder.history import record_history
from workorder.models import WorkOrder
from workorder.notices import LINK, Notice, cancel_obsolete, obsolete

log = logging.getLogger(__name__)

def lease_for(timeout_s: float) -> timedelta:
    """How long a claim holds: a lookup and a send, each bounded by the SMS time-out, and
    a margin; after that the worker holding it is taken to be dead."""
    return timedelta(seconds=2 * timeout_s + 15)


LEASE = lease_for(10.0)  # with the default sms_timeout_s; the job engine passes its own
FLAG_BEFORE = timedelta(minutes=30)  # R5: phone the recipient if not sent by due_by - this
# an urgent text (due at once) or a late dispatch is flagged only if the sender has not
# managed in this long: a phone call is for texts that did not go, not for all of them
FLAG_GRACE = timedelta(minutes=5)
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


def _cancelled_as_obsolete(session: Session, notice_id: int, now: datetime) -> bool:
    """A text that no longer applies (its order fed back or closed since it was written,
    e.g. while it waited for the quiet hours to end) is cancelled instead of sent."""
    notice = session.get(Notice, notice_id)
    order = session.get(WorkOrder, notice.order_id) if notice.order_id else None
    if not obsolete(notice, order):
        return False
    cancel_obsolete(session, order, now)
    return True


def _claim(sessions: sessionmaker, notice_id: int, now: datetime, lease: timedelta,
           link_for: Callable[[Notice], str]) -> tuple[Notice, bool] | None:
    """Take the notice for sending; the flag says whether an earlier claim's lease ran out
    (its worker died, maybe after the provider accepted the text). The first claim fills
    in the link and keeps the text as it goes out, so a text sent again after a crash is
    the very same text, and the provider can be asked whether it has it."""
    with sessions.begin() as s:
        before = s.scalar(select(Notice.status).where(Notice.id == notice_id))
        if before == "pending" and _cancelled_as_obsolete(s, notice_id, now):
            return None
        if before == "pending":
            free = Notice.status == "pending"
        elif before == "sending":
            free = (Notice.status == "sending") & (Notice.next_attempt_at <= now)
        else:
            return None
        n = s.execute(update(Notice).where(Notice.id == notice_id, free)
                      .values(status="sending", attempts=Notice.attempts + 1,
                              next_attempt_at=now + lease)
                      .execution_options(synchronize_session=False)).rowcount
        if not n:
            return None
        notice = s.get(Notice, notice_id)
        if LINK in notice.body:
            notice.body = notice.body.replace(LINK, link_for(notice))
            s.flush()
        s.expunge(notice)
        return notice, before == "sending"


def deliver(sessions: sessionmaker, sender: SmsSender, notice_id: int, now: datetime,
            link_for: Callable[[Notice], str], status_callback: str | None = None,
            lease: timedelta = LEASE) -> str:
    """Deliver one notice; returns what happened (sent, adopted, retry, failed, skipped)."""
    claimed = _claim(sessions, notice_id, now, lease, link_for)
    if claimed is None:
        return "skipped"
    notice, was_sending = claimed
    body = notice.body
    lookup = getattr(sender, "lookup", None)
    if was_sending and lookup is not None:
        found = lookup(notice.to_mobile, body, notice.created_at)
        if found:
            log.info("notice %s: found at the provider after a crash (%s), not sent again",
                     notice.id, found)
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
                    record_history(s, n.order_id, now, "sms", "sms_failed",
                                   reason=f"SMS to {n.to_name} failed: {exc}; phone them (R5)")
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
    """R5: notices not sent by shortly before their deadline (and not just written) are
    flagged for a phone call."""
    late = session.scalars(select(Notice).where(
        Notice.status.in_(["pending", "sending"]), Notice.flagged_at.is_(None),
        Notice.due_by.is_not(None), Notice.due_by <= now + FLAG_BEFORE,
        Notice.created_at <= now - FLAG_GRACE)).all()
    for n in late:
        n.flagged_at = now
        if n.order_id:
            record_history(session, n.order_id, now, "sms", "sms_late",
                           reason=f"SMS to {n.to_name} not sent before the 2-hour limit "
                                  f"({n.last_error or 'not yet tried'}); phone them (R5)")
    return len(late)


def deliver_due(sessions: sessionmaker, sender: SmsSender, now: datetime,
                link_for: Callable[[Notice], str], limit: int = 500,
                lease: timedelta = LEASE) -> DeliveryReport:
    """Every notice whose time has come, and the flags for late ones."""
    report = DeliveryReport()
    with sessions.begin() as s:
        report.flagged = flag_late(s, now)
        due = s.execute(select(Notice.id).where(
            Notice.status.in_(["pending", "sending"]), Notice.next_attempt_at <= now)
            .order_by(Notice.next_attempt_at, Notice.id).limit(limit)).all()
    for (notice_id,) in due:
        outcome = deliver(sessions, sender, notice_id, now, link_for, lease=lease)
        if outcome in ("sent", "adopted", "failed"):
            setattr(report, outcome, getattr(report, outcome) + 1)
        elif outcome == "retry":
            report.retried += 1
    return report
