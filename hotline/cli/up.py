"""`hotline up`: the whole hotline in the foreground — Asterisk, FastAGI, AMI, the web
pages and the job worker — until Ctrl-C."""

from __future__ import annotations

import click

from hotline import running
from hotline.cli.common import pass_platform
from hotline.platform import Platform


@click.command(name="up")
@pass_platform
def command(platform: Platform) -> None:
    """Run the whole hotline in the foreground (Asterisk, FastAGI, AMI). Ctrl-C stops it."""
    running.run_hotline(platform)
