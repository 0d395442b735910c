"""`hotline stats`: a day's figures of the line (R1, R2) and the service level."""

from __future__ import annotations

import json
from datetime import datetime

import click

from hotline.cli.common import pass_platform
from hotline.platform import Platform
from workorder.stats import day_bounds, line_stats


@click.command(name="stats")
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="Default: today (court time).")
@click.option("--json", "as_json", is_flag=True)
@pass_platform
def command(platform: Platform, day: datetime | None, as_json: bool) -> None:
    """Offered, answered, answered within 10 s, abandoned, overflowed; the service level."""
    settings = platform.settings
    ref = (day.replace(hour=12, tzinfo=settings.tz) if day else None)
    start, end = day_bounds(settings.tz, ref)
    with platform.uow() as session:
        figures = line_stats(session, start, end, settings.answer_target_s)
    data = {"day": start.date().isoformat(), **figures.as_dict()}
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    sl = "-" if figures.service_level is None else f"{figures.service_level}%"
    click.echo(
        f"{data['day']}: calls {figures.calls}, offered {figures.offered}, answered "
        f"{figures.answered}, within {figures.target_s} s {figures.answered_within_target}, "
        f"abandoned {figures.abandoned}, overflowed {figures.overflowed}, callbacks "
        f"{figures.callbacks_requested}, messages {figures.messages}; service level {sl}")
