"""Calls out through a carrier trunk (R2 callbacks of abandoned and unanswered calls, R10
callbacks after feedback): which numbers a court hotline dials (toll fraud), and on two
real Asterisks — the hotline's, and a carrier (tests/support/carrier.py) with sipp
parties that answer, ring out, are busy or fail — the seat's phone first, then the party,
the number presented, the registration, each outcome on the order, the recording, and
nothing dialled for a number outside the rules even when the PBX is asked directly."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from support import tones
from support.carrier import PARTY_HZ, USERNAME, carrier_line

from hotline import ami, pbx
from hotline.settings import SettingsError, load
from recordings.store import WAV_HEADER
from workorder import outbound
from workorder.models import OutboundCall, WorkOrder
from workorder.outbound import DialRefused

ALLOW = load(environ={}).dial_patterns


# ---- the rules (no PBX) ---------------------------------------------------------------
@pytest.mark.parametrize("raw, number", [
    ("13812345678", "13812345678"), ("138 1234 5678", "13812345678"),
    ("+86 138-1234-5678", "13812345678"), ("008613812345678", "13812345678"),
    ("01012345678", "01012345678"), ("0755-12345678", "075512345678"),
    ("(0591)8765432", "05918765432"),
])
def test_r2_mobiles_and_landlines_with_area_code_are_dialled(raw, number):
    assert outbound.dialable(raw, ALLOW) == number


@pytest.mark.parametrize("raw, why", [
    ("+442079460000", "international number"), ("0044 20 7946 0000", "international number"),
    ("001 212 555 0100", "international number"),
    ("12368", "not a number the hotline dials"),  # short codes
    ("110", "not a number the hotline dials"), ("95588", "not a number the hotline dials"),
    ("16812345678", "not a number the hotline dials"),  # 168 premium lines
    ("12345678", "not a number the hotline dials"),  # a landline without its area code
    ("1381234567", "not a number the hotline dials"),  # one digit short
    ("0012345678901234567", "international"), ("abc", "is not a phone number"),
    ("", "is not a phone number"), ("1380013800\n0", "is not a phone number"),
])
def test_toll_fraud_numbers_are_refused_with_a_clear_message(raw, why):
    with pytest.raises(DialRefused, match=why) as err:
        outbound.dialable(raw, ALLOW)
    assert "nothing was dialled" in str(err.value)


def test_a_court_may_allow_a_short_code_and_bad_rules_are_refused():
    allow = load(environ={"HOTLINE_DIAL_ALLOW": r"1[3-9]\d{9} 0[1-9]\d{8,10} 12345"}).dial_patterns
    assert outbound.dialable("12345", allow) == "12345"
    with pytest.raises(DialRefused):
        outbound.dialable("95588", allow)
    for bad, needle in (("1[", "is not a regular expression"), (".*", "digits, \\d, classes"),
                        ("1\"3", "digits, \\d, classes")):
        with pytest.raises(SettingsError, match=re.escape(needle)):
            load(environ={"HOTLINE_DIAL_ALLOW": bad}).validate()
    with pytest.raises(SettingsError, match="trunk_register needs"):
        load(environ={"HOTLINE_TRUNK_REGISTER": "true"}).validate()
    with pytest.raises(SettingsError, match="outbound_caller_id"):
        load(environ={"HOTLINE_OUTBOUND_CALLER_ID": "12368; evil"}).validate()


@pytest.mark.parametrize("status, cause, outcome", [
    ("ANSWER", 16, "answered"), ("BUSY", 17, "busy"), ("CONGESTION", 17, "busy"),
    ("NOANSWER", 19, "no_answer"), ("CANCEL", 16, "no_answer"),
    ("CONGESTION", 21, "rejected"), ("CHANUNAVAIL", 1, "rejected"),
    ("CONGESTION", 34, "failed"), ("CHANUNAVAIL", None, "failed"), ("", None, "failed"),
    ("CHANUNAVAIL", 3, "failed"),  # no route: the trunk is down
])
def test_the_pbx_s_words_become_outcomes(status, cause, outcome):
    assert outbound.outcome_of(status, cause) == outcome


def test_the_first_outcome_is_kept_and_the_order_s_history_says_it(platform):
    from workorder.registration import Arrival, register_call

    now = datetime.now(UTC)
    with platform.uow.begin() as s:
        reg = register_call(s, platform.settings.court_name, platform.settings.tz,
                            Arrival("1.1", "13800000001", "", now), ("open", "工作时间"))
        call = outbound.place(s, reg.order_id, "13800000001", "seat1001", "dial", "李座席", now)
        uid = call.uniqueid
    with platform.uow.begin() as s:
        assert outbound.finish(s, uid, "answered", now, "ANSWER/16", 42, "x.wav") is not None
        assert outbound.finish(s, uid, "failed", now, "late") is None  # a second word: ignored
        assert outbound.finish(s, "out-unknown", "failed", now) is None
    with platform.uow() as s:
        (row,) = outbound.calls_of(s, reg.order_id)
        assert (row.outcome, row.talk_s, row.recording) == ("answered", 42, "x.wav")
        from workorder.models import OrderHistory

        reasons = [h.reason for h in s.scalars(select(OrderHistory).where(
            OrderHistory.order_id == reg.order_id).order_by(OrderHistory.id))]
        assert "seat1001 拨打 13800000001" in reasons and "13800000001：已接通，通话 42 秒" in reasons
        with pytest.raises(outbound.DomainError, match="unknown purpose"):
            outbound.place(s, reg.order_id, "13800000001", "seat1001", "spam", "x", now)


# ---- two real Asterisks ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def out_line(tmp_path_factory):
    """The hotline (seat1001 a sipp phone that answers) with its trunk out to the carrier
    Asterisk, registered there with digest credentials."""
    with carrier_line(tmp_path_factory, dial_ring_s=6, trunk_qualify_s=3) as line:
        yield line


def new_order(line, phone: str) -> str:
    out = line.cli("orders", "new", "--channel", "hotline", "--type", "2", "--phone", phone,
                   "--name", "回电测试", "--by", "李座席").stdout
    return out.split()[0]


def dial(line, order: str, number: str, seat: str = "seat1001", check: bool = True):
    return line.cli("dial", "call", order, "--seat", seat, "--number", number, "--json",
                    "--by", "李座席", check=check)


def wait_outcome(line, uniqueid: str, timeout: float = 40) -> OutboundCall:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with line.sessions()() as s:
            row = s.scalar(select(OutboundCall).where(OutboundCall.uniqueid == uniqueid))
            if row is not None and row.outcome is not None:
                return row
        time.sleep(0.3)
    raise AssertionError(f"no outcome for {uniqueid}")


@pytest.mark.asterisk
def test_r2_the_hotline_registers_at_the_carrier_with_its_credentials(out_line):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        contacts = out_line.carrier.console(f"pjsip show aor {USERNAME}")
        if "Contact:" in contacts and f"{USERNAME}/sip:" in contacts:
            break
        time.sleep(0.5)
    assert f"{USERNAME}/sip:{USERNAME}@127.0.0.1:{out_line.settings.sip_port}" in contacts


@pytest.mark.asterisk
def test_r2_seat_first_then_the_party_answers_recorded_with_12368_presented(out_line):
    order = new_order(out_line, "13900000001")
    placed = json.loads(dial(out_line, order, "13900000001").stdout)
    assert placed["outcome"] is None and placed["order"] == order  # the seat answered
    row = wait_outcome(out_line, placed["uniqueid"])
    assert row.outcome == "answered" and row.cause.startswith("ANSWER/")
    assert 3 <= row.talk_s <= 8  # the party hangs up after 4 s
    assert ("13900000001", "12368") in out_line.carrier.calls()  # the number presented
    path = out_line.settings.recordings_dir / row.recording
    time.sleep(1)  # MixMonitor closes the file as the seat's channel goes
    assert path.stat().st_size > WAV_HEADER + 3 * 16000  # 3 s and more of the talk
    heard = tones.measure(path, PARTY_HZ)
    assert heard[PARTY_HZ] > 0.5 and heard["db"] > -40, heard  # the party's voice in it
    listed = json.loads(out_line.cli("dial", "list", order, "--json").stdout)
    assert [c["outcome"] for c in listed] == ["answered"]
    with out_line.sessions()() as s:
        order_row = s.scalar(select(WorkOrder).where(WorkOrder.number == order))
        assert row.order_id == order_row.id


@pytest.mark.asterisk
@pytest.mark.parametrize("number, outcome, cause", [
    ("13900000003", "busy", "BUSY/17"),
    ("13900000002", "no_answer", "NOANSWER/"),
    ("13900000004", "rejected", "/21"),
    ("13900000005", "rejected", "/1"),
    ("13900000006", "failed", "/34"),
])
def test_r2_busy_no_answer_and_carrier_refusals_are_recorded_on_the_order(
        out_line, number, outcome, cause):
    order = new_order(out_line, number)
    placed = json.loads(dial(out_line, order, number).stdout)
    row = wait_outcome(out_line, placed["uniqueid"], timeout=30)
    assert row.outcome == outcome and cause in row.cause, (row.outcome, row.cause)
    assert row.talk_s is None and row.recording is None
    assert number in [n for n, _ in out_line.carrier.calls()]


@pytest.mark.asterisk
def test_toll_fraud_numbers_are_never_dialled_even_when_the_pbx_is_asked_directly(out_line):
    order = new_order(out_line, "13900000001")
    before = len(out_line.carrier.calls())
    proc = dial(out_line, order, "+442079460000", check=False)
    assert proc.returncode == 2 and "international number" in proc.stderr
    proc = dial(out_line, order, "95588", check=False)
    assert proc.returncode == 2 and "not a number the hotline dials" in proc.stderr
    with out_line.sessions()() as s:
        assert s.scalars(select(OutboundCall).where(OutboundCall.number == "95588")).all() == []

    async def straight_to_the_pbx():  # a request that skips the hotline's own check
        async with ami.connect(out_line.settings) as m:
            await ami.action(m, wait_s=30, Action="Originate", Channel="PJSIP/seat1001",
                             Context="hotline-out", Exten="0044207946000", Priority="1",
                             Async="false", Timeout="15000")

    asyncio.run(straight_to_the_pbx())
    time.sleep(2)
    assert len(out_line.carrier.calls()) == before  # the carrier saw nothing
    log = (out_line.settings.runtime_dir / "log" / "messages.log").read_text(errors="replace")
    assert "refused to dial 0044207946000" in log


@pytest.mark.asterisk
def test_a_seat_that_does_not_answer_dials_nobody(out_line):
    order = new_order(out_line, "13900000001")
    before = len(out_line.carrier.calls())
    placed = json.loads(dial(out_line, order, "13900000001", seat="seat1003").stdout)
    assert placed["outcome"] in ("seat_missed", "not_placed")  # no phone registered there
    assert len(out_line.carrier.calls()) == before


@pytest.mark.asterisk
def test_zz_the_trunk_down_is_a_failed_call_not_a_hang(out_line):
    """Last in the module: the carrier goes away."""
    out_line.carrier.stop()
    deadline = time.monotonic() + 20  # the PBX's OPTIONS go unanswered: the trunk is down
    while "Unavail" not in pbx.console(out_line.settings, "pjsip show contacts"):
        assert time.monotonic() < deadline, "the trunk was never seen down"
        time.sleep(0.5)
    order = new_order(out_line, "13900000001")
    started = time.monotonic()
    placed = json.loads(dial(out_line, order, "13900000001").stdout)
    row = wait_outcome(out_line, placed["uniqueid"], timeout=60)
    assert row.outcome == "failed", (row.outcome, row.cause)
    assert time.monotonic() - started < 45


def test_r4_2_the_judge_brought_in_is_the_hotline_s_choice_and_only_for_the_caller_s_seat(
        platform):
    """agi_scripts/consult.py: the page names only the order; the number is the case's
    presiding judge's (else the department head's), for the seat that has the caller."""
    from support import court

    from agi_scripts.consult import decide
    from workorder.models import Call, Judge
    from workorder.registration import Arrival, register_call
    from workorder.routing import RoutingError

    now = datetime.now(UTC)
    tz = platform.settings.tz
    with platform.uow.begin() as s:
        ids = court.build(s)
        reg = register_call(s, court.MID, tz, Arrival("judge.1", "13800000009", "", now),
                            ("open", "工作时间"))
        call = s.get(Call, reg.call_id) if hasattr(reg, "call_id") else s.scalar(
            select(Call).where(Call.uniqueid == "judge.1"))
        call.seat, call.answered_at = "seat1001", now
        order = s.get(WorkOrder, reg.order_id)
        with pytest.raises(RoutingError, match="请先填写案号"):  # no case, no department
            decide(s, order.id, "seat1001", "1.77", now, ALLOW, tz)
        order.case_number = court.CASE
        assert decide(s, order.id, "seat1002", "1.78", now, ALLOW, tz) is None  # not its call
        values = decide(s, order.id, "seat1001", "1.79", now, ALLOW, tz)
        judge = s.get(Judge, ids["m_judge"])
        assert values["HOTLINE_CONSULT"] == judge.mobile
        assert values["HOTLINE_ORDER"] == order.number
        assert values["HOTLINE_FILE"].startswith("outbound/") and values["HOTLINE_FILE"].endswith(
            "/1.79")
        (placed,) = outbound.calls_of(s, order.id)
        assert (placed.purpose, placed.seat, placed.uniqueid) == ("judge", "seat1001", "1.79")
        judge.mobile = "+442079460000"  # a directory number outside the rules is not dialled
        with pytest.raises(DialRefused, match="international"):
            decide(s, order.id, "seat1001", "1.80", now, ALLOW, tz)
        call.ended_at = now  # the caller has gone: nobody to bring the judge to
        assert decide(s, order.id, "seat1001", "1.81", now, ALLOW, tz) is None
