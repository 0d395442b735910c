"""`hotline call`: place a real call into the hotline through Asterisk (AMI Originate) and
show what the line made of it."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import ami, pbx_account
from hotline.ami import InvalidCall
from hotline.cli.common import (
    Fail,
    call_summary,
    now_utc,
    order_summary,
    pass_platform,
    phone_number,
)
from hotline.platform import Platform
from hotline.settings import Settings
from workorder.models import Call, WorkOrder
from workorder.types import CallOutcome, OrderType

Seen = tuple[Call | None, WorkOrder | None]  # one look: the call's record and its order


def look(session: Session, via: str, uniqueid: str, caller: str, placed_at: datetime) -> Seen:
    """The call's record and its order as the line has them now (None: not yet)."""
    if via == "local":
        query = select(Call).where(Call.uniqueid == uniqueid)
    else:  # the trunk leg has its own id: find it by caller and time
        query = (select(Call).where(Call.caller_raw == caller, Call.received_at >= placed_at)
                 .order_by(Call.id.desc()).limit(1))
    call = session.scalar(query)
    if call is None:
        return None, None
    return call, session.scalar(select(WorkOrder).where(WorkOrder.call_id == call.id))


def settled(call: Call | None, order: WorkOrder | None) -> bool:
    """Whether waiting longer could tell more: no, once the call has its order (R2) and the
    caller has left the menu — a type chosen (R3), the line closed (R6) or the call over."""
    return (call is not None and order is not None
            and (call.order_type is not None or call.mode == "closed"
                 or call.ended_at is not None))


def wait_for(see: Callable[[], Seen], timeout: float, clock: Callable[[], float] = time.monotonic,
             sleep: Callable[[float], None] = time.sleep, every: float = 0.2) -> tuple[Seen, float]:
    """Look until :func:`settled` or ``timeout`` seconds have passed; the last look and how
    long it took. A look after the deadline is always made, so what was true then is told."""
    start = clock()
    while True:
        seen = see()
        waited = clock() - start
        if settled(*seen) or waited >= timeout:
            return seen, waited
        sleep(every)


def describe(uniqueid: str, call: Call | None, order: WorkOrder | None, waited: float,
             settings: Settings) -> tuple[dict, str]:
    """What is true of the call after the wait, as JSON and as one line. The line never
    registered it: :class:`Fail`."""
    if call is None:
        raise Fail(f"call {uniqueid} was placed but the line had not registered it after "
                   f"{waited:.0f} s; is the FastAGI server running (`hotline up` or "
                   "`hotline serve`)?")
    data = {"uniqueid": call.uniqueid, "call": call_summary(call),
            "order": order_summary(order, settings)}
    head = f"call {call.uniqueid}: " + (f"order {order.number}" if order else "no order yet")
    if call.mode == "closed":
        data["state"], text = "closed", f"{head}, line closed ({call.mode_reason})"
    elif call.order_type is not None:
        label = OrderType(call.order_type).label_zh
        data["state"], text = "chosen", f"{head} type {call.order_type} ({label}), line open"
    elif call.ended_at is None:
        data["state"] = "in_menu"
        text = f"{head}, call still in the menu after {waited:.0f} s (no type chosen yet)"
    elif call.outcome == CallOutcome.IVR_HANGUP:
        data["state"] = "hung_up_in_menu"
        text = f"{head}, call ended in the menu before a type was chosen (hung up in the menu)"
    else:
        data["state"] = "ended"
        text = f"{head}, call ended ({call.outcome or 'no outcome'}) with no type chosen"
    return data, text


def key_seconds(keys: str) -> float:
    """How long the far end takes to send ``keys`` (SendDTMF: 250 ms a key, w 0.5 s, W 1 s)."""
    return sum(1.0 if k == "W" else 0.5 if k == "w" else 0.25 for k in keys)


LINE_CHECK = "line-check"  # under the recordings: what `call --listen` kept


def caller_tag(caller: str) -> str:
    return "".join(c for c in caller if c.isdigit())[-11:] or "anonymous"


SOUND_SUFFIXES = (".wav", ".gsm", ".sln", ".ulaw", ".alaw")


