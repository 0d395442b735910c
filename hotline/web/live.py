"""The line as the staff pages see it, live: one AMI connection per web process.

* The moment a seat rings (``AgentCalled``) its operator's panel gets the screen pop,
  pushed by server-sent events: who calls, the type chosen in the IVR, when the call
  entered the queue (the 10-second clock of R1 runs from there) and what the database
  knows of the caller. The pop is loaded once per call, however many seats ring.
* Then the seat hears how it ended: answered (here or elsewhere), not answered, the
  caller gone; and its own queue state (ready, paused with a reason, on a call).
* Seat actions (ready, pause, wrap-up), the supervisor's listen / whisper / barge
  (ChanSpy) and the wall board's snapshot (``QueueStatus``) go through the same
  connection.

When the PBX is not up yet the pages still work; the connection is retried every few
seconds and panoramisk reconnects by itself after a PBX restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from panoramisk import Manager

from hotline import ami, seat_state
from hotline.seat_state import WRAPUP
from hotline.settings import Settings

log = logging.getLogger(__name__)

SPY_OPTIONS = {"listen": "bqE", "whisper": "bqEw", "barge": "bqEB"}
SPY_ZH = {"listen": "监听", "whisper": "耳语", "barge": "强插"}
PopLoader = Callable[[str], dict]


@dataclass
class Waiting:
    uid: str
    queue: str
    caller: str
    first_joined: float  # epoch seconds the call first entered a queue (R1's clock)
    rung: set[str] = field(default_factory=set)  # seats rung for it


def _stamp(event: dict) -> float:
    """The event's own time (manager.conf timestampevents), else now."""
    try:
        return float(event.get("Timestamp") or 0) or time.time()
    except ValueError:
        return time.time()


