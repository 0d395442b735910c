"""Placing a call for an order: the seat's phone rings first; once it answers, the PBX
dials the party through the carrier trunk (dialplans/extensions.conf, hotline-out) and
records the call. The hotline checks the number first (workorder/outbound.py); the PBX
checks it again. What became of the call comes back through the ``dialed`` FastAGI
handler; a seat that does not answer is recorded here.

The command line and the panel both come here: the panel with its own unit of work and
its live AMI connection (hotline/web/live.py), the command line with new ones.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from agi_scripts import variables as V
from hotline import ami
from hotline.platform import Platform
from recordings.store import outbound_base
from workorder import outbound
from workorder.models import WorkOrder
from workorder.outbound import DialRefused

OUT_CONTEXT = "hotline-out"
SEAT_RING_S = 20  # the seat's phone rings this long before the call is given up
T = TypeVar("T")
Db = Callable[[Callable[[Session], T]], Awaitable[T]]  # fn(session) in one unit of work
Send = Callable[..., Awaitable[dict]]  # one AMI action


@dataclass(frozen=True)
class Placed:
    uniqueid: str
    number: str
    seat: str
    order_number: str
    outcome: str | None  # None: the seat answered and the party is being dialled


def thread_db(platform: Platform) -> Db:
    """A unit of work per call, on a worker thread (the command line's)."""
    def in_unit(fn: Callable[[Session], Any]) -> Any:
        with platform.uow.begin() as session:
            return fn(session)
    return lambda fn: asyncio.to_thread(in_unit, fn)


async def place_call(platform: Platform, order_id: int, raw_number: str, seat: str,
                     purpose: str, by: str, callback_id: int | None = None, *,
                     db: Db | None = None, send: Send | None = None,
                     seat_ring_s: float = SEAT_RING_S) -> Placed:
    """Ring ``seat``, then dial ``raw_number`` for the order. :class:`DialRefused` (nothing
    dialled) for a number outside ``dial_allow``, with no outbound trunk, or for a
    callback already being made."""
    settings = platform.settings
    number = outbound.dialable(raw_number, settings.dial_patterns)
    if not settings.trunk_port:
        raise DialRefused("no outbound trunk: set trunk_port (and trunk_ip) to the carrier's "
                          "SIP address; nothing was dialled")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", seat):
        raise DialRefused(f"{seat!r} is not a seat name")
    db = db or thread_db(platform)
    now = platform.clock()

    def record(session: Session) -> tuple[str, str]:
        call = outbound.place(session, order_id, number, seat, purpose, by, now, callback_id)
        return call.uniqueid, session.get(WorkOrder, order_id).number

    uniqueid, order_number = await db(record)
    label = "回电" if purpose == "callback" else "外呼"
    fields = dict(
        wait_s=seat_ring_s + 10, Action="Originate", Channel=f"PJSIP/{seat}",
        Context=OUT_CONTEXT, Exten=number, Priority="1", Async="false", ChannelId=uniqueid,
        Timeout=str(int(seat_ring_s * 1000)),
        CallerID=f'"{label} {number} {order_number}" <{number}>',
        Variable=[f"{V.FILE}={outbound_base(now, settings.tz, uniqueid)}",
                  f"{V.ORDER}={order_number}"])
    try:
        if send is not None:
            await send(**fields)
        else:
            async with ami.connect(settings) as manager:
                await ami.action(manager, **fields)
    except ami.AmiError as exc:
        # the seat did not answer (or the PBX refused the call): nothing was dialled
        outcome = "seat_missed" if "Originate failed" in str(exc) else "not_placed"
        why = str(exc)[:64]
        await db(lambda s: outbound.finish(s, uniqueid, outcome, platform.clock(), cause=why))
        return Placed(uniqueid, number, seat, order_number, outcome)
    return Placed(uniqueid, number, seat, order_number, None)
