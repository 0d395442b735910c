"""R7 in a real browser: Debian's headless Chromium, driven by Playwright, inside a network
namespace that has only `lo` (nothing can leave the machine). The judge opens an expired
link, then a good one on a phone-sized screen, feeds back, and opens the link again."""

from __future__ import annotations

import struct
from pathlib import Path

from support.netns import run_scenario

SCENARIO = Path(__file__).with_name("support") / "browser_feedback.py"


def test_r7_the_judge_feeds_back_in_a_real_browser(tmp_path):
    r = run_scenario(SCENARIO, tmp_path / "data", tmp_path / "result.json", timeout=180)
    assert r["expired_status"] == 410 and "链接已过期" in r["expired_text"]
    assert r["good_status"] == 200
    assert r["number"] in r["form_text"] and "多次联系不上承办法官" in r["form_text"]
    assert r["after_submit_url"].endswith(f"/done/{r['number']}")
    assert "反馈已收到" in r["after_submit_text"]
    assert r["reused_status"] == 410 and "链接已失效" in r["reused_text"]
    for name in ("feedback-expired.png", "feedback-form.png", "feedback-done.png"):
        head = (tmp_path / name).read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        width = struct.unpack(">I", head[16:20])[0]
        assert width == 780  # 390 CSS pixels at 2x: the phone layout
