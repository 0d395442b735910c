"""Who may drive the FastAGI server (R1, R2, R10): only Asterisk nodes in agi_allow, only
with the key the dialplan passes to every AGI(); and callback/overflow only for a call
that is waiting in a queue now. A refused request creates nothing, is logged in one line
(never with the key) and is counted."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import re
import stat

import pytest
from sqlalchemy import func, select
from test_configuration import hotline
from test_fastagi_server import _serving, reading, run

from agi_scripts.server import peer_allowed
from agi_scripts.testing import agi_session
from hotline import pbx
from hotline.settings import load
from workorder.models import Call, CallbackTask, CallEvent, WorkOrder
from workorder.types import OrderStatus

FAILED = ['SET VARIABLE HOTLINE_AGI_STATUS "FAILED"']


def counts(settings) -> dict[str, int]:
    with reading(settings) as session:
        return {"calls": session.scalar(select(func.count()).select_from(Call)),
                "orders": session.scalar(select(func.count()).select_from(WorkOrder)),
                "tasks": session.scalar(select(func.count()).select_from(CallbackTask))}


# ---- the key -------------------------------------------------------------------------------
@pytest.mark.parametrize("given", ["none", "wrong", "empty", "longer"])
def test_r2_a_request_without_the_key_creates_no_call_and_is_counted(settings, caplog, given):
    key = {"none": None, "wrong": "x" * len(settings.agi_secret), "empty": "",
           "longer": settings.agi_secret + "x"}[given]

    async def body(s, svc):
        forged = await agi_session("127.0.0.1", s.agi_port, "incoming", "forged-1", key=key)
        return forged, dict(svc.agi.stats)

    with caplog.at_level(logging.WARNING, logger="agi_scripts.server"):
        forged, stats = run(_serving(settings, body))
    assert forged == FAILED  # the dialplan goes on with its defaults, as after a failure
    assert stats["refused"] == 1 and stats["served"] == 0
    assert counts(settings) == {"calls": 0, "orders": 0, "tasks": 0}
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1
    assert "127.0.0.1" in refusals[0]
    assert ("no key" if key is None else "wrong key") in refusals[0]
    assert settings.agi_secret not in caplog.text


def test_r1_r10_forged_overflow_and_callback_for_a_waiting_call_change_nothing(settings):
    """The call is real and waiting: without the key nobody can count a breach on it or
    make it a callback to another number."""

    async def body(s, svc):
        await agi_session("127.0.0.1", s.agi_port, "incoming", "real", key=s.agi_secret)
        await svc.listener.on_event(None, {"Event": "QueueCallerJoin", "Uniqueid": "real",
                                           "Queue": "hotline-6", "Position": "1"})
        await agi_session("127.0.0.1", s.agi_port, "overflow", "real", args=("TIMEOUT",))
        await agi_session("127.0.0.1", s.agi_port, "callback", "real", args=("13912345678",),
                          key="guessed-" + "0" * 30)
        return dict(svc.agi.stats)

    stats = run(_serving(settings, body))
    assert stats["refused"] == 2 and stats["served"] == 1
    with reading(settings) as session:
        call = session.scalar(select(Call).where(Call.uniqueid == "real"))
        order = session.scalar(select(WorkOrder).where(WorkOrder.call_id == call.id))
        assert call.overflowed_at is None and call.outcome is None
        assert order.status == OrderStatus.REGISTERED and order.callback_phone is None


# ---- the allowlist ---------------------------------------------------------------------------
def test_a_connection_from_outside_agi_allow_is_closed_before_any_handler(settings, caplog):
    async def body(s, svc):
        stranger = await agi_session("127.0.0.1", s.agi_port, "incoming", "from-2",
                                     key=s.agi_secret, source="127.0.0.2")
        return stranger, dict(svc.agi.stats)

    with caplog.at_level(logging.WARNING, logger="agi_scripts.server"):
        stranger, stats = run(_serving(settings, body))
    assert stranger == []  # not even told to mark the channel: closed unread
    assert stats["refused"] == 1 and stats["served"] == 0 and stats["rejected"] == 0
    assert counts(settings)["calls"] == 0
    assert any("127.0.0.2" in r.getMessage() and "agi_allow" in r.getMessage()
               for r in caplog.records)


def test_agi_allow_lets_in_the_nodes_it_lists_and_no_others(settings):
    async def body(s, svc):
        node = await agi_session("127.0.0.1", s.agi_port, "incoming", "node",
                                 key=s.agi_secret, source="127.0.0.2")
        local = await agi_session("127.0.0.1", s.agi_port, "incoming", "local",
                                  key=s.agi_secret, source="127.0.0.1")
        return node, local, dict(svc.agi.stats)

    node, local, stats = run(_serving(settings.with_(agi_allow=("127.0.0.2",)), body))
    assert len(node) == 3 and local == []
    assert stats["served"] == 1 and stats["refused"] == 1
    with reading(settings) as session:
        assert session.scalars(select(Call.uniqueid)).all() == ["node"]


@pytest.mark.parametrize("peer, allow, expected", [
    ("198.51.100.1", ["198.51.100.1/32"], True),
    ("198.51.100.77", ["198.51.100.0/24"], True),
    ("203.0.113.1", ["198.51.100.0/24"], False),
    ("192.0.2.10", ["198.51.100.0/24", "192.0.2.10/32"], True),
    ("::ffff:198.51.100.7", ["198.51.100.0/24"], True),  # an IPv4 peer on a dual-stack socket
    ("2001:db8::5", ["2001:db8::/32"], True),
    ("2001:db9::5", ["2001:db8::/32"], False),
    ("fe80::1%eth0", ["fe80::/10"], True),
    ("127.0.0.2", ["127.0.0.1/32"], False),
    ("198.51.100.1", ["2001:db8::/32"], False),
    ("not an address", ["0.0.0.0/0"], False),
    ("", ["0.0.0.0/0"], False),
])
def test_the_allowlist_check(peer, allow, expected):
    assert peer_allowed(peer, [ipaddress.ip_network(n) for n in allow]) is expected


# ---- the settings (bad agi_* values: tests/test_configuration.py) --------------------------------
def test_agi_allow_from_the_file_and_from_the_environment(tmp_path):
    (tmp_path / "hotline.toml").write_text('agi_allow = ["127.0.0.1", "198.51.100.0/24"]\n')
    from_file = load(environ={}, data_dir=str(tmp_path))
    assert from_file.agi_networks == (ipaddress.ip_network("127.0.0.1/32"),
                                      ipaddress.ip_network("198.51.100.0/24"))
    from_env = load(environ={"HOTLINE_AGI_ALLOW": "198.51.100.1, 198.51.100.2"}, data_dir=str(tmp_path))
    assert from_env.agi_allow == ("198.51.100.1", "198.51.100.2")


def test_setup_generates_the_key_once_and_the_dialplan_passes_it(tmp_path):
    proc = hotline(tmp_path, "setup")
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "agi.secret"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    secret = path.read_text()
    assert len(secret) >= 40
    settings = load(environ={}, data_dir=str(tmp_path))
    assert settings.agi_secret == secret  # kept, not made again
    install = pbx.Installation("/usr/sbin/asterisk", "/usr/lib/asterisk/modules",
                               "/usr/share/asterisk")
    etc = pbx.render(settings, install, []).parent
    dialplan = (etc / "extensions.conf").read_text()
    assert f"HOTLINE_AGI = agi://127.0.0.1:{settings.agi_port}\n" in dialplan
    # every AGI() of the call flow passes the key first, written in (a global would be
    # logged by Asterisk as it sets it)
    calls = re.findall(r"AGI\(\$\{HOTLINE_AGI\}/(\w+),([^,)]*)", dialplan)
    assert sorted(name for name, _ in calls) == ["callback", "consult", "dialed", "incoming",
                                                  "menu", "message", "overflow", "vhold",
                                                  "vhold"]
    assert {given for _, given in calls} == {secret}
    others = "\n".join(f.read_text() for f in etc.glob("*.conf") if f.name != "extensions.conf")
    assert secret not in others
    # set in the settings, the key is used as given
    given = load(environ={"HOTLINE_AGI_SECRET": "k" * 32}, data_dir=str(tmp_path))
    assert given.agi_secret == "k" * 32


# ---- callback and overflow only for a call waiting in a queue --------------------------------
AFTER_JOIN = {"ended": {"Event": "Hangup", "Cause": "16"},
              "answered": {"Event": "AgentConnect", "Queue": "hotline-6",
                           "MemberName": "seat1001", "HoldTime": "3"}}


async def _for_each_kind_of_call(s, svc, third: str, script: str, args: tuple[str, ...]):
    """Registered by ``incoming``: "waiting" (then in a queue, as the AMI timeline records
    it), "in-menu" (never offered) and ``third`` (offered, then AFTER_JOIN[third]); then
    ``script`` for each of them and for an unknown channel."""
    for uid in ("waiting", "in-menu", third):
        await agi_session("127.0.0.1", s.agi_port, "incoming", uid, key=s.agi_secret)
    for uid in ("waiting", third):
        await svc.listener.on_event(None, {"Event": "QueueCallerJoin", "Uniqueid": uid,
                                           "Queue": "hotline-6", "Position": "1"})
    await svc.listener.on_event(None, {**AFTER_JOIN[third], "Uniqueid": third})
    return {uid: await agi_session("127.0.0.1", s.agi_port, script, uid, args=args,
                                   key=s.agi_secret)
            for uid in ("unknown", "in-menu", third, "waiting")}


def test_r10_callback_only_for_a_call_waiting_in_a_queue(settings, caplog):
    async def body(s, svc):
        out = await _for_each_kind_of_call(s, svc, "ended", "callback", ("13912345678",))
        return out, dict(svc.agi.stats)

    with caplog.at_level(logging.WARNING):
        out, stats = run(_serving(settings, body))
    assert out["waiting"] == ['SET VARIABLE HOTLINE_CALLBACK "ok"']
    # refused: nothing set, so the dialplan takes a message instead; not a handler failure
    assert out["unknown"] == out["in-menu"] == out["ended"] == []
    assert stats["failed"] == 0
    with reading(settings) as session:
        orders = {c.uniqueid: o for c, o in session.execute(
            select(Call, WorkOrder).join(WorkOrder, WorkOrder.call_id == Call.id))}
        assert orders["waiting"].status == OrderStatus.CALLBACK_PENDING
        assert orders["waiting"].callback_phone == "13912345678"
        for uid in ("in-menu", "ended"):
            assert orders[uid].status == OrderStatus.REGISTERED, uid
            assert orders[uid].callback_phone is None, uid
        ids = [o.id for o in orders.values()]  # this test's orders: no callback task (R10)
        assert session.scalar(select(func.count()).select_from(CallbackTask).where(
            CallbackTask.order_id.in_(ids))) == 0
        requested = session.scalars(select(CallEvent.call_id).where(
            CallEvent.kind == "callback_requested")).all()
        assert len(requested) == 1
    refused = [r.getMessage() for r in caplog.records if "callback for" in r.getMessage()]
    assert len(refused) == 3 and all("refused" in m for m in refused)
    assert any("'unknown'" in m for m in refused)


def test_r1_overflow_counts_only_for_a_call_waiting_in_a_queue(settings, caplog):
    async def body(s, svc):
        await _for_each_kind_of_call(s, svc, "answered", "overflow", ("TIMEOUT",))
        return dict(svc.agi.stats)

    with caplog.at_level(logging.WARNING):
        stats = run(_serving(settings, body))
    assert stats["failed"] == 0
    with reading(settings) as session:
        overflowed = {c.uniqueid: c.overflowed_at is not None
                      for c in session.scalars(select(Call))}
        assert overflowed == {"waiting": True, "in-menu": False, "answered": False}
        assert session.scalar(select(func.count()).select_from(CallEvent).where(
            CallEvent.kind == "overflowed")) == 1
    refused = [r.getMessage() for r in caplog.records if "overflow for" in r.getMessage()]
    assert len(refused) == 3


def test_the_test_client_really_connects_from_the_second_loopback_address(settings):
    """127.0.0.2 is on lo with the rest of 127.0.0.0/8: the allowlist tests above would
    prove nothing if the kernel picked 127.0.0.1 instead."""

    async def body():
        seen = []

        async def note(reader, writer):
            seen.append(writer.get_extra_info("peername")[0])
            writer.close()

        server = await asyncio.start_server(note, "127.0.0.1", settings.agi_port)
        async with server:
            await agi_session("127.0.0.1", settings.agi_port, "x", "y", source="127.0.0.2")
        return seen

    assert run(body()) == ["127.0.0.2"]
