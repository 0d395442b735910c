"""The one place that wires real adapters: database, calendar, FastAGI server, AMI
listener, Asterisk. Entry points (CLI, tests, benchmark) build the hotline from here."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from agi_scripts.registry import all_handlers
from agi_scripts.server import AgiContext, AgiServer
from hotline import ami, pbx
from hotline.db import DbWriter, make_engine, migrate
from hotline.demo import load_demo
from hotline.settings import Settings, SettingsError
from ivr.prompts import generate
from workorder.calendar import CalendarError, CourtCalendar
from workorder.models import Seat
from workorder.orders import Service
from workorder.sweep import sweep

log = logging.getLogger(__name__)


def build_calendar(settings: Settings) -> CourtCalendar:
    start, end = settings.staffed_hours
    try:
        if settings.calendar_override:
            return CourtCalendar.from_file(settings.calendar_override, tz=settings.timezone,
                                           staffed_from=start, staffed_until=end)
        return CourtCalendar(tz=settings.timezone, staffed_from=start, staffed_until=end)
    except CalendarError as exc:
        raise SettingsError(str(exc)) from None


def build_service(settings: Settings) -> Service:
    """The work-order service with the court's calendar and deadline policy."""
    return Service(build_calendar(settings), settings.policy)


@functools.lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    return make_engine(url)


def sessions(settings: Settings) -> sessionmaker:
    """Sessions on the settings' database; one engine (and pool) per URL per process."""
    return sessionmaker(_engine(settings.db_url), expire_on_commit=False)


def setup(settings: Settings, demo: bool = True, prompts: bool = True) -> None:
    """Database schema, demo court, prompts: everything but Asterisk itself. Idempotent."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.db_url)
    if demo:
        with sessions(settings).begin() as session:
            if load_demo(session):
                log.info("demo court loaded")
    if not prompts:
        return
    override = settings.prompts_override_dir
    generate(settings.sounds_dir, override_dir=Path(override) if override else None)


def seat_confs(settings: Settings) -> list[tuple[pbx.SeatConf, list[str]]]:
    with sessions(settings)() as session:
        seats = session.scalars(select(Seat).order_by(Seat.name)).all()
        return [(pbx.SeatConf(s.name, s.secret, s.display_name, s.contact),
                 ami.seat_queues(s.role, s.skills)) for s in seats]


@dataclass
class Services:
    settings: Settings
    writer: DbWriter
    agi: AgiServer
    agi_server: asyncio.base_events.Server
    listener: ami.TimelineListener


@contextlib.asynccontextmanager
async def services(settings: Settings, with_ami: bool = True) -> AsyncIterator[Services]:
    """The FastAGI server and (optionally) the AMI listener, sharing one DB writer."""
    calendar = build_calendar(settings)
    writer = DbWriter(make_engine(settings.db_url))
    ctx = AgiContext(court=settings.court_name, calendar=calendar, writer=writer,
                     recordings_dir=settings.recordings_dir,
                     clock=lambda: datetime.now(UTC))
    app = AgiServer(ctx, all_handlers(), read_timeout=settings.agi_read_timeout_s)
    try:
        server = await app.start(settings.bind_host, settings.agi_port)
    except OSError as exc:
        writer.close()
        raise SettingsError(f"agi_port {settings.agi_port} on {settings.bind_host}: "
                            f"{exc.strerror}; set HOTLINE_AGI_PORT to a free port") from None
    listener = ami.TimelineListener(writer, calendar.tz)
    sweeper = (asyncio.create_task(sweep_periodically(settings))
               if settings.sweep_interval_s > 0 else None)
    try:
        async with contextlib.AsyncExitStack() as stack:
            if with_ami:
                listener.attach(await stack.enter_async_context(
                    ami.connect(settings, events=True)))
            yield Services(settings, writer, app, server, listener)
    finally:
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        server.close()
        await server.wait_closed()
        writer.close()


async def sweep_periodically(settings: Settings) -> None:
    """Run the deadline sweep (R8, R10) every ``sweep_interval_s`` in a worker thread. The
    database is the truth, so a missed or failed run loses nothing: the next catches up."""
    service = build_service(settings)
    while True:
        try:
            report = await asyncio.to_thread(sweep, sessions(settings), service.calendar,
                                             service.policy, datetime.now(UTC))
            if report.overdue or report.reminders or report.escalations or report.callbacks:
                log.info("sweep: %s", report.as_dict())
        except Exception:  # keep sweeping; the error is logged with its traceback
            log.exception("sweep failed; retrying in %s s", settings.sweep_interval_s)
        await asyncio.sleep(settings.sweep_interval_s)


async def login_seats(settings: Settings) -> int:
    confs = seat_confs(settings)
    async with ami.connect(settings) as manager:
        for conf, queues in confs:
            await ami.seat_login(manager, conf.name, queues)
    return len(confs)


def run_hotline(settings: Settings) -> None:
    """`hotline up`: everything in the foreground until Ctrl-C (or SIGTERM)."""
    setup(settings)
    pbx.provision(settings)
    confs = seat_confs(settings)
    proc = pbx.start(settings, [c for c, _ in confs])
    log.info("Asterisk up (pid %s), SIP on %s:%s, AMI on %s", proc.pid, settings.bind_host,
             settings.sip_port, settings.ami_port)
    try:
        asyncio.run(serve_until_signalled(settings, login=True))
    finally:
        pbx.stop(settings)
        log.info("Asterisk stopped")


async def serve_until_signalled(settings: Settings, with_ami: bool = True,
                                login: bool = False) -> None:
    """Serve FastAGI (and the AMI listener) until SIGINT or SIGTERM, then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with services(settings, with_ami=with_ami):
        seats = await login_seats(settings) if login else 0
        log.info("FastAGI on %s:%s%s. Ctrl-C stops.", settings.bind_host, settings.agi_port,
                 f"; {seats} seats in the queues; the line is up" if login else "")
        await stop.wait()
    log.info("stopping")
