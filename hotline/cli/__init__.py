"""`hotline`: the command line of the 12368 hotline.

One module per command or group of commands (``hotline orders …`` is hotline/cli/orders.py,
``hotline sweep`` is hotline/cli/sweep.py); what they share — errors, the platform, the
unit of work, common options — is in hotline/cli/common.py. A command module never
imports another.
"""

from __future__ import annotations

import click

from hotline import logs, private
from hotline.cli import (
    calendar,
    call,
    callbacks,
    dial,
    directory,
    flags,
    ledger,
    messages,
    mode,
    models,
    notices,
    orders,
    pbx,
    recordings,
    reminders,
    seats,
    serve,
    setup,
    stats,
    sweep,
    up,
    users,
    worker,
)
from hotline.cli.common import HotlineGroup, Invocation
from hotline.settings import load

COMMANDS = (setup, up, serve, worker, pbx, mode, call, stats, seats, calendar, orders, sweep,
            reminders, callbacks, dial, ledger, notices, messages, recordings, flags, models, users,
            directory)


@click.group(cls=HotlineGroup)
@click.option("--data-dir", envvar="HOTLINE_DATA_DIR", default="var", show_default=True,
              help="Folder for the database, recordings and the PBX runtime.")
@click.option("-v", "--verbose", is_flag=True)
@click.pass_context
def main(ctx: click.Context, data_dir: str, verbose: bool) -> None:
    """The 12368 litigation-service hotline."""
    private.restrict_umask()  # before anything is written: secrets, database, configs
    settings = load(data_dir=data_dir)
    logs.configure(settings.tz, verbose)
    ctx.obj = Invocation(ctx, settings)


for _module in COMMANDS:
    main.add_command(_module.command)
