"""``overflow``: nobody answered within the target (R1): record the breach, for a call
waiting in the queue only (agi_scripts/waiting.py)."""

from __future__ import annotations

from agi_scripts.registry import handler
from agi_scripts.server import AgiCall
from agi_scripts.waiting import for_waiting_call
from workorder.registration import record_overflow


@handler
async def overflow(call: AgiCall) -> None:
    status = call.arg(1, "TIMEOUT")[:16]
    await for_waiting_call(call, "overflow", record_overflow, call.ctx.clock(), status)
