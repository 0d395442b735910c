"""Shared fixtures: settings on free loopback ports, databases (SQLite and a real
PostgreSQL), and a real Asterisk with the hotline's FastAGI server for integration tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline import settings as hotline_settings
from hotline.db import make_engine, migrate
from hotline.seats import Seat

ROOT = Path(__file__).resolve().parents[1]
HOTLINE = str(Path(sys.executable).with_name("hotline"))


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (SIP uses both), never the same one
    twice in a test run (the kernel may hand a just-freed port out again)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port in _HANDED_OUT:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            try:
                u.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError("no free port")


def write_config(data_dir: Path, **values: object) -> None:
    lines = []
    for key, value in values.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, str):
            value = repr(value)
        lines.append(f"{key} = {value}")
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "hotline.toml").write_text("\n".join(lines).replace("'", '"') + "\n")


def line_config(**extra: object) -> dict[str, object]:
    rtp = free_port() // 2 * 2  # RTP ranges start on an even port
    return {"agi_port": free_port(), "ami_port": free_port(), "sip_port": free_port(),
            "http_port": free_port(),
            "web_port": free_port(), "rtp_start": rtp, "rtp_end": rtp + 200, **extra}


@pytest.fixture
def settings(tmp_path: Path) -> hotline_settings.Settings:
    write_config(tmp_path, **line_config())
    return hotline_settings.load(environ={}, data_dir=str(tmp_path))


@contextlib.contextmanager
def built(settings: hotline_settings.Settings, **fakes) -> Iterator[object]:
    """The platform of ``settings`` (bootstrap.build with ``fakes``), its schema migrated
    (no demo court, no prompts); closed at the end of the block."""
    from hotline import bootstrap, running

    with bootstrap.build(settings, **fakes) as platform:
        running.setup(platform, demo=False, prompts=False)
        yield platform


@pytest.fixture
def platform(settings):
    """The hotline's platform on the ``settings`` fixture's data folder."""
    with built(settings) as made:
        yield made


# ---- databases --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    from support.postgres import PostgresServer

    with PostgresServer() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        server = request.getfixturevalue("postgres")
        url = server.create_database(f"t{os.getpid()}_{time.monotonic_ns()}")
    migrate(url)
    return url


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    engine = make_engine(db_url)
    with sessionmaker(engine, expire_on_commit=False)() as s:
        yield s
    engine.dispose()


# ---- the test court (tests/support/court.py) --------------------------------------------------
@pytest.fixture
def svc():
    """The work-order service on the test court's calendar and policy."""
    from support import court

    return court.service()


@pytest.fixture
def ids(session):
    """The test court's directory in ``session``, committed; the ids it made."""
    from support import court

    made = court.build(session)
    session.commit()
    return made


# ---- a real line: Asterisk + FastAGI server ------------------------------------------------------
class Line:
    """A running hotline in its own data folder: Asterisk and `hotline serve`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.serve_proc: subprocess.Popen | None = None
        self.seat_port = 0
        self.away_seat_port = 0
        self.speech = Path()

    @property
    def settings(self) -> hotline_settings.Settings:
        return hotline_settings.load(environ={}, data_dir=str(self.data_dir))

    def cli_args(self) -> list[str]:
        return [HOTLINE, "--data-dir", str(self.data_dir)]

    def cli(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        proc = subprocess.run([*self.cli_args(), *args],
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise AssertionError(f"hotline {' '.join(args)} failed: {proc.stderr[-2000:]}")
        return proc

    def start_serve(self) -> None:
        log = open(self.data_dir / "serve.log", "ab")
        self.serve_proc = subprocess.Popen(
            [HOTLINE, "--data-dir", str(self.data_dir), "serve"], stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        port = self.settings.agi_port
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("FastAGI server did not start: "
                             + (self.data_dir / "serve.log").read_text()[-2000:])

    def stop_serve(self) -> None:
        if self.serve_proc and self.serve_proc.poll() is None:
            self.serve_proc.terminate()
            self.serve_proc.wait(timeout=20)
        self.serve_proc = None

    def sessions(self) -> sessionmaker:
        return sessionmaker(make_engine(self.settings.db_url), expire_on_commit=False)


def make_speech(base: Path) -> Path:
    """A caller's words, spoken by espeak-ng, as 8 kHz telephone audio (no extension, as
    Asterisk's Playback wants it)."""
    raw = base.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(raw),
                    "我想问一下我的案件，案号是二零二四民初一二三四号，谢谢"], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16",
                    str(base.with_suffix(".wav"))], check=True)
    return base


@pytest.fixture(scope="module")
def line(tmp_path_factory) -> Iterator[Line]:
    """A real Asterisk 22 (provisioned by `make test`) and the FastAGI server, on free
    loopback ports; nobody logged in to the queues until a test logs a seat in."""
    data_dir = tmp_path_factory.mktemp("line")
    write_config(data_dir, **line_config(overflow_ring_s=2))
    line = Line(data_dir)
    line.cli("setup")
    # seat1001 is a real SIP phone in the tests: sipp answering on a fixed contact
    line.seat_port, line.away_seat_port = free_port(), free_port()
    with line.sessions().begin() as s:
        for name, port in (("seat1001", line.seat_port), ("seat1002", line.away_seat_port)):
            seat = s.scalar(select(Seat).where(Seat.name == name))
            seat.contact, seat.phone = f"sip:{name}@127.0.0.1:{port}", "sip"
    line.speech = make_speech(data_dir / "speech")
    line.cli("pbx", "start")
    for seat in ("seat1001", "seat1002", "seat1003", "sup9001"):
        line.cli("seats", "logout", seat)
    line.start_serve()
    try:
        yield line
    finally:
        line.stop_serve()
        line.cli("pbx", "stop", check=False)
