"""The whole line on a real Asterisk 22: calls placed by AMI Originate run the real
dialplan, reach the FastAGI server, wait in the real queues and are answered by a real
SIP phone (sipp). Every timing here is the PBX's own, not simulated."""

from __future__ import annotations

import asyncio
import json
import pwd
import re
import stat
import subprocess
import time
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline import ami
from recordings.models import Recording
from workorder.models import Call, CallEvent, WorkOrder
from workorder.types import OrderStatus

pytestmark = pytest.mark.asterisk


@pytest.fixture(scope="module")
def line(line):
    line.cli("mode", "open")  # the calendar would close the line at night and at weekends
    return line


def place(line, caller: str, keys: str, stay: float, delay: float = 1.5, say: str = "") -> str:
    out = line.cli("call", "--caller", caller, "--keys", keys, "--stay", str(stay),
                   "--delay", str(delay), "--say", say, "--no-wait", "--json").stdout
    return json.loads(out)["uniqueid"]


def wait_call(line, uid: str, done, timeout: float = 60.0) -> Call:
    deadline = time.monotonic() + timeout
    Session = line.sessions()
    last = None
    while time.monotonic() < deadline:
        with Session() as s:
            last = s.scalar(select(Call).where(Call.uniqueid == uid))
            if last is not None and done(last):
                return last
        time.sleep(0.25)
    raise AssertionError(f"call {uid} not as expected in {timeout} s: {last and vars(last)}")


def order_of(line, call: Call) -> WorkOrder:
    with line.sessions()() as s:
        return s.scalar(select(WorkOrder).where(WorkOrder.call_id == call.id))


def events_of(line, call: Call) -> list[CallEvent]:
    with line.sessions()() as s:
        return list(s.scalars(select(CallEvent).where(CallEvent.call_id == call.id)
                              .order_by(CallEvent.id)))


def sound_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def test_r3_each_key_one_to_six_ends_as_an_order_of_that_type(line):
    uids = {key: place(line, f"1380000000{key}", key, stay=3) for key in "123456"}
    for key, uid in uids.items():
        call = wait_call(line, uid, lambda c: c.ended_at is not None)
        order = order_of(line, call)
        assert order.order_type == int(key), f"key {key}"
        assert order.caller_phone == f"1380000000{key}"
        assert order.channel == "hotline"
        assert call.queue == f"hotline-{key}"
        assert call.outcome == "abandoned"  # hung up while waiting: kept for a callback (R2)
    listed = json.loads(line.cli("orders", "list", "--json").stdout)
    by_phone = {o["caller_phone"]: o for o in listed}
    for key in "123456":
        o = by_phone[f"1380000000{key}"]
        assert o["type"] == int(key)
        assert {"id", "caller_phone", "type", "channel", "status", "created_at"} <= set(o)


def test_r1_r3_a_silent_caller_is_queued_after_one_short_play(line):
    """Nobody pressing a key hears the welcome and the menu once, then waits 3 s at most
    before the queue as 6, other (it was three plays of a 21 s menu: 87 s)."""
    prompts = line.settings.sounds_dir / "hotline"
    played = sound_seconds(prompts / "welcome.wav") + sound_seconds(prompts / "menu.wav")
    assert played <= 16.0, played  # the menu is short
    uid = place(line, "13811110000", "", stay=played + 6)
    call = wait_call(line, uid, lambda c: c.offered_at is not None, timeout=40)
    in_menu = (call.offered_at - call.received_at).total_seconds()
    assert played <= in_menu <= played + 3.0 + 1.5, (in_menu, played)
    assert call.order_type == 6 and call.menu_attempts == 1
    assert call.queue == "hotline-6"


def test_r3_a_key_pressed_during_the_invalid_prompt_counts(line):
    # 9 at 1.5 s is wrong: "invalid" (3 s) starts at once; 2 is pressed 1 s into it
    uid = place(line, "13811113333", "9W2", stay=6)
    # the type is stored when the key is read, the offer a moment later: wait for both
    call = wait_call(line, uid, lambda c: c.menu_attempts == 2 and c.offered_at is not None,
                     timeout=30)
    assert call.order_type == 2
    assert (call.offered_at - call.received_at).total_seconds() < 6.0  # not after the menu


