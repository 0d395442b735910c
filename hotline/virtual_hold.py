"""Virtual hold on the PBX (workorder/virtual_hold.py is the record): during staffed hours,
each waiting callback is put into the queue of its type as a placeholder — a Local
channel whose queue half waits where the caller would stand, in order of arrival among
the callers waiting there — and the first free seat that serves the type takes it. The
seat hears who it is; the other half then dials the party through the trunk
(dialplans/extensions.conf: hotline-vhold, hotline-out).

`hotline serve` runs :meth:`Dispatcher.run` beside the AMI listener. Each round reads the
queues once (QueueStatus), claims each due request (one dispatcher wins a request), places
its placeholder, and gives back requests whose placing was never confirmed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from panoramisk import Manager

from agi_scripts import variables as V
from hotline import ami
from hotline.db import DbWriter
from hotline.platform import Platform
from recordings.store import outbound_base
from workorder import virtual_hold as vh
from workorder.line import ManualMode, decide_mode
from workorder.registration import manual_mode

log = logging.getLogger(__name__)
ROUND_S = 2.0
LEASE = timedelta(seconds=20)  # a claim never confirmed as placed is given back after this
RETRY_AFTER_FAILURE = timedelta(seconds=30)  # the PBX refused to place one: not every round
REENTER_S = 600  # a placeholder waits this long at most, then is put in again (its place kept)


def said(number: str, order_number: str) -> str:
    """What the seat that takes a callback hears read out after the type: the number's
    digits, then (after "o", the prompt 工单尾号) the order's last four digits."""
    digits = "".join(d for d in number if d.isdigit())
    tail = "".join(d for d in order_number if d.isdigit())[-4:]
    return f"{digits}o{tail}"


class Dispatcher:
    def __init__(self, platform: Platform, writer: DbWriter) -> None:
        self.platform = platform
        self.writer = writer
        self.placed = 0

    def _open_until(self, session, now: datetime) -> float | None:
        """Seconds the line stays staffed from ``now``; None when it is closed."""
        cal = self.platform.calendar
        manual = ManualMode(manual_mode(session))
        mode, _why = decide_mode(manual, cal, now)
        if mode != "open":
            return None
        if manual is ManualMode.OPEN or not cal.is_open(now):
            return REENTER_S
        closing = now.astimezone(cal.tz).replace(
            hour=cal.staffed_until.hour, minute=cal.staffed_until.minute, second=0,
            microsecond=0)
        return max(5.0, min(REENTER_S, (closing - now).total_seconds()))

    async def round(self, manager: Manager) -> int:
        """One round; how many placeholders it put in a queue."""
        now = self.platform.clock()

        def look(session):
            return (self._open_until(session, now), [a.id for a in vh.due(session, now)],
                    {p: a.arrived_at for p, a in vh.queued(session).items()},
                    vh.stale(session, now, LEASE))

        open_for, due, placeholders, stale = await self.writer.run(look)
        if open_for is None or not (due or stale):
            return 0
        entries = await ami.queue_callers(manager)
        present = {e.get("Uniqueid", "") for e in entries}
        for placeholder in stale:  # a dispatcher stopped between claiming and placing
            if placeholder in present:
                await self.writer.run(vh.originated, placeholder, now)
            else:
                await self.writer.run(vh.release, placeholder, now, "never placed")
        waiting: dict[str, list[datetime]] = {}
        for e in entries:
            uid = e.get("Uniqueid", "")
            arrived = placeholders.get(uid) or now - timedelta(seconds=ami._int(e.get("Wait")) or 0)
            waiting.setdefault(e.get("Queue", ""), []).append(arrived)
        placed = 0
        for auto_id in due:
            claimed = await self.writer.run(vh.claim, auto_id, now)
            if claimed is None:
                continue  # another dispatcher took it
            queue = f"hotline-{claimed.order_type}"
            position = vh.position(claimed.arrived_at, waiting.get(queue, []))
            try:
                await self._place(manager, claimed, position, open_for)
            except ami.AmiError as exc:
                log.warning("callback %s not placed: %s", claimed.auto_id, exc)
                await self.writer.run(vh.release, claimed.placeholder, now, str(exc)[:60],
                                      RETRY_AFTER_FAILURE)
                continue
            await self.writer.run(vh.originated, claimed.placeholder, now)
            waiting.setdefault(queue, []).append(claimed.arrived_at)
            placed += 1
        self.placed += placed
        return placed

    async def _place(self, manager: Manager, c: vh.Claimed, position: int,
                     wait_s: float) -> None:
        settings = self.platform.settings
        file = outbound_base(self.platform.clock(), settings.tz, c.attempt)
        await ami.action(
            manager, Action="Originate", Channel=f"Local/{c.order_type}@hotline-vhold/n",
            Context="hotline-out", Exten=c.number, Priority="1", Async="true",
            ChannelId=c.attempt, OtherChannelId=c.placeholder,
            # the placeholder must outlast its wait in the queue (Originate's own time-out
            # would hang it up after 30 s)
            Timeout=str(int((wait_s + 60) * 1000)),
            CallerID=f'"回电-{c.order_type}-{c.order_number}" <{c.number}>',
            Variable=[f"{V.VHOLD_POSITION}={position}", f"{V.VHOLD_WAIT}={int(wait_s)}",
                      f"{V.VHOLD_SAY}={said(c.number, c.order_number) if settings.vhold_announce else ''}",
                      f"{V.FILE}={file}", f"{V.ORDER}={c.order_number}"])

    async def run(self, manager: Manager, every: float = ROUND_S) -> None:
        while True:
            try:
                await self.round(manager)
            except ami.AmiError as exc:
                log.warning("virtual hold: %s", exc)
            except Exception:
                log.exception("virtual hold round failed")
            await asyncio.sleep(every)
