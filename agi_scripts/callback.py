"""``callback``: the caller keeps their place as a callback order (R1 overflow, R2)."""

from __future__ import annotations

from agi_scripts import variables as V
from agi_scripts.registry import handler
from agi_scripts.server import AgiCall
from workorder.phone import PhoneError
from workorder.registration import leave_callback


@handler
async def callback(call: AgiCall) -> None:
    number = call.arg(1).strip() or None  # empty: call back the number that called
    try:
        await call.ctx.writer.run(leave_callback, call.uniqueid, number, call.ctx.clock())
    except PhoneError:  # no number, or not one: the dialplan asks again
        await call.set_variable(V.CALLBACK, "invalid")
        return
    await call.set_variable(V.CALLBACK, "ok")
