"""`hotline serve`: the FastAGI server, the AMI listener, the web pages and the job worker,
for an Asterisk started separately."""

from __future__ import annotations

import asyncio

import click

from hotline import running
from hotline.cli.common import pass_platform
from hotline.platform import Platform


@click.command(name="serve")
@click.option("--ami/--no-ami", "with_ami", default=True,
              help="Also run the AMI timeline listener.")
@pass_platform
def command(platform: Platform, with_ami: bool) -> None:
    """Run the FastAGI server and AMI listener only (Asterisk started separately)."""
    running.setup(platform, demo=False, prompts=False)
    asyncio.run(running.serve_until_signalled(platform, with_ami=with_ami))
