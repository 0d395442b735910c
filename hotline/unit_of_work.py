"""The unit of work: the one way anything changes the hotline's data.

Every entry point — a command, a page, a FastAGI handler, a job — makes its change inside
:meth:`UnitOfWork.begin`: one transaction, committed when the block ends or rolled back if
it raises. The texts the change wrote to the outbox (a dispatch, an urgent report, a
reminder: rows of ``notices``, R5, R4.8, R8) are handed to the job engine **once the
transaction is committed**, never before: a text is never sent for a change that did not
happen, and never waits for the minute job because it was written outside the command
line. The outbox row stays the truth: if the job engine cannot take the hand-over, the
minute job still finds the row (R5).

``uow()`` gives a session for reading. Both ``begin()`` and ``uow()`` are shaped like a
SQLAlchemy ``sessionmaker``'s, so the domain's functions that run their own short
transactions (the sweep, the outbox's delivery, the recording store) take either.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from workorder.notices import Notice

log = logging.getLogger(__name__)
_TEXTS = "hotline.texts_written"  # Session.info key: the outbox rows this session added
TextsWritten = Callable[[list[tuple[int, datetime]]], None]

__all__ = ["TextsWritten", "UnitOfWork"]


def _note_text(session: Session, obj: object) -> None:
    if isinstance(obj, Notice):
        # a strong reference: the session itself keeps only weak ones once flushed
        session.info.setdefault(_TEXTS, []).append(obj)


class UnitOfWork:
    """Transactions on ``sessions`` that hand the texts they wrote to ``texts_written``
    (``[(notice id, not before)]``) after they commit."""

    def __init__(self, sessions: sessionmaker, texts_written: TextsWritten | None = None
                 ) -> None:
        self._sessions = sessions
        self.texts_written = texts_written
        event.listen(sessions, "transient_to_pending", _note_text)

    @property
    def bind(self):
        """The engine the transactions run on."""
        return self._sessions.kw["bind"]

    def __call__(self) -> Session:
        """A session for reading (use it as a context manager); changes go through
        :meth:`begin`."""
        return self._sessions()

    @contextlib.contextmanager
    def begin(self) -> Iterator[Session]:
        """One transaction: committed at the end of the block, rolled back if it raises;
        then the texts it wrote are handed over."""
        session = self._sessions()
        try:
            with session.begin():
                yield session
            written = session.info.pop(_TEXTS, [])
        finally:
            session.close()
        # Only what was committed: a text added and then rolled back (a refused save that
        # rolls back itself) has no identity any more.
        texts = [(n.id, n.next_attempt_at) for n in written if inspect(n).has_identity]
        if texts:
            self.hand_over(texts)

    def hand_over(self, texts: list[tuple[int, datetime]]) -> None:
        if self.texts_written is None:
            return
        try:
            self.texts_written(texts)
        except Exception:  # the outbox row is the truth; the hand-over is only a shortcut
            log.exception("texts %s are in the outbox but could not be handed to the job "
                          "engine; the minute job will send them", [t[0] for t in texts])
