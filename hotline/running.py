"""Running the hotline in one process: set-up, then the FastAGI server, the AMI timeline
listener, the web pages and (embedded) the job worker, until Ctrl-C or SIGTERM.

``hotline up`` runs it all with Asterisk; ``hotline serve`` without starting Asterisk
(it runs elsewhere, or the tests start it). Everything runs on the one
:class:`~hotline.platform.Platform` the command built.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import uvicorn

from agi_scripts.registry import all_handlers
from agi_scripts.server import AgiContext, AgiServer
from hotline import ami, pbx, pbx_account, private, virtual_hold
from hotline.db import DbWriter, migrate
from hotline.demo import load_demo
from hotline.jobs import consumer
from hotline.platform import Platform
from hotline.seats import seat_confs
from hotline.settings import SettingsError
from hotline.sip_guard import SipGuard
from hotline.web.app import create_app
from ivr.prompts import generate
from workorder import outbound
from workorder import virtual_hold as workorder_vhold
from workorder.virtual_hold import Retry

log = logging.getLogger(__name__)
SWITCH_INTERVAL_S = 0.001


def setup(platform: Platform, demo: bool = True, prompts: bool = True) -> None:
    """Database schema, demo court, prompts: everything but Asterisk itself. Idempotent."""
    settings = platform.settings
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    private.check(settings.data_dir)  # issue 16: secrets and recordings are ours alone
    migrate(settings.db_url)
    if demo:
        with platform.uow.begin() as session:
            if load_demo(session):
                log.info("demo court loaded")
    if not prompts:
        return
    override = settings.prompts_override_dir
    generate(settings.sounds_dir, override_dir=Path(override) if override else None)
    pbx_account.readable_if_shared(settings, settings.sounds_dir)  # a running PBX reads them


def seats(platform: Platform) -> list[tuple[pbx.SeatConf, list[str]]]:
    with platform.uow() as session:
        return seat_confs(session)


@dataclass
class Servers:
    platform: Platform
    writer: DbWriter
    agi: AgiServer
    agi_server: asyncio.base_events.Server
    listener: ami.TimelineListener
    guard: SipGuard


@contextlib.asynccontextmanager
async def servers(platform: Platform, with_ami: bool = True) -> AsyncIterator[Servers]:
    """The FastAGI server and (optionally) the AMI listener, sharing one DB writer; the
    web pages; the job worker when it is embedded."""
    settings = platform.settings
    # R1: the event loops answering calls and pushing screen pops share the interpreter
    # with worker threads computing pages (a month's ledger). A thread waiting for the GIL
    # gets it after this long at most; with Python's default of 5 ms, paid at each of a
    # pop's hand-overs while a ledger ran back to back, the pops' p95 was 395 ms against
    # about 325 ms at 1 ms (bench/panel_bench.py).
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    writer = DbWriter(platform.uow)
    ctx = AgiContext(court=settings.court_name, calendar=platform.calendar, writer=writer,
                     recordings_dir=settings.recordings_dir, clock=platform.clock,
                     policy=settings.policy, retry=vhold_retry(settings),
                     vhold=vhold_on(settings), dial_patterns=tuple(settings.dial_patterns))
    app = AgiServer(ctx, all_handlers(), read_timeout=settings.agi_read_timeout_s,
                    secret=settings.agi_secret, allow=settings.agi_networks)
    try:
        server = await app.start(settings.agi_address, settings.agi_port)
    except OSError as exc:
        writer.close()
        raise SettingsError(f"agi_port {settings.agi_port} on {settings.agi_address}: "
                            f"{exc.strerror}; set HOTLINE_AGI_PORT to a free port") from None
    listener = ami.TimelineListener(writer, platform.calendar.tz)
    guard = SipGuard(settings)
    try:
        web = start_web(platform)
    except SettingsError:
        server.close()
        writer.close()
        raise
    worker = None
    if settings.embedded_jobs:
        worker = consumer(platform.jobs)
        await asyncio.to_thread(worker.start)
    try:
        async with contextlib.AsyncExitStack() as stack:
            if with_ami:
                manager = await stack.enter_async_context(ami.connect(settings, events=True))
                listener.attach(manager)
                guard.attach(manager)
                expiry = asyncio.create_task(guard.run(), name="sip-ban-expiry")
                stack.callback(expiry.cancel)
                if ctx.vhold:
                    dispatcher = asyncio.create_task(
                        virtual_hold.Dispatcher(platform, writer).run(manager),
                        name="virtual-hold")
                    stack.callback(dispatcher.cancel)
            yield Servers(platform, writer, app, server, listener, guard)
    finally:
        if worker is not None:
            await asyncio.to_thread(worker.stop, True)
        await asyncio.to_thread(stop_web, web)
        server.close()
        await server.wait_closed()
        writer.close()


def start_web(platform: Platform) -> tuple:
    """The web pages (uvicorn in its own thread, so it leaves signal handling to the
    hotline); the port is bound here, so a port in use is a clear start-up error.
    Uvicorn logs through the hotline's own logging: an error in a page is logged with its
    trace beside everything else."""
    settings = platform.settings
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.bind_host, settings.web_port))
    except OSError as exc:
        sock.close()
        raise SettingsError(f"web_port {settings.web_port} on {settings.bind_host}: "
                            f"{exc.strerror}; set HOTLINE_WEB_PORT to a free port") from None
    # proxy_headers=False: uvicorn would otherwise take X-Forwarded-For from anyone on
    # 127.0.0.1 as the peer; the app trusts it only from the settings' trusted_proxies
    server = uvicorn.Server(uvicorn.Config(create_app(platform), log_level="warning",
                                           log_config=None, lifespan="on",
                                           proxy_headers=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="web",
                              daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    return server, thread, sock


def stop_web(web: tuple) -> None:
    server, thread, sock = web
    server.should_exit = True
    thread.join(10)
    sock.close()


def vhold_on(settings) -> bool:
    """Virtual hold needs a way out: callbacks dial through the trunk."""
    return settings.vhold and bool(settings.trunk_port)


def vhold_retry(settings) -> Retry:
    return Retry(attempts=settings.vhold_attempts, after=timedelta(seconds=settings.vhold_retry_s))


def pbx_started(platform: Platform) -> int:
    """A PBX that just started holds no placeholder: callbacks that were queued wait again
    (and one being dialled when it stopped is failed)."""
    with platform.uow.begin() as session:
        n = workorder_vhold.pbx_restarted(session, platform.clock())
        return n + outbound.abandon_live(session, platform.clock())


async def login_seats(platform: Platform) -> int:
    confs = seats(platform)
    async with ami.connect(platform.settings) as manager:
        for conf, queues in confs:
            await ami.seat_login(manager, conf.name, queues)
    return len(confs)


def run_hotline(platform: Platform) -> None:
    """`hotline up`: everything in the foreground until Ctrl-C (or SIGTERM)."""
    settings = platform.settings
    setup(platform)
    pbx.provision(settings)
    proc = pbx.start(settings, [c for c, _ in seats(platform)])
    pbx_started(platform)
    log.info("Asterisk up (pid %s), SIP on %s:%s, AMI on %s", proc.pid, settings.bind_host,
             settings.sip_port, settings.ami_port)
    try:
        asyncio.run(serve_until_signalled(platform, login=True))
    finally:
        pbx.stop(settings)
        log.info("Asterisk stopped")


async def serve_until_signalled(platform: Platform, with_ami: bool = True,
                                login: bool = False) -> None:
    """Serve FastAGI (and the AMI listener) until SIGINT or SIGTERM, then stop cleanly."""
    settings = platform.settings
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with servers(platform, with_ami=with_ami) as svc:
        count = await login_seats(platform) if login else 0
        log.info("FastAGI on %s:%s for %s%s. Ctrl-C stops.", settings.agi_address,
                 settings.agi_port, ", ".join(settings.agi_allow),
                 f"; {count} seats in the queues; the line is up" if login else "")
        await stop.wait()
        log.info("stopping; FastAGI %s", ", ".join(f"{k} {v}" for k, v in svc.agi.stats.items()))
