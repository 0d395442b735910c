"""The seat operator's panel and the supervisor's console against a real Asterisk, in a
real headless Chromium (Debian's, driven by Playwright) with fake media devices; run by
tests/test_panel_browser.py inside a network namespace that has only `lo`.

    python browser_panel.py DATA_DIR OUT.json

Starts the whole hotline (Asterisk, FastAGI, AMI listener, web app) in DATA_DIR on free
loopback ports. The operator logs in; the panel's JsSIP registers as seat1001 over
WebSocket; the operator goes ready. A caller placed through AMI presses 3 (contact the
judge): the seat rings, the pop shows the type and the 10-second clock, the operator
answers, the supervisor sees the call on the wall board and listens in (ChanSpy on the
supervisor's own seat), the operator fills and saves the order during the call and hangs
up. Then: the operator is refused the console and a recording; five wrong passwords slow
the login down. Writes what happened, the database's view and screenshots to OUT's folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

from conftest import line_config, write_config  # noqa: E402
from sqlalchemy import select  # noqa: E402

from hotline import bootstrap  # noqa: E402
from hotline import settings as hotline_settings  # noqa: E402
from hotline.web import auth  # noqa: E402
from recordings.models import Recording  # noqa: E402
from support.prism import stop  # noqa: E402
from workorder.models import Call, WorkOrder  # noqa: E402
from workorder.registration import Arrival, register_call  # noqa: E402

CHROMIUM = "/usr/lib/chromium/chromium"
FLAGS = ["--disable-background-networking", "--disable-component-update", "--no-first-run",
         "--disable-gpu", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
         "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"]
PASSWORD = "correct horse 12368"
CALLER = "13812345678"
XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
HOTLINE = str(Path(sys.executable).with_name("hotline"))


def cli(data_dir: Path, *args: str, timeout: float = 120) -> str:
    proc = subprocess.run([HOTLINE, "--data-dir", str(data_dir), *args], capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise RuntimeError(f"hotline {' '.join(args)}: {proc.stderr[-1500:]}")
    return proc.stdout


def seat_line(data_dir: Path, seat: str) -> str:
    """What `hotline seats list` says of one seat."""
    return next(ln for ln in cli(data_dir, "seats", "list").splitlines() if ln.startswith(seat))


def prepare(data_dir: Path, after_setup=None, **config: object) -> hotline_settings.Settings:
    """The demo court, the line open, users li (seat1001), wang (supervisor, sup9001) and
    zhao (no seat), and a caller who phoned before; ``after_setup(settings)`` runs once
    the schema and the demo court are there, before any order exists (the benchmark fills
    a province's history there)."""
    write_config(data_dir, **line_config(**{"overflow_ring_s": 20, "seat_ring_s": 15, **config}))
    cli(data_dir, "setup")
    cli(data_dir, "mode", "open")  # staffed whatever the hour the test runs at (R1)
    settings = hotline_settings.load(environ={}, data_dir=str(data_dir))
    if after_setup is not None:
        after_setup(settings)
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    with bootstrap.build(settings) as platform, platform.uow.begin() as s:
        for login, role, seat in (("li", "operator", "seat1001"), ("wang", "supervisor", "sup9001"),
                                  ("zhao", "operator", None)):
            auth.add_user(s, login, role, PASSWORD, now, name={"li": "李座席", "wang": "王班长",
                                                                "zhao": "赵座席"}[login])
            if seat:
                auth.bind_seat(s, login, seat)
        # the caller phoned before: an order whose content is HTML, shown as text
        reg = register_call(s, settings.court_name, settings.tz,
                            Arrival("earlier.1", CALLER, "", now - timedelta(days=2)),
                            ("open", "工作时间"))
        earlier = s.get(WorkOrder, reg.order_id)
        earlier.content, earlier.order_type = XSS, 3
    return settings


def main(data_dir: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    shots = out.parent
    result: dict = {"steps": []}
    settings = prepare(data_dir)
    serve = start_line(data_dir)
    base = f"http://127.0.0.1:{settings.web_port}"
    try:
        wait_http(base + "/login", 30)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            op = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            page = op.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            login(page, base, "/panel", "li")
            page.wait_for_function("() => window.hotline && window.hotline.registered", timeout=15000)
            result["steps"].append("registered")
            # `pbx start` put the seat in its queues unpaused, and its phone is now
            # registered: the PBX rings it, so the page must say so before any button
            page.wait_for_function("() => window.hotline.state === 'ready'", timeout=10000)
            result["state_at_load"] = page.inner_text("#state")
            result["listed_at_load"] = seat_line(data_dir, "seat1001")
            result["listed_no_phone"] = seat_line(data_dir, "seat1002")  # nobody registered
            page.select_option("#pause-reason", index=0)
            page.click("#btn-pause")
            page.wait_for_function("() => window.hotline.state === 'paused'", timeout=10000)
            result["paused_text"] = page.inner_text("#state")
            result["listed_paused"] = seat_line(data_dir, "seat1001")
            page.click("#btn-ready")
            page.wait_for_function("() => window.hotline.state === 'ready'", timeout=10000)
            result["ready_text"] = page.inner_text("#state")

            sup = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            board = sup.new_page()
            login(board, base, "/console", "wang")
            board.wait_for_function("() => window.hotline && window.hotline.registered", timeout=15000)

            placed = time.time()
            cli(data_dir, "call", "--caller", CALLER, "--keys", "3", "--stay", "45", "--no-wait")
            page.wait_for_function("() => window.hotline.pops.length > 0", timeout=30000)
            result["pop_after_s"] = round(time.time() - placed, 2)
            page.wait_for_function("() => !document.querySelector('#btn-answer').disabled",
                                   timeout=15000)
            page.wait_for_timeout(1500)  # let the clock run: it counts up to the 10 s target
            result["pop"] = {k: page.inner_text(sel) for k, sel in (
                ("caller", "#pop-caller"), ("type", "#pop-type"), ("clock", "#clock-s"),
                ("number", "#pop-number"), ("guide", "#guide"), ("call_state", "#call-state"),
                ("earlier", "#earlier-orders"), ("rec", "#pop-rec"))}
            result["pop"]["clock_visible"] = page.is_visible("#clock")
            result["pops"] = page.evaluate("window.hotline.pops")
            result["xss"] = page.evaluate("""() => ({
                pwned: window.__pwned || 0,
                scripts: document.querySelectorAll('#earlier-orders script, #earlier-orders img').length,
                cell: [...document.querySelectorAll('#earlier-orders td')].map(td => td.textContent)
                      .find(t => t.includes('<script>')) || ''})""")
            page.screenshot(path=str(shots / "panel-ringing.png"), full_page=True)

            page.click("#btn-answer")
            page.wait_for_function("() => window.hotline.state === 'on_call'", timeout=15000)
            page.wait_for_function("() => document.querySelector('#call-state').textContent === '通话中'",
                                   timeout=20000)
            result["answered_after_s"] = round(time.time() - placed, 2)
            page.wait_for_timeout(2500)
            result["media"] = page.evaluate("""async () => {
                const a = document.querySelector('#remote-audio');
                const out = {has_stream: !!a.srcObject,
                             tracks: a.srcObject ? a.srcObject.getAudioTracks().length : 0,
                             ice: window.hotline.pc ? window.hotline.pc.iceConnectionState : null,
                             inbound: 0, outbound: 0, candidates: []};
                if (window.hotline.pc) {
                  (await window.hotline.pc.getStats()).forEach((r) => {
                    if (r.type === 'inbound-rtp' && r.kind === 'audio') out.inbound += r.packetsReceived;
                    if (r.type === 'outbound-rtp' && r.kind === 'audio') out.outbound += r.packetsSent;
                    if (r.type === 'local-candidate' || r.type === 'remote-candidate')
                      out.candidates.push(r.address || r.ip);
                  });
                }
                return out;
            }""")
            result["clock_after_answer"] = page.inner_text("#clock-s")
            # hold and take back: the call goes on (re-INVITEs accepted by Asterisk)
            page.click("#btn-hold")
            page.wait_for_function(
                "() => document.querySelector('#call-state').textContent === '保持中'",
                timeout=10000)
            page.click("#btn-hold")
            page.wait_for_function(
                "() => document.querySelector('#call-state').textContent === '通话中'",
                timeout=10000)
            page.wait_for_timeout(1500)
            result["after_unhold"] = {"call_state": page.inner_text("#call-state"),
                                      "hangup_enabled": page.is_enabled("#btn-hangup")}

            # the supervisor: the call on the board, then listens in
            board.wait_for_function("() => window.hotline.last && window.hotline.last.seats.some("
                "s => s.seat === 'seat1001' && s.state === 'on_call')", timeout=15000)
            result["board"] = board.evaluate("window.hotline.last")
            board.click("#seats tbody tr:has-text('seat1001') button:has-text('监听')")
            board.wait_for_function("() => window.hotline.spyCalls > 0", timeout=15000)
            board.wait_for_timeout(1000)
            result["spy_msg"] = board.inner_text("#msg")
            board.screenshot(path=str(shots / "console.png"), full_page=True)

            # the order, written during the call
            page.fill("#f-name", "张三")
            page.fill("#f-content", "要找承办法官，电话一直打不通。" + XSS)
            page.check("#a-unreachable")
            page.wait_for_timeout(500)
            result["guide_after"] = page.inner_text("#guide")
            page.click("#btn-save")
            page.wait_for_function("() => document.querySelector('#result').textContent.startsWith('已保存')",
                                   timeout=10000)
            result["saved"] = page.inner_text("#result")
            page.screenshot(path=str(shots / "panel-call.png"), full_page=True)
            page.click("#btn-hangup")
            page.wait_for_function("() => window.hotline.state === 'wrapup'", timeout=15000)
            result["after_hangup"] = page.inner_text("#state")
            page.wait_for_timeout(1500)

            # an operator may not open the console, nor a recording
            with session_db(settings) as s:
                rec_id = s.scalar(select(Recording.id).order_by(Recording.id.desc()))
            r = page.goto(f"{base}/console")
            result["op_console"] = {"status": r.status, "text": page.inner_text("main")}
            r = page.goto(f"{base}/recordings/{rec_id}/audio")
            result["op_recording"] = {"status": r.status}
            page.screenshot(path=str(shots / "panel-refused.png"))

            # five wrong passwords: the login is slowed down (locked for a while)
            anon = browser.new_context(locale="zh-CN").new_page()
            statuses = []
            for attempt in range(6):
                anon.goto(f"{base}/login")
                anon.fill("#login", "zhao")
                anon.fill("#password", PASSWORD if attempt == 5 else f"wrong-{attempt}")
                with anon.expect_response(lambda r: r.url.endswith("/login")
                                          and r.request.method == "POST") as resp:
                    anon.click("button[type=submit]")
                statuses.append(resp.value.status)
            result["lockout"] = {"statuses": statuses, "text": anon.inner_text("main"),
                                 "retry_after": resp.value.headers.get("retry-after")}
            result["dialogs"] = dialogs
            browser.close()
        time.sleep(2)
        with session_db(settings) as s:
            call = s.scalar(select(Call).where(Call.caller_phone == CALLER,
                                               Call.uniqueid != "earlier.1"))
            order = s.scalar(select(WorkOrder).where(WorkOrder.call_id == call.id))
            rec = s.scalar(select(Recording).where(Recording.call_id == call.id))
            result["db"] = {
                "call": {"uniqueid": call.uniqueid, "seat": call.seat, "outcome": call.outcome,
                         "order_type": call.order_type, "hold_time_s": call.hold_time_s},
                "order": {"number": order.number, "order_type": order.order_type,
                          "caller_name": order.caller_name, "content": order.content,
                          "status": order.status, "version": order.version,
                          "call_id": order.call_id},
                "recording": {"call_id": rec.call_id, "path": rec.path, "status": rec.status,
                              "exists": (settings.recordings_dir / rec.path).exists(),
                              "size": (settings.recordings_dir / rec.path).stat().st_size
                              if (settings.recordings_dir / rec.path).exists() else 0}
                if rec else None}
    except Exception:
        result["error"] = traceback.format_exc()
    finally:
        stop_line(data_dir, serve)
        result["serve_log"] = (data_dir / "serve.log").read_text(errors="replace")[-3000:]
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))


