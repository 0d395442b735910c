"""`hotline`: the command line of the 12368 hotline."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sys
import time
from datetime import UTC, date, datetime

import click
from sqlalchemy import select

from hotline import ami, bootstrap, pbx, running
from hotline.platform import Platform
from hotline.seats import Seat
from hotline.settings import Settings, SettingsError, load
from workorder.errors import DomainError
from workorder.line import ManualMode, decide_mode
from workorder.models import Call, WorkOrder
from workorder.registration import manual_mode, set_manual_mode
from workorder.stats import day_bounds, line_stats
from workorder.types import OrderType


class Fail(click.ClickException):
    """A one-line error for the user (exit status 2); any other exception is a bug and
    leaves with its trace (exit status 1)."""

    exit_code = 2


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def _platform(ctx: click.Context) -> Platform:
    """The platform this command runs on: built once, on first use, closed at the end."""
    root = ctx.find_root()
    if "platform" not in root.obj:
        root.obj["platform"] = bootstrap.build(root.obj["settings"])
        root.call_on_close(root.obj["platform"].close)
    return root.obj["platform"]


@click.group()
@click.option("--data-dir", envvar="HOTLINE_DATA_DIR", default="var", show_default=True,
              help="Folder for the database, recordings and the PBX runtime.")
@click.option("-v", "--verbose", is_flag=True)
@click.pass_context
def main(ctx: click.Context, data_dir: str, verbose: bool) -> None:
    """The 12368 litigation-service hotline."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("panoramisk", "alembic"):
        logging.getLogger(chatty).setLevel(logging.DEBUG if verbose else logging.WARNING)
    try:
        ctx.obj = {"settings": load(data_dir=data_dir)}
    except SettingsError as exc:
        raise Fail(str(exc)) from None


def _guard(fn):
    """Turn the errors the hotline expects into one clear line."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (DomainError, SettingsError, pbx.PbxError, ami.AmiError) as exc:
            raise Fail(str(exc)) from None

    return wrapper


# ---- running ----------------------------------------------------------------------------------
@main.command()
@click.pass_context
@_guard
def setup(ctx: click.Context) -> None:
    """Create/upgrade the database, load the demo court, generate the prompts."""
    running.setup(_platform(ctx))
    click.echo("database, demo court and prompts are ready")


@main.command()
@click.pass_context
@_guard
def up(ctx: click.Context) -> None:
    """Run the whole hotline in the foreground (Asterisk, FastAGI, AMI). Ctrl-C stops it."""
    running.run_hotline(_platform(ctx))


@main.command()
@click.option("--ami/--no-ami", "with_ami", default=True,
              help="Also run the AMI timeline listener.")
@click.pass_context
@_guard
def serve(ctx: click.Context, with_ami: bool) -> None:
    """Run the FastAGI server and AMI listener only (Asterisk started separately)."""
    running.setup(_platform(ctx), demo=False, prompts=False)
    asyncio.run(running.serve_until_signalled(_platform(ctx), with_ami=with_ami))


# ---- PBX -----------------------------------------------------------------------------------------
@main.group(name="pbx")
def pbx_group() -> None:
    """Asterisk: provision, start, stop, status."""


@pbx_group.command()
@click.pass_context
@_guard
def provision(ctx: click.Context) -> None:
    """Use a system Asterisk >= 20, or install Debian sid's into a cached chroot."""
    started = time.monotonic()
    install = pbx.provision(_settings(ctx))
    click.echo(f"Asterisk ready ({install.kind}: {install.chroot or install.binary}) "
               f"in {time.monotonic() - started:.1f} s")


@pbx_group.command(name="start")
@click.pass_context
@_guard
def pbx_start(ctx: click.Context) -> None:
    """Render the configuration and start Asterisk in the background."""
    settings = _settings(ctx)
    running.setup(_platform(ctx))
    proc = pbx.start(settings, [c for c, _ in running.seats(_platform(ctx))])
    asyncio.run(running.login_seats(_platform(ctx)))
    click.echo(f"Asterisk started (pid {pbx.running_pid(settings) or proc.pid})")


