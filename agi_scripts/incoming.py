"""``incoming``: register the call at once (R2) and say whether the line is open (R1/R6)."""

from __future__ import annotations

from agi_scripts import variables as V
from agi_scripts.registry import handler
from agi_scripts.server import AgiCall
from recordings.store import file_base
from workorder.line import ManualMode, decide_mode
from workorder.registration import Arrival, manual_mode, register_call


@handler
async def incoming(call: AgiCall) -> None:
    ctx = call.ctx
    arrival = Arrival(
        uniqueid=call.uniqueid,
        caller_id=call.headers.get("agi_callerid"),
        caller_name=call.headers.get("agi_calleridname"),
        at=ctx.clock(),
    )

    def register(session):
        mode = decide_mode(ManualMode(manual_mode(session)), ctx.calendar, arrival.at)
        return register_call(session, ctx.court, ctx.calendar.tz, arrival, mode)

    registered = await ctx.writer.run(register)
    await call.set_variables({
        V.MODE: registered.mode,
        V.ORDER: registered.order_number,
        V.FILE: file_base(arrival.at, ctx.calendar.tz, arrival.uniqueid),
    })
