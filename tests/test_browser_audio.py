"""Sound both ways in the seat's browser (R1 answered calls must carry voice; R2 every seat
call recorded), measured as sound: a 440 Hz tone played by the caller is heard in the
operator's page (WebAudio analyser on the remote track), the page's microphone (Chromium's
fake device playing 1200 Hz) is heard on the caller's side and is in the call's recording;
hold silences the seat and taking the call back brings it again; a blind transfer to the
supervisor's console keeps audio both ways (tests/support/browser_audio.py).

Inside a network namespace of its own with only `lo` and a veth pair carrying a
documentation address, which ``ice_host_candidates`` maps to 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.netns import run_scenario

SCENARIO = Path(__file__).with_name("support") / "browser_audio.py"
CALLER_HZ, SEAT_HZ = "440", "1200"  # JSON keys


def whole_seconds(slices: list[dict]) -> list[dict]:
    return [s for s in slices if s["seconds"] >= 0.9]


@pytest.mark.asterisk
def test_r1_r2_audio_flows_both_ways_through_hold_and_a_blind_transfer(tmp_path):
    r = run_scenario(SCENARIO, tmp_path / "data", tmp_path / "result.json", timeout=280,
                     media=True)
    assert "error" not in r, r.get("error", "") + r.get("serve_log", "")
    # ICE connected on loopback: every candidate either 127.0.0.1 or the namespace's own
    # address; RTP packets both ways
    media = r["media"]
    assert media["ice"] in ("connected", "completed")
    assert set(media["candidates"]) <= {"127.0.0.1", "192.0.2.1"} and "127.0.0.1" in \
        media["candidates"], media
    assert media["inbound"] > 50 and media["outbound"] > 50
    # the caller's tone is what the operator's page hears, and the page does not hear its
    # own microphone back
    assert r["talk_seat"]["share"] > 0.8 and r["talk_seat"]["db"] > -40, r["talk_seat"]
    assert r["talk_seat_own"]["share"] < 0.05
    # the caller hears the seat's microphone while talking, silence (no seat) on hold,
    # the seat again once the call is taken back
    heard = r["caller_heard"]
    for name in ("talk", "unhold", "transferred"):
        seconds = whole_seconds(heard[name])
        assert len(seconds) >= 2, (name, heard[name])
        assert all(s[SEAT_HZ] > 0.8 and s["db"] > -45 for s in seconds), (name, seconds)
        assert all(s[CALLER_HZ] < 0.05 for s in seconds)  # no echo of the caller's own tone
    hold = whole_seconds(heard["hold"])
    assert len(hold) >= 2 and all(s[SEAT_HZ] < 0.05 for s in hold), hold
    assert r["unhold_seat"]["share"] > 0.8, r["unhold_seat"]
    # after the blind transfer the supervisor's console hears the caller; the operator's
    # page has let go of the call
    assert r["transfer_seat"]["share"] > 0.8, r["transfer_seat"]
    assert r["panel_after_transfer"] == "无"
    # the call's recording holds both directions: the caller's tone and the seat's voice
    rec = r["recording"]
    assert rec["seconds"] > 10
    assert rec[f"db_{CALLER_HZ}"] > -30 and rec[f"db_{SEAT_HZ}"] > -45, rec
    assert r["call"] == {"seat": "seat1001", "outcome": "answered"}
