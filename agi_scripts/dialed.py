"""``dialed``: what became of a call the hotline placed (hotline-out's hang-up extension):
Asterisk's DIALSTATUS, the party's Q.850 cause, the talk time and the recording's name.
The call's row is found by the seat leg's channel id, which the hotline gave it; a
callback's outcome then settles its virtual-hold request (retried, done or deferred)."""

from __future__ import annotations

from agi_scripts.registry import handler
from agi_scripts.server import AgiCall
from recordings.store import is_outbound_base
from workorder import outbound, virtual_hold


def settle(session, uniqueid: str, status: str, cause: str, talk: str, file: str, now,
           cal, policy, retry) -> None:
    code = int(cause) if cause.isdigit() else None
    outcome = "not_placed" if status == "REFUSED" else outbound.outcome_of(status, code)
    # only a name the hotline gave; MixMonitor closes the file as the channel goes, just after
    rel = f"{file}.wav" if is_outbound_base(file) else None
    placed = outbound.finish(session, uniqueid, outcome, now,
                             cause=f"{status or 'none'}/{cause or '-'}",
                             talk_s=int(talk) if talk.isdigit() else None, recording=rel)
    if placed is not None and placed.callback_id is not None:
        virtual_hold.settle(session, cal, policy, placed, now, retry)


@handler
async def dialed(call: AgiCall) -> None:
    ctx = call.ctx
    await ctx.writer.run(settle, call.uniqueid, call.arg(1).strip().upper(), call.arg(2).strip(),
                         call.arg(3).strip(), call.arg(4).strip(), ctx.clock(), ctx.calendar,
                         ctx.policy, ctx.retry)
