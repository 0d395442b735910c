"""`hotline dial`: call a party for an order through the carrier trunk — the seat's phone
rings first, then the party is dialled (hotline/dialout.py); `dial list` shows the calls
placed for an order and what became of them."""

from __future__ import annotations

import asyncio

import click

from hotline import dialout
from hotline.cli.common import Fail, by_option, court_option, emit, local, pass_platform, unit
from hotline.platform import Platform
from workorder import outbound
from workorder.models import WorkOrder


@click.group(name="dial", invoke_without_command=False)
def command() -> None:
    """Calls out for an order (callbacks, parties), seat first."""


@command.command(name="call")
@click.argument("order_number")
@click.option("--seat", required=True, help="The seat whose phone rings first.")
@click.option("--number", default="", help="The number to dial (default: the order's "
              "callback number, else the caller's).")
@click.option("--purpose", type=click.Choice(outbound.PURPOSES), default="dial",
              show_default=True)
@court_option
@by_option
@click.option("--json", "as_json", is_flag=True)
@pass_platform
def call(platform: Platform, order_number: str, seat: str, number: str, purpose: str,
         court: str | None, by: str, as_json: bool) -> None:
    """Ring SEAT, then dial the party of order ORDER_NUMBER."""
    with platform.uow() as s:
        order = platform.service.find(s, court or platform.settings.court_name, order_number)
        order_id = order.id
        number = number or order.callback_phone or order.caller_phone or ""
    if not number:
        raise Fail(f"order {order_number} has no number to call: give --number")
    try:
        placed = asyncio.run(dialout.place_call(platform, order_id, number, seat, purpose, by))
    except outbound.DialRefused as exc:
        raise Fail(str(exc)) from None
    said = (f"{seat} answered; dialling {placed.number} for order {placed.order_number}"
            if placed.outcome is None else
            f"{placed.number} not dialled: {outbound.OUTCOME_ZH[placed.outcome]}")
    emit({"uniqueid": placed.uniqueid, "number": placed.number, "seat": seat,
          "order": placed.order_number, "outcome": placed.outcome}, as_json, said)


@command.command(name="list")
@click.argument("order_number")
@court_option
@click.option("--json", "as_json", is_flag=True)
@unit
def list_(platform: Platform, session, order_number: str, court: str | None,
          as_json: bool) -> None:
    """The calls placed for order ORDER_NUMBER, oldest first."""
    order: WorkOrder = platform.service.find(session, court or platform.settings.court_name,
                                             order_number)
    rows = [{"uniqueid": c.uniqueid, "purpose": c.purpose, "number": c.number, "seat": c.seat,
             "placed_at": local(c.placed_at, platform.settings), "outcome": c.outcome,
             "cause": c.cause, "talk_s": c.talk_s, "recording": c.recording}
            for c in outbound.calls_of(session, order.id)]
    emit(rows, as_json, "\n".join(
        f"{r['placed_at']}  {r['seat']:<10} {r['number']:<13} "
        f"{outbound.OUTCOME_ZH.get(r['outcome'] or '', '进行中')}"
        + (f" {r['talk_s']} s" if r["talk_s"] is not None else "") for r in rows)
        or f"no calls placed for order {order_number}")
