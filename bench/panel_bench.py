"""Benchmark of the live pages against a real Asterisk, in a network namespace with only
`lo` (as the browser tests):

1. Screen-pop latency with 20 seats' panels open: 20 operators' pages (JsSIP registered,
   ready) in headless Chromium; callers press 3 and every seat rings (ringall). For each
   pop: the page's clock when it showed the pop minus the AMI event's own timestamp
   (``AgentCalled``, manager.conf timestampevents). Goal: p95 < 300 ms.
2. The console's refresh with 50 calls waiting: 50 callers queued with every seat paused;
   the wall board's JSON (QueueStatus over AMI + today's figures + overdue work) is fetched
   as the console does, and its server-side cost and size are recorded.

    python bench/panel_bench.py            # re-runs itself inside `unshare --net`

Writes bench/results/panel-<date>.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "support"), str(ROOT)]

SEATS = 20
CALLS = 12
WAITING = 50


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50": round(statistics.median(values), 1),
            "p95": round(pct(values, 95), 1), "max": round(max(values), 1),
            "mean": round(statistics.mean(values), 1)}


async def place(settings, n: int) -> None:
    """``n`` callers pressing 3, placed over one AMI connection."""
    from hotline import ami

    async with ami.connect(settings) as manager:
        for i in range(n):
            await ami.originate(manager, f"1370000{i:04d}", "3", delay=0.5, stay=150)


def main() -> None:
    import browser_panel as bp
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select

    from hotline import bootstrap
    from hotline.seats import Seat
    from hotline.web import auth

    data_dir = Path(tempfile.mkdtemp(prefix="panel-bench-")) / "data"
    # callers wait long in the wider group, so 50 are queued at once for part 2
    settings = bp.prepare(data_dir, overflow_ring_s=150)
    now = datetime.now(UTC)
    with bootstrap.build(settings) as platform, platform.uow.begin() as s:
        for i in range(1, SEATS + 1):
            name = f"bench{i:02d}"
            s.add(Seat(name=name, display_name=f"压测{i:02d}", role="operator", skills="3",
                       secret=f"bench-secret-{i:02d}", phone="webrtc"))
            s.flush()
            auth.add_user(s, f"op{i:02d}", "operator", bp.PASSWORD, now)
            auth.bind_seat(s, f"op{i:02d}", name)
        # only the bench's seats answer type 3 here
        for seat in s.scalars(select(Seat).where(Seat.name.not_like("bench%"))):
            seat.skills = ""
    serve = bp.start_line(data_dir)
    base = f"http://127.0.0.1:{settings.web_port}"
    result: dict = {"date": date.today().isoformat(), "seats": SEATS, "calls": CALLS,
                    "cpus": os.cpu_count()}
    try:
        bp.wait_http(base + "/login", 30)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=bp.CHROMIUM, args=bp.FLAGS)
            pages = []
            for i in range(1, SEATS + 1):
                page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
                bp.login(page, base, "/panel", f"op{i:02d}")
                page.wait_for_function("() => window.hotline && window.hotline.registered",
                                       timeout=30000)
                page.click("#btn-ready")
                page.wait_for_function("() => window.hotline.state === 'ready'", timeout=10000)
                pages.append(page)
            time.sleep(2)
            for n in range(CALLS):
                bp.cli(data_dir, "call", "--caller", f"1390000{n:04d}", "--keys", "3",
                       "--stay", "2.5", "--no-wait")
                time.sleep(6)
            time.sleep(2)
            latencies, transport = [], []
            for page in pages:
                for p in page.evaluate("window.hotline.pops"):
                    latencies.append(1000 * (p["shown"] - p["ami_ts"]))
                    transport.append(1000 * (p["shown"] - p["sent_ts"]))
            result["pop_latency_ms"] = summary(latencies)
            result["pop_push_to_page_ms"] = summary(transport)
            result["pops_expected"] = SEATS * CALLS
            # 2. the console with 50 callers waiting: every seat paused
            for page in pages:
                page.select_option("#pause-reason", "会议")
                page.click("#btn-pause")
            time.sleep(1)
            sup = browser.new_context().new_page()
            bp.login(sup, base, "/console", "wang")
            # Playwright's sync API owns this thread's event loop: AMI on a thread of its own
            placer = threading.Thread(target=lambda: asyncio.run(place(settings, WAITING)))
            placer.start()
            placer.join()
            deadline = time.monotonic() + 60
            waiting = 0
            while time.monotonic() < deadline and waiting < WAITING:
                board = sup.evaluate("async () => (await fetch('/console/board.json')).json()")
                waiting = len(board["waiting"])
                time.sleep(0.5)
            costs, walls, sizes = [], [], []
            for _ in range(20):
                time.sleep(1.05)  # past the 1 s snapshot cache: every fetch asks Asterisk
                t0 = time.perf_counter()
                out = sup.evaluate("""async () => { const r = await fetch('/console/board.json');
                                      const t = await r.text(); return [t.length, t]; }""")
                walls.append(1000 * (time.perf_counter() - t0))
                board = json.loads(out[1])
                sizes.append(out[0])
                costs.append(board["cost_ms"])
            result["console"] = {"waiting": len(board["waiting"]),
                                 "longest_wait_s": board["longest_wait_s"],
                                 "server_cost_ms": summary(costs),
                                 "round_trip_ms": summary(walls),
                                 "json_bytes": max(sizes)}
            browser.close()
    finally:
        bp.stop_line(data_dir, serve)
    out = ROOT / "bench" / "results" / f"panel-{result['date']}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    if os.environ.get("HOTLINE_BENCH_NETNS") != "1":
        # a network namespace with only lo: the browser and the PBX cannot reach anything else
        sys.exit(subprocess.call(
            ["unshare", "--net", "--", "sh", "-c",
             f'ip link set lo up && HOTLINE_BENCH_NETNS=1 exec "{sys.executable}" "{__file__}"'],
            stdin=subprocess.DEVNULL))
    main()
