"""`hotline mode`: show or switch the line — open, closed (typhoon, maintenance) or auto."""

from __future__ import annotations

import click

from hotline.cli.common import now_utc, pass_platform
from hotline.platform import Platform
from workorder.line import ManualMode, decide_mode
from workorder.registration import manual_mode, set_manual_mode


@click.command(name="mode")
@click.argument("value", required=False, type=click.Choice([m.value for m in ManualMode]))
@click.option("--by", default="cli", help="Who switched it (kept with the switch).")
@pass_platform
def command(platform: Platform, value: str | None, by: str) -> None:
    """Show or switch the line: open, closed (typhoon, maintenance) or auto (calendar)."""
    at = now_utc()
    with platform.uow.begin() as session:
        if value:
            set_manual_mode(session, value, at, by)
        current = ManualMode(manual_mode(session))
    effective, reason = decide_mode(current, platform.calendar, at)
    click.echo(f"mode: {current.value}; the line is {effective} now ({reason})")
