"""The platform (诉讼服务平台) one process of the hotline runs on: everything built once at
start-up and handed to every entry point — the command line, the web pages, the FastAGI
server, the job worker, the benchmarks.

hotline/bootstrap.py builds it (:func:`hotline.bootstrap.build`) from the settings, with
the real adapters or the fakes a test passes in; nothing else builds one, and nothing
looks one up: whoever needs a part of it is given it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from hotline.jobs import Jobs
from hotline.settings import Settings
from hotline.sms import SmsSender
from hotline.speech import Speech
from hotline.unit_of_work import UnitOfWork
from hotline.web.links import Links
from workorder.calendar import CourtCalendar
from workorder.orders import Service

__all__ = ["Platform"]


@dataclass
class Platform:
    settings: Settings
    engine: Engine
    uow: UnitOfWork  # every change to the data goes through uow.begin()
    service: Service  # the work-order domain with the court's calendar and policy
    sender: SmsSender  # texts to judges and department heads (R5, R8)
    links: Links  # the signed links in the texts (feedback page, department page)
    jobs: Jobs  # the job engine: texts, the sweep, the recording store, speech
    speech: Speech  # transcription of messages and calls (R6, R4.7/R4.8)
    clock: Callable[[], datetime]

    @property
    def calendar(self) -> CourtCalendar:
        return self.service.calendar

    def close(self) -> None:
        """Release the database connections (the process may build another platform)."""
        self.engine.dispose()

    def __enter__(self) -> Platform:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
