"""`hotline setup`: the database schema, the demo court and the prompts (idempotent)."""

from __future__ import annotations

import click

from hotline import pbx_account, private, running
from hotline.cli.common import pass_platform
from hotline.platform import Platform


@click.command(name="setup")
@pass_platform
def command(platform: Platform) -> None:
    """Create/upgrade the database, load the demo court, generate the prompts; make the
    data folder private to this account."""
    folder = platform.settings.data_dir
    changed = private.make_private(folder, pbx_account.group_of_pbx(platform.settings))
    if changed:
        click.echo(f"{folder}: took group and other rights off {changed} "
                   f"file{'s' if changed != 1 else ''} and folders")
    running.setup(platform)
    click.echo("database, demo court and prompts are ready")
