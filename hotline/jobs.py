"""Background jobs on Huey: sending the outbox (R5), the deadline sweep (R8, R10), the
recording store's scan and retention, and the speech work (R6, R4.7/R4.8).

Huey runs embedded on an SQLite file of its own (no server to start) or on Redis for
several nodes (``job_store = "redis://…"``). Huey hands a task out at most once — a worker
killed mid-task loses it — so the database stays the truth: a job only nudges, and the
periodic ones (every minute) find whatever a lost job left behind.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from hotline import notify
from hotline.settings import Settings
from hotline.sms import SmsSender
from hotline.speech import Speech
from hotline.unit_of_work import UnitOfWork
from hotline.web.links import Links
from workorder.line import ManualMode, decide_mode
from workorder.models import WorkOrder
from workorder.notices import Notice
from workorder.orders import Service
from workorder.registration import manual_mode
from workorder.sweep import sweep

log = logging.getLogger(__name__)


def build_huey(settings: Settings) -> Huey:
    if settings.job_store.startswith("redis://"):
        return RedisHuey("hotline12368", url=settings.job_store, results=False, utc=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("hotline12368", filename=str((settings.data_dir / "jobs.db").resolve()),
                      results=False, utc=True)


class Jobs:
    """The hotline's tasks on one Huey instance. Every process (CLI, server, worker) builds
    the same tasks, so any of them can enqueue what a worker elsewhere runs."""

    def __init__(self, settings: Settings, huey: Huey, uow: UnitOfWork, service: Service,
                 sender: SmsSender, links: Links, speech: Speech) -> None:
        self.settings, self.huey, self.uow, self.service = settings, huey, uow, service
        self.sender, self.links, self.speech = sender, links, speech

        @huey.task(name="deliver_notice")
        def deliver_notice(notice_id: int) -> None:
            self.deliver(notice_id)

        @huey.periodic_task(crontab(minute="*"), name="deliver_due")
        def deliver_due() -> None:
            report = self.deliver_all_due()
            if report.sent or report.retried or report.failed or report.flagged:
                log.info("outbox: %s", report.as_dict())

        @huey.periodic_task(crontab(minute="*"), name="sweep")
        @huey.lock_task("sweep")
        def periodic_sweep() -> None:
            report = sweep(self.uow, service.calendar, service.policy, datetime.now(UTC),
                           quiet=service.quiet)
            if report.overdue or report.reminders or report.escalations or report.callbacks:
                log.info("sweep: %s", report.as_dict())
            if report.texts:  # the ladder's texts: send them now, not at the next minute
                self.deliver_due()

        @huey.periodic_task(crontab(minute="*/5"), name="store_scan")
        @huey.lock_task("store_scan")
        def store_scan() -> None:
            report = speech.scan()
            if report.anything:
                log.info("recording store: %s", report.as_dict())

        @huey.periodic_task(crontab(minute="*/5"), name="speech")
        @huey.lock_task("speech")
        def speech_work() -> None:
            self.speech_work(datetime.now(UTC))

        @huey.periodic_task(crontab(minute="7"), name="retention")
        @huey.lock_task("retention")
        def retention() -> None:
            report = speech.retention()
            if report.deleted or report.errors:
                log.info("retention: %d deleted, %d kept for review, %d errors",
                         len(report.deleted), report.kept, len(report.errors))

        self.deliver_notice = deliver_notice
        self.deliver_due = deliver_due
        self.sweep = periodic_sweep
        self.store_scan = store_scan
        self.retention = retention

    def speech_work(self, now: datetime) -> None:
        """While the line is staffed, the messages left before now become orders to confirm
        (R6: at the start of the first working day after them); then the seat calls are
        transcribed for the flags (R4.7/R4.8), one worker, so calls keep the other core."""
        with self.uow() as s:
            manual = ManualMode(manual_mode(s))
        if decide_mode(manual, self.service.calendar, now)[0] != "open":
            return
        speech = self.speech
        if speech.pending("message", now):
            report = speech.messages(now)
            log.info("messages (R6): %s", report.as_dict())
        if self.settings.transcribe_calls and speech.pending("call", now):
            report = speech.calls(now)
            if report is not None:
                log.info("seat calls transcribed: %s", report.as_dict())

    @property
    def lease(self):
        return notify.lease_for(self.settings.sms_timeout_s)

    def deliver_all_due(self) -> notify.DeliveryReport:
        """Whatever is due now: pending texts whose job was lost, retries, the claims of a
        dead worker whose lease ran out; flags the late ones (R5)."""
        return notify.deliver_due(self.uow, self.sender, datetime.now(UTC), self.link_for,
                                  lease=self.lease)

    def link_for(self, notice: Notice) -> str:
        """The signed link of the order's feedback page (R7)."""
        if not notice.order_id:
            return ""
        if notice.kind == "copy":  # the department head: the department's open orders
            with self.uow() as s:
                dept = s.get(WorkOrder, notice.order_id).department_id
            return self.links.department_url(dept) if dept else ""
        return self.links.feedback_url(notice.order_id)

    def deliver(self, notice_id: int) -> str:
        """Send one notice now; a retry is scheduled for when the back-off ends."""
        outcome = notify.deliver(self.uow, self.sender, notice_id, datetime.now(UTC),
                                 self.link_for, lease=self.lease)
        if outcome == "retry":
            with self.uow() as s:
                when = s.get(Notice, notice_id).next_attempt_at
            self.deliver_notice.schedule((notice_id,), eta=when)
        return outcome

    def kick(self, texts: list[tuple[int, datetime]]) -> None:
        """Texts a unit of work has just committed: send them now, or when their quiet
        hours end (the unit of work calls this)."""
        now = datetime.now(UTC)
        for notice_id, when in texts:
            if when <= now:
                self.deliver_notice(notice_id)
            else:
                self.deliver_notice.schedule((notice_id,), eta=when)


class EmbeddedConsumer(Consumer):
    """Huey's consumer inside our own process: it must not take over the signal handlers
    (the hotline's own Ctrl-C handling stops it), and on start it sends what the last run
    left pending at once rather than at the next minute."""

    def __init__(self, jobs: Jobs, **kwargs) -> None:
        super().__init__(jobs.huey, **kwargs)
        self._jobs = jobs

    def _set_signal_handlers(self) -> None:
        return None

    def start(self) -> None:
        super().start()
        self._jobs.deliver_due()
        # and what a dead worker held, as soon as its claims' lease has run out
        self._jobs.deliver_due.schedule(delay=self._jobs.lease.total_seconds() + 1)


def consumer(jobs: Jobs, workers: int = 2, periodic: bool = True) -> EmbeddedConsumer:
    return EmbeddedConsumer(jobs, workers=workers, worker_type="thread", periodic=periodic,
                            initial_delay=0.05, max_delay=0.5, check_worker_health=False)
