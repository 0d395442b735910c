"""Benchmark of virtual hold (issue 17) on the real PBX and a carrier Asterisk: 10 callbacks
wait, a seat becomes free one time after another, and each time:

* **free → seat rung**: the seat unpaused (``QueuePause`` false, acknowledged) to
  app_queue ringing it for the head placeholder (AMI ``AgentCalled``, its own time stamp);
* **free → party ringing**: to the carrier receiving the INVITE for the party's number
  (the carrier's log, in milliseconds): the seat answers, hears who it is (the type, the
  number, the order's last digits: several seconds of prompts), and then the party is
  dialled;
* the order in which parties were called against the order in which they called (their
  first entry into a queue), with the requests created in a shuffled order.

Each round pauses the seat again once the party rings, so the next round starts from one
seat freeing. The seat is sipp answering at once; the carrier's party answers after a
second and hangs up after 4 s.

    python bench/callback_bench.py [--callbacks 10]

Writes bench/results/callback-<date>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from sqlalchemy import select  # noqa: E402
from support.carrier import carrier_line  # noqa: E402

from hotline import ami, bootstrap  # noqa: E402
from workorder import virtual_hold as vh  # noqa: E402
from workorder.models import AutoCallback, Call  # noqa: E402
from workorder.registration import Arrival, leave_callback, register_call  # noqa: E402

_STAMP = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})")


class Folders:
    """What carrier_line wants of pytest's tmp_path_factory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def mktemp(self, name: str) -> Path:
        path = Path(tempfile.mkdtemp(prefix=name, dir=self.root))
        return path


def requests(line, n: int) -> list[tuple[str, datetime]]:
    """``n`` callers who overflowed and chose a callback, arrived 1 s apart, recorded in a
    shuffled order; (number, arrival) in arrival order."""
    base = datetime.now(UTC) - timedelta(minutes=5)
    callers = [(f"139{i:06d}01", base + timedelta(seconds=i)) for i in range(n)]
    shuffled = callers[:]
    random.Random(17).shuffle(shuffled)
    with bootstrap.build(line.settings) as platform:
        settings = platform.settings
        for k, (number, arrived) in enumerate(shuffled):
            uid = f"bench.{k}"
            with platform.uow.begin() as s:
                register_call(s, settings.court_name, settings.tz,
                              Arrival(uid, number, "", arrived), ("open", "工作时间"))
                call = s.scalar(select(Call).where(Call.uniqueid == uid))
                call.offered_at, call.queue, call.order_type = arrived, "hotline-2", 2
                leave_callback(s, uid, None, datetime.now(UTC))
                vh.request(s, platform.calendar, settings.policy, uid, datetime.now(UTC))
    return callers


def carrier_invites(line) -> list[tuple[float, str]]:
    out = []
    for row in line.carrier.log().splitlines():
        m = _STAMP.match(row)
        if m and "carrier: call to " in row:
            at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f")
            number = row.split("carrier: call to ", 1)[1].split(" from ")[0].strip()
            out.append((at.timestamp(), number))
    return out


async def run(line, n: int) -> dict:
    called: list[dict] = []
    rung: list[tuple[float, str]] = []

    async with ami.connect(line.settings, events=True) as m:
        async def on_called(_m, ev):
            if str(ev.get("Uniqueid", "")).startswith("vh-"):
                rung.append((float(ev.get("Timestamp", time.time())), ev.get("Uniqueid")))
        m.register_event("AgentCalled", on_called)
        await ami.seat_login(m, "seat1001", ["hotline-2"])
        await ami.action(m, Action="QueuePause", Interface="PJSIP/seat1001", Paused="true",
                         Reason="bench")
        deadline = time.monotonic() + 60
        while True:  # every placeholder in the queue before the first seat frees
            with line.sessions()() as s:
                queued = s.scalars(select(AutoCallback).where(
                    AutoCallback.state == vh.QUEUED, AutoCallback.originated_at.is_not(None))).all()
            if len(queued) == n:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(queued)} of {n} placeholders queued")
            await asyncio.sleep(0.5)
        for k in range(n):
            before = len(carrier_invites(line))
            rung_before = len(rung)
            await ami.action(m, Action="QueuePause", Interface="PJSIP/seat1001",
                             Paused="false")
            freed = time.time()
            while len(carrier_invites(line)) == before:
                if time.time() - freed > 60:
                    raise RuntimeError(f"round {k}: no party rang")
                await asyncio.sleep(0.05)
            await ami.action(m, Action="QueuePause", Interface="PJSIP/seat1001",
                             Paused="true", Reason="bench")
            at, number = carrier_invites(line)[-1]
            seat_rung = rung[rung_before][0] if len(rung) > rung_before else None
            called.append({"round": k, "number": number,
                           "free_to_seat_rung_ms": round((seat_rung - freed) * 1000)
                           if seat_rung else None,
                           "free_to_party_ms": round((at - freed) * 1000)})
            await asyncio.sleep(7)  # the party hangs up after 4 s; the seat's wrap-up
    return {"rounds": called}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--callbacks", type=int, default=10)
    args = ap.parse_args()
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="callback-bench-") as tmp, \
            carrier_line(Folders(Path(tmp)), overflow_ring_s=2, dial_ring_s=10) as line:
        for seat in ("seat1001", "seat1002", "seat1003", "sup9001"):
            line.cli("seats", "logout", seat)
        line.cli("mode", "open")
        callers = requests(line, args.callbacks)
        result = asyncio.run(run(line, args.callbacks))
    rounds = result["rounds"]
    party = [r["free_to_party_ms"] for r in rounds]
    seat = [r["free_to_seat_rung_ms"] for r in rounds if r["free_to_seat_rung_ms"] is not None]
    arrival_order = [number for number, _ in callers]
    called_order = [r["number"] for r in rounds]
    report = {
        "commit": commit, "date": date.today().isoformat(), "callbacks": args.callbacks,
        "free_to_seat_rung_ms": {"p50": pct(seat, 0.5), "p95": pct(seat, 0.95),
                                 "max": max(seat)} if seat else None,
        "free_to_party_ringing_ms": {"p50": pct(party, 0.5), "p95": pct(party, 0.95),
                                     "mean": round(statistics.mean(party)), "max": max(party)},
        "arrival_order": arrival_order, "called_order": called_order,
        "in_arrival_order": arrival_order == called_order,
        "each_called_once": sorted(called_order) == sorted(arrival_order), **result}
    out = ROOT / "bench" / "results" / f"callback-{report['date']}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(json.dumps({k: report[k] for k in ("commit", "free_to_seat_rung_ms",
                                             "free_to_party_ringing_ms", "in_arrival_order",
                                             "each_called_once")}, ensure_ascii=False))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
