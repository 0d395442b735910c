"""``vhold``: a callback's placeholder left its queue without a seat (its wait over, the
line closing): the request waits again in its place (workorder/virtual_hold.py)."""

from __future__ import annotations

import logging

from agi_scripts.registry import handler
from agi_scripts.server import AgiCall
from workorder import virtual_hold

log = logging.getLogger(__name__)


@handler
async def vhold(call: AgiCall) -> None:
    why = call.arg(1).strip()[:20] or "left"
    released = await call.ctx.writer.run(virtual_hold.release, call.uniqueid, call.ctx.clock(),
                                         f"left the queue: {why}")
    if released:
        log.info("callback placeholder %s left its queue (%s): waits again", call.uniqueid, why)
