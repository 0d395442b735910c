"""AMI (Asterisk Manager Interface) through panoramisk: the call timeline listener, placing
calls (Originate) and managing seats in the queues (QueueAdd / QueuePause)."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from panoramisk import Manager
from sqlalchemy import select
from sqlalchemy.orm import Session

from agi_scripts.variables import CALLER_LISTEN, CALLER_TONE
from hotline.db import DbWriter
from hotline.settings import Settings
from recordings.models import Recording
from recordings.store import CALLS, file_base
from workorder import virtual_hold
from workorder.errors import DomainError
from workorder.models import Call
from workorder.registration import record_event
from workorder.types import CallOutcome

log = logging.getLogger(__name__)
OVERFLOW_QUEUE = "hotline-overflow"
PLACEHOLDER_PREFIX = virtual_hold.PLACEHOLDER_PREFIX
TYPE_QUEUES = [f"hotline-{n}" for n in range(1, 7)]


class AmiError(Exception):
    """The PBX cannot be reached or refused an action; the message says what to check."""


class InvalidCall(DomainError):
    """The call asked for cannot be placed as given (caller, keys, sound file, route)."""


@asynccontextmanager
async def connect(settings: Settings, events: bool = False, timeout: float = 10.0):
    """A logged-in panoramisk Manager; AmiError with a clear reason otherwise."""
    manager = Manager(
        loop=asyncio.get_running_loop(), host=settings.bind_host, port=settings.ami_port,
        username=settings.ami_user, secret=settings.ami_secret,
        events="on" if events else "off", ping_delay=10, ping_interval=10,
    )
    try:
        await manager.connect()
    except OSError as exc:
        raise AmiError(f"cannot reach AMI on {settings.bind_host}:{settings.ami_port} ({exc}); "
                       "is the PBX running? (`hotline pbx status`)") from None
    if manager.protocol is None:
        # panoramisk retries in the background when the connection fails
        manager.close()
        raise AmiError(f"cannot reach AMI on {settings.bind_host}:{settings.ami_port}; "
                       "is the PBX running? (`hotline pbx status`)")
    deadline = asyncio.get_running_loop().time() + timeout
    while manager.authenticated_future is not None:
        if asyncio.get_running_loop().time() > deadline:
            manager.close()
            raise AmiError("AMI did not answer the login in time")
        await asyncio.sleep(0.02)
    if not manager.authenticated:
        manager.close()
        raise AmiError(f"AMI refused user {settings.ami_user!r}; check ami_secret")
    try:
        yield manager
    finally:
        manager.close()


async def action(manager: Manager, wait_s: float = 15.0, **fields: str) -> dict:
    """One AMI action; AmiError when Asterisk says it failed (or said nothing in
    ``wait_s`` seconds)."""
    for key, value in fields.items():
        if "\r" in str(value) or "\n" in str(value):
            raise AmiError(f"{key} must not contain line breaks")
    try:
        resp = await asyncio.wait_for(manager.send_action(dict(fields), as_list=False), wait_s)
    except TimeoutError:
        raise AmiError(f"{fields.get('Action')}: no answer from the PBX in {wait_s:g} s") from None
    if str(resp.get("Response", "")).lower() == "error":
        raise AmiError(f"{fields.get('Action')}: {resp.get('Message', 'failed')}")
    return dict(resp)


# ---- placing a call -----------------------------------------------------------------------
_CALLER = re.compile(r"^[^\x00-\x1f<>\"]{0,80}$")
_KEYS = re.compile(r"^[0-9*#wW]{0,32}$")


def validate_call(caller: str, keys: str) -> None:
    if not _CALLER.match(caller):
        raise InvalidCall("--caller: at most 80 characters, no control characters, < > or \"")
    if not _KEYS.match(keys):
        raise InvalidCall("--keys: digits, * and #, with w (0.5 s) or W (1 s) pauses; at most 32")


async def originate(
    manager: Manager, caller: str, keys: str, delay: float = 2.0, stay: float = 30.0,
    say: str = "", via: str = "local", tone: int = 0, listen: str = "",
) -> str:
    """Place a call into the hotline through a Local channel: Asterisk runs the real
    dialplan for it (AGI, menu, queue) while the far end presses ``keys``. Returns the
    hotline side's channel id (the ``uniqueid`` of the call record): a Local channel's
    second half carries the id given to the first with ``;2`` appended."""
    validate_call(caller, keys)
    if not re.fullmatch(r"[A-Za-z0-9_./-]{0,200}", say):
        raise InvalidCall("--say: a sound file path without its extension")
    if tone and not 100 <= tone <= 3400:
        raise InvalidCall("--tone: a frequency from 100 to 3400 Hz (the telephone band)")
    if not re.fullmatch(r"(/[A-Za-z0-9_.-]+)*", listen) or ".." in listen:
        raise InvalidCall("--listen: an absolute path prefix of letters, digits, _ . -")
    if via not in ("local", "sip"):
        raise InvalidCall("--via: local (a Local channel) or sip (through the SIP trunk)")
    call_id = f"hl-{uuid.uuid4().hex[:16]}"
    channel = "Local/12368@hotline" if via == "local" else "PJSIP/12368@selftest"
    await action(
        manager, Action="Originate", Channel=channel,
        Context="hotline-caller", Exten="s", Priority="1",
        CallerID=f'"{caller}" <{caller}>' if caller else "", Async="true", Timeout="30000",
        ChannelId=call_id,
        Variable=[f"HOTLINE_CALLER_KEYS={keys}", f"HOTLINE_CALLER_DELAY={delay:g}",
                  f"HOTLINE_CALLER_STAY={stay:g}", f"HOTLINE_CALLER_SAY={say}",
                  f"{CALLER_TONE}={tone or ''}", f"{CALLER_LISTEN}={listen}"],
    )
    # Through SIP the hotline's leg is a new channel; its id is not known here.
    return f"{call_id};2" if via == "local" else call_id


# ---- seats ----------------------------------------------------------------------------------
def seat_queues(role: str, skills: str) -> list[str]:
    """Operators take the types they are trained for; everybody is in the wider group (R1)."""
    own = [] if role == "supervisor" else [f"hotline-{c}" for c in sorted(set(skills)) if c in
                                            "123456"]
    return [*own, OVERFLOW_QUEUE]


async def seat_login(manager: Manager, name: str, queues: list[str]) -> None:
    for queue in queues:
        try:
            await action(manager, Action="QueueAdd", Queue=queue, Interface=f"PJSIP/{name}",
                         MemberName=name, StateInterface=f"PJSIP/{name}", Paused="false")
        except AmiError as exc:
            if "Already there" not in str(exc):
                raise


async def seat_logout(manager: Manager, name: str, queues: list[str]) -> None:
    for queue in queues:
        try:
            await action(manager, Action="QueueRemove", Queue=queue, Interface=f"PJSIP/{name}")
        except AmiError as exc:
            if "Not there" not in str(exc):
                raise


async def seat_pause(manager: Manager, name: str, paused: bool, reason: str = "") -> None:
    await action(manager, Action="QueuePause", Interface=f"PJSIP/{name}",
                 Paused="true" if paused else "false", Reason=reason[:60])


async def queue_members(manager: Manager) -> list[dict]:
    resp = await asyncio.wait_for(manager.send_action({"Action": "QueueStatus"}, as_list=True), 15)
    return [dict(m) for m in resp if m.get("Event") == "QueueMember"]


# ---- the listener ----------------------------------------------------------------------------
def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


class TimelineListener:
    """Queue and channel events → the call timeline (R1/R2). Runs beside the FastAGI
    server and shares its database writer, so events apply in the order they came."""

    EVENTS = ("QueueCallerJoin", "AgentCalled", "AgentRingNoAnswer", "AgentConnect",
              "QueueCallerAbandon", "AgentComplete", "Hangup", "QueueMemberPause")

    def __init__(self, writer: DbWriter, tz: ZoneInfo,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.writer = writer
        self.tz = tz
        self.clock = clock
        self.handled = 0

    def attach(self, manager: Manager) -> None:
        for name in self.EVENTS:
            manager.register_event(name, self.on_event)

    async def on_event(self, _manager: Manager, event) -> None:
        name = event.get("Event", "")
        if name not in self.EVENTS:
            return  # panoramisk matches by prefix: "Hangup" also brings HangupRequest…
        fields = {k: str(v) for k, v in dict(event).items()}
        try:
            await self.writer.run(self.apply, name, fields, self.clock())
            self.handled += 1
        except Exception:
            log.exception("could not record AMI event %s", name)

    def apply(self, session: Session, name: str, ev: dict[str, str], at: datetime) -> None:
        uid = ev.get("Uniqueid", "")
        if name == "QueueMemberPause":
            return  # seat state for the supervisor's board; nothing on a call
        call = session.scalar(select(Call).where(Call.uniqueid == uid))
        if call is None:
            if name == "AgentConnect" and uid.startswith(PLACEHOLDER_PREFIX):
                virtual_hold.taken_by(session, uid, ev.get("MemberName") or "")
            return  # not a hotline call (the far end of a Local channel, a seat's leg…)
        queue = ev.get("Queue", "")
        seat = ev.get("MemberName") or None
        if name == "QueueCallerJoin":
            kind = "overflow_offered" if queue == OVERFLOW_QUEUE else "offered"
            record_event(session, uid, kind, at, queue=queue, position=_int(ev.get("Position")))
            if call.offered_at is None:
                call.offered_at, call.queue = at, queue
        elif name == "AgentCalled":
            record_event(session, uid, "ringing", at, seat=seat, queue=queue)
        elif name == "AgentRingNoAnswer":
            record_event(session, uid, "seat_no_answer", at, seat=seat,
                         ring_time=_int(ev.get("RingTime")))
        elif name == "AgentConnect":
            hold = _int(ev.get("HoldTime"))
            record_event(session, uid, "answered", at, seat=seat, queue=queue, hold_time=hold)
            if call.answered_at is None:
                call.answered_at, call.seat = at, seat
                # Asterisk's own count where the call was answered in the queue it first
                # entered; after an overflow, the whole wait since it was first offered.
                if queue == call.queue or call.offered_at is None:
                    call.hold_time_s = hold
                else:
                    call.hold_time_s = int((at - call.offered_at).total_seconds())
                call.outcome = CallOutcome.ANSWERED.value
                path = f"{CALLS}/{file_base(call.received_at, self.tz, call.uniqueid)}.wav"
                call.recording_path = path
                if session.scalar(select(Recording).where(Recording.path == path)) is None:
                    session.add(Recording(call_id=call.id, kind="call", path=path,
                                          created_at=at, status="recording",
                                          caller_phone=call.caller_phone, started_at=at))
        elif name == "QueueCallerAbandon":
            # app_queue also sends this when the Queue() time-out expires (our overflow),
            # so it is kept as a fact of the timeline; the outcome is decided at hang-up.
            record_event(session, uid, "left_queue", at, queue=queue,
                         hold_time=_int(ev.get("HoldTime")))
        elif name == "AgentComplete":
            talk = _int(ev.get("TalkTime"))
            record_event(session, uid, "completed", at, seat=seat, talk_time=talk,
                         reason=ev.get("Reason", ""))
            call.talk_time_s = talk
        elif name == "Hangup":
            record_event(session, uid, "hangup", at, cause=_int(ev.get("Cause")))
            call.ended_at = at
            if call.answered_at is not None and call.talk_time_s is None:
                # app_queue drops AgentComplete when the caller's channel is already gone
                # (seen with Local channels); the talk time is then measured here.
                call.talk_time_s = int((at - call.answered_at).total_seconds())
            if call.outcome is None:
                # offered but never answered, and no callback or message left: abandoned
                # (R2: it gets a callback); never offered: hung up in the menu
                call.outcome = (CallOutcome.ABANDONED if call.offered_at
                                else CallOutcome.IVR_HANGUP).value
            for rec in session.scalars(select(Recording).where(
                    Recording.call_id == call.id, Recording.status == "recording")):
                rec.status, rec.ended_at = "complete", at


async def queue_callers(manager: Manager) -> list[dict]:
    """Callers waiting in the queues now (QueueStatus' QueueEntry events)."""
    resp = await asyncio.wait_for(manager.send_action({"Action": "QueueStatus"}, as_list=True), 15)
    return [dict(m) for m in resp if m.get("Event") == "QueueEntry"]
