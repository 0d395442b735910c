"""`hotline calendar …`: the court calendar — working days and deadlines."""

from __future__ import annotations

from datetime import date

import click

from hotline.bootstrap import build_calendar
from hotline.cli.common import Fail, pass_settings
from hotline.settings import Settings


@click.group(name="calendar")
def command() -> None:
    """The court calendar: working days and deadlines."""


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Fail(f"{value!r} is not a date like 2026-10-08") from None


@command.command(name="is-working-day")
@click.argument("day")
@click.pass_context
@pass_settings
def is_working_day(settings: Settings, ctx: click.Context, day: str) -> None:
    """Exit 0 and say why if DAY is a working day, exit 1 if not."""
    cal = build_calendar(settings)
    d = _date(day)
    working = cal.is_working_day(d)
    click.echo(f"{d.isoformat()}: {'working day' if working else 'closed'} ({cal.reason(d)})")
    ctx.exit(0 if working else 1)


@command.command(name="add-working-days")
@click.argument("day")
@click.argument("n", type=click.IntRange(min=0))
@pass_settings
def add_working_days(settings: Settings, day: str, n: int) -> None:
    """The date N working days after DAY."""
    click.echo(build_calendar(settings).add_working_days(_date(day), n).isoformat())
