"""Click to call from the operator's panel, with sound, against the hotline's Asterisk and
a carrier Asterisk (tests/support/carrier.py), inside a network namespace with only `lo`
and its own veth pair; run by tests/test_browser_dial.py.

    python browser_dial.py DATA_DIR OUT.json

An abandoned call left a callback task (R2). The operator's panel lists it; the operator
clicks 回拨: the seat's own browser phone rings and the page answers it, then the carrier's
party answers, speaks (a 700 Hz tone) and hangs up after 4 s. The page hears the party
(WebAudio analyser), the recording holds the party and the page's microphone (1200 Hz);
the operator records the outcome on the panel and the task is done. A second seat
clicking the same callback while it is being made is refused; a number outside the rules
typed in the order form is refused with nothing dialled.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

from browser_audio import LEVEL_JS, SEAT_HZ  # noqa: E402
from browser_panel import (  # noqa: E402
    CHROMIUM,
    FLAGS,
    login,
    prepare,
    scenario,
    session_db,
    wait_http,
)
from conftest import free_port  # noqa: E402
from sqlalchemy import select  # noqa: E402

from hotline import bootstrap  # noqa: E402
from support import tones  # noqa: E402
from support.carrier import PARTY_HZ, PASSWORD, USERNAME, Carrier  # noqa: E402
from support.netns import ICE_MAPPING  # noqa: E402
from workorder import callbacks  # noqa: E402
from workorder.models import CallbackTask, OutboundCall, WorkOrder  # noqa: E402
from workorder.registration import Arrival, register_call  # noqa: E402
from workorder.types import CallbackReason  # noqa: E402

PARTY = "13900000001"  # the carrier's party that answers and speaks


def abandoned_call(settings) -> int:
    """An R2 callback task for a caller who hung up while waiting."""
    now = datetime.now(UTC)
    with bootstrap.build(settings) as platform, platform.uow.begin() as s:
        reg = register_call(s, settings.court_name, settings.tz,
                            Arrival("abandoned.1", PARTY, "", now - timedelta(minutes=3)),
                            ("open", "工作时间"))
        order = s.get(WorkOrder, reg.order_id)
        return callbacks.create(s, platform.calendar, settings.policy, order,
                                CallbackReason.ABANDONED, now).id


def main(data_dir: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    result: dict = {}
    mic = out.parent / "seat-mic-1200hz.wav"
    mic.write_bytes(tones.sine_wav(SEAT_HZ, 10.0, rate=48000))
    carrier_port = free_port()
    settings = prepare(data_dir, ice_host_candidates=ICE_MAPPING, trunk_port=carrier_port,
                       trunk_username=USERNAME, trunk_password=PASSWORD, trunk_register=True,
                       dial_ring_s=10)
    task_id = abandoned_call(settings)
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
                login(page, base, "/panel", "li")
                page.wait_for_function("() => window.hotline && window.hotline.registered",
                                       timeout=20000)
                page.wait_for_function("() => (window.hotline.callbacks || []).length > 0",
                                       timeout=15000)
                result["listed"] = page.evaluate("window.hotline.callbacks")
                other = browser.new_context(locale="zh-CN").new_page()
                login(other, base, "/panel", "wang")  # the supervisor, at seat sup9001
                other.wait_for_function("() => window.hotline && window.hotline.registered",
                                        timeout=20000)

                page.locator("#callbacks tbody tr").first.locator(
                    "button", has_text="回拨").click()
                page.wait_for_function("() => window.hotline.dialAnswered > 0", timeout=20000)
                # while it is being made, the other seat clicks the same callback
                result["second_click"] = other.evaluate("""async (id) => {
                  const csrf = JSON.parse(document.getElementById('config').textContent).csrf;
                  const r = await fetch('/panel/dial', {method: 'POST', credentials: 'same-origin',
                    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
                    body: JSON.stringify({task_id: id})});
                  return {status: r.status, body: await r.json()};
                }""", task_id)
                page.wait_for_function(
                    "() => window.hotline.pc && ['connected', 'completed'].includes("
                    "window.hotline.pc.iceConnectionState)", timeout=15000)
                page.wait_for_timeout(1800)  # the party answers after a second of ringing
                result["heard"] = page.evaluate(LEVEL_JS, ["#remote-audio", PARTY_HZ])
                page.wait_for_function("() => document.querySelector('#call-state')"
                                       ".textContent === '无'", timeout=20000)
                result["dialled"] = page.evaluate("window.hotline.dialled")
                # the outcome, recorded on the panel
                page.locator("#callbacks tbody tr").first.locator(
                    "button", has_text="记录").click()
                page.select_option("#cb-result", "reached")
                page.click("#btn-cb-done")
                page.wait_for_function("() => document.querySelector('#cb-msg')"
                                       ".textContent.startsWith('已记录')", timeout=10000)
                page.screenshot(path=str(out.parent / "panel-callbacks.png"), full_page=True)
                # a number outside the rules, from an order: refused, nothing dialled
                result["refused"] = page.evaluate("""async (order) => {
                  const csrf = JSON.parse(document.getElementById('config').textContent).csrf;
                  const r = await fetch('/panel/dial', {method: 'POST', credentials: 'same-origin',
                    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
                    body: JSON.stringify({order: order, number: '+442079460000'})});
                  return {status: r.status, body: await r.json()};
                }""", result["listed"][0]["order"])
                browser.close()
            time.sleep(2)
            with session_db(settings) as s:
                calls = s.scalars(select(OutboundCall).order_by(OutboundCall.id)).all()
                result["calls"] = [{"outcome": c.outcome, "seat": c.seat, "number": c.number,
                                    "callback_id": c.callback_id, "talk_s": c.talk_s,
                                    "recording": c.recording} for c in calls]
                task = s.get(CallbackTask, task_id)
                result["task"] = {"status": task.status, "outcome": task.outcome}
                rec = next((c.recording for c in calls if c.recording), None)
                if rec:
                    result["recording"] = tones.measure(settings.recordings_dir / rec,
                                                        PARTY_HZ, SEAT_HZ)
            result["carrier_calls"] = carrier.calls()
    finally:
        carrier.stop()
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
