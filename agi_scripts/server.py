"""The FastAGI server: panoramisk's Application and Request, hardened for a live line.

panoramisk reads the request header in a loop that spins forever when a client closes
early, and has no time-outs or size limits. Here the header is read with a deadline and
a 64 KiB cap, replies are read with a deadline, and every failure is contained to its own
connection, so a silent, slow, oversized or garbage-sending client never stalls the
other calls. A handler that raises marks the channel (HOTLINE_AGI_STATUS=FAILED) and the
dialplan carries on with its defaults: no call is dropped because Python failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from panoramisk.fast_agi import Application, Request
from panoramisk.utils import parse_agi_result

from agi_scripts import variables as V
from agi_scripts.registry import Handler
from hotline.db import DbWriter
from workorder.calendar import CourtCalendar

log = logging.getLogger(__name__)
HEADER_LIMIT = 64 * 1024  # Asterisk's request header is ~1 KiB; anything this big is abuse
BACKLOG = 1024


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
        self, ctx: AgiContext, handlers: dict[str, Handler], read_timeout: float = 5.0
    ) -> None:
        # panoramisk binds to a loop at construction: build this inside the running loop.
        super().__init__(loop=asyncio.get_running_loop())
        self.ctx = ctx
        self.read_timeout = read_timeout
        self.stats = {"served": 0, "failed": 0, "rejected": 0, "hangups": 0}
        for name, fn in handlers.items():
            self.add_route(name, fn)

    async def start(self, host: str, port: int) -> asyncio.base_events.Server:
        # asyncio's default backlog of 100 drops connects when a burst of calls arrives
        return await asyncio.start_server(self.handler, host, port, limit=HEADER_LIMIT,
                                          backlog=BACKLOG)

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            headers = await self._read_headers(reader)
            if headers is not None:
                await self._dispatch(headers, reader, writer)
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

    async def _dispatch(self, headers: dict[str, str], reader, writer) -> None:
        script = headers.get("agi_network_script", "").strip("/").split("?", 1)[0]
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
            with contextlib.suppress(Exception):
                await call.set_variable(V.AGI_STATUS, "FAILED")
