"""Benchmark of R5 dispatch texts through the whole path, with a worker killed half-way.

    python bench/sms_bench.py [--orders 10000] [--rate 50] [--workers 4] [--no-kill]

Orders are forwarded at ``--rate`` per second by the real service (each dispatch writes its
texts in its own transaction and nudges the job engine); ``hotline worker`` processes
(Huey on an SQLite file, embedded engine) send them through the Twilio adapter to Stoplight
Prism serving Twilio's API description on 127.0.0.1. At 40% the worker is killed with
SIGKILL and started again a second later. Measured: the total time, p50/p99 from the
forward decision to the provider accepting the text, and the checks that nothing was lost
(every text sent) and nothing was sent twice: the provider's record of accepted messages
(tests/support/twilio_record.py, in front of Prism) counts texts it accepted more than
once, and Prism's own request log counts the POSTs.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from sqlalchemy import func, select  # noqa: E402
from support import court  # noqa: E402
from support.prism import ACCOUNT, TOKEN, PrismServer  # noqa: E402
from support.twilio_record import Record  # noqa: E402

from hotline import bootstrap, running  # noqa: E402
from hotline import settings as hotline_settings  # noqa: E402
from workorder.notices import Notice  # noqa: E402
from workorder.rules import Answers  # noqa: E402

HOTLINE = str(Path(sys.executable).with_name("hotline"))


def start_worker(data_dir: Path, workers: int, log: Path,
                 wait: bool = False) -> subprocess.Popen:
    """A ``hotline worker`` process; with ``wait``, return once it is consuming (the
    benchmark's clock must not count the start of a worker that is always running in
    production — the restart after the kill is counted)."""
    ready = log.read_text(errors="replace").count("worker: ") if log.exists() else 0
    out = open(log, "ab")
    try:
        proc = subprocess.Popen([HOTLINE, "--data-dir", str(data_dir), "worker", "--workers",
                                 str(workers)], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    finally:
        out.close()
    deadline = time.monotonic() + 60
    while wait and log.read_text(errors="replace").count("worker: ") == ready:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the worker did not start: " + log.read_text()[-2000:])
        time.sleep(0.1)
    return proc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=10_000)
    ap.add_argument("--rate", type=float, default=50.0, help="forwarded orders per second")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--no-kill", action="store_true")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="hotline-sms-bench-"))
    with PrismServer(log_requests=True) as prism, Record(prism.url) as provider:
        (data_dir / "hotline.toml").write_text(
            'sms_provider = "twilio"\n'
            f'twilio_account_sid = "{ACCOUNT}"\ntwilio_auth_token = "{TOKEN}"\n'
            'twilio_from = "+15005550006"\n'
            f'twilio_base_url = "{provider.url}"\n'
            # no quiet hours: every text may go at once (the bench runs at any hour)
            'sms_quiet_from = "00:00"\nsms_quiet_until = "00:00"\n')
        settings = hotline_settings.load(environ={}, data_dir=str(data_dir))
        platform = bootstrap.build(settings)
        running.setup(platform, demo=False, prompts=False)
        sessions = platform.uow
        with sessions.begin() as s:
            court.build(s)
        svc = platform.service
        log = data_dir / "worker.log"
        worker = start_worker(data_dir, args.workers, log, wait=True)
        killed_at = None
        started = time.perf_counter()
        for i in range(args.orders):
            due = started + i / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            now = datetime.now(UTC)
            # the unit of work hands the dispatch texts to the workers as it commits
            with sessions.begin() as s:
                o = svc.open_order(s, court.MID if i % 2 else court.PRIMARY, channel="hall",
                                   order_type=3, by="bench", at=now,
                                   caller_phone=f"138{i:08d}")
                svc.forward(s, o, version=None, by="bench", at=now,
                            answers=Answers(judge_unreachable=True), judge="法官m"
                            if i % 2 else "法官p")
            if not args.no_kill and killed_at is None and i >= args.orders * 0.4:
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                killed_at = i
                time.sleep(1.0)
                worker = start_worker(data_dir, args.workers, log)
        produced = time.perf_counter() - started
        deadline = time.monotonic() + 600
        with sessions() as s:
            total = s.scalar(select(func.count()).select_from(Notice))
        while time.monotonic() < deadline:
            with sessions() as s:
                done = s.scalar(select(func.count()).where(Notice.status == "sent"))
            if done == total:
                break
            time.sleep(0.5)  # what a killed task left, the worker's minute job picks up
        finished = time.perf_counter() - started
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        time.sleep(0.5)
        with sessions() as s:
            rows = s.execute(select(Notice.created_at, Notice.sent_at, Notice.attempts,
                                    Notice.status)).all()
        lat = sorted((r.sent_at - r.created_at).total_seconds() for r in rows if r.sent_at)
        posts = prism.requests_logged()
        accepted = provider.summary()
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [0] * 99
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "orders": args.orders,
        "rate_per_s": args.rate, "workers": args.workers, "texts": len(rows),
        "sent": sum(1 for r in rows if r.status == "sent"), "posts_to_provider": posts,
        "accepted_by_provider": accepted["accepted"],
        "sent_twice": accepted["accepted_twice"],
        "found_at_provider_after_kill": log.read_text(errors="replace").count(
            "found at the provider"), "worker_killed_at_order": killed_at,
        "produce_s": round(produced, 1), "total_s": round(finished, 1),
        "latency_p50_s": round(q[49], 3), "latency_p99_s": round(q[98], 3),
        "latency_max_s": round(lat[-1], 3) if lat else None,
        "attempts_over_1": sum(1 for r in rows if r.attempts > 1),
    }
    print(json.dumps(result, indent=1))
    out = Path(args.out or ROOT / "bench" / "results" / f"sms-{datetime.now(UTC):%Y-%m-%d}.json")
    out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
