"""Bringing the presiding judge into a caller's call from the panel (R4.2, R4.8), with
sound, against the hotline's Asterisk and a carrier Asterisk, inside a network namespace
with only `lo` and its own veth pair; run by tests/test_browser_judge.py.

    python browser_judge.py DATA_DIR OUT.json

A caller (440 Hz, keeping what they hear a second a file) presses 3, contact the judge;
the operator answers; the order's case is one whose presiding judge's phone the carrier
answers (and which speaks 700 Hz). 接通法官 puts the caller on hold and calls the judge:
the page hears the judge; 转给法官 hands the caller over (REFER with Replaces): the caller
now hears the judge, the page's calls are over, and the order's history says so. Before,
an operator whose seat does not have the caller is refused.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

from browser_audio import CALLER_HZ, LEVEL_JS, SEAT_HZ, heard, phase  # noqa: E402
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
from conftest import free_port  # noqa: E402
from sqlalchemy import select  # noqa: E402

from support import tones  # noqa: E402
from support.carrier import PARTY_HZ, PASSWORD, USERNAME, Carrier  # noqa: E402
from support.netns import ICE_MAPPING  # noqa: E402
from workorder.models import Call, Judge, OrderHistory, OutboundCall, WorkOrder  # noqa: E402

CALLER = "13900002222"
CASE = "（2025）豫99民终1021号"  # the demo directory's: presiding judge 李强
JUDGE_PHONE = "13900000007"  # the carrier's party that stays on the line


def main(data_dir: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    result: dict = {}
    mic = out.parent / "seat-mic-1200hz.wav"
    mic.write_bytes(tones.sine_wav(SEAT_HZ, 10.0, rate=48000))
    carrier_port = free_port()
    settings = prepare(data_dir, ice_host_candidates=ICE_MAPPING, trunk_port=carrier_port,
                       trunk_username=USERNAME, trunk_password=PASSWORD, trunk_register=True)
    with session_db(settings) as s:
        s.scalar(select(Judge).where(Judge.name == "李强")).mobile = JUDGE_PHONE
        s.commit()
    carrier = Carrier(data_dir.parent / "carrier", settings, port=carrier_port)
    carrier.start()
    base = f"http://127.0.0.1:{settings.web_port}"
    try:
        with scenario(data_dir, result, out):
            wait_http(base + "/login", 30)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM,
                    args=[*FLAGS, f"--use-file-for-fake-audio-capture={mic}"])
                page = browser.new_context(locale="zh-CN").new_page()
                result["page_errors"] = errors = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                login(page, base, "/panel", "li")
                page.wait_for_function("() => window.hotline && window.hotline.state === 'ready'",
                                       timeout=20000)
                placed = json.loads(cli(data_dir, "call", "--caller", CALLER, "--keys", "3",
                                        "--tone", str(CALLER_HZ), "--listen", "--stay", "80",
                                        "--no-wait", "--json"))
                page.wait_for_function("() => !document.querySelector('#btn-answer').disabled",
                                       timeout=30000)
                page.click("#btn-answer")
                page.wait_for_function(
                    "() => window.hotline.pc && ['connected', 'completed'].includes("
                    "window.hotline.pc.iceConnectionState)", timeout=20000)
                number = page.inner_text("#pop-number")
                with session_db(settings) as s:  # the operator keyed the case number
                    s.scalar(select(WorkOrder).where(WorkOrder.number == number)
                             ).case_number = CASE
                    s.commit()
                # a supervisor at another seat may not bring a judge into li's call
                other = browser.new_context(locale="zh-CN").new_page()
                login(other, base, "/panel", "wang")
                result["other_seat"] = other.evaluate("""async (n) => {
                  const csrf = JSON.parse(document.getElementById('config').textContent).csrf;
                  const r = await fetch('/panel/orders/' + encodeURIComponent(n) + '/judge',
                    {method: 'POST', credentials: 'same-origin',
                     headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
                     body: '{}'});
                  return {status: r.status, body: await r.json()};
                }""", number)
                page.wait_for_timeout(1500)
                t0 = time.time()
                page.wait_for_timeout(2000)
                phase(result, "talk", t0, time.time())

                page.click("#btn-judge")
                page.wait_for_function("() => window.hotline.consulting === true", timeout=30000)
                result["judge"] = page.evaluate("window.hotline.judge")
                result["judge_state"] = page.inner_text("#judge-state")
                page.wait_for_timeout(2500)  # ICE, DTLS, and the party's tone
                result["consult_heard"] = page.evaluate(LEVEL_JS, ["#consult-audio", PARTY_HZ])
                page.click("#btn-judge-transfer")
                try:
                    page.wait_for_function("() => window.hotline.handedOver === true",
                                           timeout=20000)
                finally:
                    result["judge_state_after"] = page.inner_text("#judge-state")
                page.wait_for_function("() => document.querySelector('#call-state')"
                                       ".textContent === '无'", timeout=20000)
                page.wait_for_timeout(1500)
                t0 = time.time()
                page.wait_for_timeout(4000)
                phase(result, "with_judge", t0, time.time())
                result["after_state"] = page.inner_text("#judge-state")
                browser.close()
            time.sleep(20)  # the judge hangs up; MixMonitor closes the files
            result["caller_heard"] = heard(placed["listen"], result["phases"],
                                           (CALLER_HZ, SEAT_HZ, PARTY_HZ))
            with session_db(settings) as s:
                order = s.scalar(select(WorkOrder).where(WorkOrder.number == number))
                result["history"] = [h.reason for h in s.scalars(select(OrderHistory).where(
                    OrderHistory.order_id == order.id).order_by(OrderHistory.id))]
                result["calls"] = [{"purpose": c.purpose, "number": c.number, "seat": c.seat,
                                    "outcome": c.outcome} for c in s.scalars(
                    select(OutboundCall).where(OutboundCall.order_id == order.id))]
                call = s.scalar(select(Call).where(Call.uniqueid == placed["uniqueid"]))
                rec = settings.recordings_dir / call.recording_path
                result["recording"] = tones.measure(rec, CALLER_HZ, PARTY_HZ, SEAT_HZ)
            result["carrier_calls"] = carrier.calls()
    finally:
        carrier.stop()
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