@pbx_group.command(name="stop")
@click.pass_context
@_guard
def pbx_stop(ctx: click.Context) -> None:
    """Stop this data folder's Asterisk."""
    click.echo("stopped" if pbx.stop(_settings(ctx)) else "Asterisk was not running")


@pbx_group.command(name="status")
@click.pass_context
@_guard
def pbx_status(ctx: click.Context) -> None:
    """Is Asterisk running, which one, on which ports."""
    settings = _settings(ctx)
    pid = pbx.running_pid(settings)
    try:
        install = pbx.find_installation(settings)
        where = f"{install.kind}: {install.chroot or install.binary}"
    except pbx.PbxError as exc:
        where = str(exc)
    click.echo(f"installation: {where}")
    click.echo(f"running: {'pid ' + str(pid) if pid else 'no'}; SIP {settings.bind_host}:"
               f"{settings.sip_port}, AMI :{settings.ami_port}, FastAGI :{settings.agi_port}")
    if not pid:
        ctx.exit(3)


# ---- line mode ------------------------------------------------------------------------------------
@main.command()
@click.argument("value", required=False, type=click.Choice([m.value for m in ManualMode]))
@click.option("--by", default="cli", help="Who switched it (kept with the switch).")
@click.pass_context
@_guard
def mode(ctx: click.Context, value: str | None, by: str) -> None:
    """Show or switch the line: open, closed (typhoon, maintenance) or auto (calendar)."""
    now = datetime.now(UTC)
    with _platform(ctx).uow.begin() as session:
        if value:
            set_manual_mode(session, value, now, by)
        current = ManualMode(manual_mode(session))
    effective, reason = decide_mode(current, _platform(ctx).calendar, now)
    click.echo(f"mode: {current.value}; the line is {effective} now ({reason})")


# ---- calls and orders -------------------------------------------------------------------------------
@main.command()
@click.option("--caller", required=True, help="Caller ID the call presents.")
@click.option("--keys", default="", help="Keys pressed in the menu, e.g. 3 or 9WWWW3.")
@click.option("--delay", default=2.0, show_default=True, help="Seconds before the keys.")
@click.option("--stay", default=20.0, show_default=True, help="Seconds the caller stays on.")
@click.option("--say", default="", help="Sound file (no extension) the caller plays after "
              "the keys, e.g. to leave a message.")
@click.option("--via", type=click.Choice(["local", "sip"]), default="local", show_default=True,
              help="local: a Local channel into the dialplan; sip: a real SIP call through "
              "the trunk, keys as RFC 4733 events.")
@click.option("--wait/--no-wait", default=True, help="Wait for the menu choice and show it.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def call(ctx: click.Context, caller: str, keys: str, delay: float, stay: float, say: str,
         via: str, wait: bool, as_json: bool) -> None:
    """Place a real call into the hotline through Asterisk (AMI Originate)."""
    settings = _settings(ctx)
    ami.validate_call(caller, keys)

    async def place() -> str:
        async with ami.connect(settings) as manager:
            return await ami.originate(manager, caller, keys, delay=delay, stay=stay,
                                      say=say, via=via)

    placed_at = datetime.now(UTC)
    uniqueid = asyncio.run(place())
    result: dict = {"uniqueid": uniqueid, "via": via}
    if wait:
        deadline = time.monotonic() + delay + 25
        Session = _platform(ctx).uow
        while time.monotonic() < deadline:
            with Session() as session:
                if via == "local":
                    query = select(Call).where(Call.uniqueid == uniqueid)
                else:  # the trunk leg has its own id: find it by caller and time
                    query = (select(Call).where(Call.caller_raw == caller,
                                                Call.received_at >= placed_at)
                             .order_by(Call.id.desc()).limit(1))
                row = session.scalar(query)
                if row is not None and (row.order_type is not None or row.ended_at
                                        or row.mode == "closed"):
                    order = session.scalar(select(WorkOrder).where(WorkOrder.call_id == row.id))
                    result.update(uniqueid=row.uniqueid, call=_call_dict(row),
                                  order=_order_dict(order, settings))
                    break
            time.sleep(0.2)
        else:
            raise Fail(f"call {uniqueid} was placed but not registered in time; is the "
                       "FastAGI server running (`hotline up` or `hotline serve`)?")
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    elif "order" in result:
        o = result["order"]
        click.echo(f"call {uniqueid}: order {o['number']} type {o['type']} "
                   f"({o['type_label']}), line {result['call']['mode']}")
    else:
        click.echo(f"call {uniqueid} placed")


