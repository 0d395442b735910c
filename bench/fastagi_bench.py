#!/usr/bin/env python3
"""FastAGI benchmark: the hotline's real server against a bare floor and the old way.

    python bench/fastagi_bench.py            # full run: C = 100, 500, 1000 (a few minutes)
    python bench/fastagi_bench.py --quick    # smoke test: C = 50, 500 calls (~5–20 s)

What runs (all on 127.0.0.1, every process started here is stopped here):

* **hotline** — the real server, ``hotline --data-dir <tmp> serve --no-ami`` in its own
  process, with a fresh SQLite database. One simulated call is what Asterisk does for a
  caller who presses 3 on the first play: the FastAGI session ``incoming`` (registers the
  call and opens its work order), then the session ``menu`` with arguments ``3,1`` (the
  order's type becomes 3), both with the call's own ``agi_uniqueid``. The client side is
  the project's test double :func:`agi_scripts.testing.agi_session`.
* **bare** — the floor: an asyncio FastAGI echo server (``--echo-server PORT``, in its own
  process) that reads the request header and sends the same three ``SET VARIABLE``
  commands per session as the real handlers, waiting for each reply; no database.
* **pyst2** — the old way: ``bench/pyst2_agi_script.py`` (pyst2's stdio ``AGI`` class plus
  the equivalent sqlite3 write) started as a new process per session, as ``AGI()`` does.

Load is a closed loop: C workers run calls back to back. Per level: a warm-up of C calls,
then the measured window of max(5·C, 3000) calls, while C more calls keep the concurrency
up until the window closes (the "tail"; their rows are in the database but not in the
figures). Sessions/s counts AGI sessions (connections); a call is two sessions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
HOST = "127.0.0.1"
PYTHON = sys.executable
HOTLINE = str(Path(PYTHON).with_name("hotline"))
sys.path.insert(0, str(ROOT))

CALL_TIMEOUT = 20.0  # one simulated call (both sessions) must end within this
LEVEL_DEADLINE = 120.0  # a level stops taking new calls after this many seconds
READY_TIMEOUT = 60.0  # a server must accept connections within this
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---- the floor: a bare asyncio FastAGI echo server ----------------------------------------
ECHO_COMMANDS = {  # what the real handlers send for this call (printed in the report)
    "incoming": (b'SET VARIABLE HOTLINE_MODE "closed"\n', b'SET VARIABLE HOTLINE_ORDER '
                 b'"20260101-0001"\n', b'SET VARIABLE HOTLINE_FILE "2026/01/01/x"\n'),
    "menu": (b'SET VARIABLE HOTLINE_MENU "chosen"\n', b'SET VARIABLE HOTLINE_TYPE "3"\n',
             b'SET VARIABLE HOTLINE_QUEUE "hotline-3"\n'),
}


async def _echo_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        header = await reader.readuntil(b"\n\n")
        script = b"incoming"
        for line in header.split(b"\n"):
            if line.startswith(b"agi_network_script: "):
                script = line[20:].strip()
        for command in ECHO_COMMANDS.get(script.decode(), ECHO_COMMANDS["incoming"]):
            writer.write(command)
            if not await reader.readline():
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _echo_main(port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = await asyncio.start_server(_echo_handler, HOST, port)
    print(f"echo FastAGI listening on {HOST}:{port}", file=sys.stderr, flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


# ---- processes ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_accepting(proc: subprocess.Popen, port: int, timeout: float = READY_TIMEOUT) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return time.monotonic() - started
        time.sleep(0.1)
    raise RuntimeError(f"server not accepting on {port} within {timeout} s")


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def proc_mem_mb(pid: int) -> dict[str, float]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0]) / 1024
    return out


def listen_overflows() -> int:
    """TcpExt ListenOverflows: connects dropped because a listen backlog was full (each costs
    the client a SYN retransmit, 1 s then 3 s)."""
    with contextlib.suppress(OSError, ValueError, StopIteration):
        rows = [ln.split() for ln in Path("/proc/net/netstat").read_text().splitlines()
                if ln.startswith("TcpExt:")]
        return int(rows[1][rows[0].index("ListenOverflows")])
    return -1


def project_revision() -> str:
    """The commit measured, and whether project files (outside bench/) differ from it."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", ".",
                                ":(exclude)bench"], capture_output=True, text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head or 'unknown'}{' + uncommitted changes' if dirty else ''}"


