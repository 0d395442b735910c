"""What every command of the command line shares: how errors are shown, the platform a
command runs on, the unit of work, the options many commands take, and a few ways of
printing. A command module imports this one and nothing of the other command modules.

Errors: what the hotline expects (:data:`USER_ERRORS`: a refused order, a bad setting, the
PBX not running…) is printed in one line and the command exits 2; anything else is a bug
and leaves with its trace (exit 1).

Printing: stored text (an order's content, a caller's name, a transcript, a reason) may
hold what a terminal obeys — an escape sequence that clears the screen, rewrites the line
above or sets the window title, or a bidirectional override that shows text in another
order than it is stored. Whatever prints stored text goes through :func:`terminal_safe`
(:func:`emit`, :func:`echo`, :func:`json_text` do), which shows such characters as visible
escapes.
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from hotline import ami, bootstrap, pbx
from hotline.platform import Platform
from hotline.private import OpenFolderError
from hotline.settings import Settings, SettingsError
from recordings.speech_models import ModelInstallError
from workorder import phone
from workorder.errors import DomainError
from workorder.models import Call, WorkOrder
from workorder.rules import Answers, Complaint
from workorder.text import BIDI_CONTROLS
from workorder.types import OrderType

USER_ERRORS = (DomainError, SettingsError, pbx.PbxError, ami.AmiError, ModelInstallError,
               OpenFolderError)


class Fail(click.ClickException):
    """A one-line error for the user (exit status 2)."""

    exit_code = 2


class HotlineGroup(click.Group):
    """The ``hotline`` group: the errors the hotline expects become one line (exit 2)
    wherever in a command they are raised; any other exception passes with its trace."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:  # a message may quote what was typed or stored
            raise Fail(terminal_safe(str(exc))) from None
        except (OperationalError, ProgrammingError) as exc:
            if not missing_table(exc):
                raise
            settings = ctx.find_object(Invocation).settings
            raise Fail(f"the database of {settings.data_dir} has no hotline tables: is this "
                       "the data folder? Run `hotline setup` first (it creates them)") from None


def missing_table(exc: Exception) -> bool:
    """A query met a database the schema was never made in (SQLite: "no such table";
    PostgreSQL: undefined table, SQLSTATE 42P01)."""
    orig = getattr(exc, "orig", None)
    return "no such table" in str(orig) or getattr(orig, "sqlstate", None) == "42P01"


class Invocation:
    """``ctx.obj`` of a command: its settings, and the platform built from them on first
    use (a command that needs no database builds none) and closed when the command ends."""

    def __init__(self, ctx: click.Context, settings: Settings) -> None:
        self._ctx, self.settings = ctx, settings
        self._platform: Platform | None = None

    @property
    def platform(self) -> Platform:
        if self._platform is None:
            self._platform = bootstrap.build(self.settings)
            self._ctx.call_on_close(self._platform.close)
        return self._platform


def settings_of(ctx: click.Context) -> Settings:
    return ctx.find_object(Invocation).settings


def platform_of(ctx: click.Context) -> Platform:
    return ctx.find_object(Invocation).platform


def pass_settings(fn: Callable) -> Callable:
    """The command gets the settings as its first argument (and builds no platform)."""
    @click.pass_context
    @functools.wraps(fn)
    def wrapper(ctx: click.Context, *args, **kwargs):
        return fn(settings_of(ctx), *args, **kwargs)
    return wrapper


def pass_platform(fn: Callable) -> Callable:
    """The command gets the platform as its first argument."""
    @click.pass_context
    @functools.wraps(fn)
    def wrapper(ctx: click.Context, *args, **kwargs):
        return fn(platform_of(ctx), *args, **kwargs)
    return wrapper


def unit(fn: Callable) -> Callable:
    """The command runs as ``fn(platform, session, ...)`` in one unit of work: everything
    or nothing is committed, and the texts it wrote (a dispatch, R5) are handed to the job
    engine once it has committed."""
    @pass_platform
    @functools.wraps(fn)
    def wrapper(platform: Platform, *args, **kwargs):
        with platform.uow.begin() as session:
            return fn(platform, session, *args, **kwargs)
    return wrapper


def now_utc() -> datetime:
    return datetime.now(UTC)


# ---- options ---------------------------------------------------------------------------------
SYSTEM_ACCOUNTS = {"root", "admin", "administrator", "operator", "nobody", "asterisk"}


