"""The recording store and the speech work, bound to the court's settings: used by the jobs
(hotline/jobs.py) and by the command line (hotline/cli/messages.py, recordings.py).

* :meth:`Speech.scan` — adopt orphans, check closed files, report vanished ones;
* :meth:`Speech.messages` — R6: the messages left before ``before`` become orders to
  confirm;
* :meth:`Speech.calls` — transcribe seat calls for the abusive/urgent flags (R4.7/R4.8);
* :meth:`Speech.retention` — delete what the court no longer keeps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from hotline.settings import Settings, SettingsError
from hotline.unit_of_work import UnitOfWork
from recordings import catalog, flags, pipeline, speech_models
from workorder import suggest
from workorder.orders import Service

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


class Speech:
    def __init__(self, settings: Settings, uow: UnitOfWork, service: Service) -> None:
        self.settings, self.uow, self.service = settings, uow, service

    def rules(self) -> pipeline.Rules:
        """The court's lexicons and type keywords; a bad file stops with where and why."""
        settings = self.settings
        try:
            return pipeline.Rules(flags.load(settings.lexicon_file or None),
                                  suggest.load(settings.type_keywords_file or None))
        except (flags.LexiconError, suggest.RulesError) as exc:
            raise SettingsError(str(exc)) from None

    def model_dir(self) -> Path | None:
        """The configured model, or None (logged) when it is not installed: messages are
        then queued for listening without a transcript rather than left waiting (R6)."""
        settings = self.settings
        path = settings.speech_models_dir / settings.speech_model
        if speech_models.is_model(path):
            return path
        log.warning("speech model %s is not installed in %s: messages are queued without "
                    "transcripts; install it with `hotline models install %s`",
                    settings.speech_model, settings.speech_models_dir, settings.speech_model)
        return None

    def scan(self, now: datetime | None = None) -> catalog.ScanReport:
        s = self.settings
        return catalog.scan(self.uow, s.recordings_dir, s.court_name, s.tz, now)

    def messages(self, before: datetime, workers: int | None = None,
                 progress: pipeline.Progress | None = None,
                 now: Clock = _now) -> pipeline.BatchReport:
        """R6: every message left before ``before`` and not yet processed."""
        return self._run("message", before, workers or self.settings.speech_workers,
                         progress, now)

    def calls(self, before: datetime, workers: int = 1,
              progress: pipeline.Progress | None = None,
              now: Clock = _now) -> pipeline.BatchReport | None:
        """Seat calls not yet transcribed; None without a model (nothing to do without
        one)."""
        if self.model_dir() is None:
            return None
        return self._run("call", before, workers, progress, now)

    def _run(self, kind: str, before: datetime, workers: int,
             progress: pipeline.Progress | None, now: Clock) -> pipeline.BatchReport:
        court_rules = self.rules()
        with pipeline.Analyser(self.model_dir(), workers) as analyser:
            return pipeline.process(self.uow, self.settings.recordings_dir, analyser,
                                    court_rules, kind, before, now=now, service=self.service,
                                    tz=self.settings.tz, progress=progress)

    def pending(self, kind: str, before: datetime) -> int:
        query = pipeline.due_query(kind, before, None).order_by(None).subquery()
        with self.uow() as s:
            return s.scalar(select(func.count()).select_from(query))

    def retention(self, now: datetime | None = None) -> catalog.RetentionReport:
        return catalog.retention(self.uow, self.settings.recordings_dir,
                                 self.settings.retention_days, now)
