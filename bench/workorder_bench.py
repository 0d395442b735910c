"""Benchmark of the work-order domain over a province-sized history (issue: work orders).

    python bench/workorder_bench.py [--orders 1000000] [--db sqlite|postgresql|both]
                                    [--out bench/results/workorder-DATE.json]

For each database it generates the history with bench/province.py (one intermediate and
15 primary courts, 1,000,000 orders over a year, 1% of them due), then measures:

* the sweep over the whole table with 1% due (goal < 2 s), and a second sweep right after
  (nothing due: what every periodic run costs);
* the ledger of the busiest month (>= 100,000 orders; goal < 3 s);
* the query plans of both, with and without the indexes that make them fast;

and, without a database, working-day deadline arithmetic in calls per second.
PostgreSQL is a real server started on 127.0.0.1 by tests/support/postgres.py.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from province import generate  # noqa: E402

from hotline.db import make_engine  # noqa: E402
from workorder import ledger  # noqa: E402
from workorder.calendar import CourtCalendar  # noqa: E402
from workorder.deadlines import Clock, Policy, due_actions, end_of_working_day  # noqa: E402
from workorder.models import WorkOrder  # noqa: E402
from workorder.sweep import sweep  # noqa: E402
from workorder.types import OrderStatus  # noqa: E402

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def rate(fn, seconds: float = 1.0) -> float:
    """Calls per second of ``fn`` over about ``seconds``."""
    n, start = 0, time.perf_counter()
    while True:
        for _ in range(1000):
            fn()
        n += 1000
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def deadline_arithmetic() -> dict[str, float]:
    cal = CourtCalendar()
    policy = Policy()
    cal.year_data(2026), cal.year_data(2027)  # warm the per-year data, as a server would
    start = datetime(2026, 9, 29, 16, 0, tzinfo=cal.tz)  # before National Day: worst case
    clock = Clock(OrderStatus.DISPATCHED, start, start, start,
                  end_of_working_day(cal, start, 3), None, None, 0, True)
    later = start + timedelta(days=20)
    def uncached() -> date:
        cal._sums.clear()  # every call computes, as for a day not seen before
        return cal.add_working_days(date(2026, 9, 29), 3)

    return {
        "add_working_days(3), first time for that day": rate(uncached),
        "add_working_days(3), repeated (cached)": rate(
            lambda: cal.add_working_days(date(2026, 9, 29), 3)),
        "add_working_hours(2)": rate(lambda: cal.add_working_hours(start, 2)),
        "end_of_working_day(3)": rate(lambda: end_of_working_day(cal, start, 3)),
        "due_actions(full ladder)": rate(lambda: due_actions(clock, later, policy, cal)),
    }


def plan(engine, sql: str) -> list[str]:
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            return [r[-1] for r in c.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
        return [r[0] for r in c.exec_driver_sql("EXPLAIN " + sql)]


DUE_SQL = ("SELECT id FROM work_orders WHERE next_due_at <= '2026-11-24 09:30:00' "
           "ORDER BY next_due_at, id LIMIT 5000")


def one_database(name: str, url: str, orders: int) -> dict:
    print(f"[{name}] generating {orders:,} orders…", flush=True)
    gen = generate(url, orders, now=NOW)
    print(f"[{name}] generated in {gen.seconds:.0f} s; busiest month {gen.busiest_month} "
          f"({gen.busiest_month_orders:,} orders)", flush=True)
    engine = make_engine(url)
    with engine.begin() as c:
        c.exec_driver_sql("ANALYZE")  # fresh statistics, as autovacuum would give
    sessions = sessionmaker(engine, expire_on_commit=False)
    cal, policy = CourtCalendar(), Policy()
    out: dict = {"generated": gen.as_dict()}
    plans = {"sweep (with ix_work_orders_next_due)": plan(engine, DUE_SQL)}
    with engine.connect() as c:
        due = c.execute(select(func.count()).where(WorkOrder.next_due_at <= NOW)).scalar()
    report = sweep(sessions, cal, policy, NOW)
    idle = sweep(sessions, cal, policy, NOW + timedelta(seconds=1))
    out["sweep"] = {"due_before": due, "first": report.as_dict(), "second": idle.as_dict()}
    print(f"[{name}] sweep: {report.orders:,} due orders in {report.seconds:.2f} s "
          f"({report.overdue:,} overdue, {report.reminders:,} reminders, "
          f"{report.escalations:,} escalations, {report.callbacks:,} callbacks); "
          f"idle sweep {idle.seconds * 1000:.0f} ms", flush=True)
    month = gen.busiest_month
    runs = []
    for _ in range(3):
        with sessions() as s:
            t0 = time.perf_counter()
            led = ledger.build(s, month, cal.tz, NOW)
            runs.append(time.perf_counter() - t0)
    out["ledger"] = {"month": month, "orders": led.totals.orders, "seconds": runs,
                     "median_s": statistics.median(runs), "rates": led.rates}
    print(f"[{name}] ledger {month}: {led.totals.orders:,} orders in "
          f"{statistics.median(runs):.2f} s (median of 3)", flush=True)
    plans["ledger month scan (with ix_work_orders_court_created / created_at)"] = plan(
        engine, "SELECT court, department_id, order_type, channel, count(*) FROM work_orders "
        "WHERE created_at >= '2026-03-01' AND created_at < '2026-04-01' "
        "GROUP BY court, department_id, order_type, channel")
    # Without the partial index the sweep's read is a scan of the whole table.
    with engine.begin() as c:
        c.exec_driver_sql("DROP INDEX ix_work_orders_next_due")
    engine.dispose()  # new connections: no statement prepared against the old schema
    plans["sweep (without ix_work_orders_next_due)"] = plan(engine, DUE_SQL)
    with engine.connect() as c:
        t0 = time.perf_counter()
        c.exec_driver_sql(DUE_SQL).all()
        out["due_read_without_index_s"] = time.perf_counter() - t0
    with engine.begin() as c:
        c.exec_driver_sql("CREATE INDEX ix_work_orders_next_due ON work_orders (next_due_at) "
                          "WHERE next_due_at IS NOT NULL")
    with engine.connect() as c:
        t0 = time.perf_counter()
        c.exec_driver_sql(DUE_SQL).all()
        out["due_read_with_index_s"] = time.perf_counter() - t0
    out["plans"] = plans
    engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--workdir", default="/tmp/hotline-bench")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    results: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
                     "machine": {"python": platform.python_version(),
                                 "cpus": __import__("os").cpu_count()},
                     "orders": args.orders}
    results["deadline_calls_per_s"] = deadline_arithmetic()
    for k, v in results["deadline_calls_per_s"].items():
        print(f"deadline arithmetic: {k}: {v:,.0f} calls/s", flush=True)
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    if args.db in ("sqlite", "both"):
        db = work / "province.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        results["sqlite"] = one_database("sqlite", f"sqlite:///{db}", args.orders)
    if args.db in ("postgresql", "both"):
        from support.postgres import PostgresServer

        with PostgresServer() as server:
            url = server.create_database("province")
            results["postgresql"] = one_database("postgresql", url, args.orders)
    out = Path(args.out or ROOT / "bench" / "results"
               / f"workorder-{datetime.now(UTC):%Y-%m-%d}.json")
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
    print(f"results → {out}")


if __name__ == "__main__":
    main()
