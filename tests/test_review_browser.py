"""R4.7/R4.8 review in a real browser: Debian's headless Chromium, driven by Playwright,
inside a network namespace that has only `lo` (nothing can leave the machine). The
supervisor logs in, plays a flagged message recorded with real speech, clicks the flagged
word (the player seeks there) and marks it reviewed; an operator is refused the page and
the audio; the audit log has both."""

from __future__ import annotations

import struct
from pathlib import Path

from support.netns import run_scenario

SCENARIO = Path(__file__).with_name("support") / "browser_review.py"


def test_r4_7_the_supervisor_listens_and_reviews_in_a_real_browser(tmp_path):
    r = run_scenario(SCENARIO, tmp_path / "data", tmp_path / "result.json", timeout=240)
    rec, hit = r["recording"], r["hit"]
    # not logged in: to the login page, then back to the list
    assert r["login_redirect"].endswith("/login?next=%2Freview")
    assert r["after_login_url"].endswith("/review")
    assert "辱骂" in r["list_text"] and "13812345678" in r["list_text"]
    assert r["detail_url"].endswith(f"/review/{rec}")
    assert r["marks"] == [hit["word"]]
    # the real audio plays: time advances, no media error
    assert 4.0 < r["duration"] < 20.0
    assert r["playing"]["time"] > 0.8 and r["playing"]["paused"] is False
    assert r["playing"]["error"] is None
    # a click on the flagged word seeks the player to it and plays from there
    assert hit["start"] <= r["after_seek"]["time"] < hit["start"] + 2.0
    assert r["after_seek"]["paused"] is False
    assert "已标记为已复核" in r["flash"] and r["status_after"] == "已复核"
    assert r["flag"]["outcome"] == "reviewed" and r["flag"]["by"] == "wang"
    assert r["flag"]["note"] == "已收听，来电人情绪激动，未达书面上报程度"
    assert r["after_logout_url"].endswith("/login")
    # the operator: refused both, with the reason, and no audio
    assert r["operator_page"]["status"] == 403
    assert "只有班长可以查看和收听被标记的录音" in r["operator_page"]["text"]
    assert r["operator_audio"]["status"] == 403
    assert r["operator_audio"]["type"].startswith("text/html")
    # the audit log: the supervisor's play and review, the operator's refusals
    audit = [(actor, action, rid) for actor, action, rid, _detail in r["audit"]]
    assert ("wang", "play", rec) in audit and ("wang", "review", rec) in audit
    assert audit.count(("wang", "play", rec)) == 1  # one playback, however many ranges
    assert [a for a in audit if a[0] == "li" and a[1] == "refused"] == [
        ("li", "refused", rec), ("li", "refused", rec)]
    refused_paths = [d["path"] for actor, action, _rid, d in r["audit"] if action == "refused"]
    assert refused_paths == [f"/review/{rec}", f"/recordings/{rec}/audio"]
    assert audit.index(("wang", "play", rec)) < audit.index(("wang", "review", rec))
    for name in ("review-list.png", "review-playing.png", "review-seek.png",
                 "review-done.png", "review-refused.png"):
        head = (tmp_path / name).read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">I", head[16:20])[0] == 1366  # the desktop layout