def test_r3_wrong_keys_replay_the_menu_then_default_to_other(line):
    gap = "W" * 7  # each wrong key is answered by "invalid" and the menu, cut short by the next
    uid = place(line, "13811112222", f"9{gap}0{gap}7", stay=4)
    call = wait_call(line, uid, lambda c: c.ended_at is not None, timeout=60)
    assert call.order_type == 6 and call.menu_attempts == 3
    assert order_of(line, call).order_type == 6


def test_r1_call_with_no_seat_logged_in_overflows_at_ten_seconds(line):
    uid = place(line, "13822223333", "1", stay=14)
    call = wait_call(line, uid, lambda c: c.ended_at is not None, timeout=40)
    assert call.overflowed_at is not None
    waited = (call.overflowed_at - call.offered_at).total_seconds()
    assert 9.5 <= waited <= 11.5, waited
    kinds = [e.kind for e in events_of(line, call)]
    assert kinds[:3] == ["arrived", "menu", "offered"] and "overflowed" in kinds
    assert "overflow_offered" in kinds  # the wider group (seats and supervisors) was tried
    stats = json.loads(line.cli("stats", "--json").stdout)
    assert stats["overflowed"] >= 1 and stats["offered"] >= stats["overflowed"]


def test_r1_overflowed_caller_leaves_a_callback_number_and_keeps_the_place(line):
    # key 1 at 1.5 s; overflow at ~11.5 s; the wider group rings 2 s; the offer plays
    # from ~14 s to ~21.5 s: press 1 at ~18 s (callback), then key the number.
    keys = "1" + "W" * 16 + "1" + "W" * 2 + "13900001111#"
    uid = place(line, "13833334444", keys, stay=15)
    call = wait_call(line, uid, lambda c: c.outcome == "callback", timeout=60)
    order = order_of(line, call)
    assert order.status == OrderStatus.CALLBACK_PENDING
    assert order.callback_phone == "13900001111"
    assert order.created_at == call.received_at  # its place: when the caller first rang


