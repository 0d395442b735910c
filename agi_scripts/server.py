"""The FastAGI server: panoramisk's Application and Request, hardened for a live line.

panoramisk reads the request header in a loop that spins forever when a client closes
early, and has no time-outs or size limits. Here the header is read with a deadline and
a 64 KiB cap, replies are read with a deadline, and every failure is contained to its own
connection, so a silent, slow, oversized or garbage-sending client never stalls the
other calls. A handler that raises marks the channel (HOTLINE_AGI_STATUS=FAILED) and the
dialplan carries on with its defaults: no call is dropped because Python failed.

No handler runs for a stranger: a connection from an address outside ``agi_allow`` is
closed unread, and a request whose first argument is not the key (``agi_secret``, which
the dialplan passes to every AGI()) is refused; the channel is marked like a failed
handler, so a real call with a stale key still goes on with the dialplan's defaults. Each
refusal is one log line (peer and reason, never a key) and counts in ``stats["refused"]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from panoramisk.fast_agi import Application, Request
from panoramisk.utils import parse_agi_result

from agi_scripts import variables as V
from agi_scripts.registry import Handler
from hotline.db import DbWriter
from workorder.calendar import CourtCalendar
from workorder.deadlines import Policy
from workorder.virtual_hold import Retry

log = logging.getLogger(__name__)
HEADER_LIMIT = 64 * 1024  # Asterisk's request header is ~1 KiB; anything this big is abuse
BACKLOG = 1024
LOOPBACK_ONLY = (ipaddress.ip_network("127.0.0.1/32"),)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def peer_allowed(peer: str, allow: Iterable[Network]) -> bool:
    """Is ``peer`` (an address as the socket reports it) inside one of the networks?"""
    try:
        address = ipaddress.ip_address(peer.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d
    return any(address in network for network in allow)


def _without_key(headers: dict[str, str]) -> str | None:
    """Take the key (argument 1) out of the request; the dialplan's own arguments move
    down one, so handlers read theirs from 1 as before."""
    key = headers.pop("agi_arg_1", None)
    n = 2
    while f"agi_arg_{n}" in headers:
        headers[f"agi_arg_{n - 1}"] = headers.pop(f"agi_arg_{n}")
        n += 1
    return key


class AgiHangup(Exception):
    """The channel hung up (or the connection closed) while the handler was talking."""


class AgiProtocolError(Exception):
    """The peer answered something that is not AGI."""


@dataclass
class AgiContext:
    """What handlers may use: the domain's collaborators, from the platform
    (hotline/running.py builds it for the FastAGI server)."""

    court: str
    calendar: CourtCalendar
    writer: DbWriter
    recordings_dir: Path
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    policy: Policy = field(default_factory=Policy)
    retry: Retry = field(default_factory=Retry)  # virtual hold's callbacks (R2, R10)
    vhold: bool = False  # a caller who chose a callback keeps their place (needs a trunk out)
    dial_patterns: tuple = ()  # the numbers calls out may go to (settings.dial_allow)


class AgiCall(Request):
    """One FastAGI request: Asterisk's headers, the dialplan's arguments, and commands."""

    app: AgiServer

    @property
    def ctx(self) -> AgiContext:
        return self.app.ctx

    def arg(self, n: int, default: str = "") -> str:
        return self.headers.get(f"agi_arg_{n}", default)

    @property
    def uniqueid(self) -> str:
        return self.headers.get("agi_uniqueid", "")

    async def set_variable(self, name: str, value: object) -> None:
        await self.set_variables({name: value})

    async def set_variables(self, values: dict[str, object]) -> None:
        """Set several channel variables, one command at a time: Asterisk reads an AGI
        command only after answering the previous one (pipelined commands stall)."""
        for name, value in values.items():
            if name not in V.ALL:
                raise KeyError(f"{name} is not declared in agi_scripts/variables.py")
            text = str(value).replace("\\", "\\\\").replace('"', '\\"')
            result = await self.send_command(f'SET VARIABLE {name} "{text}"')
            if result.get("status_code") != 200:
                raise AgiProtocolError(f"SET VARIABLE {name} failed: {result}")

    async def _read_result(self) -> dict[str, Any]:
        try:
            async with asyncio.timeout(self.app.read_timeout):
                line = await self.reader.readline()
        except TimeoutError:
            raise AgiProtocolError("no reply from the PBX in time") from None
        except ValueError:  # a reply line over the stream limit
            raise AgiProtocolError("reply line too long") from None
        if not line:
            raise AgiHangup("connection closed")
        text = line.decode(self.encoding, errors="replace").rstrip("\r\n")
        try:
            result = parse_agi_result(text)
        except (ValueError, TypeError):
            raise AgiProtocolError(f"not an AGI reply: {text[:80]!r}") from None
        if result.get("error") == "AGIResultHangup":
            raise AgiHangup(text)
        return result


class AgiServer(Application):
    """Routes ``agi_network_script`` to the registered handler of that name."""

    def __init__(
        self, ctx: AgiContext, handlers: dict[str, Handler], read_timeout: float = 5.0, *,
        secret: str, allow: Iterable[Network] = LOOPBACK_ONLY,
    ) -> None:
        if not secret:
            raise ValueError("the FastAGI server needs a key (agi_secret)")
        # panoramisk binds to a loop at construction: build this inside the running loop.
        super().__init__(loop=asyncio.get_running_loop())
        self.ctx = ctx
        self.read_timeout = read_timeout
        self.allow = tuple(allow)
        self._secret = secret.encode()
        self.stats = {"served": 0, "failed": 0, "rejected": 0, "hangups": 0, "refused": 0}
        for name, fn in handlers.items():
            self.add_route(name, fn)

    async def start(self, host: str, port: int) -> asyncio.base_events.Server:
        # asyncio's default backlog of 100 drops connects when a burst of calls arrives
        return await asyncio.start_server(self.handler, host, port, limit=HEADER_LIMIT,
                                          backlog=BACKLOG)

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            peername = writer.get_extra_info("peername")
            peer = str(peername[0]) if peername else "unknown peer"
            if not peer_allowed(peer, self.allow):
                self._refuse(peer, "address not in agi_allow")
                return
            headers = await self._read_headers(reader)
            if headers is not None:
                await self._dispatch(peer, headers, reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read_headers(self, reader: asyncio.StreamReader) -> dict[str, str] | None:
        try:
            async with asyncio.timeout(self.read_timeout):
                raw = await reader.readuntil(b"\n\n")
        except TimeoutError:
            return self._reject("no complete request header within the time-out")
        except asyncio.IncompleteReadError:
            return self._reject("connection closed before the request header ended")
        except asyncio.LimitOverrunError:
            return self._reject(f"request header over {HEADER_LIMIT} bytes")
        headers: dict[str, str] = {}
        for line in raw.decode("utf-8", errors="replace").splitlines():
            key, sep, value = line.partition(": ")
            if sep and key.startswith("agi_"):
                headers[key] = value
        return headers

    def _reject(self, why: str) -> None:
        self.stats["rejected"] += 1
        log.warning("FastAGI request dropped: %s", why)
        return None

    def _refuse(self, peer: str, why: str) -> None:
        self.stats["refused"] += 1
        log.warning("FastAGI connection from %s refused: %s (%d refused since start)",
                    peer, why, self.stats["refused"])

    async def _dispatch(self, peer: str, headers: dict[str, str], reader, writer) -> None:
        if "agi_network_script" not in headers:
            self._reject("not a FastAGI request (no agi_network_script)")
            return
        script = headers["agi_network_script"].strip("/").split("?", 1)[0]
        key = _without_key(headers)
        if key is None or not hmac.compare_digest(key.encode(), self._secret):
            self._refuse(peer, f"{'no' if key is None else 'wrong'} key for {script[:60]!r}")
            # like a failed handler: the dialplan logs it and goes on with its defaults
            await _mark_failed(AgiCall(self, headers, reader, writer,
                                       encoding=self.default_encoding))
            return
        route = self._route.get(script)
        if route is None:
            self._reject(f"unknown handler {script[:60]!r}")
            return
        call = AgiCall(self, headers, reader, writer, encoding=self.default_encoding)
        try:
            await route(call)
            self.stats["served"] += 1
        except AgiHangup:
            self.stats["hangups"] += 1
            log.info("caller hung up during %s (%s)", script, call.uniqueid)
        except Exception:
            self.stats["failed"] += 1
            log.exception("AGI handler %s failed for %s", script, call.uniqueid)
            await _mark_failed(call)


async def _mark_failed(call: AgiCall) -> None:
    """HOTLINE_AGI_STATUS=FAILED, if the channel still listens: the dialplan goes on."""
    with contextlib.suppress(Exception):
        await call.set_variable(V.AGI_STATUS, "FAILED")