def _who(_ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    """Who acts, for the order's history: --by, else $HOTLINE_OPERATOR, else the login
    name — but never a system account, which says nothing about who it was (R2)."""
    who = (value or os.environ.get("HOTLINE_OPERATOR") or "").strip()
    if not who:
        try:
            who = getpass.getuser()
        except Exception:  # no login name in a container
            who = ""
    if not who or who.lower() in SYSTEM_ACCOUNTS:
        raise click.BadParameter(
            f"say who acts, e.g. --by 李座席 or HOTLINE_OPERATOR=李座席 (the login "
            f"{who or '(none)'!r} is no one's name in an order's history)", param=param)
    return who


def by_option(fn: Callable) -> Callable:
    return click.option("--by", default=None, callback=_who, show_default="$HOTLINE_OPERATOR "
                        "or the login name", help="Who does this (kept in the order's "
                        "history).")(fn)


def phone_number(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A caller's number as typed (``--caller``, ``--phone``): the text, stripped; ``""``
    when withheld (empty, ``-`` or ``anonymous``). Anything that is not a phone number is
    refused in one line before the command does anything."""
    if value is None:
        return None
    try:
        return value.strip() if phone.parse_caller(value) else ""
    except phone.PhoneError as exc:
        raise Fail(f"{param.opts[0]}: {exc}") from None


def court_option(fn: Callable) -> Callable:
    return click.option("--court", default=None,
                        help="Court of the order (default: the court in the settings).")(fn)


def json_option(fn: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(fn)


def answers_options(fn: Callable) -> Callable:
    """The operator's answers that decide the handling (R4); :func:`answers` reads them."""
    for opt in reversed([
        click.option("--clues", is_flag=True, help="Complaint with specific clues (R4.6)."),
        click.option("--about", type=click.Choice([c.value for c in Complaint]),
                     help="What a complaint is about (R4.4/R4.5)."),
        click.option("--abusive", is_flag=True, help="The caller abused staff (R4.7)."),
        click.option("--urgent", is_flag=True, help="Extreme or urgent: green channel (R4.8)."),
        click.option("--leadership", is_flag=True,
                     help="Urgent and serious: also the vice president and president (R4.8)."),
        click.option("--unreachable", is_flag=True,
                     help="The caller could not reach the judge (R4.2)."),
    ]):
        fn = opt(fn)
    return fn


def answers(kw: dict) -> Answers:
    """The :func:`answers_options` taken out of a command's keyword arguments."""
    about = kw.pop("about", None)
    return Answers(specific_clues=kw.pop("clues"), complaint=Complaint(about) if about else None,
                   abusive=kw.pop("abusive"), urgent=kw.pop("urgent"),
                   leadership=kw.pop("leadership"), judge_unreachable=kw.pop("unreachable"))


# ---- printing --------------------------------------------------------------------------------
# C0 but newline and tab, DEL, C1 (CSI is U+009B), and the bidirectional controls
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS)) + "]")


def _visible(m: re.Match) -> str:
    cp = ord(m.group())
    return f"\\x{cp:02x}" if cp <= 0xFF else f"\\u{cp:04x}"


def terminal_safe(text: str) -> str:
    """``text`` as a terminal may print it: control characters (but newline and tab) and
    bidirectional controls shown as ``\\x1b``, ``\\u202e``…, so stored text can neither
    drive the operator's terminal nor show itself in another order."""
    return _UNSAFE.sub(_visible, text)


def json_text(data: object) -> str:
    """``data`` as JSON for a terminal: the characters :func:`terminal_safe` shows are
    written as JSON escapes, so the JSON means exactly the same (they can only stand
    inside its strings)."""
    text = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def echo(text: str) -> None:
    """``click.echo`` of text that holds stored text."""
    click.echo(terminal_safe(text))


def emit(data: object, as_json: bool, text: str) -> None:
    click.echo(json_text(data) if as_json else terminal_safe(text))


def counted(n: int, noun: str) -> str:
    """``1 order``, ``0 orders``, ``2 orders``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def local(dt: datetime | None, settings: Settings) -> str | None:
    """An instant in the court's time, to the second."""
    return dt.astimezone(settings.tz).isoformat(timespec="seconds") if dt else None


def call_summary(c: Call) -> dict:
    return {"id": c.id, "uniqueid": c.uniqueid, "caller_phone": c.caller_phone,
            "mode": c.mode, "type": c.order_type, "outcome": c.outcome,
            "hold_time_s": c.hold_time_s, "seat": c.seat,
            "overflowed": c.overflowed_at is not None, "recording": c.recording_path}


def order_summary(o: WorkOrder | None, settings: Settings) -> dict | None:
    if o is None:
        return None
    return {"id": o.id, "number": o.number, "caller_phone": o.caller_phone,
            "type": o.order_type, "type_label": OrderType(o.order_type).label_zh,
            "channel": o.channel, "status": o.status,
            "callback_phone": o.callback_phone,
            "created_at": local(o.created_at, settings), "call_id": o.call_id}