def test_r1_a_free_seat_answers_within_ten_seconds_and_the_call_is_recorded(line):
    port = line.seat_port
    sipp = subprocess.Popen(
        ["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-m", "1", "-rtp_echo",
         "-nostdin", "-timeout", "60s", "-timeout_error"],
        cwd=line.data_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        line.cli("seats", "login", "seat1001")
        time.sleep(0.5)
        uid = place(line, "13844445555", "2", stay=5, say=str(line.speech))
        # AgentComplete may come after the caller's Hangup event, or not at all
        call = wait_call(line, uid, lambda c: c.ended_at is not None and c.talk_time_s is not None,
                         timeout=40)
    finally:
        line.cli("seats", "logout", "seat1001")
        sipp.wait(timeout=30) if sipp.poll() is None else None
        if sipp.poll() is None:
            sipp.kill()
    assert call.outcome == "answered" and call.seat == "seat1001"
    assert call.hold_time_s is not None and call.hold_time_s <= 10
    kinds = [e.kind for e in events_of(line, call)]
    assert kinds[:5] == ["arrived", "menu", "offered", "ringing", "answered"]
    assert call.talk_time_s >= 3  # the far end spoke, then stayed on
    with line.sessions()() as s:
        rec = s.scalar(select(Recording).where(Recording.call_id == call.id))
    assert rec.kind == "call" and rec.status == "complete"
    audio = line.settings.recordings_dir / rec.path
    assert sound_seconds(audio) >= 2.0  # the conversation itself, not an empty file
    stats = json.loads(line.cli("stats", "--json").stdout)
    assert stats["answered"] >= 1 and stats["answered_within_target"] >= 1


def test_r6_closed_line_takes_a_message_that_survives_the_hang_up(line):
    line.cli("mode", "closed")
    try:
        prompts = line.settings.sounds_dir / "hotline"
        start = sound_seconds(prompts / "closed.wav") + sound_seconds(prompts / "message-prompt.wav")
        uid = place(line, "13855556666", "", stay=2, delay=start + 1.0, say=str(line.speech))
        call = wait_call(line, uid, lambda c: c.ended_at is not None, timeout=start + 40)
    finally:
        line.cli("mode", "open")
    assert call.mode == "closed" and call.offered_at is None
    assert call.outcome == "message"
    order = order_of(line, call)
    assert order.status == OrderStatus.MESSAGE_PENDING
    with line.sessions()() as s:
        rec = s.scalar(select(Recording).where(Recording.call_id == call.id))
    assert rec.kind == "message" and rec.path.startswith("messages/")
    assert sound_seconds(line.settings.recordings_dir / rec.path) >= 2.0
    _next_working_day_turns_it_into_an_order(line, call, order)


def _next_working_day_turns_it_into_an_order(line, call: Call, order: WorkOrder) -> None:
    """R6 on the file Asterisk wrote: the court is shut the next day (a local closure in
    the calendar file), so the message waits; on the first working day after it, the
    recogniser (the real Korean model) transcribes it and the order joins the queue."""
    import os
    from datetime import datetime, timedelta

    from support.speech import KOREAN_MODEL

    from hotline.bootstrap import build_calendar

    settings = line.settings
    today = datetime.now(settings.tz).date()
    cal = build_calendar(settings)
    holiday = cal.next_working_day(today)
    closure = line.data_dir / "closure.toml"
    closure.write_text(f'[[closed]]\ndate = {holiday}\nreason = "停电检修"\n')
    after = cal.next_working_day(holiday)
    env = {**os.environ, "HOTLINE_CALENDAR_OVERRIDE": str(closure),
           "HOTLINE_MODELS_DIR": str(KOREAN_MODEL.parent),
           "HOTLINE_SPEECH_MODEL": KOREAN_MODEL.name}

    def process(day) -> subprocess.CompletedProcess:
        return subprocess.run([*line.cli_args(), "messages", "process", "--date", str(day),
                               "--json", "--workers", "1"], capture_output=True, text=True,
                              timeout=300, env=env, stdin=subprocess.DEVNULL)

    shut = process(holiday)
    assert shut.returncode == 2 and "停电检修" in shut.stderr, shut.stderr
    assert f"the next one is {after}" in shut.stderr
    assert after > holiday > today and after - today >= timedelta(days=2)
    done = process(after)
    assert done.returncode == 0, done.stderr[-2000:]
    assert order.number in json.loads(done.stdout)["order_numbers"]
    with line.sessions()() as s:
        rec = s.scalar(select(Recording).where(Recording.call_id == call.id))
        filled = s.get(WorkOrder, order.id)
    assert rec.status == "ready" and rec.format == "wav/8000/1" and len(rec.sha256) == 64
    assert rec.transcript["model"] == KOREAN_MODEL.name and rec.transcript["words"]
    assert filled.status == OrderStatus.MESSAGE_PENDING and filled.content.startswith("【留言")
    listed = subprocess.run([*line.cli_args(), "messages", "list", "--json"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert order.number in [r["number"] for r in json.loads(listed.stdout)]


def test_with_the_fastagi_server_down_the_caller_still_reaches_the_queue(line):
    line.stop_serve()
    try:
        uid = place(line, "13866667777", "4", stay=8)
        settings = line.settings

        async def waiting_callers():
            async with ami.connect(settings) as manager:
                for _ in range(40):
                    entries = await ami.queue_callers(manager)
                    mine = [e for e in entries if e.get("Uniqueid") == uid]
                    if mine:
                        return mine
                    await asyncio.sleep(0.25)
            return []

        entries = asyncio.run(waiting_callers())
    finally:
        line.start_serve()
    assert entries, "the caller never reached a queue"
    assert entries[0]["Queue"] == "hotline-4"  # the key pressed still chooses the queue
    with line.sessions()() as s:
        assert s.scalar(select(Call).where(Call.uniqueid == uid)) is None  # Python was down


def test_pbx_status_and_a_second_start_is_refused(line):
    status = line.cli("pbx", "status")
    assert "running: pid" in status.stdout
    again = line.cli("pbx", "start", check=False)
    assert again.returncode == 2 and "already runs" in again.stderr


def test_a_sip_call_through_the_trunk_with_rfc4733_keys_enters_the_hotline(line):
    """The way in: a real SIP INVITE from the trunk address to 12368, the key sent as an
    RFC 4733 event (both ends have dtmf_mode = rfc4733)."""
    out = line.cli("call", "--caller", "13877778888", "--keys", "5", "--stay", "3",
                   "--delay", "1.5", "--via", "sip", "--json").stdout
    result = json.loads(out)
    assert result["via"] == "sip"
    assert not result["uniqueid"].startswith("hl-")  # the trunk's own leg, not the Local one
    assert result["state"] == "chosen" and result["order"]["type"] == 5
    assert result["order"]["caller_phone"] == "13877778888"


def test_the_pbx_never_looked_for_an_address_off_this_machine(line):
    """Network rule: media binds loopback, and the chroot's resolver points at 127.0.0.1,
    so Asterisk never probes the outside world for 'its own' address."""
    log = (line.data_dir / "asterisk" / "log" / "messages.log").read_text(errors="replace")
    assert "Asterisk Ready" in log
    assert "ROOT-SERVERS" not in log and "Unable to lookup" not in log


def test_asterisk_logs_in_court_time_with_the_offset(line):
    """Issue 15: one time zone in every log line. Asterisk's own clock reads the chroot's
    /etc/localtime (this machine's is UTC); the court's zone is bound there, so its lines
    read like the hotline's: court time, with the offset."""
    log = (line.data_dir / "asterisk" / "log" / "messages.log").read_text(errors="replace")
    ready = [ln for ln in log.splitlines() if "Asterisk Ready" in ln][-1]
    m = re.match(r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.\d{3}([+-]\d{4})\]", ready)
    assert m, ready
    stamp = datetime.strptime(m.group(1) + m.group(2), "%Y-%m-%d %H:%M:%S%z")
    assert m.group(2) == "+0800"  # Asia/Shanghai, the settings' default
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=30)


def test_asterisk_loaded_the_configuration_without_a_complaint(line):
    """A typo in a template (a stray ';' starts a comment) shows only as a warning."""
    log = (line.data_dir / "asterisk" / "log" / "messages.log").read_text(errors="replace")
    complaints = [ln for ln in log.splitlines() if ("WARNING[" in ln or "ERROR[" in ln)
                  and any(m in ln for m in ("config", "pbx_", "loader.c", "app_queue.c"))]
    assert complaints == []


def test_r1_a_seat_that_lets_it_ring_is_paused_and_the_call_overflows(line):
    scenario = Path(__file__).with_name("support") / "sipp_ring_no_answer.xml"
    sipp = subprocess.Popen(
        ["sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(line.away_seat_port),
         "-m", "1", "-nostdin", "-timeout", "60s"],
        cwd=line.data_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    settings = line.settings

    async def paused_state() -> dict[str, str]:
        async with ami.connect(settings) as manager:
            members = await ami.queue_members(manager)
        return {m["Queue"]: m.get("Paused", "") for m in members if m.get("Name") == "seat1002"}

    try:
        line.cli("seats", "login", "seat1002")
        time.sleep(0.5)
        uid = place(line, "13877770000", "1", stay=13)
        call = wait_call(line, uid, lambda c: c.ended_at is not None, timeout=40)
        paused = asyncio.run(paused_state())
    finally:
        line.cli("seats", "logout", "seat1002")
        if sipp.poll() is None:
            sipp.kill()
        sipp.wait()
    events = events_of(line, call)
    rang = [e for e in events if e.kind == "ringing"]
    assert rang and rang[0].seat == "seat1002"
    assert any(e.kind == "seat_no_answer" and e.seat == "seat1002" for e in events)
    assert call.overflowed_at is not None and call.answered_at is None
    # auto-paused in every queue: an away seat is never rung again (R1)
    assert paused and set(paused.values()) == {"1"}, paused


def test_r2_r10_an_abandoned_call_is_called_back_and_its_order_forwarded(line):
    """A real call that hangs up in the queue (R2) gets a callback task from the sweep;
    the operator reaches the caller, registers the matter and forwards it (R4.3, R5)."""
    uid = place(line, "13866665555", "4", stay=3)
    call = wait_call(line, uid, lambda c: c.ended_at is not None)
    assert call.outcome == "abandoned"
    number = order_of(line, call).number
    report = json.loads(line.cli("sweep", "--json").stdout)
    assert report["callbacks"] >= 1
    tasks = json.loads(line.cli("callbacks", "list", "--json").stdout)
    [task] = [t for t in tasks if t["order"] == number]
    assert (task["reason"], task["phone"], task["priority"]) == ("abandoned", "13866665555", 1)
    # a callback to an abandoned call reached no matter yet: no satisfaction to count (R10)
    refused = line.cli("callbacks", "done", number, "--outcome", "reached", "--satisfaction",
                       "满意", "--by", "seat1001", check=False)
    assert refused.returncode == 2 and "no satisfaction to ask" in refused.stderr
    line.cli("callbacks", "done", number, "--outcome", "reached", "--by", "seat1001")
    shown = json.loads(line.cli("orders", "show", number, "--json").stdout)
    assert shown["status"] == "in_progress" and shown["calls"] == [uid]
    line.cli("orders", "edit", number, "--version", str(shown["version"]), "--content",
             "对二审判决不服，要求申诉", "--by", "seat1001")
    out = line.cli("orders", "forward", number, "--by", "seat1001").stdout
    assert "信访部门负责人 吴静 13900000004 [R4.3]" in out


def test_the_running_pbx_writes_its_configuration_and_recordings_privately(line):
    """Issue 16 (last in this module: the calls above left recordings). With the AMI
    secret in manager.conf or the seats' passwords in pjsip.conf readable, any local
    account could log into AMI or register as a seat; a WAV readable is a call heard
    without the supervisor check or an audit row. The hotline runs with umask 077, and so
    does the Asterisk it starts. Asterisk ran as root: it runs as its own account, which
    reads its configuration and prompts, owns its state and the recordings, and reaches
    nothing else of the data folder."""
    pbx_user = pwd.getpwnam(line.settings.pbx_user)
    pid = int((line.data_dir / "asterisk" / "run" / "asterisk.pid").read_text())
    status = Path(f"/proc/{pid}/status").read_text()
    uids = re.search(r"^Uid:\s+(.*)$", status, re.M).group(1).split()
    assert uids == [str(pbx_user.pw_uid)] * 4  # real, effective, saved, filesystem
    etc = line.data_dir / "asterisk" / "etc"
    for name in ("manager.conf", "pjsip.conf", "extensions.conf"):
        st = (etc / name).stat()  # Asterisk reads it; only root (the hotline) writes it
        assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (
            0o640, 0, pbx_user.pw_gid), name
    wavs = list((line.data_dir / "recordings").rglob("*.wav"))
    assert wavs and all(w.stat().st_uid == pbx_user.pw_uid for w in wavs)  # Asterisk's own
    opened = [f"{p} {stat.filemode(p.stat().st_mode)}"
              for folder in ("asterisk", "recordings", "sounds", "pbx-shim")
              for p in [line.data_dir / folder, *(line.data_dir / folder).rglob("*")]
              if not p.is_symlink() and (p.stat().st_mode & 0o007 or (
                  p.stat().st_mode & 0o070 and p.stat().st_gid != pbx_user.pw_gid))]
    assert opened == []  # nothing for other accounts; group rights only for the PBX's
    shim = line.data_dir / "pbx-shim"
    assert (shim.stat().st_uid, stat.S_IMODE(shim.stat().st_mode)) == (0, 0o700)  # root's
    top = line.data_dir.stat()
    assert (stat.S_IMODE(top.st_mode), top.st_gid) == (0o710, pbx_user.pw_gid)  # passage
    for name in ("hotline.db", "ami.secret", "agi.secret"):
        st = (line.data_dir / name).stat()
        assert (stat.S_IMODE(st.st_mode), st.st_uid) == (0o600, 0), name

    def as_pbx(*cmd: str) -> int:  # where Asterisk runs: its mount namespace and chroot
        return subprocess.run(["nsenter", "-t", str(pid), "-m", "chroot",
                               str(line.settings.chroot_dir),
                               "setpriv", f"--reuid={pbx_user.pw_uid}",
                               f"--regid={pbx_user.pw_gid}", "--clear-groups", *cmd],
                              capture_output=True).returncode

    assert as_pbx("cat", str(etc / "pjsip.conf")) == 0  # the check itself can succeed
    assert as_pbx("cat", str(line.data_dir / "ami.secret")) != 0
    assert as_pbx("ls", str(line.data_dir)) != 0  # passage, no listing
    assert as_pbx("touch", str(etc / "pjsip.conf")) != 0  # read, never written
