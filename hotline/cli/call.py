"""`hotline call`: place a real call into the hotline through Asterisk (AMI Originate) and
show what the line made of it."""

from __future__ import annotations

import asyncio
import json
import time

import click
from sqlalchemy import select

from hotline import ami
from hotline.cli.common import (
    Fail,
    call_summary,
    now_utc,
    order_summary,
    pass_platform,
    phone_number,
)
from hotline.platform import Platform
from workorder.models import Call, WorkOrder


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
@click.option("--wait/--no-wait", default=True, help="Wait for the menu choice and show it.")
@click.option("--json", "as_json", is_flag=True)
@pass_platform
def command(platform: Platform, caller: str, keys: str, delay: float, stay: float, say: str,
            via: str, wait: bool, as_json: bool) -> None:
    """Place a real call into the hotline through Asterisk (AMI Originate)."""
    settings = platform.settings
    ami.validate_call(caller, keys)

    async def place() -> str:
        async with ami.connect(settings) as manager:
            return await ami.originate(manager, caller, keys, delay=delay, stay=stay,
                                      say=say, via=via)

    placed_at = now_utc()
    uniqueid = asyncio.run(place())
    result: dict = {"uniqueid": uniqueid, "via": via}
    if wait:
        deadline = time.monotonic() + delay + 25
        while time.monotonic() < deadline:
            with platform.uow() as session:
                if via == "local":
                    query = select(Call).where(Call.uniqueid == uniqueid)
                else:  # the trunk leg has its own id: find it by caller and time
                    query = (select(Call).where(Call.caller_raw == caller,
                                                Call.received_at >= placed_at)
                             .order_by(Call.id.desc()).limit(1))
                row = session.scalar(query)
                if row is not None and (row.order_type is not None or row.ended_at
                                        or row.mode == "closed"):
                    order = session.scalar(select(WorkOrder).where(WorkOrder.call_id == row.id))
                    result.update(uniqueid=row.uniqueid, call=call_summary(row),
                                  order=order_summary(order, settings))
                    break
            time.sleep(0.2)
        else:
            raise Fail(f"call {uniqueid} was placed but not registered in time; is the "
                       "FastAGI server running (`hotline up` or `hotline serve`)?")
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    elif "order" in result:
        o = result["order"]
        click.echo(f"call {uniqueid}: order {o['number']} type {o['type']} "
                   f"({o['type_label']}), line {result['call']['mode']}")
    else:
        click.echo(f"call {uniqueid} placed")
