"""Click to call from the operator's panel (R2, R10), with sound: the panel lists the
callback an abandoned call left, the operator clicks 回拨, the seat's browser phone rings
and the page answers it, the carrier's party answers and is heard in the page, the call is
recorded with both sides, and the outcome recorded on the panel closes the task; a second
seat clicking the same callback meanwhile is refused, and so is a number outside the
rules (tests/support/browser_dial.py, in a network namespace of its own)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.netns import run_scenario

SCENARIO = Path(__file__).with_name("support") / "browser_dial.py"
ARTIFACTS = Path(__file__).with_name("artifacts")


@pytest.mark.asterisk
def test_r2_r10_a_click_calls_the_party_back_heard_recorded_and_once(tmp_path):
    r = run_scenario(SCENARIO, tmp_path / "data", tmp_path / "result.json", timeout=280,
                     media=True)
    assert "error" not in r, r.get("error", "") + r.get("serve_log", "")
    (listed,) = r["listed"]
    assert listed["reason"] == "abandoned" and listed["phone"] == "13900000001"
    (dialled,) = r["dialled"]
    assert dialled["ok"] and dialled["number"] == "13900000001"
    # the other seat's click while the call was being made: refused, nothing dialled
    assert r["second_click"]["status"] == 409, r["second_click"]
    assert "正由 seat1001" in r["second_click"]["body"]["error"]
    # the page heard the party (700 Hz), the recording holds the party and the seat
    assert r["heard"]["share"] > 0.8, r["heard"]
    rec = r["recording"]
    assert rec["db_700"] > -30 and rec["db_1200"] > -45, rec
    (call,) = r["calls"]
    assert call["outcome"] == "answered" and call["seat"] == "seat1001"
    assert call["callback_id"] is not None and call["talk_s"] >= 3
    assert r["task"] == {"status": "done", "outcome": "reached"}
    assert [n for n, _ in r["carrier_calls"]] == ["13900000001"]  # one call, 12368 shown
    assert r["carrier_calls"][0][1] == "12368"
    assert r["refused"]["status"] == 409 and "international" in r["refused"]["body"]["error"]
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(tmp_path / "panel-callbacks.png", ARTIFACTS / "panel-callbacks.png")
