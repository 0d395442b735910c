"""`hotline ledger`: the monthly ledger (台账, R9) as a spreadsheet, CSV or JSON."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hotline import ledger_export
from hotline.cli.common import Fail, counted, now_utc, unit
from hotline.platform import Platform
from workorder import ledger as ledger_mod


@click.command(name="ledger")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--court", default=None, help="Only this court's orders (default: every "
              "court on the platform, ranked side by side).")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "json"]), default="xlsx",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Default: ledger-YYYY-MM.<format> in the current folder ('-' = stdout "
                   "for csv/json).")
@unit
def command(platform: Platform, session, month: str, court: str | None, fmt: str,
            output: Path | None) -> None:
    """The monthly ledger (台账, R9): volumes, rates with definitions, rankings, laggards —
    of every court on the platform, or of the one --court names."""
    settings = platform.settings
    data = ledger_mod.build(session, month, settings.tz, now_utc(), court=court,
                            target_s=settings.answer_target_s)
    if output is None:
        output = Path(f"ledger-{month}{'-' + court if court else ''}.{fmt}")
    if str(output) == "-":
        if fmt == "xlsx":
            raise Fail("xlsx cannot go to stdout; give --output FILE")
        sys.stdout.write(ledger_export.render_text(data, fmt))
        return
    try:
        ledger_export.write(data, fmt, output)
    except OSError as exc:
        raise Fail(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"ledger {month} ({court or 'all courts'}): "
               f"{counted(data.totals.orders, 'order')} → {output}")
