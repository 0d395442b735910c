"""The command line says what is true and refuses what is wrong: a caller number that is
not one (R2), what `hotline call --wait` saw of the call (R2/R3), which courts the ledger
covers (R9), and counts in words that agree with them (R6)."""

from __future__ import annotations

import json
import threading
import time
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from support import court
from support.speech import line
from test_recording_store import message

from hotline import ami
from hotline.cli import call as call_cli
from hotline.cli import main
from workorder import phone
from workorder.models import Call, WorkOrder
from workorder.registration import Arrival, choose_type, register_call
from workorder.types import OrderType

NIGHT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 22:00 in Beijing, a Monday


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


# ---- 2. `hotline call --wait` tells what is true (R2/R3) -------------------------------------
def test_r3_the_wait_shows_the_order_of_a_call_registered_after_its_first_look(
        hotline, fake_line):
    fake_line.script = [(0.6, "register"), (1.2, "choose 4")]
    code, out = hotline("call", "--caller", "13800138000", "--keys", "4", "--timeout", "10")
    assert code == 0, out
    assert out.startswith("call hl-test0000: order ") and out.strip().endswith(
        "type 4 (信访申诉), line open")


def test_r3_a_caller_still_in_the_menu_has_an_order_and_is_said_to_be_in_the_menu(
        hotline, fake_line, platform):
    code, out = hotline("call", "--caller", "13800138000", "--timeout", "1", "--json")
    assert code == 0, out
    result = json.loads(out)
    with platform.uow() as s:
        order = s.scalar(select(WorkOrder))
    assert result["state"] == "in_menu" and result["order"]["number"] == order.number
    code, out = hotline("call", "--caller", "13800138001", "--timeout", "1")
    assert code == 0 and "still in the menu after 1 s (no type chosen yet)" in out
    assert "not registered" not in out


def test_r2_a_caller_who_hangs_up_in_the_menu_is_told_so_with_the_order(hotline, fake_line):
    fake_line.script = [(0.0, "register"), (0.5, "hangup")]
    code, out = hotline("call", "--caller", "13800138000", "--timeout", "10")
    assert code == 0, out
    assert out.startswith("call hl-test0000: order ")
    assert out.strip().endswith("call ended in the menu before a type was chosen "
                                "(hung up in the menu)")


def test_r2_a_call_the_line_never_registered_is_one_line_exit_2(hotline, fake_line):
    fake_line.script = []
    code, out = hotline("call", "--caller", "13800138000", "--timeout", "0")
    assert code == 2
    assert out.strip().splitlines() == [
        "Error: call hl-test0000 was placed but the line had not registered it after 0 s; is "
        "the FastAGI server running (`hotline up` or `hotline serve`)?"]


def test_the_wait_looks_until_settled_or_the_deadline_and_then_once_more():
    """The decision without a database: looks are made until the call is past the menu,
    and the last look, however late, is the one reported."""
    clock = iter(range(100))
    call, order = Call(order_type=None, mode="open"), WorkOrder(number="20261124-0001")
    looks = iter([(None, None), (call, None), (call, order)])
    (c, o), waited = call_cli.wait_for(lambda: next(looks), 3, clock=lambda: next(clock),
                                       sleep=lambda _s: None)
    assert (c, o, waited) == (call, order, 3) and not call_cli.settled(c, o)
    chosen = Call(order_type=2, mode="open")
    looks = iter([(call, order), (chosen, order)])
    (c, _o), _w = call_cli.wait_for(lambda: next(looks), 10, clock=lambda: next(clock),
                                    sleep=lambda _s: None)
    assert c is chosen and call_cli.settled(chosen, order)
    assert call_cli.settled(Call(order_type=None, mode="closed"), order)
    assert call_cli.settled(Call(order_type=None, mode="open", ended_at=NIGHT), order)
    assert not call_cli.settled(chosen, None)  # a call has its order from the start (R2)


def test_the_default_wait_covers_the_delay_and_the_keys():
    assert call_cli.key_seconds("9WWWW3") == 4.5 and call_cli.key_seconds("w1") == 0.75


