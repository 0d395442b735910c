"""``message``: register the message file Asterisk wrote (R6). Runs in the hang-up
extension too, so a caller who hangs up instead of pressing # still leaves a message."""

from __future__ import annotations

import logging

from agi_scripts.registry import handler
from agi_scripts.server import AgiCall
from recordings.catalog import leave_message
from recordings.store import OutsideStore, has_audio, relative

log = logging.getLogger(__name__)


@handler
async def message(call: AgiCall) -> None:
    ctx = call.ctx
    try:
        rel = relative(ctx.recordings_dir, call.arg(1))
    except OutsideStore as exc:
        log.warning("message for %s ignored: %s", call.uniqueid, exc)
        return
    exists = has_audio(ctx.recordings_dir / rel)
    await ctx.writer.run(leave_message, call.uniqueid, rel, ctx.clock(), exists)
