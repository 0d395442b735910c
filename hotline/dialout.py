"""Placing a call for an order: the seat's phone rings first; once it answers, the PBX
dials the party through the carrier trunk (dialplans/extensions.conf, hotline-out) and
records the call. The hotline checks the number first (workorder/outbound.py); the PBX
checks it again. What became of the call comes back through the ``dialed`` FastAGI
handler; a seat that does not answer is recorded here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agi_scripts import variables as V
from hotline import ami
from hotline.platform import Platform
from recordings.store import outbound_base
from workorder import outbound
from workorder.models import WorkOrder
from workorder.outbound import DialRefused

OUT_CONTEXT = "hotline-out"
SEAT_RING_S = 20  # the seat's phone rings this long before the call is given up


@dataclass(frozen=True)
class Placed:
    uniqueid: str
    number: str
    seat: str
    order_number: str
    outcome: str | None  # None: the seat answered and the party is being dialled


async def place_call(platform: Platform, order_id: int, raw_number: str, seat: str,
                     purpose: str, by: str, callback_id: int | None = None,
                     seat_ring_s: float = SEAT_RING_S) -> Placed:
    """Ring ``seat``, then dial ``raw_number`` for the order. :class:`DialRefused` (nothing
    dialled) for a number outside ``dial_allow`` or with no outbound trunk."""
    settings = platform.settings
    number = outbound.dialable(raw_number, settings.dial_patterns)
    if not settings.trunk_port:
        raise DialRefused("no outbound trunk: set trunk_port (and trunk_ip) to the carrier's "
                          "SIP address; nothing was dialled")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", seat):
        raise DialRefused(f"{seat!r} is not a seat name")
    now = platform.clock()
    with platform.uow.begin() as s:
        call = outbound.place(s, order_id, number, seat, purpose, by, now, callback_id)
        uniqueid = call.uniqueid
        order_number = s.get(WorkOrder, order_id).number
    file = outbound_base(now, settings.tz, uniqueid)
    label = "回电" if purpose == "callback" else "外呼"
    try:
        async with ami.connect(settings) as manager:
            await ami.action(
                manager, wait_s=seat_ring_s + 10, Action="Originate", Channel=f"PJSIP/{seat}", Context=OUT_CONTEXT,
                Exten=number, Priority="1", Async="false", ChannelId=uniqueid,
                Timeout=str(int(seat_ring_s * 1000)),
                CallerID=f'"{label} {number} {order_number}" <{number}>',
                Variable=[f"{V.FILE}={file}", f"{V.ORDER}={order_number}"])
    except ami.AmiError as exc:
        # the seat did not answer (or the PBX refused the call): nothing was dialled
        outcome = "seat_missed" if "Originate failed" in str(exc) else "not_placed"
        with platform.uow.begin() as s:
            outbound.finish(s, uniqueid, outcome, platform.clock(), cause=str(exc)[:64])
        return Placed(uniqueid, number, seat, order_number, outcome)
    return Placed(uniqueid, number, seat, order_number, None)