# ---- 3. the ledger says which courts it covers (R9) ------------------------------------------
def test_r9_the_ledger_covers_every_court_unless_one_is_named_and_its_help_says_so(hotline,
                                                                                tmp_path):
    code, out = hotline("ledger", "--help")
    assert "the court in the settings" not in out
    assert "Only this court's orders (default: every court on" in out
    assert "ranked side by side" in out
    for where in (court.MID, court.PRIMARY):
        code, out = hotline("orders", "new", "--channel", "hall", "--type", "2",
                            "--court", where)
        assert code == 0, out
    month = datetime.now(UTC).astimezone(court.service().calendar.tz).strftime("%Y-%m")
    code, out = hotline("ledger", "--month", month, "--format", "json", "-o", "-")
    data = json.loads(out)
    assert data["totals"]["orders"] == 2
    assert sorted(r["court"] for r in data["courts"]) == sorted([court.MID, court.PRIMARY])
    code, out = hotline("ledger", "--month", month, "--court", court.PRIMARY,
                        "--format", "json", "-o", "-")
    data = json.loads(out)
    assert data["totals"]["orders"] == 1 and [r["court"] for r in data["courts"]] == [
        court.PRIMARY]
    book = tmp_path / "l.xlsx"
    assert hotline("ledger", "--month", month, "-o", str(book))[1] == (
        f"ledger {month} (all courts): 2 orders → {book}\n")
    assert hotline("ledger", "--month", month, "--court", court.PRIMARY, "-o", str(book))[1] == (
        f"ledger {month} ({court.PRIMARY}): 1 order → {book}\n")
    assert hotline("ledger", "--month", "2001-01", "-o", str(book))[1] == (
        f"ledger 2001-01 (all courts): 0 orders → {book}\n")


# ---- 4. counts agree with their nouns (R6) ----------------------------------------------------
@pytest.fixture
def no_model(settings, monkeypatch):
    """No speech model: the messages become orders to be listened to (R6)."""
    monkeypatch.setenv("HOTLINE_MODELS_DIR", str(settings.data_dir / "no-models"))
    return settings


@pytest.mark.parametrize("spoken, silent, summary", [
    (0, 0, "no messages waiting"),
    (1, 0, "1 message: 1 order to confirm (`hotline messages list`), 0 empty, 0 transcribed"),
    (0, 1, "1 message: 0 orders to confirm (`hotline messages list`), 1 empty, 0 transcribed"),
    (2, 0, "2 messages: 2 orders to confirm (`hotline messages list`), 0 empty, 0 transcribed"),
])
def test_r6_messages_process_counts_in_words_that_agree(no_model, platform, hotline, spoken,
                                                        silent, summary):
    for n in range(spoken + silent):
        audio = line(0.3, "법원", 0.3) if n < spoken else line(0.6)
        message(platform, f"1700000900.{n}", audio, caller=f"1380013800{n}",
                left=NIGHT + timedelta(minutes=n))
    code, out = hotline("messages", "process", "--workers", "1")
    assert code == 0, out
    lines = out.strip().splitlines()
    total = spoken + silent
    if total:
        label = f"processing {total} message{'s' if total != 1 else ''}"
        assert lines[0] == label  # the progress bar, off a terminal: its label once
        lines = lines[1:]
    assert len(lines) == 1 and lines[0].startswith(summary), lines


def test_a_test_call_s_sound_is_put_where_the_pbx_account_can_read_it(platform, tmp_path):
    """Issue 16: Asterisk runs as its own account and reads only the prompts folder, so
    `hotline call --say` copies a sound from elsewhere there; a missing one is refused."""
    settings = platform.settings
    with pytest.raises(ami.InvalidCall, match=r"no sound file .*nowhere\.wav"):
        call_cli.sound_for_the_pbx(settings, str(tmp_path / "nowhere"))
    (tmp_path / "words.wav").write_bytes(b"RIFF....WAVE")
    given = call_cli.sound_for_the_pbx(settings, str(tmp_path / "words"))
    assert given == str(settings.sounds_dir / "caller" / "words")
    assert (settings.sounds_dir / "caller" / "words.wav").read_bytes() == b"RIFF....WAVE"
    prompt = settings.sounds_dir / "hotline" / "own-words"  # a prompt is used where it is
    prompt.parent.mkdir(parents=True, exist_ok=True)
    prompt.with_suffix(".wav").write_bytes(b"RIFF....WAVE")
    assert call_cli.sound_for_the_pbx(settings, str(prompt)) == str(prompt)


def test_a_command_on_a_folder_never_set_up_says_to_run_setup(tmp_path):
    """`hotline stats` (and any command reading the database) on a data folder that was
    never set up printed SQLAlchemy's traceback; now one line that says what to do."""
    folder = tmp_path / "new"
    for args in (["stats"], ["-v", "stats"], ["orders", "list"]):
        result = CliRunner().invoke(main, ["--data-dir", str(folder), *args])
        assert result.exit_code == 2, (args, result.output)
        assert "has no hotline tables" in result.output and "hotline setup" in result.output
        assert "Traceback" not in result.output and "sqlalche" not in result.output