def _local(dt: datetime | None, settings: Settings) -> str | None:
    return dt.astimezone(settings.tz).isoformat(timespec="seconds") if dt else None


def _call_dict(c: Call) -> dict:
    return {"id": c.id, "uniqueid": c.uniqueid, "caller_phone": c.caller_phone,
            "mode": c.mode, "type": c.order_type, "outcome": c.outcome,
            "hold_time_s": c.hold_time_s, "seat": c.seat,
            "overflowed": c.overflowed_at is not None, "recording": c.recording_path}


def _order_dict(o: WorkOrder | None, settings: Settings) -> dict | None:
    if o is None:
        return None
    return {"id": o.id, "number": o.number, "caller_phone": o.caller_phone,
            "type": o.order_type, "type_label": OrderType(o.order_type).label_zh,
            "channel": o.channel, "status": o.status,
            "callback_phone": o.callback_phone,
            "created_at": _local(o.created_at, settings), "call_id": o.call_id}


@main.group()
def orders() -> None:
    """Work orders (工单)."""


@orders.command(name="list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.option("--status", help="Only orders in this status (e.g. dispatched).")
@click.option("--overdue", is_flag=True, help="Only overdue orders (red light, R8).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def orders_list(ctx: click.Context, limit: int, status: str | None, overdue: bool,
                as_json: bool) -> None:
    """The newest orders first, with their light (green / yellow / red)."""
    settings = _settings(ctx)
    service = _platform(ctx).service
    now = datetime.now(UTC)
    q = select(WorkOrder).order_by(WorkOrder.id.desc()).limit(limit)
    if status:
        q = q.where(WorkOrder.status == status)
    if overdue:
        q = q.where(WorkOrder.overdue_at.is_not(None), WorkOrder.feedback_at.is_(None),
                    WorkOrder.status != "closed")
    with _platform(ctx).uow() as session:
        items = [{**_order_dict(o, settings), "light": service.light(o, now)}
                 for o in session.scalars(q)]
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=1))
        return
    if not items:
        click.echo("no orders")
    for o in items:
        click.echo(f"{o['id']:>6}  {o['number']}  {o['created_at']}  {o['caller_phone'] or '-':<14}"
                   f"  {o['type']} {o['type_label']:<4}  {o['channel']:<7}  {o['status']:<16}"
                   f"  {o['light'] or ''}")


@main.command()
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="Default: today (court time).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def stats(ctx: click.Context, day: datetime | None, as_json: bool) -> None:
    """Offered, answered, answered within 10 s, abandoned, overflowed; the service level."""
    settings = _settings(ctx)
    ref = (day.replace(hour=12, tzinfo=settings.tz) if day else None)
    start, end = day_bounds(settings.tz, ref)
    with _platform(ctx).uow() as session:
        figures = line_stats(session, start, end, settings.answer_target_s)
    data = {"day": start.date().isoformat(), **figures.as_dict()}
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    sl = "-" if figures.service_level is None else f"{figures.service_level}%"
    click.echo(
        f"{data['day']}: calls {figures.calls}, offered {figures.offered}, answered "
        f"{figures.answered}, within {figures.target_s} s {figures.answered_within_target}, "
        f"abandoned {figures.abandoned}, overflowed {figures.overflowed}, callbacks "
        f"{figures.callbacks_requested}, messages {figures.messages}; service level {sl}")


# ---- seats -------------------------------------------------------------------------------------------
@main.group()
def seats() -> None:
    """Seats in the queues: list, login, logout, pause, unpause (through AMI)."""


def _seat(ctx: click.Context, name: str) -> Seat:
    with _platform(ctx).uow() as session:
        seat = session.scalar(select(Seat).where(Seat.name == name))
    if seat is None:
        raise Fail(f"no seat named {name!r}; `hotline seats list` shows them")
    return seat


