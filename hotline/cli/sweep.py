"""`hotline sweep`: mark what is due now — overdue orders, reminders and escalations (R8),
callbacks (R10). The job worker runs it every minute; by hand it may run as of another
time, any number of times, also concurrently."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from hotline.cli.common import emit, now_utc, pass_platform
from hotline.platform import Platform
from workorder.sweep import sweep


@click.command(name="sweep")
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
              default=None, help="Sweep as of this court-local time (default: now).")
@click.option("--json", "as_json", is_flag=True)
@pass_platform
def command(platform: Platform, at: datetime | None, as_json: bool) -> None:
    """Mark overdue orders, open reminders and escalations, callbacks (R8, R10). Safe to run
    any number of times, also concurrently."""
    settings, service = platform.settings, platform.service
    when = at.replace(tzinfo=settings.tz).astimezone(UTC) if at else now_utc()
    report = sweep(platform.uow, service.calendar, service.policy, when, quiet=service.quiet)
    d = report.as_dict()
    emit(d, as_json, f"looked at {d['orders']} due orders: {d['overdue']} newly overdue, "
                     f"{d['reminders']} reminders, {d['escalations']} escalations, "
                     f"{d['callbacks']} callbacks opened ({d['seconds']:.2f} s)")
