"""The cross-check of ``overflow`` and ``callback``: they act only for a call the hotline
knows is waiting in a queue now — registered by ``incoming``, offered to a queue (the AMI
timeline's QueueCallerJoin), not answered, not ended. A request for any other channel id
(forged, replayed, or for a call long over) changes nothing: no breach counted against
R1, no callback (R10) to a number somebody typed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from agi_scripts.server import AgiCall
from workorder.models import Call

log = logging.getLogger(__name__)
T = TypeVar("T")


def is_waiting(session: Session, uniqueid: str) -> bool:
    row = session.execute(select(Call.offered_at, Call.answered_at, Call.ended_at)
                          .where(Call.uniqueid == uniqueid)).first()
    return (row is not None and row.offered_at is not None and row.answered_at is None
            and row.ended_at is None)


async def for_waiting_call(call: AgiCall, what: str, fn: Callable[..., T],
                           *args: object) -> T | None:
    """``fn(session, uniqueid, *args)`` in the writer's transaction if the call is waiting
    in a queue; otherwise None and a log line."""

    def guarded(session: Session) -> T | None:
        if not is_waiting(session, call.uniqueid):
            return None
        return fn(session, call.uniqueid, *args)

    done = await call.ctx.writer.run(guarded)
    if done is None:
        log.warning("%s for %r refused: not a call waiting in a queue", what,
                    call.uniqueid[:64])
    return done
