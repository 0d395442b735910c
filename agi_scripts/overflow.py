"""``overflow``: nobody answered within the target (R1): record the breach."""

from __future__ import annotations

from agi_scripts.registry import handler
from agi_scripts.server import AgiCall
from workorder.registration import record_overflow


@handler
async def overflow(call: AgiCall) -> None:
    status = call.arg(1, "TIMEOUT")[:16]
    await call.ctx.writer.run(record_overflow, call.uniqueid, call.ctx.clock(), status)
