"""`hotline setup`: the database schema, the demo court and the prompts (idempotent)."""

from __future__ import annotations

import click

from hotline import running
from hotline.cli.common import pass_platform
from hotline.platform import Platform


@click.command(name="setup")
@pass_platform
def command(platform: Platform) -> None:
    """Create/upgrade the database, load the demo court, generate the prompts."""
    running.setup(platform)
    click.echo("database, demo court and prompts are ready")
