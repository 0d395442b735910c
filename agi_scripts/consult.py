"""``consult``: a seat asks to bring the judge of its caller's order into the call (R4.2,
R4.8). The hotline decides the number — the case's presiding judge, or its department's
head — and only for the seat that has the caller; the call is recorded as one placed for
the order (its outcome comes back through ``dialed``). Refused: nothing is set and the
dialplan hangs up."""

from __future__ import annotations

import logging

from agi_scripts import variables as V
from agi_scripts.registry import handler
from agi_scripts.server import AgiCall
from recordings.store import outbound_base
from workorder import outbound
from workorder.errors import DomainError
from workorder.models import Call, WorkOrder

log = logging.getLogger(__name__)


def decide(session, order_id: int, seat: str, uniqueid: str, now, patterns, tz) -> dict | None:
    order = session.get(WorkOrder, order_id)
    call = order and order.call_id and session.get(Call, order.call_id)
    if not call or call.seat != seat or call.ended_at is not None:
        return None  # only the seat talking with this order's caller
    target = outbound.judge_of(session, order)
    number = outbound.dialable(target.mobile, patterns)
    outbound.place(session, order.id, number, seat, "judge", seat, now, uniqueid=uniqueid)
    return {V.CONSULT: number, V.FILE: outbound_base(now, tz, uniqueid), V.ORDER: order.number}


@handler
async def consult(call: AgiCall) -> None:
    ctx = call.ctx
    raw, seat = call.arg(1).strip(), call.arg(2).strip()
    if not raw.isdigit():
        return
    try:
        values = await ctx.writer.run(decide, int(raw), seat, call.uniqueid, ctx.clock(),
                                      ctx.dial_patterns, ctx.calendar.tz)
    except DomainError as exc:
        log.warning("judge for order %s refused to %s: %s", raw, seat[:32], exc)
        return
    if values is None:
        log.warning("judge for order %s refused: %s has not got its caller", raw, seat[:32])
        return
    await call.set_variables(values)