def machine() -> dict[str, str | int]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count() or 0, "cpu": model, "python": platform.python_version(),
            "kernel": platform.release(), "loadavg_at_start": os.getloadavg()[0],
            "revision": project_revision()}


# ---- load ----------------------------------------------------------------------------------
@dataclass
class Level:
    what: str
    concurrency: int
    calls: int  # measured window
    warmup: int
    tail: int
    records: list[tuple[float, float, float]] = field(default_factory=list)  # end, in, menu
    errors: dict[str, int] = field(default_factory=dict)
    started: int = 0
    wall_s: float = 0.0
    client_cpu_s: float = 0.0
    sample: list[list[str]] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    truncated: bool = False


# the FastAGI key every session passes as argument 1, as the dialplan does; the hotline
# server under test is started with it (HOTLINE_AGI_SECRET), the echo server ignores it;
# load-generator processes inherit it through the environment
BENCH_KEY = os.environ.setdefault("FASTAGI_BENCH_KEY", "bench-" + secrets.token_hex(16))


async def fastagi_call(port: int, uid: str) -> tuple[float, float, list[str], list[str]]:
    from agi_scripts.testing import agi_session

    t0 = time.perf_counter()
    first = await agi_session(HOST, port, "incoming", uid, key=BENCH_KEY, timeout=10.0)
    t1 = time.perf_counter()
    second = await agi_session(HOST, port, "menu", uid, args=("3", "1"), key=BENCH_KEY,
                               timeout=10.0)
    return t1 - t0, time.perf_counter() - t1, first, second


def classic_header(script_path: str, uid: str, args: tuple[str, ...]) -> bytes:
    """The environment Asterisk writes to a stdio AGI script's stdin (no agi_network_*)."""
    from agi_scripts.testing import request_header

    lines = request_header("x", uid, args=args).decode().split("\n")
    lines = [f"agi_request: {script_path}" if ln.startswith("agi_request:") else ln
             for ln in lines if not ln.startswith("agi_network")]
    return "\n".join(lines).encode()


async def classic_session(env: dict[str, str], uid: str, argv: tuple[str, ...]) -> list[str]:
    script = str(BENCH / "pyst2_agi_script.py")
    proc = await asyncio.create_subprocess_exec(
        PYTHON, script, *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, env=env)
    commands: list[str] = []
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(classic_header(script, uid, argv[1:]))
        await proc.stdin.drain()
        while len(commands) < 50:
            line = await proc.stdout.readline()
            if not line:
                break
            commands.append(line.decode().rstrip("\n"))
            proc.stdin.write(b"200 result=1\n")
            await proc.stdin.drain()
        if await proc.wait() != 0:
            raise RuntimeError(f"AGI script exited with {proc.returncode}")
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return commands


async def classic_call(env: dict[str, str], uid: str) -> tuple[float, float, list[str], list[str]]:
    t0 = time.perf_counter()
    first = await classic_session(env, uid, ("incoming",))
    t1 = time.perf_counter()
    second = await classic_session(env, uid, ("menu", "3", "1"))
    return t1 - t0, time.perf_counter() - t1, first, second


def check_commands(first: list[str], second: list[str]) -> None:
    if len(first) != 3 or len(second) != 3:
        raise AssertionError(f"expected 3+3 commands, got {len(first)}+{len(second)}")
    if not second[1].replace('"', "").endswith("HOTLINE_TYPE 3"):
        raise AssertionError(f"menu did not choose type 3: {second[1]!r}")


