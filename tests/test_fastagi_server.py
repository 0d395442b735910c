"""The FastAGI server against hostile and broken clients: none may stall other calls, and
a failing handler never drops the call (style.md; issue: bad input)."""

import asyncio
import contextlib
import socket
import time

import pytest
from sqlalchemy import select

from agi_scripts.testing import agi_session, request_header
from hotline import bootstrap, running
from hotline.db import migrate
from workorder.models import Call, WorkOrder


def run(coro):
    return asyncio.run(coro)


async def _serving(settings, body):
    migrate(settings.db_url)
    settings = settings.with_(agi_read_timeout_s=1.0)
    with bootstrap.build(settings) as platform:
        async with running.servers(platform, with_ami=False) as svc:
            return await body(settings, svc)


@contextlib.contextmanager
def reading(settings):
    """A session on the database the server wrote to."""
    with bootstrap.build(settings) as platform, platform.uow() as session:
        yield session


async def _good_call(settings, uid, key="3"):
    started = time.monotonic()
    first = await agi_session("127.0.0.1", settings.agi_port, "incoming", uid,
                              key=settings.agi_secret)
    second = await agi_session("127.0.0.1", settings.agi_port, "menu", uid, args=(key, "1"),
                               key=settings.agi_secret)
    return first, second, time.monotonic() - started


def test_r2_incoming_registers_and_sets_the_dialplan_variables(settings):
    async def body(s, svc):
        return await _good_call(s, "call-1", key="4")

    incoming, menu, _ = run(_serving(settings, body))
    assert incoming[0].startswith('SET VARIABLE HOTLINE_MODE "')
    assert incoming[1].startswith('SET VARIABLE HOTLINE_ORDER "')
    assert incoming[2].startswith('SET VARIABLE HOTLINE_FILE "') and "call-1" in incoming[2]
    assert menu == ['SET VARIABLE HOTLINE_MENU "chosen"', 'SET VARIABLE HOTLINE_TYPE "4"',
                    'SET VARIABLE HOTLINE_QUEUE "hotline-4"']
    with reading(settings) as session:
        order = session.scalar(select(WorkOrder))
        assert order.order_type == 4 and order.caller_phone == "13800138000"


def test_wrong_key_asks_the_dialplan_to_replay(settings):
    async def body(s, svc):
        await agi_session("127.0.0.1", s.agi_port, "incoming", "c", key=s.agi_secret)
        return await agi_session("127.0.0.1", s.agi_port, "menu", "c", args=("9", "1"),
                                 key=s.agi_secret)

    assert run(_serving(settings, body)) == ['SET VARIABLE HOTLINE_MENU "retry"']


async def _raw(port, payload: bytes, close: bool, hold: float = 0.0):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    if payload:
        writer.write(payload)
        await writer.drain()
    if hold:
        await asyncio.sleep(hold)
    if close:
        writer.close()
        return b""
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


BAD = {
    "silent client": (b"", False),
    "partial header then waits": (b"agi_network: yes\nagi_network_script: incom", False),
    "header over 64 KiB": (b"agi_x: " + b"A" * 70_000 + b"\n\n", False),
    "binary garbage": (bytes(range(256)) * 10 + b"\n\n", False),
    "closes mid-header": (b"agi_network: yes\n", True),
    # these carry the key (see _payload), so the server reads how far they go
    "unknown handler": (lambda key: request_header("no_such_handler", "u1", key=key), False),
    "path traversal handler": (lambda key: request_header("../../etc/passwd", "u2", key=key),
                               False),
}


def _payload(case, key):
    payload = BAD[case][0]
    return payload(key) if callable(payload) else payload


@pytest.mark.parametrize("case", list(BAD))
def test_bad_clients_are_dropped_without_stalling_good_calls(settings, case):
    close = BAD[case][1]

    async def body(s, svc):
        payload = _payload(case, s.agi_secret)
        bad = [asyncio.create_task(_raw(s.agi_port, payload, close)) for _ in range(20)]
        await asyncio.sleep(0.05)
        good = await asyncio.wait_for(_good_call(s, f"good-{case}"), 5)
        answers = await asyncio.gather(*bad)
        return good, answers, dict(svc.agi.stats)

    (incoming, menu, elapsed), answers, stats = run(_serving(settings, body))
    assert len(incoming) == 3 and len(menu) == 3
    assert elapsed < 1.0, f"a good call took {elapsed:.2f} s beside {case}"
    assert all(a == b"" for a in answers), "bad clients get no AGI commands"
    assert stats["rejected"] >= 20 or case == "closes mid-header"


def test_caller_hanging_up_mid_handler_is_contained(settings):
    async def body(s, svc):
        cmds = await agi_session("127.0.0.1", s.agi_port, "incoming", "hang", hangup_after=0,
                                 key=s.agi_secret)
        good = await _good_call(s, "after-hangup")
        return cmds, good, dict(svc.agi.stats)

    cmds, good, stats = run(_serving(settings, body))
    assert len(cmds) == 1  # the server stopped at the HANGUP answer
    assert stats["hangups"] == 1 and stats["failed"] == 0
    assert len(good[0]) == 3
    with reading(settings) as session:
        # the call was registered before the caller hung up: nothing lost (R2)
        assert session.scalar(select(Call).where(Call.uniqueid == "hang")) is not None


def test_a_failing_handler_marks_the_channel_and_the_call_goes_on(settings, monkeypatch):
    import agi_scripts.overflow as overflow

    def broken(*_args):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(overflow, "record_overflow", broken)

    async def body(s, svc):
        await agi_session("127.0.0.1", s.agi_port, "incoming", "x", key=s.agi_secret)
        # the AMI timeline saw it join the queue: overflow acts only for such a call
        await svc.listener.on_event(None, {"Event": "QueueCallerJoin", "Uniqueid": "x",
                                           "Queue": "hotline-6", "Position": "1"})
        return await agi_session("127.0.0.1", s.agi_port, "overflow", "x", args=("TIMEOUT",),
                                 key=s.agi_secret)

    assert run(_serving(settings, body)) == ['SET VARIABLE HOTLINE_AGI_STATUS "FAILED"']


@pytest.mark.parametrize("caller", ["anonymous", "9" * 300, "张三<script>", "", "+86 138-0013-8000"])
def test_r2_odd_caller_ids_still_register(settings, caller):
    async def body(s, svc):
        return await agi_session("127.0.0.1", s.agi_port, "incoming", "odd", callerid=caller,
                                 key=s.agi_secret)

    assert len(run(_serving(settings, body))) == 3
    with reading(settings) as session:
        call = session.scalar(select(Call))
        assert call is not None
        assert call.caller_phone in (None, "13800138000")


def test_agi_port_in_use_is_a_clear_error(settings):
    from hotline.settings import SettingsError

    with socket.socket() as s:
        s.bind(("127.0.0.1", settings.agi_port))
        s.listen()
        with pytest.raises(SettingsError, match="agi_port .* HOTLINE_AGI_PORT"):
            run(_serving(settings, lambda *_: asyncio.sleep(0)))