@contextlib.contextmanager
def scenario(data_dir: Path, result: dict, out: Path):
    """The line running for a scenario; whatever goes wrong is kept in ``result`` (with
    the end of the server's log), which is written to ``out`` once the line is stopped."""
    serve = start_line(data_dir)
    try:
        yield serve
    except Exception:
        result["error"] = traceback.format_exc()
    finally:
        stop_line(data_dir, serve)
        result["serve_log"] = (data_dir / "serve.log").read_text(errors="replace")[-3000:]
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))


def start_line(data_dir: Path) -> subprocess.Popen:
    """Asterisk, then `hotline serve` (FastAGI, AMI listener, web pages, jobs)."""
    cli(data_dir, "pbx", "start")
    with open(data_dir / "serve.log", "ab") as log:
        return subprocess.Popen([HOTLINE, "--data-dir", str(data_dir), "serve"], stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop_line(data_dir: Path, serve: subprocess.Popen) -> None:
    """What :func:`start_line` started, each by its own PID."""
    stop(serve)
    subprocess.run([HOTLINE, "--data-dir", str(data_dir), "pbx", "stop"],
                   capture_output=True, timeout=60)


@contextlib.contextmanager
def session_db(settings):
    """A session on the line's database (its own platform, closed after)."""
    with bootstrap.build(settings) as platform, platform.uow() as session:
        yield session


def wait_http(url: str, timeout: float) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def login(page, base: str, path: str, who: str) -> None:
    page.goto(f"{base}{path}")
    page.fill("#login", who)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{path}", timeout=15000)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
