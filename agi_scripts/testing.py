"""Test doubles users of this package import (tests, the benchmark): a client that plays
Asterisk's side of a FastAGI session, speaking the real protocol over a real socket."""

from __future__ import annotations

import asyncio


def request_header(script: str, uniqueid: str, callerid: str = "13800138000",
                   args: tuple[str, ...] = (), calleridname: str = "unknown") -> bytes:
    """The header Asterisk sends when the dialplan runs AGI(agi://host:port/<script>,…)."""
    lines = [
        "agi_network: yes", f"agi_network_script: {script}", f"agi_request: agi://x/{script}",
        "agi_channel: Local/12368@hotline-00000001;2", "agi_language: zh", "agi_type: Local",
        f"agi_uniqueid: {uniqueid}", "agi_version: 22.10.1", f"agi_callerid: {callerid}",
        f"agi_calleridname: {calleridname}", "agi_callingpres: 0", "agi_callingani2: 0",
        "agi_callington: 0", "agi_callingtns: 0", "agi_dnid: 12368", "agi_rdnis: unknown",
        "agi_context: hotline", "agi_extension: 12368", "agi_priority: 7",
        "agi_enhanced: 0.0", "agi_accountcode: ", "agi_threadid: 140000000000000",
    ]
    lines += [f"agi_arg_{n}: {a}" for n, a in enumerate(args, 1)]
    return ("\n".join(lines) + "\n\n").encode()


async def agi_session(host: str, port: int, script: str, uniqueid: str, *,
                      callerid: str = "13800138000", args: tuple[str, ...] = (),
                      hangup_after: int | None = None, timeout: float = 10.0) -> list[str]:
    """Run one FastAGI session as Asterisk would; answer each command with success.
    ``hangup_after=n`` answers n commands, then reports HANGUP as Asterisk does when the
    caller hangs up. Returns the commands the server sent."""
    reader, writer = await asyncio.open_connection(host, port)
    commands: list[str] = []
    try:
        writer.write(request_header(script, uniqueid, callerid, args))
        await writer.drain()
        while True:
            line = await asyncio.wait_for(reader.readline(), timeout)
            if not line:
                return commands
            commands.append(line.decode().rstrip("\n"))
            if hangup_after is not None and len(commands) > hangup_after:
                writer.write(b"HANGUP\n")
            else:
                writer.write(b"200 result=1\n")
            await writer.drain()
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass
