"""The command line refuses what is wrong: a caller number that is not one (R2)."""

from __future__ import annotations

import json
import threading
import time
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from support import court

from hotline import ami
from hotline.cli import main
from workorder import phone
from workorder.models import Call, WorkOrder
from workorder.registration import Arrival, choose_type, register_call
from workorder.types import OrderType


@pytest.fixture
def hotline(platform):
    """``hotline ARGS…`` on the platform fixture's data folder: (exit code, output)."""
    with platform.uow.begin() as s:
        court.build(s)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, ["--data-dir", str(platform.settings.data_dir), *args],
                               catch_exceptions=False, env={"HOTLINE_OPERATOR": "seat1001"})
        return result.exit_code, result.output

    return run


class FakeLine:
    """AMI Originate without Asterisk: each placed call plays ``script`` — (seconds after
    the originate, step) — on the database as the FastAGI server and the AMI listener
    would: ``register`` (the call and its order, R2), ``choose N`` (the menu, R3) and
    ``hangup``."""

    def __init__(self, platform) -> None:
        self.platform = platform
        self.script: list[tuple[float, str]] = [(0.0, "register")]
        self.placed: list[str] = []
        self.threads: list[threading.Thread] = []

    def step(self, uid: str, caller: str, what: str) -> None:
        settings, at = self.platform.settings, datetime.now(UTC)
        with self.platform.uow.begin() as s:
            if what == "register":
                register_call(s, settings.court_name, settings.tz,
                              Arrival(uid, caller, None, at), ("open", "staffed hours"))
            elif what.startswith("choose"):
                choose_type(s, uid, OrderType(int(what.split()[1])), 1, at)
            else:
                ami.TimelineListener(None, settings.tz).apply(
                    s, "Hangup", {"Uniqueid": uid, "Cause": "16"}, at)

    def play(self, uid: str, caller: str) -> None:
        start = time.monotonic()
        for after, what in self.script:
            time.sleep(max(0.0, start + after - time.monotonic()))
            self.step(uid, caller, what)

    @asynccontextmanager
    async def connect(self, _settings, **_kw):
        yield None

    async def originate(self, _manager, caller: str, keys: str, **_kw) -> str:
        uid = f"hl-test{len(self.placed):04d}"
        self.placed.append(caller)
        t = threading.Thread(target=self.play, args=(uid, caller), daemon=True)
        t.start()
        self.threads.append(t)
        return uid

    def finish(self) -> None:
        for t in self.threads:
            t.join(10)


@pytest.fixture
def fake_line(platform, monkeypatch):
    fake = FakeLine(platform)
    monkeypatch.setattr(ami, "connect", fake.connect)
    monkeypatch.setattr(ami, "originate", fake.originate)
    yield fake
    fake.finish()


def _count(platform, model) -> int:
    with platform.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


# ---- 1. a caller number that is not one is refused (R2) ---------------------------------------
@pytest.mark.parametrize("raw", ["abc", "138abc", "12", "1" * 30, "１３８００１３８０００",
                                 "138+0013", "0086"])
def test_r2_a_typed_caller_number_that_is_not_one_is_refused(raw):
    with pytest.raises(phone.PhoneError, match="is not a phone number"):
        phone.parse_caller(raw)


@pytest.mark.parametrize("raw, number", [
    ("13800138000", "13800138000"), ("+86 138 0013 8000", "13800138000"),
    ("0371-12345678", "037112345678"), ("", None), ("-", None), (" anonymous ", None)])
def test_r2_a_typed_caller_number_is_a_number_or_withheld(raw, number):
    assert phone.parse_caller(raw) == number


def test_r2_hotline_call_refuses_a_caller_that_is_not_a_number_and_places_nothing(
        hotline, fake_line, platform):
    code, out = hotline("call", "--caller", "abc", "--keys", "3")
    assert code == 2
    assert out.strip().splitlines() == [
        "Error: --caller: 'abc' is not a phone number: digits, optionally after a +, 3 to 20 "
        "of them (empty or - for a withheld number)"]
    assert fake_line.placed == [] and _count(platform, Call) == 0


@pytest.mark.parametrize("given, presented, stored", [
    ("13800138000", "13800138000", "13800138000"),
    ("+86 138 0013 8000", "+86 138 0013 8000", "13800138000"),
    ("", "", None),     # a withheld number: the call presents none
    ("-", "", None),    # what a listing prints for no number
    ("anonymous", "", None),
])
def test_r2_hotline_call_places_a_number_or_a_withheld_caller(hotline, fake_line, platform,
                                                              given, presented, stored):
    fake_line.script = [(0.0, "register"), (0.0, "choose 3")]
    code, out = hotline("call", "--caller", given, "--keys", "3", "--json")
    assert code == 0, out
    assert fake_line.placed == [presented]
    assert json.loads(out)["order"]["caller_phone"] == stored


def test_r2_an_order_taken_by_hand_refuses_a_phone_that_is_not_one(hotline, platform):
    code, out = hotline("orders", "new", "--channel", "hall", "--type", "1",
                        "--phone", "call me")
    assert code == 2 and out.strip().splitlines() == [
        "Error: --phone: 'call me' is not a phone number: digits, optionally after a +, 3 to "
        "20 of them (empty or - for a withheld number)"]
    assert _count(platform, WorkOrder) == 0


def test_r2_an_order_taken_by_hand_may_have_no_phone_and_an_edit_may_clear_it(hotline,
                                                                            platform):
    code, out = hotline("orders", "new", "--channel", "hall", "--type", "1", "--phone", "-")
    assert code == 0, out
    number = out.split()[0]
    assert json.loads(hotline("orders", "show", number, "--json")[1])["caller_phone"] is None
    code, out = hotline("orders", "edit", number, "--version", "1", "--phone", "138 0013 8000")
    assert code == 0, out
    code, out = hotline("orders", "edit", number, "--version", "2", "--callback-phone", "x1")
    assert code == 2 and "--callback-phone: 'x1' is not a phone number" in out
    code, out = hotline("orders", "edit", number, "--version", "2", "--phone", "-")
    assert code == 0 and "caller_phone '13800138000' → None" in out
    assert json.loads(hotline("orders", "show", number, "--json")[1])["caller_phone"] is None
