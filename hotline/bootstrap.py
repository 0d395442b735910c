"""The one place that wires real adapters: database, calendar, FastAGI server, AMI
listener, Asterisk. Entry points (CLI, tests, benchmark) build the hotline from here."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import socket
import threading
import time as time_mod
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
from hotline.seats import Seat
from hotline.settings import Settings, SettingsError
from hotline.sms import SmsSender
from hotline.sms.fake import FakeSender
from hotline.sms.twilio import TwilioSender
from ivr.prompts import generate
from workorder.calendar import CalendarError, CourtCalendar
from workorder.notices import QuietHours
from workorder.orders import Service

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
    """The work-order service with the court's calendar, deadline policy and quiet hours."""
    return Service(build_calendar(settings), settings.policy,
                   QuietHours(*settings.sms_quiet_hours))


def build_sender(settings: Settings) -> SmsSender:
    """The SMS adapter the settings name: Twilio, or the fake that only logs (demo)."""
    if settings.sms_provider == "twilio":
        try:
            return TwilioSender(settings.twilio_account_sid, settings.twilio_auth_token,
                                settings.twilio_from, base_url=settings.twilio_base_url or None,
                                timeout=settings.sms_timeout_s)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
    return LoggingFakeSender()


class LoggingFakeSender(FakeSender):
    """The demo's sender: every text goes to the log instead of a phone."""

    def send(self, to, body, *, status_callback=None):  # type: ignore[override]
        sent = super().send(to, body, status_callback=status_callback)
        log.info("SMS (not sent, sms_provider=fake) to %s: %s", to, body)
        return sent


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
        return [(pbx.SeatConf(s.name, s.secret, s.display_name, s.contact,
                              webrtc=s.phone == "webrtc"),
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
    try:
        web = start_web(settings)
    except SettingsError:
        server.close()
        writer.close()
        raise
    worker = None
    if settings.embedded_jobs:
        from hotline.jobs import Jobs, consumer  # jobs imports this module

        worker = consumer(Jobs(settings))
        await asyncio.to_thread(worker.start)
    try:
        async with contextlib.AsyncExitStack() as stack:
            if with_ami:
                listener.attach(await stack.enter_async_context(
                    ami.connect(settings, events=True)))
            yield Services(settings, writer, app, server, listener)
    finally:
        if worker is not None:
            await asyncio.to_thread(worker.stop, True)
        await asyncio.to_thread(stop_web, web)
        server.close()
        await server.wait_closed()
        writer.close()


def start_web(settings: Settings) -> tuple:
    """The feedback page and Twilio's status callback (uvicorn in its own thread, so it
    leaves signal handling to the hotline); the port is bound here, so a port in use is a
    clear start-up error."""
    import uvicorn

    from hotline.web.app import create_app

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.bind_host, settings.web_port))
    except OSError as exc:
        sock.close()
        raise SettingsError(f"web_port {settings.web_port} on {settings.bind_host}: "
                            f"{exc.strerror}; set HOTLINE_WEB_PORT to a free port") from None
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="web",
                              daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time_mod.sleep(0.05)
    return server, thread, sock


def stop_web(web: tuple) -> None:
    server, thread, sock = web
    server.should_exit = True
    thread.join(10)
    sock.close()


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
