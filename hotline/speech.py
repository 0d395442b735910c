"""The recording store and speech work wired to the settings: used by the jobs
(hotline/jobs.py) and by the command line (hotline/cli_messages.py).

* :func:`scan` — adopt orphans, check closed files, report vanished ones;
* :func:`messages` — R6: the messages left before ``before`` become orders to confirm;
* :func:`calls` — transcribe seat calls for the abusive/urgent flags (R4.7/R4.8);
* :func:`retention` — delete what the court no longer keeps.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from hotline import bootstrap
from hotline.settings import Settings, SettingsError
from recordings import catalog, flags, pipeline, speech_models
from workorder import suggest

log = logging.getLogger(__name__)


def rules(settings: Settings) -> pipeline.Rules:
    """The court's lexicons and type keywords; a bad file stops with where and why."""
    try:
        return pipeline.Rules(flags.load(settings.lexicon_file or None),
                              suggest.load(settings.type_keywords_file or None))
    except (flags.LexiconError, suggest.RulesError) as exc:
        raise SettingsError(str(exc)) from None


def model_dir(settings: Settings) -> Path | None:
    """The configured model, or None (logged) when it is not installed: messages are then
    queued for listening without a transcript rather than left waiting (R6)."""
    path = settings.speech_models_dir / settings.speech_model
    if speech_models.is_model(path):
        return path
    log.warning("speech model %s is not installed in %s: messages are queued without "
                "transcripts; install it with `hotline models install %s`",
                settings.speech_model, settings.speech_models_dir, settings.speech_model)
    return None


def scan(settings: Settings, now: datetime | None = None) -> catalog.ScanReport:
    return catalog.scan(bootstrap.sessions(settings), settings.recordings_dir,
                        settings.court_name, settings.tz, now)


def messages(settings: Settings, before: datetime, workers: int | None = None,
             progress: pipeline.Progress | None = None,
             now=lambda: datetime.now(UTC)) -> pipeline.BatchReport:
    """R6: every message left before ``before`` and not yet processed."""
    return _run(settings, "message", before, workers or settings.speech_workers, progress, now)


def calls(settings: Settings, before: datetime, workers: int = 1,
          progress: pipeline.Progress | None = None,
          now=lambda: datetime.now(UTC)) -> pipeline.BatchReport | None:
    """Seat calls not yet transcribed; None without a model (nothing to do without one)."""
    if model_dir(settings) is None:
        return None
    return _run(settings, "call", before, workers, progress, now)


def _run(settings, kind, before, workers, progress, now) -> pipeline.BatchReport:
    court_rules = rules(settings)
    service = bootstrap.build_service(settings)
    with pipeline.Analyser(model_dir(settings), workers) as analyser:
        return pipeline.process(bootstrap.sessions(settings), settings.recordings_dir,
                                analyser, court_rules, kind, before, now=now,
                                service=service, tz=settings.tz, progress=progress)


def pending(settings: Settings, kind: str, before: datetime) -> int:
    query = pipeline.due_query(kind, before, None).order_by(None).subquery()
    with bootstrap.sessions(settings)() as s:
        return s.scalar(select(func.count()).select_from(query))


def retention(settings: Settings, now: datetime | None = None) -> catalog.RetentionReport:
    return catalog.retention(bootstrap.sessions(settings), settings.recordings_dir,
                             settings.retention_days, now)
