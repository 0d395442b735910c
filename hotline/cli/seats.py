"""`hotline seats …`: the seats in the queues — list, login, logout, pause, unpause
(through AMI)."""

from __future__ import annotations

import asyncio

import click
from sqlalchemy import select

from hotline import ami, running, seat_state
from hotline.cli.common import Fail, pass_platform
from hotline.platform import Platform
from hotline.seats import Seat


@click.group(name="seats")
def command() -> None:
    """Seats in the queues: list, login, logout, pause, unpause (through AMI)."""


@command.command(name="list")
@click.option("--show-secrets", is_flag=True, help="Also print each seat's SIP password.")
@pass_platform
def list_(platform: Platform, show_secrets: bool) -> None:
    """Seats, their state (the console's and the panel's: ready, paused, wrap-up, ringing,
    on a call, phone not registered, logged out), their queues, and how a softphone
    registers as one."""
    settings = platform.settings

    async def members() -> list[dict]:
        async with ami.connect(settings) as manager:
            return await ami.queue_members(manager)

    states = seat_state.by_seat(asyncio.run(members()))
    for conf, _ in running.seats(platform):
        st = states.get(conf.name, seat_state.OUT)
        queues = ",".join(st.queues) or "-"
        secret = f"  password {conf.secret}" if show_secrets else ""
        click.echo(f"{conf.name:<10} {conf.display_name:<6} {st.text_en:<24} {queues}{secret}")
    click.echo(f"softphones register at sip:{settings.bind_host}:{settings.sip_port} "
               "with the seat name as user")


def _act(platform: Platform, name: str, what: str, reason: str = "") -> None:
    with platform.uow() as session:
        seat = session.scalar(select(Seat).where(Seat.name == name))
    if seat is None:
        raise Fail(f"no seat named {name!r}; `hotline seats list` shows them")
    queues = ami.seat_queues(seat.role, seat.skills)

    async def act() -> None:
        async with ami.connect(platform.settings) as manager:
            if what == "login":
                await ami.seat_login(manager, name, queues)
            elif what == "logout":
                await ami.seat_logout(manager, name, queues)
            else:
                await ami.seat_pause(manager, name, what == "pause", reason)

    asyncio.run(act())
    click.echo(f"{name}: {what}")


@command.command()
@click.argument("name")
@pass_platform
def login(platform: Platform, name: str) -> None:
    """Put a seat into its queues."""
    _act(platform, name, "login")


@command.command()
@click.argument("name")
@pass_platform
def logout(platform: Platform, name: str) -> None:
    """Take a seat out of its queues."""
    _act(platform, name, "logout")


@command.command()
@click.argument("name")
@click.option("--reason", default="break", show_default=True)
@pass_platform
def pause(platform: Platform, name: str, reason: str) -> None:
    """Stop ringing a seat (R1: never ring a seat that is away)."""
    _act(platform, name, "pause", reason)


@command.command()
@click.argument("name")
@pass_platform
def unpause(platform: Platform, name: str) -> None:
    """Ring a paused seat again."""
    _act(platform, name, "unpause")
