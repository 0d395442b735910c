"""The operator's panel and the supervisor's console in a real browser against a real
Asterisk: Debian's headless Chromium with fake media devices, driven by Playwright, inside
a network namespace that has only `lo` (tests/support/browser_panel.py).

A caller placed through AMI presses 3 (R3 contact the judge); the seat's page rings with
the pop (caller, type, the 10-second clock of R1, the caller's earlier order, R4 guidance);
the operator answers over WebRTC, the supervisor sees the call on the wall board and
listens in, the operator saves the order during the call and hangs up; the database holds
the order linked to the call and its recording. An operator is refused the console and a
recording; five wrong passwords lock the login for a while; an order's HTML is text.
Screenshots are kept in tests/artifacts/ (shown in the README)."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest
from support.netns import run_scenario

SCENARIO = Path(__file__).with_name("support") / "browser_panel.py"
ARTIFACTS = Path(__file__).with_name("artifacts")
SHOTS = ("panel-ringing.png", "panel-call.png", "console.png", "panel-refused.png")


@pytest.mark.asterisk
def test_r1_r3_a_call_rings_the_panel_is_answered_and_its_order_saved(tmp_path):
    r = run_scenario(SCENARIO, tmp_path / "data", tmp_path / "result.json", timeout=280)
    assert "error" not in r, r.get("error", "") + r.get("serve_log", "")
    # one truth for the seat's state (R1): logged in and registered, it rings, and the
    # page, `seats list` and the PBX say so before anyone presses 就绪
    assert r["state_at_load"] == "就绪" and " ready " in r["listed_at_load"] + " "
    assert "phone not registered" in r["listed_no_phone"]  # logged in, but it cannot ring
    assert r["paused_text"].startswith("示忙（") and "paused (" in r["listed_paused"]
    assert r["ready_text"] == "就绪"
    # the pop: who calls, the type chosen in the IVR (R3), the clock (R1), the history
    pop = r["pop"]
    assert pop["caller"] == "13812345678" and pop["type"] == "联系法官"
    assert pop["clock_visible"] and 0 <= int(pop["clock"]) < 10
    assert pop["number"] == r["db"]["order"]["number"]
    assert "R4.2" in pop["guide"]  # a second contact-the-judge call: to the presiding judge
    assert pop["rec"].startswith("本次通话全程录音")
    assert r["pop_after_s"] < 10
    (seen,) = r["pops"]
    assert seen["uid"] == r["db"]["call"]["uniqueid"]
    assert seen["shown"] - seen["ami_ts"] < 1.0  # pushed the moment the seat rang
    # the earlier order's HTML is shown as text, never run
    assert r["xss"] == {"pwned": 0, "scripts": 0, "cell": r["xss"]["cell"]}
    assert r["xss"]["cell"].startswith("<script>window.__pwned=1</script>")
    assert r["dialogs"] == []
    # answered over WebRTC (DTLS-SRTP offered, the browser's track attached), every ICE
    # candidate on loopback. With only `lo` Asterisk gathers no host candidate, so no
    # audio flows here; tests/test_browser_audio.py gives it one and measures the sound.
    media = r["media"]
    assert media["has_stream"] and media["tracks"] == 1
    assert media["candidates"] and set(media["candidates"]) <= {"127.0.0.1"}, media
    assert r["after_unhold"] == {"call_state": "通话中", "hangup_enabled": True}
    # the wall board saw the call; the supervisor listened on the own seat (ChanSpy)
    seats = {s["seat"]: s for s in r["board"]["seats"]}
    assert seats["seat1001"]["state"] == "on_call" and seats["seat1001"]["user"] == "李座席"
    assert r["board"]["today"]["answered"] == 1 and r["board"]["today"]["service_level"] == 100
    assert r["spy_msg"].startswith("监听 seat1001")
    # saved during the call, then wrap-up after hanging up
    assert r["saved"].startswith("已保存（工单 ")
    assert r["after_hangup"] == "话后整理"
    db = r["db"]
    assert db["call"]["seat"] == "seat1001" and db["call"]["outcome"] == "answered"
    assert db["call"]["order_type"] == 3 and db["call"]["hold_time_s"] < 10
    assert db["order"]["caller_name"] == "张三" and db["order"]["order_type"] == 3
    assert db["order"]["content"].startswith("要找承办法官，电话一直打不通。<script>")
    assert db["order"]["status"] == "in_progress" and db["order"]["version"] == 2
    rec = db["recording"]
    assert rec["call_id"] == db["order"]["call_id"] and rec["exists"] and rec["size"] > 44
    # refusals and the slowed-down login
    assert r["op_console"]["status"] == 403 and "只有班长" in r["op_console"]["text"]
    assert r["op_recording"]["status"] == 403
    assert r["lockout"]["statuses"] == [401] * 5 + [429]
    assert "暂时锁定" in r["lockout"]["text"] and int(r["lockout"]["retry_after"]) >= 55
    ARTIFACTS.mkdir(exist_ok=True)
    for name in SHOTS:
        head = (tmp_path / name).read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">I", head[16:20])[0] == 1366
        shutil.copy(tmp_path / name, ARTIFACTS / name)
