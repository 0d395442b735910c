"""Twilio's memory of the messages it accepted, in front of Prism.

Prism answers every request from Twilio's API description, but it keeps nothing: a
message created a moment ago is not in its answer to "list the messages sent to this
number". Twilio does remember, and the outbox relies on that after a crash (a send whose
answer was lost is looked up before sending again). This small proxy adds exactly that
memory and nothing else: every request still goes to Prism, which checks it against the
API description and decides the answer (errors included); the proxy only

* gives each accepted message its own sid and keeps (sid, to, from, body), and
* answers a successful "list messages" with the kept ones for the ``To``/``From`` asked,
  newest first, in the page Prism returned.

It also counts what it accepted, so a test can check that no text reached the provider
twice. Run it as ``python -m support.twilio_record PRISM_URL PORT`` (or :class:`Record`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from support.prism import _free_port, stop

_HOP = {"host", "content-length", "connection", "keep-alive", "transfer-encoding"}


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[dict] = []

    def summary(self) -> dict:
        with self.lock:
            per_text = Counter((m["to"], m["body"]) for m in self.messages)
        return {"accepted": sum(per_text.values()), "texts": len(per_text),
                "accepted_twice": sum(n - 1 for n in per_text.values() if n > 1)}


def make_handler(prism_url: str, state: _State) -> type[BaseHTTPRequestHandler]:
    http = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=32)
    http.mount("http://", adapter)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are separate writes

        def log_message(self, *args) -> None:  # quiet
            return None

        def _reply(self, status: int, headers: dict, body: bytes) -> None:
            self.send_response(status)
            for k, v in headers.items():
                if k.lower() not in _HOP and k.lower() != "content-encoding":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/_record":
                body = json.dumps(state.summary()).encode()
                self._reply(200, {"Content-Type": "application/json"}, body)
                return
            self._forward(b"")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            self._forward(self.rfile.read(length))

        def _forward(self, data: bytes) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            try:
                r = http.request(self.command, prism_url + self.path, data=data or None,
                                 headers=headers, timeout=30)
            except requests.RequestException as exc:
                self._reply(502, {"Content-Type": "text/plain"}, str(exc).encode())
                return
            body = r.content
            path = urllib.parse.urlsplit(self.path).path
            if r.ok and path.endswith("/Messages.json"):
                page = r.json()
                if self.command == "POST":
                    page = self._accepted(page, urllib.parse.parse_qs(data.decode()))
                else:
                    page = self._listed(page, urllib.parse.parse_qs(
                        urllib.parse.urlsplit(self.path).query))
                body = json.dumps(page).encode()
            self._reply(r.status_code, dict(r.headers), body)

        @staticmethod
        def _accepted(msg: dict, form: dict) -> dict:
            now = format_datetime(datetime.now(UTC), usegmt=True)
            msg = {**msg, "sid": "SM" + uuid.uuid4().hex, "to": form["To"][0],
                   "from": form.get("From", [msg.get("from")])[0], "body": form["Body"][0],
                   "status": "queued", "date_created": now, "date_sent": None}
            with state.lock:
                state.messages.append(msg)
            return msg

        def _listed(self, page: dict, query: dict) -> dict:
            to, frm = query.get("To", [None])[0], query.get("From", [None])[0]
            with state.lock:
                found = [m for m in reversed(state.messages)
                         if (to is None or m["to"] == to) and (frm is None or m["from"] == frm)]
            size = int(query.get("PageSize", ["50"])[0])
            number = int(query.get("Page", ["0"])[0])
            chunk = found[number * size:(number + 1) * size]
            following = None
            if (number + 1) * size < len(found):
                rest = {k: v[0] for k, v in query.items() if k not in ("Page", "PageToken")}
                following = (urllib.parse.urlsplit(self.path).path + "?" + urllib.parse.urlencode(
                    {**rest, "Page": number + 1, "PageToken": f"PT{number + 1}"}))
            return {**page, "messages": chunk, "next_page_uri": following,
                    "previous_page_uri": None, "page": number, "page_size": size}

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed client: expected
            super().handle_error(request, client_address)


def serve(prism_url: str, port: int) -> None:
    server = _Server(("127.0.0.1", port), make_handler(prism_url, _State()))
    server.serve_forever()


class Record:
    """The proxy as a child process (it must not share the caller's CPU time slice under
    load), started on a free port and stopped by its PID."""

    def __init__(self, prism_url: str) -> None:
        self.prism_url = prism_url
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Record:
        tests = Path(__file__).resolve().parents[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "support.twilio_record", self.prism_url, str(self.port)],
            cwd=tests, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.summary()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("the Twilio record proxy exited") from None
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("the Twilio record proxy did not start")

    def summary(self) -> dict:
        with urllib.request.urlopen(self.url + "/_record", timeout=5) as r:
            return json.loads(r.read())

    def __exit__(self, *exc: object) -> None:
        stop(self.proc)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
