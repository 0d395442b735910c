"""R1: the supervisors are the overflow group's last try, and the console page is the
supervisor's phone. Real Asterisk, real headless Chromium inside a namespace with only
`lo` (tests/support/browser_console.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.netns import run_scenario

SCENARIO = Path(__file__).with_name("support") / "browser_console.py"
ARTIFACTS = Path(__file__).with_name("artifacts")


@pytest.mark.asterisk
def test_r1_overflow_calls_ring_the_console_which_answers_and_never_pauses_itself(tmp_path):
    r = run_scenario(SCENARIO, tmp_path / "data", tmp_path / "result.json", timeout=240)
    assert "error" not in r, r.get("error", "") + r.get("serve_log", "")
    assert r["line_state"].startswith("线路开放") and "人工开启（" in r["line_state"] and " 设定）" in r["line_state"]
    # the first overflow rang the page with who calls and the menu's type, was let ring
    assert r["first_rang"] == {"caller": "13855550001", "type": "案件查询"}
    (waiting,) = [w for w in r["waiting"] if w["overflowed"]]
    assert waiting["type"] == "案件查询" and waiting["wait_s"] >= 10  # since the first entry
    assert r["first_ended_text"] == "来电已转走或挂断"
    assert r["paused_after_ringing"] is False  # still in the group for the next caller
    # the second was answered from the page: the supervisor's call
    assert r["second_rang"]["caller"] == "13855550002" and r["second_rang"]["type"] == "诉讼咨询"
    assert r["second_rang"]["number"].startswith("工单 ")
    assert r["talking_text"] == "通话中"
    db = r["db"]
    assert db["13855550002"] == {"seat": "sup9001", "outcome": "answered", "order_type": 2,
                                 "overflowed": True}
    assert db["13855550001"]["overflowed"] and db["13855550001"]["seat"] is None
    assert r["paused_at_end"] is False
    assert r["board_last"]["today"]["overflowed"] >= 2
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(tmp_path / "console-overflow.png", ARTIFACTS / "console-overflow.png")
