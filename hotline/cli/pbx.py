"""`hotline pbx …`: Asterisk — provision, start, stop, status."""

from __future__ import annotations

import asyncio
import time

import click

from hotline import pbx as asterisk
from hotline import running
from hotline.cli.common import pass_platform, pass_settings
from hotline.platform import Platform
from hotline.settings import Settings


@click.group(name="pbx")
def command() -> None:
    """Asterisk: provision, start, stop, status."""


@command.command()
@pass_settings
def provision(settings: Settings) -> None:
    """Use a system Asterisk >= 20, or install Debian sid's into a cached chroot."""
    started = time.monotonic()
    install = asterisk.provision(settings)
    click.echo(f"Asterisk ready ({install.kind}: {install.chroot or install.binary}) "
               f"in {time.monotonic() - started:.1f} s")


@command.command()
@pass_platform
def start(platform: Platform) -> None:
    """Render the configuration and start Asterisk in the background."""
    settings = platform.settings
    running.setup(platform)
    proc = asterisk.start(settings, [c for c, _ in running.seats(platform)])
    running.pbx_started(platform)
    asyncio.run(running.login_seats(platform))
    click.echo(f"Asterisk started (pid {asterisk.running_pid(settings) or proc.pid})")


@command.command()
@pass_settings
def stop(settings: Settings) -> None:
    """Stop this data folder's Asterisk."""
    click.echo("stopped" if asterisk.stop(settings) else "Asterisk was not running")


@command.command()
@click.pass_context
@pass_settings
def status(settings: Settings, ctx: click.Context) -> None:
    """Is Asterisk running, which one, on which ports."""
    pid = asterisk.running_pid(settings)
    try:
        install = asterisk.find_installation(settings)
        where = f"{install.kind}: {install.chroot or install.binary}"
    except asterisk.PbxError as exc:
        where = str(exc)
    click.echo(f"installation: {where}")
    click.echo(f"running: {'pid ' + str(pid) if pid else 'no'}; SIP {settings.bind_host}:"
               f"{settings.sip_port}, AMI :{settings.ami_port}, FastAGI :{settings.agi_port}")
    if not pid:
        ctx.exit(3)
