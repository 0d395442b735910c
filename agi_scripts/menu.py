"""``menu``: the caller's key (argument 1) on the n-th play (argument 2) → type (R3)."""

from __future__ import annotations

from agi_scripts import variables as V
from agi_scripts.registry import handler
from agi_scripts.server import AgiCall
from ivr.menu import MenuResult, decide
from workorder.registration import choose_type


def queue_for(order_type: int) -> str:
    """One queue per type, so seats can be given the types they are trained for."""
    return f"hotline-{order_type}"


@handler
async def menu(call: AgiCall) -> None:
    try:
        attempt = int(call.arg(2, "1"))
    except ValueError:
        attempt = 1
    decision = decide(call.arg(1), attempt)
    if decision.result is MenuResult.RETRY:
        await call.set_variable(V.MENU, decision.result.value)
        return
    order_type = decision.order_type
    assert order_type is not None
    at = call.ctx.clock()
    await call.ctx.writer.run(choose_type, call.uniqueid, order_type, attempt, at,
                              decision.result is MenuResult.CHOSEN)
    await call.set_variables({
        V.MENU: decision.result.value,
        V.TYPE: int(order_type),
        V.QUEUE: queue_for(int(order_type)),
    })
