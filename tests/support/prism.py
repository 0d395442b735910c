"""Stoplight Prism serving Twilio's API description on 127.0.0.1, for the SMS tests.

Installed by scripts/install-prism.sh (``make test`` runs it); started on a free port and
stopped by its PID.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

PRISM_DIR = Path(os.environ.get("HOTLINE_PRISM_DIR",
                                Path.home() / ".cache" / "hotline12368" / "prism"))
ACCOUNT = "AC" + "a" * 32
TOKEN = "test-auth-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen | None) -> None:
    """End a child this module started, by its PID: politely, then for sure."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class PrismServer:
    def __init__(self, log_requests: bool = False) -> None:
        self.binary = PRISM_DIR / "node_modules" / ".bin" / "prism"
        self.spec = PRISM_DIR / "twilio_api_v2010.mock.json"
        if not self.binary.exists() or not self.spec.exists():
            raise RuntimeError(f"Prism is not installed in {PRISM_DIR}; run "
                               "scripts/install-prism.sh (make test does)")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = PRISM_DIR / f"prism-{self.port}.log"
        self.verbosity = "info" if log_requests else "error"  # info: one line per request

    def __enter__(self) -> PrismServer:
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [str(self.binary), "mock", "-h", "127.0.0.1", "-p", str(self.port), "-v",
                 self.verbosity, str(self.spec)], stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("Prism exited: " + self.log.read_text()[-2000:])
            if self._ready():
                return self
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("Prism did not answer within 60 s")

    def _ready(self) -> bool:
        # With -v error Prism prints nothing when it listens: ask it something real.
        auth = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
        req = urllib.request.Request(f"{self.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
                                     headers={"Authorization": f"Basic {auth}"})
        try:
            with urllib.request.urlopen(req, timeout=1):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    def __exit__(self, *exc: object) -> None:
        stop(self.proc)

    def requests_logged(self, method: str = "post", path_part: str = "/Messages.json") -> int:
        """How many requests Prism logged (started with log_requests=True)."""
        n = 0
        for line in self.log.read_text(errors="replace").splitlines():
            if "Request received" in line and method.upper() in line.upper() and \
                    path_part in line:
                n += 1
        return n
