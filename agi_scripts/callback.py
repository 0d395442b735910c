"""``callback``: the caller keeps their place as a callback order (R1 overflow, R2), for a
call waiting in the queue only (agi_scripts/waiting.py); refused, the dialplan takes a
message instead."""

from __future__ import annotations

from agi_scripts import variables as V
from agi_scripts.registry import handler
from agi_scripts.server import AgiCall
from agi_scripts.waiting import for_waiting_call
from workorder import virtual_hold
from workorder.phone import PhoneError
from workorder.registration import leave_callback


@handler
async def callback(call: AgiCall) -> None:
    number = call.arg(1).strip() or None  # empty: call back the number that called
    try:
        target = await for_waiting_call(call, "callback", leave_callback, number,
                                        call.ctx.clock())
    except PhoneError:  # no number, or not one: the dialplan asks again
        await call.set_variable(V.CALLBACK, "invalid")
        return
    if target is not None:
        ctx = call.ctx
        if ctx.vhold:  # called back by the first free seat, in the caller's place
            await ctx.writer.run(virtual_hold.request, ctx.calendar, ctx.policy,
                                 call.uniqueid, ctx.clock())
        await call.set_variable(V.CALLBACK, "ok")
