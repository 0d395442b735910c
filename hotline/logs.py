"""The hotline's log lines: stamped in the court's time with its offset
(``2026-12-07 09:15:02+08:00 INFO hotline.running: …``), like everything else the staff
read — pages, texts, the command line. Every entry point (``serve``, ``up``, ``worker``,
the FastAGI server inside them, any command) logs through the root logger the command
line sets up here. Asterisk's own log stamps each line with its offset too
(asterisk_conf/logger.conf)."""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CHATTY = ("panoramisk", "alembic")  # at INFO they say nothing the staff need


class CourtTimeFormatter(logging.Formatter):
    """A record's instant in the court's time zone, to the second, with the offset."""

    def __init__(self, tz: tzinfo, fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created, self.tz).isoformat(sep=" ",
                                                                         timespec="seconds")


def configure(tz: tzinfo, verbose: bool = False) -> None:
    """Log to stderr in court time (a process that already logs somewhere keeps that)."""
    handler = logging.StreamHandler()
    handler.setFormatter(CourtTimeFormatter(tz))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    for chatty in CHATTY:
        logging.getLogger(chatty).setLevel(logging.DEBUG if verbose else logging.WARNING)