def sound_for_the_pbx(settings: Settings, say: str) -> str:
    """``--say``'s file where Asterisk can read it. Asterisk runs as its own account
    (hotline/pbx_account.py), which reads the prompts folder and nothing else of the data
    folder or this account's files: a file from elsewhere is copied to ``sounds/caller``
    first. The path given to Asterisk, without its extension."""
    base = Path(say).expanduser().resolve()
    found = [base.with_name(base.name + x) for x in SOUND_SUFFIXES
             if base.with_name(base.name + x).is_file()]
    if not found:
        raise InvalidCall(f"--say {say}: no sound file {say}.wav (nor .gsm, .sln, .ulaw, "
                          ".alaw); give the path without its extension")
    sounds = settings.sounds_dir
    if sounds in base.parents:
        return str(base)
    target = sounds / "caller"
    target.mkdir(parents=True, exist_ok=True)
    for source in found:
        shutil.copyfile(source, target / source.name)
    pbx_account.readable_if_shared(settings, target)
    return str(target / base.name)


@click.command(name="call")
@click.option("--caller", required=True, callback=phone_number,
              help="Caller ID the call presents: a phone number, or empty or - to withhold it.")
@click.option("--keys", default="", help="Keys pressed in the menu, e.g. 3 or 9WWWW3.")
@click.option("--delay", default=2.0, show_default=True, help="Seconds before the keys.")
@click.option("--stay", default=20.0, show_default=True, help="Seconds the caller stays on.")
@click.option("--say", default="", help="Sound file (no extension) the caller plays after "
              "the keys, e.g. to leave a message.")
@click.option("--via", type=click.Choice(["local", "sip"]), default="local", show_default=True,
              help="local: a Local channel into the dialplan; sip: a real SIP call through "
              "the trunk, keys as RFC 4733 events.")
@click.option("--tone", type=click.IntRange(100, 3400), default=None,
              help="Play a steady tone of this frequency (Hz) after the keys: what the "
              "seat should hear, for an audio check of the line.")
@click.option("--listen", is_flag=True,
              help="Keep what the caller hears, a second a file, in "
              "recordings/line-check/<call>-N.wav (N from 0) while the caller stays on.")
@click.option("--wait/--no-wait", default=True,
              help="Wait until the caller leaves the menu (or hangs up) and show the order.")
@click.option("--timeout", type=click.FloatRange(0), default=None,
              help="Seconds --wait waits (default: the delay and the keys' time, plus 25).")
@click.option("--json", "as_json", is_flag=True)
@pass_platform
def command(platform: Platform, caller: str, keys: str, delay: float, stay: float, say: str,
            via: str, tone: int | None, listen: bool, wait: bool, timeout: float | None,
            as_json: bool) -> None:
    """Place a real call into the hotline through Asterisk (AMI Originate)."""
    settings = platform.settings
    ami.validate_call(caller, keys)
    say = sound_for_the_pbx(settings, say) if say else say
    listen_prefix = ""
    if listen:
        folder = settings.recordings_dir / LINE_CHECK  # Asterisk makes it, as its own
        listen_prefix = str(folder / f"call-{time.strftime('%Y%m%d-%H%M%S')}-{caller_tag(caller)}")

    async def place() -> str:
        async with ami.connect(settings) as manager:
            return await ami.originate(manager, caller, keys, delay=delay, stay=stay,
                                      say=say, via=via, tone=tone or 0, listen=listen_prefix)

    placed_at = now_utc()
    uniqueid = asyncio.run(place())
    if not wait:
        result, text = {"uniqueid": uniqueid}, f"call {uniqueid} placed"
    else:
        def see() -> Seen:
            with platform.uow() as session:
                return look(session, via, uniqueid, caller, placed_at)

        limit = delay + key_seconds(keys) + 25 if timeout is None else timeout
        (call, order), waited = wait_for(see, limit)
        result, text = describe(uniqueid, call, order, waited, settings)
    result["via"] = via
    if listen_prefix:
        result["listen"] = listen_prefix
        text += f"\nwhat the caller hears: {listen_prefix}-N.wav, a second each"
    click.echo(json.dumps(result, ensure_ascii=False) if as_json else text)