class LiveLine:
    EVENTS = ("QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "AgentCalled",
              "AgentRingNoAnswer", "AgentConnect", "AgentComplete", "QueueMemberStatus",
              "QueueMemberPause")

    def __init__(self, settings: Settings, load_pop: PopLoader,
                 retry_s: float = 3.0) -> None:
        self.settings = settings
        self.load_pop = load_pop
        self.retry_s = retry_s
        self.manager: Manager | None = None
        self.waiting: dict[str, Waiting] = {}
        self.seats: dict[str, set[asyncio.Queue]] = {}
        self._pops: dict[str, asyncio.Future] = {}
        self._task: asyncio.Task | None = None
        self._snapshot: tuple[float, dict] | None = None
        self._snapshot_lock = asyncio.Lock()

    # ---- connection ----------------------------------------------------------------------
    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live-line")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                async with ami.connect(self.settings, events=True) as manager:
                    for name in self.EVENTS:
                        manager.register_event(name, self._on_event)
                    self.manager = manager
                    log.info("live line: AMI connected")
                    await self._seed()
                    await asyncio.Event().wait()  # panoramisk reconnects by itself
            except ami.AmiError as exc:
                log.debug("live line: %s; retrying", exc)
            finally:
                self.manager = None
            await asyncio.sleep(self.retry_s)

    @property
    def connected(self) -> bool:
        return self.manager is not None and self.manager.protocol is not None

    def _require(self) -> Manager:
        if not self.connected:
            raise ami.AmiError("电话系统暂未连接（PBX 未运行或正在重启），请稍后再试")
        return self.manager  # type: ignore[return-value]

    async def _seed(self) -> None:
        """Callers already waiting when the connection came up."""
        try:
            entries = await ami.queue_callers(self._require())
        except (TimeoutError, ami.AmiError):
            return
        now = time.time()
        for e in entries:
            uid = e.get("Uniqueid", "")
            wait = float(e.get("Wait") or 0)
            self.waiting.setdefault(uid, Waiting(uid, e.get("Queue", ""),
                                                 e.get("CallerIDNum", ""), now - wait))

    # ---- subscribers ---------------------------------------------------------------------
    def subscribe(self, seat: str) -> asyncio.Queue:
        q: asyncio.Queue = asyncio.Queue(maxsize=200)
        self.seats.setdefault(seat, set()).add(q)
        return q

    def unsubscribe(self, seat: str, q: asyncio.Queue) -> None:
        subs = self.seats.get(seat)
        if subs is not None:
            subs.discard(q)
            if not subs:
                del self.seats[seat]

    def push(self, seat: str, message: dict) -> None:
        for q in list(self.seats.get(seat, ())):
            if q.full():  # a page that stopped reading loses its oldest news, not the server
                with contextlib.suppress(asyncio.QueueEmpty):
                    q.get_nowait()
            q.put_nowait(message)

    # ---- events --------------------------------------------------------------------------
    async def _on_event(self, _manager: Manager, event) -> None:
        name = event.get("Event", "")
        if name not in self.EVENTS:
            return  # panoramisk matches names by prefix
        ev = {k: str(v) for k, v in dict(event).items()}
        try:
            await self.apply(name, ev)
        except Exception:
            log.exception("live line: could not handle %s", name)

    async def apply(self, name: str, ev: dict[str, str]) -> None:
        uid, at = ev.get("Uniqueid", ""), _stamp(ev)
        seat = ev.get("MemberName") or ""
        if name == "QueueCallerJoin":
            self._prune(at)
            w = self.waiting.get(uid)
            if w is None:
                self.waiting[uid] = Waiting(uid, ev.get("Queue", ""), ev.get("CallerIDNum", ""),
                                            at)
            else:
                w.queue = ev.get("Queue", "")  # overflowed: the clock keeps its start
        elif name in ("QueueCallerLeave", "QueueCallerAbandon"):
            # Leave also comes when the call is answered, or moves on at the 10 s target:
            # the entry is kept until the call is over (AgentConnect or a final leave).
            w = self.waiting.get(uid)
            if w is not None and name == "QueueCallerAbandon":
                for rung in w.rung:
                    self.push(rung, {"type": "gone", "uid": uid, "reason": "caller_left"})
                w.rung.clear()
        elif name == "AgentCalled":
            await self._pop(seat, uid, ev, at)
        elif name == "AgentRingNoAnswer":
            self.push(seat, {"type": "gone", "uid": uid, "reason": "no_answer"})
            if (w := self.waiting.get(uid)) is not None:
                w.rung.discard(seat)
        elif name == "AgentConnect":
            w = self.waiting.pop(uid, None)
            self.push(seat, {"type": "answered", "uid": uid, "at": at,
                             "hold_s": ev.get("HoldTime", "")})
            for other in (w.rung if w else set()) - {seat}:
                self.push(other, {"type": "gone", "uid": uid, "reason": "answered_elsewhere"})
            self._pops.pop(uid, None)
        elif name == "AgentComplete":
            self.push(seat, {"type": "ended", "uid": uid, "at": at,
                             "talk_s": ev.get("TalkTime", ""), "by": ev.get("Reason", "")})
        elif name in ("QueueMemberStatus", "QueueMemberPause"):
            self._snapshot = None
            self.push(seat, {"type": "state", "queue": ev.get("Queue", ""),
                             **seat_state.read([ev]).as_json()})
        if name in ("QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon",
                    "AgentConnect"):
            self._snapshot = None
        if name == "QueueCallerAbandon":
            # also sent when the Queue() time-out (the 10 s target) expires: the caller may
            # join the wider group next, and R1's clock keeps running from the first join
            self._pops.pop(uid, None)

    def _prune(self, now: float, keep_s: float = 3 * 3600) -> None:
        """Calls that ended without being answered are forgotten after a while."""
        for uid in [u for u, w in self.waiting.items() if w.first_joined < now - keep_s]:
            del self.waiting[uid]

    async def _pop(self, seat: str, uid: str, ev: dict[str, str], at: float) -> None:
        received = time.time()  # the event is being handled: from here on, the pop's load
        w = self.waiting.get(uid)
        if w is None:
            w = self.waiting[uid] = Waiting(uid, ev.get("Queue", ""), ev.get("CallerIDNum", ""),
                                            at)
        w.rung.add(seat)
        if not self.seats.get(seat):
            return  # nobody has this seat's panel open
        future = self._pops.get(uid)
        if future is None:
            future = self._pops[uid] = asyncio.ensure_future(asyncio.to_thread(self.load_pop,
                                                                               uid))
        try:
            data = await asyncio.shield(future)
        except Exception:
            log.exception("live line: screen pop of %s", uid)
            self._pops.pop(uid, None)
            data = {"error": "工单信息读取失败，请按来电号码查询"}
        self.push(seat, {**data, "type": "pop", "uid": uid, "queue": w.queue,
                         "caller": data.get("caller") or ev.get("CallerIDNum", ""),
                         "queued_at": w.first_joined, "ami_ts": at, "recv_ts": received,
                         "sent_ts": time.time(),
                         "target_s": self.settings.answer_target_s})

    # ---- actions -------------------------------------------------------------------------
    async def seat_state(self, seat: str, queues: list[str], state: str, reason: str = "") -> None:
        """ready: in the queues and unpaused; pause (with a reason) and wrapup: paused, so no
        call rings; offline: out of the queues."""
        manager = self._require()
        if state == "offline":
            await ami.seat_logout(manager, seat, queues)
        else:
            await ami.seat_login(manager, seat, queues)
            await ami.seat_pause(manager, seat, state != "ready",
                                 WRAPUP if state == "wrapup" else reason)
        self._snapshot = None

    async def state_of(self, seat: str) -> seat_state.SeatState | None:
        """The seat's state as the PBX has it now; None when the PBX cannot say."""
        try:
            members = (await self.snapshot())["members"]
        except (TimeoutError, ami.AmiError):
            return None
        return seat_state.read(m for m in members if m.get("Name") == seat)

    async def action(self, **fields) -> dict:
        """One AMI action on the live connection (a call the panel places)."""
        return await ami.action(self._require(), **fields)

    async def spy(self, supervisor_seat: str, target_seat: str, mode: str) -> None:
        """Ring the supervisor's own phone; when it answers it hears (listen), speaks to the
        operator only (whisper) or joins the call (barge)."""
        await ami.action(self._require(), Action="Originate", Channel=f"PJSIP/{supervisor_seat}",
                         Application="ChanSpy",
                         Data=f"PJSIP/{target_seat}-,{SPY_OPTIONS[mode]}",
                         CallerID=f'"spy-{mode}-{target_seat}" <{target_seat}>',
                         Async="true", Timeout="20000")

    async def snapshot(self, max_age_s: float = 1.0) -> dict:
        """Queue members and waiting callers, shared by every console open (at most one
        QueueStatus per ``max_age_s``)."""
        async with self._snapshot_lock:
            now = time.monotonic()
            if self._snapshot is not None and now - self._snapshot[0] < max_age_s:
                return self._snapshot[1]
            manager = self._require()
            resp = await asyncio.wait_for(
                manager.send_action({"Action": "QueueStatus"}, as_list=True), 15)
            rows = [dict(m) for m in resp]
            data = {"members": [r for r in rows if r.get("Event") == "QueueMember"],
                    "entries": [r for r in rows if r.get("Event") == "QueueEntry"]}
            self._snapshot = (time.monotonic(), data)
            return data