async def run_level(level: Level, call, uid_prefix: str) -> Level:
    """Closed loop: ``concurrency`` workers, warm-up + window + tail calls in all."""
    total = level.warmup + level.calls + level.tail
    counter = iter(range(total))
    deadline = time.monotonic() + LEVEL_DEADLINE

    async def worker() -> None:
        for n in counter:
            if time.monotonic() > deadline:
                level.truncated = True
                return
            level.started += 1
            uid = f"{uid_prefix}-{n}"
            try:
                async with asyncio.timeout(CALL_TIMEOUT):
                    lat_in, lat_menu, first, second = await call(uid)
                check_commands(first, second)
                if len(level.sample) < 1:
                    level.sample = [first, second]
                level.records.append((time.perf_counter(), lat_in, lat_menu))
            except Exception as exc:  # noqa: BLE001 - every failure is counted, none hides
                kind = type(exc).__name__
                level.errors[kind] = level.errors.get(kind, 0) + 1
                if len(level.error_samples) < 5:
                    level.error_samples.append(f"{kind}: {exc}"[:200])

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(level.concurrency)))
    level.client_cpu_s = time.process_time() - cpu0
    level.wall_s = time.perf_counter() - wall0
    return level


def drive(what: str, port: int, concurrency: int, calls: int, clients: int) -> Level:
    """One level against a FastAGI server, from this process or from ``clients`` processes
    (each runs concurrency/clients workers; their records are merged)."""
    level = Level(what, concurrency, calls, warmup=concurrency, tail=concurrency)
    prefix = f"{what}-c{concurrency}"
    if clients <= 1:
        asyncio.run(run_level(level, lambda uid: fastagi_call(port, uid), prefix))
        return level
    procs = []
    for i in range(clients):
        share = {"port": port, "concurrency": concurrency // clients,
                 "calls": calls // clients, "warmup": concurrency // clients,
                 "tail": concurrency // clients, "prefix": f"{prefix}-g{i}"}
        procs.append(subprocess.Popen([PYTHON, str(Path(__file__).resolve()), "--load-gen",
                                       json.dumps(share)], stdout=subprocess.PIPE,
                                      cwd=str(ROOT), start_new_session=True))
    try:
        for proc in procs:
            out, _ = proc.communicate(timeout=LEVEL_DEADLINE + 60)
            part = json.loads(out)
            level.records += [tuple(r) for r in part["records"]]
            for k, v in part["errors"].items():
                level.errors[k] = level.errors.get(k, 0) + v
            level.error_samples += part["error_samples"]
            level.started += part["started"]
            level.wall_s = max(level.wall_s, part["wall_s"])
            level.client_cpu_s += part["client_cpu_s"]
            level.sample = level.sample or part["sample"]
            level.truncated |= part["truncated"]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return level


def _load_gen_main(spec: dict) -> None:
    port = spec["port"]
    level = Level("load-gen", spec["concurrency"], spec["calls"], spec["warmup"], spec["tail"])
    asyncio.run(run_level(level, lambda uid: fastagi_call(port, uid), spec["prefix"]))
    json.dump({"records": level.records, "errors": level.errors,
               "error_samples": level.error_samples, "started": level.started,
               "wall_s": level.wall_s, "client_cpu_s": level.client_cpu_s,
               "sample": level.sample, "truncated": level.truncated}, sys.stdout)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summarize(level: Level) -> dict:
    """Figures over the measured window: completions number warm-up+1 … warm-up+calls."""
    recs = sorted(level.records)
    window = recs[level.warmup:level.warmup + level.calls]
    if level.warmup and len(recs) > level.warmup:
        t_start = recs[level.warmup - 1][0]
    else:
        t_start = recs[0][0] - (recs[0][1] + recs[0][2]) if recs else 0.0
    t_end = window[-1][0] if window else t_start
    span = max(t_end - t_start, 1e-9)
    calls = [(r[1] + r[2]) * 1000 for r in window]
    sessions = [r[1] * 1000 for r in window] + [r[2] * 1000 for r in window]
    return {
        "what": level.what, "concurrency": level.concurrency, "measured_calls": len(window),
        "calls_made": level.started, "calls_ok": len(recs), "warmup": level.warmup,
        "tail": level.tail, "window_s": round(span, 3), "wall_s": round(level.wall_s, 3),
        "calls_per_s": len(window) / span, "sessions_per_s": 2 * len(window) / span,
        "call_p50_ms": pct(calls, 50), "call_p99_ms": pct(calls, 99),
        "call_max_ms": max(calls, default=float("nan")),
        "session_p50_ms": pct(sessions, 50), "session_p99_ms": pct(sessions, 99),
        "incoming_p50_ms": pct([r[1] * 1000 for r in window], 50),
        "incoming_p99_ms": pct([r[1] * 1000 for r in window], 99),
        "menu_p50_ms": pct([r[2] * 1000 for r in window], 50),
        "menu_p99_ms": pct([r[2] * 1000 for r in window], 99),
        "call_mean_ms": statistics.fmean(calls) if calls else float("nan"),
        "errors": dict(level.errors), "error_samples": list(level.error_samples),
        "truncated": level.truncated,
        "client_cpu_pct": 100 * level.client_cpu_s / max(level.wall_s, 1e-9),
    }


# ---- the three subjects -------------------------------------------------------------------
def levels_for(quick: bool) -> list[tuple[int, int]]:
    if quick:
        return [(50, 500)]
    return [(c, max(5 * c, 3000)) for c in (100, 500, 1000)]


def run_server_levels(what: str, start: Callable[[int, Path], tuple[list[str], dict]],
                      levels: list[tuple[int, int]], tmp: Path, with_db: bool,
                      clients: int = 1, profiler: str | None = None) -> list[dict]:
    """Each level against a freshly started server (fresh database): levels do not inherit
    each other's rows, and the peak memory (VmHWM) is that level's own."""
    out = []
    for concurrency, calls in levels:
        port, data_dir = free_port(), tmp / f"{what}-c{concurrency}"
        cmd, env = start(port, data_dir)
        out.append(run_server_level(what, cmd, env, port, concurrency, calls,
                                    data_dir if with_db else None, clients, profiler))
    return out


def run_server_level(what: str, cmd: list[str], env: dict[str, str], port: int,
                     concurrency: int, calls: int, data_dir: Path | None, clients: int,
                     profiler: str | None) -> dict:
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log,
                            cwd=str(ROOT), start_new_session=True)
    spy = None
    try:
        ready = wait_accepting(proc, port)
        base_mb = proc_mem_mb(proc.pid)["VmRSS"]
        if profiler:
            RESULTS.mkdir(exist_ok=True)
            spy = subprocess.Popen(
                [profiler, "record", "--pid", str(proc.pid), "--rate", "250", "--format", "raw",
                 "--output", str(RESULTS / f"profile-{what}-c{concurrency}.txt"), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            time.sleep(1.0)
        cpu0, drops0 = proc_cpu_s(proc.pid), listen_overflows()
        level = drive(what, port, concurrency, calls, clients)
        row = summarize(level)
        row["listen_overflows"] = listen_overflows() - drops0
        row["load_generators"] = clients
        cpu = proc_cpu_s(proc.pid) - cpu0
        row["server_cpu_pct"] = 100 * cpu / max(level.wall_s, 1e-9)
        row["server_cpu_ms_per_session"] = 1000 * cpu / max(2 * level.started, 1)
        mem = proc_mem_mb(proc.pid)
        row["server_peak_mb"], row["server_rss_mb"] = mem["VmHWM"], mem["VmRSS"]
        row["server_idle_rss_mb"] = base_mb
        row["server_ready_s"] = round(ready, 2)
        row["sample_commands"] = level.sample
        if data_dir is not None:
            row["db_check"] = check_hotline_db(data_dir / "hotline.db", level.started)
        if proc.poll() is not None:
            raise RuntimeError(f"{what} server died (exit {proc.returncode})")
    finally:
        if spy is not None and spy.poll() is None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            try:
                spy.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait()
        stop_process(proc)
        log.seek(0)
        lines = log.read().decode(errors="replace").splitlines()
        log.close()
    # the readiness probe connects and closes once: that one warning is ours
    problems = [ln for ln in lines if (" ERROR " in ln or " WARNING " in ln or "Traceback" in ln)]
    probe = [ln for ln in problems if "connection closed before the request header" in ln][:1]
    problems = [ln for ln in problems if ln not in probe]
    row["server_log_problem_count"] = len(problems)
    row["server_log_problems"] = problems[:10]
    print_row(row)
    return row


def check_hotline_db(db: Path, calls_made: int) -> dict:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        n_calls = con.execute("SELECT count(*) FROM calls").fetchone()[0]
        n_orders = con.execute("SELECT count(*) FROM work_orders").fetchone()[0]
        not3 = con.execute("SELECT count(*) FROM work_orders WHERE order_type != 3").fetchone()[0]
        numbers = con.execute("SELECT count(DISTINCT number) FROM work_orders").fetchone()[0]
    finally:
        con.close()
    return {"calls_made": calls_made, "calls_rows": n_calls, "work_orders_rows": n_orders,
            "orders_not_type_3": not3, "distinct_order_numbers": numbers,
            "ok": n_calls == n_orders == calls_made == numbers and not3 == 0}


def run_pyst2_levels(levels: list[tuple[int, int]], tmp: Path) -> list[dict]:
    sys.path.insert(0, str(BENCH))
    from pyst2_agi_script import SCHEMA

    db = tmp / "pyst2.db"
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(SCHEMA)
    env = {**os.environ, "BENCH_PYST2_DB": str(db)}
    out: list[dict] = []
    made = 0
    for concurrency, calls in levels:
        level = Level("pyst2", concurrency, calls, warmup=min(concurrency, 20), tail=concurrency)
        asyncio.run(run_level(level, lambda uid: classic_call(env, uid), f"pyst2-c{concurrency}"))
        row = summarize(level)
        made += level.started
        con = sqlite3.connect(db)
        n_calls = con.execute("SELECT count(*) FROM calls").fetchone()[0]
        n_orders = con.execute("SELECT count(*) FROM work_orders").fetchone()[0]
        not3 = con.execute("SELECT count(*) FROM work_orders WHERE order_type != 3").fetchone()[0]
        con.close()
        row["db_check"] = {"calls_made": made, "calls_rows": n_calls, "work_orders_rows": n_orders,
                           "orders_not_type_3": not3,
                           "ok": n_calls == n_orders == made and not3 == 0}
        row["sample_commands"] = level.sample
        row["server_peak_mb"] = None  # a process per session; nothing stays up
        out.append(row)
        print_row(row)
    return out


# ---- report --------------------------------------------------------------------------------
def fmt(v, nd=0) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    return f"{v:,.{nd}f}"


def print_row(r: dict) -> None:
    err = sum(r["errors"].values())
    db = r.get("db_check", {})
    print(f"    C={r['concurrency']:>5}  {r['sessions_per_s']:8.0f} sess/s  "
          f"call p50 {r['call_p50_ms']:7.1f} ms  p99 {r['call_p99_ms']:7.1f} ms  "
          f"session p50 {r['session_p50_ms']:6.1f} p99 {r['session_p99_ms']:6.1f}  "
          f"errors {err}  server cpu {fmt(r.get('server_cpu_pct'))}%  "
          f"client cpu {r['client_cpu_pct']:.0f}%  backlog drops {r.get('listen_overflows', '-')}"
          f"  db {'ok' if db.get('ok', True) else db}",
          flush=True)


def table(rows: list[dict]) -> str:
    bare = {r["concurrency"]: r["sessions_per_s"] for r in rows if r["what"] == "bare"}
    head = ("| what | concurrency | sessions/s | calls/s | call p50 ms | call p99 ms "
            "| session p50 ms | session p99 ms | server peak MB | server CPU % "
            "| server CPU ms/session | client CPU % | backlog drops | errors "
            "| throughput vs bare % |")
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in rows:
        vs = bare.get(r["concurrency"])
        lines.append(
            f"| {r['what']} | {r['concurrency']} | {fmt(r['sessions_per_s'])} "
            f"| {fmt(r['calls_per_s'])} | {fmt(r['call_p50_ms'], 1)} | {fmt(r['call_p99_ms'], 1)} "
            f"| {fmt(r['session_p50_ms'], 1)} | {fmt(r['session_p99_ms'], 1)} "
            f"| {fmt(r.get('server_peak_mb'), 1)} | {fmt(r.get('server_cpu_pct'))} "
            f"| {fmt(r.get('server_cpu_ms_per_session'), 2)} | {fmt(r['client_cpu_pct'])} "
            f"| {fmt(r.get('listen_overflows'))} | {sum(r['errors'].values())} "
            f"| {fmt(100 * r['sessions_per_s'] / vs) if vs else '–'} |")
    return "\n".join(lines)


def verdict(rows: list[dict]) -> list[str]:
    real = {r["concurrency"]: r for r in rows if r["what"] == "hotline"}
    bare = {r["concurrency"]: r for r in rows if r["what"] == "bare"}
    if 500 not in real or 500 not in bare:
        return ["goal not evaluated (no 500-concurrent level in this run)"]
    r, b = real[500], bare[500]
    share = 100 * r["sessions_per_s"] / b["sessions_per_s"]
    p99 = r["session_p99_ms"]
    notes = []
    for x in (b, r):
        bound = ("the server" if x["server_cpu_pct"] >= 85
                 else "the load generator" if x["client_cpu_pct"] >= 85 else "neither CPU")
        notes.append(f"{x['what']} at C=500 is bound by {bound} (server CPU "
                     f"{x['server_cpu_pct']:.0f}%, load generator {x['client_cpu_pct']:.0f}% "
                     "of a core)")
    return [
        f"goal at 500 concurrent: session p99 {p99:.1f} ms (goal < 50): "
        f"{'MET' if p99 < 50 else 'MISSED'}; call p99 {r['call_p99_ms']:.1f} ms",
        f"goal at 500 concurrent: {share:.0f}% of the bare server's throughput (goal ≥ 60): "
        f"{'MET' if share >= 60 else 'MISSED'}",
        "closed loop (Little's law): session latency ≈ concurrency / sessions per second, so "
        f"p99 < 50 ms at C=500 needs ≳ {500 / 0.05:,.0f} sessions/s; the bare floor did "
        f"{b['sessions_per_s']:,.0f}.",
        *notes,
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="C=50, 500 calls: a smoke test")
    ap.add_argument("--clients", type=int, default=1, metavar="N",
                    help="load-generator processes (default 1; see bench/README.md)")
    ap.add_argument("--echo-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    ap.add_argument("--load-gen", metavar="JSON", help=argparse.SUPPRESS)
    ap.add_argument("--levels", metavar="C,C,…",
                    help="other concurrencies (calls = max(5·C, 3000))")
    ap.add_argument("--only", choices=("bare", "hotline", "pyst2"), help="run one subject only")
    ap.add_argument("--py-spy", metavar="PATH", help="record the hotline server with this "
                    "py-spy binary (raw stacks in bench/results/profile-*.txt)")
    ap.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    opts = ap.parse_args()
    if opts.echo_server:
        asyncio.run(_echo_main(opts.echo_server))
        return 0
    if opts.load_gen:
        _load_gen_main(json.loads(opts.load_gen))
        return 0

    started = time.monotonic()
    info = machine()
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}, Python {info['python']}, "
          f"Linux {info['kernel']}", flush=True)
    levels = levels_for(opts.quick)
    if opts.levels:
        levels = [(c, max(5 * c, 3000)) for c in map(int, opts.levels.split(","))]
    pyst2_levels = [(10, 50)] if opts.quick else [(20, 200), (100, 200)]
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmpdir:
        tmp = Path(tmpdir)
        want = {opts.only} if opts.only else {"bare", "hotline", "pyst2"}
        me = str(Path(__file__).resolve())

        def bare(port: int, _data: Path) -> tuple[list[str], dict]:
            return [PYTHON, me, "--echo-server", str(port)], dict(os.environ)

        def hotline(port: int, data: Path) -> tuple[list[str], dict]:
            env = {**os.environ, "HOTLINE_AGI_PORT": str(port), "HOTLINE_AGI_SECRET": BENCH_KEY}
            for var in ("HOTLINE_CONFIG", "HOTLINE_DATABASE_URL", "HOTLINE_DATA_DIR"):
                env.pop(var, None)
            exe = [HOTLINE] if Path(HOTLINE).exists() else [
                PYTHON, "-c", "import sys; from hotline.cli import main; sys.argv[0] = 'hotline'; "
                "main()"]
            return [*exe, "--data-dir", str(data), "serve", "--no-ami"], env

        if "bare" in want:
            print("bare asyncio FastAGI echo server (the floor)", flush=True)
            rows += run_server_levels("bare", bare, levels, tmp, False, opts.clients)
        if "hotline" in want:
            print("hotline FastAGI server (SQLite)", flush=True)
            rows += run_server_levels("hotline", hotline, levels, tmp, True, opts.clients,
                                      opts.py_spy)
        if "pyst2" in want:
            print("pyst2 stdio AGI, a process per session (the old way)", flush=True)
            rows += run_pyst2_levels(pyst2_levels, tmp)

    order = {"bare": 0, "hotline": 1, "pyst2": 2}
    rows.sort(key=lambda r: (order[r["what"]], r["concurrency"]))
    md_table = table(rows)
    notes = verdict(rows)
    elapsed = time.monotonic() - started
    sample = next((r["sample_commands"] for r in rows if r["what"] == "hotline"), [])
    db_checks = [f"{r['what']} C={r['concurrency']}: {r['db_check']}"
                 for r in rows if "db_check" in r]
    stamp = datetime.now().strftime("%Y-%m-%d")
    text = "\n".join([
        f"# FastAGI benchmark, {datetime.now():%Y-%m-%d %H:%M}"
        + (" (quick)" if opts.quick else ""),
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, "
        f"Linux {info['kernel']}; project {info['revision']}; load average at start {info['loadavg_at_start']:.2f}; "
        "SQLite (WAL); "
        f"{opts.clients} load-generator process{'es' if opts.clients > 1 else ''}; "
        f"run took {elapsed:.0f} s.",
        "",
        md_table,
        "",
        *[f"- {n}" for n in notes],
        "",
        "Commands the real server sent for one call (incoming, menu):",
        "",
        *[f"    {c}" for part in sample for c in part],
        "",
        "Database checks (rows vs calls made incl. warm-up and tail; each hotline level "
        "has its own fresh database, the pyst2 levels share one):",
        "",
        *[f"- {c}" for c in db_checks],
        "",
    ])
    print()
    print(text)
    if not opts.no_save:
        RESULTS.mkdir(exist_ok=True)
        name = f"fastagi-{stamp}" + ("-quick" if opts.quick else "")
        (RESULTS / f"{name}.md").write_text(text)
        (RESULTS / f"{name}.json").write_text(json.dumps(
            {"machine": info, "quick": opts.quick, "elapsed_s": elapsed, "rows": rows,
             "verdict": notes}, indent=2, ensure_ascii=False, default=str))
        print(f"written: {RESULTS / name}.md, .json")
    ok = all(not r["errors"] and r.get("db_check", {}).get("ok", True) for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
