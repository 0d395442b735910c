"""The supervisor's console as the overflow group's phone (R1), against a real Asterisk in
a real headless Chromium; run by tests/test_console_browser.py inside a network namespace
that has only `lo`.

    python browser_console.py DATA_DIR OUT.json

No operator is in the queues, so every call overflows after the answer target and the
wider group rings the supervisor's own seat, which is the console page's phone. The first
caller is let ring: the supervisor must stay in the group (not paused). The second is
answered from the page: the call is the supervisor's. The board meanwhile shows the
overflowed caller with the type chosen in the menu and the wait since the first queue
entry. Writes what happened and a screenshot to OUT's folder.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

from browser_panel import (  # noqa: E402
    CHROMIUM,
    FLAGS,
    cli,
    login,
    prepare,
    scenario,
    session_db,
    wait_http,
)
from sqlalchemy import select  # noqa: E402

from workorder.models import Call  # noqa: E402

FIRST, SECOND = "13855550001", "13855550002"


def supervisor_paused(data_dir: Path) -> bool:
    """What the PBX says of sup9001: paused in any queue (app_queue's auto-pause)."""
    listed = cli(data_dir, "seats", "list")
    line = next(ln for ln in listed.splitlines() if ln.startswith("sup9001"))
    return "paused" in line


def main(data_dir: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    result: dict = {}
    settings = prepare(data_dir, overflow_ring_s=8)
    base = f"http://127.0.0.1:{settings.web_port}"
    with scenario(data_dir, result, out):
        wait_http(base + "/login", 30)
        for seat in ("seat1001", "seat1002", "seat1003"):  # nobody to answer in 10 s
            cli(data_dir, "seats", "logout", seat)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            board = ctx.new_page()
            login(board, base, "/console", "wang")
            board.wait_for_function("() => window.hotline && window.hotline.registered",
                                    timeout=15000)
            board.wait_for_function("() => window.hotline.boards > 0", timeout=10000)
            result["line_state"] = board.inner_text("#line-state")

            # 1. let it ring: app_queue gives up on the supervisor after 8 s
            cli(data_dir, "call", "--caller", FIRST, "--keys", "1", "--stay", "24", "--no-wait")
            board.wait_for_function("() => window.hotline.inState === 'ringing'", timeout=30000)
            result["first_rang"] = {"caller": board.inner_text("#in-caller"),
                                    "type": board.inner_text("#in-type")}
            board.wait_for_function(
                "() => window.hotline.last && window.hotline.last.waiting.some(w => w.overflowed)",
                timeout=10000)
            result["waiting"] = board.evaluate("window.hotline.last.waiting")
            board.wait_for_function("() => window.hotline.inState === 'ended'", timeout=20000)
            result["first_ended_text"] = board.inner_text("#in-state")
            time.sleep(1)
            result["paused_after_ringing"] = supervisor_paused(data_dir)

            # 2. answer from the page: the call is the supervisor's
            cli(data_dir, "call", "--caller", SECOND, "--keys", "2", "--stay", "30", "--no-wait")
            board.wait_for_function("() => window.hotline.inState === 'ringing'", timeout=30000)
            result["second_rang"] = {"caller": board.inner_text("#in-caller"),
                                     "type": board.inner_text("#in-type"),
                                     "number": board.inner_text("#in-number")}
            board.screenshot(path=str(out.parent / "console-overflow.png"), full_page=True)
            board.click("#btn-in-answer")
            board.wait_for_function("() => window.hotline.inState === 'talking'", timeout=15000)
            board.wait_for_timeout(2000)
            result["talking_text"] = board.inner_text("#in-state")
            board.click("#btn-in-hangup")
            board.wait_for_function("() => window.hotline.inState === 'ended'", timeout=15000)
            result["board_last"] = board.evaluate("window.hotline.last")
            browser.close()
        time.sleep(2)
        result["paused_at_end"] = supervisor_paused(data_dir)
        with session_db(settings) as s:
            result["db"] = {c.caller_phone: {"seat": c.seat, "outcome": c.outcome,
                                             "order_type": c.order_type,
                                             "overflowed": c.overflowed_at is not None}
                            for c in s.scalars(select(Call).where(
                                Call.caller_phone.in_([FIRST, SECOND])))}


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
