"""The judge's side of R7 in a real headless Chromium (Debian's), run by
tests/test_web_browser.py inside a network namespace that has only `lo`.

    python browser_feedback.py DATA_DIR OUT.json

Sets up a court and a forwarded order, serves the web app on 127.0.0.1, opens an expired
link, then a good one on a phone-sized screen, submits the feedback and opens the link
again; writes what the page said and where the screenshots are.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

from playwright.sync_api import sync_playwright  # noqa: E402

from hotline import bootstrap, running  # noqa: E402
from hotline import settings as hotline_settings  # noqa: E402
from support import court  # noqa: E402
from workorder.rules import Answers  # noqa: E402

CHROMIUM = "/usr/lib/chromium/chromium"
FLAGS = ["--disable-background-networking", "--disable-component-update", "--no-first-run",
         "--disable-gpu"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(data_dir: Path, out: Path) -> None:
    port = free_port()
    settings = hotline_settings.load(environ={}, data_dir=str(data_dir)).with_(
        web_port=port, public_url=f"http://127.0.0.1:{port}", embedded_jobs=False)
    platform = bootstrap.build(settings)
    running.setup(platform, demo=False, prompts=False)
    svc = court.service()
    with platform.uow.begin() as s:
        court.build(s)
        now = datetime.now(UTC)
        o = svc.open_order(s, court.MID, channel="hotline", order_type=3, by="seat1001",
                           at=now, caller_phone="13812345678", case_number=court.CASE,
                           content="多次联系不上承办法官，询问开庭时间")
        svc.forward(s, o, version=None, by="seat1001", at=now,
                    answers=Answers(judge_unreachable=True))
        order_id, number = o.id, o.number
    good = platform.links.feedback_url(order_id)
    result: dict = {"number": number}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 390, "height": 844},
                                device_scale_factor=2, locale="zh-CN")
        # An expired link: a server whose links live one second, asked two seconds later.
        # on a port of its own: the browser may keep its connection to this server open,
        # and must not reach it again instead of the real one below
        other = free_port()
        short = settings.with_(link_max_age_s=1, web_port=other,
                               public_url=f"http://127.0.0.1:{other}")
        short_lived = bootstrap.build(short)
        web = running.start_web(short_lived)
        try:
            old = short_lived.links.feedback_url(order_id)
            time.sleep(2.1)
            r = page.goto(old)
            result["expired_status"] = r.status if r else None
            result["expired_text"] = page.inner_text("#message")
            page.screenshot(path=str(out.with_name("feedback-expired.png")), full_page=True)
        finally:
            running.stop_web(web)
            short_lived.close()
        web = running.start_web(platform)
        try:
            r = page.goto(good)
            result["good_status"] = r.status if r else None
            result["form_text"] = page.inner_text("main")
            page.screenshot(path=str(out.with_name("feedback-form.png")), full_page=True)
            page.fill("#result", "已与当事人通话，告知下周二开庭，并留办公电话")
            page.fill("#by", "法官m")
            page.click("button[type=submit]")
            page.wait_for_selector("#message")
            result["after_submit_url"] = page.url
            result["after_submit_text"] = page.inner_text("#message")
            page.screenshot(path=str(out.with_name("feedback-done.png")), full_page=True)
            r = page.goto(good)
            result["reused_status"] = r.status if r else None
            result["reused_text"] = page.inner_text("#message")
        finally:
            running.stop_web(web)
        browser.close()
    out.write_text(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