@seats.command(name="list")
@click.option("--show-secrets", is_flag=True, help="Also print each seat's SIP password.")
@click.pass_context
@_guard
def seats_list(ctx: click.Context, show_secrets: bool) -> None:
    """Seats, their state in the queues, and how a softphone registers as one."""
    settings = _settings(ctx)

    async def members() -> list[dict]:
        async with ami.connect(settings) as manager:
            return await ami.queue_members(manager)

    live = asyncio.run(members())
    by_seat: dict[str, list[str]] = {}
    paused: dict[str, str] = {}
    for m in live:
        by_seat.setdefault(m.get("Name", ""), []).append(m.get("Queue", ""))
        if m.get("Paused") == "1":
            paused[m.get("Name", "")] = m.get("PausedReason", "") or "paused"
    for conf, _ in running.seats(_platform(ctx)):
        queues = ",".join(sorted(by_seat.get(conf.name, []))) or "logged out"
        state = f"paused ({paused[conf.name]})" if conf.name in paused else "ready"
        secret = f"  password {conf.secret}" if show_secrets else ""
        click.echo(f"{conf.name:<10} {conf.display_name:<6} {state:<20} {queues}{secret}")
    click.echo(f"softphones register at sip:{settings.bind_host}:{settings.sip_port} "
               "with the seat name as user")


def _seat_action(ctx: click.Context, name: str, what: str, reason: str = "") -> None:
    settings = _settings(ctx)
    seat = _seat(ctx, name)
    queues = ami.seat_queues(seat.role, seat.skills)

    async def act() -> None:
        async with ami.connect(settings) as manager:
            if what == "login":
                await ami.seat_login(manager, name, queues)
            elif what == "logout":
                await ami.seat_logout(manager, name, queues)
            else:
                await ami.seat_pause(manager, name, what == "pause", reason)

    asyncio.run(act())
    click.echo(f"{name}: {what}")


@seats.command()
@click.argument("name")
@click.pass_context
@_guard
def login(ctx: click.Context, name: str) -> None:
    """Put a seat into its queues."""
    _seat_action(ctx, name, "login")


@seats.command()
@click.argument("name")
@click.pass_context
@_guard
def logout(ctx: click.Context, name: str) -> None:
    _seat_action(ctx, name, "logout")


@seats.command()
@click.argument("name")
@click.option("--reason", default="break", show_default=True)
@click.pass_context
@_guard
def pause(ctx: click.Context, name: str, reason: str) -> None:
    """Stop ringing a seat (R1: never ring a seat that is away)."""
    _seat_action(ctx, name, "pause", reason)


@seats.command()
@click.argument("name")
@click.pass_context
@_guard
def unpause(ctx: click.Context, name: str) -> None:
    _seat_action(ctx, name, "unpause")


# ---- calendar ------------------------------------------------------------------------------------------
@main.group()
def calendar() -> None:
    """The court calendar: working days and deadlines."""


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Fail(f"{value!r} is not a date like 2026-10-08") from None


@calendar.command(name="is-working-day")
@click.argument("day")
@click.pass_context
@_guard
def is_working_day(ctx: click.Context, day: str) -> None:
    """Exit 0 and say why if DAY is a working day, exit 1 if not."""
    cal = _platform(ctx).calendar
    d = _date(day)
    working = cal.is_working_day(d)
    click.echo(f"{d.isoformat()}: {'working day' if working else 'closed'} ({cal.reason(d)})")
    ctx.exit(0 if working else 1)


@calendar.command(name="add-working-days")
@click.argument("day")
@click.argument("n", type=int)
@click.pass_context
@_guard
def add_working_days(ctx: click.Context, day: str, n: int) -> None:
    """The date N working days after DAY."""
    cal = _platform(ctx).calendar
    click.echo(cal.add_working_days(_date(day), n).isoformat())


from hotline import (  # noqa: E402,F401  (register their commands)
    cli_messages,
    cli_orders,
    cli_sms,
    cli_speech,
    cli_users,
)
from hotline.cli_directory import directory  # noqa: E402

main.add_command(directory)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
