"""Test doubles users of this package import (tests, the benchmark): a client that plays
Asterisk's side of a FastAGI session, speaking the real protocol over a real socket."""

from __future__ import annotations

import asyncio


def request_header(script: str, uniqueid: str, callerid: str = "13800138000",
                   args: tuple[str, ...] = (), calleridname: str = "unknown",
                   key: str | None = None) -> bytes:
    """The header Asterisk sends when the dialplan runs AGI(agi://host:port/<script>,…);
    ``key`` goes first, as the dialplan passes ${HOTLINE_AGI_KEY} (None: no key at all)."""
    if key is not None:
        args = (key, *args)
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
                      key: str | None = None, source: str | None = None,
                      hangup_after: int | None = None, timeout: float = 10.0) -> list[str]:
    """Run one FastAGI session as Asterisk would; answer each command with success.
    ``key`` is the server's agi_secret (argument 1, as the dialplan sends it); ``source``
    the local address to connect from (e.g. 127.0.0.2). ``hangup_after=n`` answers n
    commands, then reports HANGUP as Asterisk does when the caller hangs up. Returns the
    commands the server sent."""
    local = (source, 0) if source else None
    reader, writer = await asyncio.open_connection(host, port, local_addr=local)
    commands: list[str] = []
    try:
        writer.write(request_header(script, uniqueid, callerid, args, key=key))
        await writer.drain()
        while True:
            try:
                line = await asyncio.wait_for(reader.readline(), timeout)
            except ConnectionResetError:  # closed unread: the end, as Asterisk takes it
                return commands
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
