"""The composition root: the one place that builds the real adapters (database, calendar,
SMS sender, links, job engine, speech) and wires them to the domain service.

Each entry point calls :func:`build` once — the command line for its command, ``hotline
up`` and ``hotline serve`` for the whole process, the worker, a benchmark, a test — and
hands the :class:`~hotline.platform.Platform` it returns to whatever needs it. Tests pass
their fakes in (``sender=``, ``clock=``). Nothing imports this module back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import sessionmaker

from hotline.db import make_engine
from hotline.jobs import Jobs, build_huey
from hotline.platform import Platform
from hotline.settings import Settings, SettingsError
from hotline.sms import SmsSender
from hotline.sms.fake import FakeSender
from hotline.sms.twilio import TwilioSender
from hotline.speech import Speech
from hotline.unit_of_work import UnitOfWork
from hotline.web.links import Links, secret
from workorder.calendar import CalendarError, CourtCalendar
from workorder.notices import QuietHours
from workorder.orders import Service

log = logging.getLogger(__name__)

__all__ = ["build", "build_calendar", "build_sender"]


def build(settings: Settings, *, sender: SmsSender | None = None,
          clock: Callable[[], datetime] | None = None) -> Platform:
    """The platform of one process. ``close()`` it (or use it as a context manager) to
    release its database connections."""
    engine = make_engine(settings.db_url)
    service = Service(build_calendar(settings), settings.policy,
                      QuietHours(*settings.sms_quiet_hours))
    # The job engine is built after the unit of work it runs in; the unit of work hands it
    # the texts it commits (late-bound: ``jobs`` exists by the time anything commits).
    uow = UnitOfWork(sessionmaker(engine, expire_on_commit=False),
                     texts_written=lambda texts: jobs.kick(texts))
    sender = sender or build_sender(settings)
    links = Links(secret(settings.data_dir), settings.public_url, settings.link_max_age_s)
    speech = Speech(settings, uow, service)
    jobs = Jobs(settings, build_huey(settings), uow, service, sender, links, speech)
    return Platform(settings=settings, engine=engine, uow=uow, service=service,
                    sender=sender, links=links, jobs=jobs, speech=speech,
                    clock=clock or (lambda: datetime.now(UTC)))


def build_calendar(settings: Settings) -> CourtCalendar:
    start, end = settings.staffed_hours
    try:
        if settings.calendar_override:
            return CourtCalendar.from_file(settings.calendar_override, tz=settings.timezone,
                                           staffed_from=start, staffed_until=end)
        return CourtCalendar(tz=settings.timezone, staffed_from=start, staffed_until=end)
    except CalendarError as exc:
        raise SettingsError(str(exc)) from None


def build_sender(settings: Settings) -> SmsSender:
    """The SMS adapter the settings name: Twilio, or the fake that only logs (demo)."""
    if settings.sms_provider == "twilio":
        return TwilioSender(settings.twilio_account_sid, settings.twilio_auth_token,
                            settings.twilio_from, base_url=settings.twilio_base_url or None,
                            timeout=settings.sms_timeout_s)
    return LoggingFakeSender()


class LoggingFakeSender(FakeSender):
    """The demo's sender: every text goes to the log instead of a phone."""

    def send(self, to, body, *, status_callback=None):  # type: ignore[override]
        sent = super().send(to, body, status_callback=status_callback)
        log.info("SMS (not sent, sms_provider=fake) to %s: %s", to, body)
        return sent
