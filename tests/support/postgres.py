"""A throwaway PostgreSQL server for tests, from Debian's binaries, reachable on 127.0.0.1 only.

    with PostgresServer() as pg:
        engine = sqlalchemy.create_engine(pg.url)
        other_url = pg.create_database("other")

The server's data, socket and log live in one temporary directory that is removed on exit.
Install the binaries first with ``bash scripts/install-postgres.sh``.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NoReturn

HOST = "127.0.0.1"
PG_ROOT = Path("/usr/lib/postgresql")
INSTALL_HINT = "run `bash scripts/install-postgres.sh` as root first"
# A fixed, minimal environment: the caller's PG* variables or an uninstalled locale in LC_ALL
# must not change what initdb and the server do.
_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
# --no-sync: initdb would otherwise fsync every file, which takes seconds.
_INITDB_ARGS = "-U postgres -E UTF8 --no-locale --auth=trust --no-sync --no-instructions".split()
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)  # loaded here, not in the forked child


def find_pg_bin() -> Path:
    """The newest Debian PostgreSQL bin directory, /usr/lib/postgresql/<ver>/bin."""
    bins = [initdb.parent for initdb in PG_ROOT.glob("*/bin/initdb")]
    if not bins:
        raise RuntimeError(f"no PostgreSQL server in {PG_ROOT}/*/bin; {INSTALL_HINT}")
    # Not a plain string sort: "9.6" < "15".
    return max(bins, key=lambda b: tuple(int(p) for p in b.parent.name.split(".") if p.isdigit()))


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now (the kernel picks it)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    # Runs in the child before exec: if the test process is killed outright, the kernel sends
    # the server SIGINT (fast shutdown) instead of leaving it running.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGINT)


class PostgresServer:
    """Context manager: initdb, start on 127.0.0.1:<free port>, create ``dbname``; stop on exit.

    Attributes once started: ``url`` (SQLAlchemy URL of ``dbname``), ``port``, ``pid``,
    ``bin_dir``, ``base_dir`` (the temporary directory), ``log_path``.
    """

    def __init__(self, dbname: str = "test", startup_timeout: float = 30.0) -> None:
        self.dbname = dbname
        self.startup_timeout = startup_timeout
        self.bin_dir = find_pg_bin()
        self._user = _server_user()
        self.port = 0
        self.url = ""
        self.base_dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def log_path(self) -> Path:
        assert self.base_dir is not None, "server not started"
        return self.base_dir / "server.log"

    def url_for(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/{dbname}"

    def __enter__(self) -> PostgresServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.base_dir = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
        if self._user:
            os.chown(self.base_dir, self._user.pw_uid, self._user.pw_gid)
        data_dir = self.base_dir / "data"
        initdb = subprocess.run(
            [self.bin_dir / "initdb", "-D", data_dir, *_INITDB_ARGS],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            **self._as_server_user(),
        )
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{initdb.stdout.decode(errors='replace')}")
        self.port = free_port()
        cmd = [self.bin_dir / "postgres", "-D", data_dir]
        for name, value in self._settings().items():
            cmd += ["-c", f"{name}={value}"]
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
                **self._as_server_user(),
            )
        self._wait_until_ready()
        self.url = self.create_database(self.dbname)

    def _settings(self) -> dict[str, object]:
        return {
            # The only address the server listens on; initdb --auth=trust trusts 127.0.0.1/32.
            "listen_addresses": HOST,
            "port": self.port,
            "unix_socket_directories": self.base_dir,  # not /var/run/postgresql: may not exist
            # Durability is pointless for a throwaway server and slows every commit.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }

    def create_database(self, name: str) -> str:
        """Create database ``name`` (createdb quotes it) and return its SQLAlchemy URL."""
        result = self._client("createdb", name)
        if result.returncode != 0:
            raise RuntimeError(f"createdb {name} failed:\n{result.stdout.decode()}")
        return self.url_for(name)

    def stop(self) -> None:
        """Fast-shutdown the server by its own PID, then remove the temporary directory."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)  # "fast" shutdown: disconnects clients
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def _wait_until_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self._proc.poll() is not None:
                self._fail(f"exited with status {self._proc.returncode} during start-up")
            # pg_isready also tells "starting up, rejecting connections" apart from ready.
            if self._client("pg_isready").returncode == 0:
                return
            if time.monotonic() > deadline:
                self._fail(f"not accepting connections after {self.startup_timeout:g}s")
            time.sleep(0.05)

    def _fail(self, what: str) -> NoReturn:
        tail = self.log_path.read_text(errors="replace").splitlines()[-30:]
        raise RuntimeError(
            f"PostgreSQL on {HOST}:{self.port} {what}; its log ended:\n" + "\n".join(tail)
        )

    def _client(self, program: str, *args: str) -> subprocess.CompletedProcess[bytes]:
        # Client tools connect over TCP like the application does; they may run as root.
        cmd = [self.bin_dir / program, "-h", HOST, "-p", str(self.port), "-U", "postgres", *args]
        return subprocess.run(cmd, env=_ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def _as_server_user(self) -> dict[str, object]:
        """subprocess keyword arguments that run a command as the server's user, in base_dir."""
        kwargs: dict[str, object] = {"cwd": self.base_dir, "env": _ENV}
        if self._user:
            kwargs.update(user=self._user.pw_uid, group=self._user.pw_gid, extra_groups=[])
        return kwargs


def _server_user() -> pwd.struct_passwd | None:
    """Who runs the server: PostgreSQL refuses root, so root uses Debian's ``postgres`` user;
    anyone else runs it as themselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        msg = f"no 'postgres' system user to run the server as; {INSTALL_HINT}"
        raise RuntimeError(msg) from None
