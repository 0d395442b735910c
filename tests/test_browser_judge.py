"""Bringing the presiding judge into the call from the panel (R4.2 contact the judge, R4.8
urgent), measured as sound: the caller is held, the judge's phone (the carrier's party)
is called and heard in the page, then the caller is handed over (attended transfer) and
hears the judge; the order's history and its calls say so; another seat is refused
(tests/support/browser_judge.py, in a network namespace of its own)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.netns import run_scenario

SCENARIO = Path(__file__).with_name("support") / "browser_judge.py"


def whole(slices):
    return [s for s in slices if s["seconds"] >= 0.9]


@pytest.mark.asterisk
def test_r4_2_the_operator_consults_the_judge_and_hands_the_caller_over(tmp_path):
    r = run_scenario(SCENARIO, tmp_path / "data", tmp_path / "result.json", timeout=280,
                     media=True)
    assert "error" not in r, r.get("error", "") + r.get("serve_log", "")
    assert r["other_seat"]["status"] == 409 and "通话" in r["other_seat"]["body"]["error"]
    assert r["judge"]["name"] == "李强" and r["judge"]["number"] == "13900000007"
    assert r["consult_heard"]["share"] > 0.8, r["consult_heard"]  # the judge, in the page
    heard = r["caller_heard"]
    talk, judge = whole(heard["talk"]), whole(heard["with_judge"])
    assert talk and all(s["1200"] > 0.8 for s in talk), talk  # the seat, before
    assert len(judge) >= 2 and all(s["700"] > 0.8 for s in judge), judge  # the judge, after
    assert any("来电已转接至承办法官李强" in h for h in r["history"]), r["history"]
    (call,) = r["calls"]
    assert call == {"purpose": "judge", "number": "13900000007", "seat": "seat1001",
                    "outcome": "answered"}
    assert [n for n, p in r["carrier_calls"]] == ["13900000007"]
    assert r["carrier_calls"][0][1] == "12368"
    rec = r["recording"]  # the caller's call, recorded through: the seat, then the judge
    assert rec["db_1200"] > -45 and rec["db_700"] > -40, rec
