"""`hotline users …`: who may log in to the web pages (operators, supervisors, judges,
administrators) and which seat an operator's panel is the phone of.

Passwords are never taken on the command line (they would stay in the shell's history and
in the process list): they are typed twice at a prompt, or read from standard input with
``--password-stdin`` for scripts.
"""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from hotline import running
from hotline.cli.common import Fail, echo, json_text, local, now_utc, pass_platform
from hotline.platform import Platform
from hotline.web import auth
from hotline.web.models import User


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise Fail("--password-stdin: nothing on standard input")
        password = line.rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return auth.check_password(password)


def _stdin_option(fn):
    return click.option("--password-stdin", is_flag=True,
                        help="Read the password from the first line of standard input.")(fn)


@click.group(name="users")
def command() -> None:
    """Users of the web pages: operators (the panel, bound to a seat), supervisors (the
    console, the review of flagged recordings), judges, administrators."""


@command.command(name="add")
@click.argument("login")
@click.option("--role", required=True, type=click.Choice(auth.ROLES))
@click.option("--name", default="", help="The person's name, as the pages show it.")
@click.option("--seat", default="", help="The seat whose phone the user's panel is "
              "(operators; `hotline seats list` shows them).")
@_stdin_option
@pass_platform
def add(platform: Platform, login: str, role: str, name: str, seat: str,
        password_stdin: bool) -> None:
    """Add a user who logs in as LOGIN."""
    login = auth.normalise_login(login)  # refuse a bad login before asking for a password
    # The first supervisor may be added before the line has ever run: bring the schema up.
    running.setup(platform, demo=False, prompts=False)
    with platform.uow() as session:
        if session.scalar(select(User.id).where(User.login == login)) is not None:
            raise Fail(f"login {login!r} is taken; choose another or change that user's "
                       "password with `hotline users password`")
    password = _password(password_stdin)
    with platform.uow.begin() as session:
        user = auth.add_user(session, login, role, password, now_utc(), name=name)
        if seat:
            auth.bind_seat(session, login, seat)
        click.echo(f"{user.login} added ({user.role}, {user.name}"
                   + (f", seat {user.seat})" if user.seat else ")"))


@command.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@pass_platform
def list_(platform: Platform, as_json: bool) -> None:
    """Every user, with role and whether they may log in."""
    with platform.uow() as session:
        rows = [{"login": u.login, "name": u.name, "role": u.role, "seat": u.seat,
                 "active": u.active, "created_at": local(u.created_at, platform.settings)}
                for u in session.scalars(select(User).order_by(User.login))]
    if as_json:
        click.echo(json_text(rows))
        return
    for r in rows:
        echo(f"{r['login']:<20} {r['role']:<11} {'active' if r['active'] else 'disabled':<9}"
             f" {r['seat'] or '-':<10} {r['name']}")
    if not rows:
        click.echo("no users; add one with `hotline users add LOGIN --role supervisor`")


def _switch(name: str, active: bool, doc: str) -> click.Command:
    """`users disable` and `users enable`."""

    @click.argument("login")
    @pass_platform
    def switch(platform: Platform, login: str) -> None:
        with platform.uow.begin() as session:
            user = auth.set_active(session, login, active)
            click.echo(f"{user.login} {name}d")

    return command.command(name=name, help=doc)(switch)


disable = _switch("disable", False,
                  "LOGIN may no longer log in; pages open in a browser stop working at once.")
enable = _switch("enable", True, "LOGIN may log in again.")


@command.command(name="seat")
@click.argument("login")
@click.argument("seat", required=False, default="")
@click.option("--none", "unbind", is_flag=True, help="Unbind LOGIN from any seat.")
@pass_platform
def seat(platform: Platform, login: str, seat: str, unbind: bool) -> None:
    """Bind LOGIN to SEAT: the user's panel becomes that seat's phone."""
    if not seat and not unbind:
        raise Fail("give a SEAT, or --none to unbind")
    with platform.uow.begin() as session:
        user = auth.bind_seat(session, login, None if unbind else seat)
        click.echo(f"{user.login} → seat {user.seat}" if user.seat
                   else f"{user.login} has no seat")


@command.command(name="password")
@click.argument("login")
@_stdin_option
@pass_platform
def password(platform: Platform, login: str, password_stdin: bool) -> None:
    """Set LOGIN's password; the user's open sessions end."""
    with platform.uow() as session:
        auth.find_user(session, login)  # say "no such user" before asking for a password
    new = _password(password_stdin)
    with platform.uow.begin() as session:
        user = auth.set_password(session, login, new)
        click.echo(f"password of {user.login} changed")
