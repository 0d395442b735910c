#!/usr/bin/env python3
"""Do the web pages and the FastAGI server starve each other? (issue 16)

    .venv/bin/python bench/agi_under_logins.py            # ~90 s on 2 cores
    .venv/bin/python bench/agi_under_logins.py --json     # the figures as JSON, too
    .venv/bin/python bench/agi_under_logins.py --seconds 10 --flood-clients 100

One process serves both: ``hotline --data-dir <tmp> serve --no-ami`` (no Asterisk), on a
fresh data folder with one supervisor ``wang``, web pages and FastAGI on 127.0.0.1 ports.
This process measures, in phases of ``--seconds`` each:

* **A, baseline** — a steady stream of the dialplan's first AGI request (``incoming``,
  with the FastAGI key, as bench/fastagi_bench.py sends it), ``--rate`` sessions a second
  (open loop: each is started on its schedule, whatever the ones before are doing).
* **B, login flood** — the same stream while ``--flood-clients`` HTTP clients (a separate
  process, each client bound to its own 127.10.x.y address) post wrong passwords to
  /login as fast as they can, each with a login of its own (a password spray: no login
  gets locked out, so every admitted attempt costs an Argon2 hash).
* **D, FastAGI flood** — the same stream while ``--agi-flood`` workers (a separate
  process) run whole calls (``incoming`` then ``menu 3,1``) back to back.

In every phase two probes run from 127.0.0.1, as a real user would: a legitimate login
(right password, fresh cookies — or, with ``--known-browser``, the device cookie of the
browser's earlier sign-in: GET the form, POST it; turned away with 429 it tries again
after Retry-After, for up to ``--login-patience`` seconds) every ``--login-every`` seconds,
and a page (GET /login) every 0.5 s. Printed per phase: the stream's latency (p50, p95,
p99, max, sessions/s, errors), the probes', the flood's answers by status, the server's
CPU by thread name and its peak memory (VmHWM) and the load average. All figures are from
one 2-core machine shared with other work: indicative, not exact.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from fastagi_bench import (  # noqa: E402 - the FastAGI bench's own helpers and key
    BENCH_KEY,
    HOST,
    HOTLINE,
    PYTHON,
    ROOT,
    fastagi_call,
    free_port,
    machine,
    pct,
    proc_cpu_s,
    proc_mem_mb,
    stop_process,
    wait_accepting,
)

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
CLK_TCK = os.sysconf("SC_CLK_TCK")


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def threads_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each live thread of the process, by thread id (Python 3.11 does not
    name its threads for the kernel: all are called after the process)."""
    out: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError):
            fields = task.joinpath("stat").read_text().rsplit(")", 1)[1].split()
            out[int(task.name)] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def cpu_split(pid: int, before: dict[int, float], after: dict[int, float], total: float,
              wall: float) -> dict[str, int]:
    """A phase's server CPU (% of one core): the main thread (the FastAGI event loop), the
    busiest other threads (the web's event loop, worker threads), and threads that ended
    during the phase (Argon2 starts its lanes' threads for each hash and joins them)."""
    delta = {t: v - before.get(t, 0.0) for t, v in after.items()}
    out = {"main (FastAGI loop)": round(100 * delta.pop(pid, 0.0) / wall)}
    for tid, v in sorted(delta.items(), key=lambda kv: -kv[1])[:3]:
        if v >= 0.01 * wall:
            out[f"thread {tid}"] = round(100 * v / wall)
    live = sum(after.values()) - sum(before.get(t, 0.0) for t in after)
    out["ended threads"] = max(0, round(100 * (total - live) / wall))
    return out


def flood_address(i: int) -> str:
    return f"127.10.{i // 250}.{i % 250 + 1}"


# ---- the floods (each in its own process) ----------------------------------------------------
async def login_flood(port: int, clients: int, seconds: float) -> dict:
    import ssl

    import httpx

    # one TLS context for all (httpx makes one per transport otherwise: ~20 ms of CPU each,
    # which held 200 clients back for seconds before their first post)
    tls = ssl.create_default_context()
    codes: collections.Counter = collections.Counter()
    errors: collections.Counter = collections.Counter()
    lat: list[float] = []
    started, cpu0 = time.monotonic(), sum(os.times()[:2])
    stop_at = started + seconds
    hashed: collections.Counter = collections.Counter()  # 401 answers, by second

    async def client(i: int) -> None:
        transport = httpx.AsyncHTTPTransport(local_address=flood_address(i), verify=tls)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}:{port}",
                                     timeout=30) as c:
            n = 0
            token = ""
            while time.monotonic() < stop_at:
                try:
                    if not token:
                        token = CSRF_RE.search((await c.get("/login")).text).group(1)
                    t0 = time.perf_counter()
                    r = await c.post("/login", data={"login": f"x{i}-{n}",
                                                     "password": f"guess {i} {n}",
                                                     "csrf": token})
                    lat.append(time.perf_counter() - t0)
                    codes[r.status_code] += 1
                    if r.status_code == 401:
                        hashed[int(time.monotonic() - started)] += 1
                except Exception as exc:  # noqa: BLE001 - counted, the flood goes on
                    errors[type(exc).__name__] += 1
                    token = ""
                    await asyncio.sleep(0.05)
                n += 1

    await asyncio.gather(*(client(i) for i in range(clients)))
    return {"answers": {str(k): v for k, v in sorted(codes.items())}, "errors": dict(errors),
            "posts": sum(codes.values()), "post_p50_ms": 1000 * pct(lat, 50),
            "post_p99_ms": 1000 * pct(lat, 99),
            "hashed_per_s": [hashed[t] for t in range(int(seconds) + 1)],
            "flood_client_cpu_pct": own_cpu_pct(cpu0, time.monotonic() - started)}


async def agi_flood(port: int, workers: int, seconds: float) -> dict:
    stop_at = time.monotonic() + seconds
    done, errors, lat = 0, collections.Counter(), []

    async def worker(w: int) -> None:
        nonlocal done
        n = 0
        while time.monotonic() < stop_at:
            try:
                async with asyncio.timeout(20):
                    a, b, _, _ = await fastagi_call(port, f"flood-{w}-{n}")
                lat.append(a + b)
                done += 1
            except Exception as exc:  # noqa: BLE001
                errors[type(exc).__name__] += 1
            n += 1

    t0, cpu0 = time.perf_counter(), sum(os.times()[:2])
    await asyncio.gather(*(worker(w) for w in range(workers)))
    wall = time.perf_counter() - t0
    return {"calls": done, "sessions_per_s": 2 * done / wall, "errors": dict(errors),
            "flood_client_cpu_pct": own_cpu_pct(cpu0, wall),
            "call_p50_ms": 1000 * pct(lat, 50), "call_p99_ms": 1000 * pct(lat, 99)}


def hash_outside(slots: int, seconds: float) -> dict:
    """The control: Argon2 verifies in ``slots`` threads of another process, back to back,
    as the login flood keeps the server's hash slots busy (same CPU, not the same GIL)."""
    import threading

    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError

    hasher = PasswordHasher()
    stored, stop_at, done = hasher.hash("not the password"), time.monotonic() + seconds, [0]

    def work() -> None:
        while time.monotonic() < stop_at:
            with contextlib.suppress(VerificationError):
                hasher.verify(stored, "a wrong guess")
            done[0] += 1

    threads = [threading.Thread(target=work) for _ in range(slots)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"hashes": done[0], "hashes_per_s": done[0] / seconds}


def own_cpu_pct(since: float, wall: float) -> float:
    """This (load-generating) process's CPU since ``since`` (os.times), % of one core."""
    t = os.times()
    return round(100 * (t.user + t.system - since) / max(wall, 1e-9))


def flood_child(kind: str, spec: dict) -> subprocess.Popen:
    return subprocess.Popen([PYTHON, str(Path(__file__).resolve()), f"--{kind}-child",
                             json.dumps(spec)], stdout=subprocess.PIPE, cwd=str(ROOT),
                            start_new_session=True)


# ---- what this process measures --------------------------------------------------------------
DEVICE_COOKIE = "hotline_device"
KNOWN_BROWSER = False  # set by --known-browser
KNOWN: dict[str, str] = {}


class Probes:
    """The AGI stream and the two web probes of one phase."""

    def __init__(self) -> None:
        self.agi: list[float] = []
        self.agi_late: list[float] = []  # how late this process started a session
        self.agi_errors: collections.Counter = collections.Counter()
        self.logins: list[dict] = []
        self.pages: list[float] = []
        self.page_errors: collections.Counter = collections.Counter()
        self.t0 = time.perf_counter()

    async def stream(self, agi_port: int, rate: float, seconds: float, tag: str) -> None:
        tasks = []
        t0 = time.monotonic()

        async def one(n: int, due: float) -> None:
            self.agi_late.append(time.monotonic() - due)
            start = time.perf_counter()
            try:
                from agi_scripts.testing import agi_session

                got = await agi_session(HOST, agi_port, "incoming", f"{tag}-{n}",
                                        key=BENCH_KEY, timeout=15.0)
                if len(got) != 3:
                    raise AssertionError(f"{len(got)} commands")
                self.agi.append(time.perf_counter() - start)
            except Exception as exc:  # noqa: BLE001
                self.agi_errors[type(exc).__name__] += 1

        for n in range(int(rate * seconds)):
            due = t0 + n / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            tasks.append(asyncio.create_task(one(n, due)))
        await asyncio.gather(*tasks)

    async def page_probe(self, web: str, stop: asyncio.Event) -> None:
        import httpx

        async with httpx.AsyncClient(base_url=web, timeout=30) as c:
            while not stop.is_set():
                t0 = time.perf_counter()
                try:
                    r = await c.get("/login")
                    if r.status_code != 200:
                        raise RuntimeError(f"HTTP {r.status_code}")
                    self.pages.append(time.perf_counter() - t0)
                except Exception as exc:  # noqa: BLE001
                    self.page_errors[str(exc)[:40]] += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.5)

    async def one_login(self, web: str, patience: float) -> dict:
        """A user logging in: the form, then the post, again after Retry-After if turned
        away, until in or out of patience."""
        import httpx

        t0 = time.perf_counter()
        tries, statuses, posts = 0, [], []
        # --known-browser: the browser keeps the device cookie of its earlier sign-in
        async with httpx.AsyncClient(base_url=web, timeout=30, cookies=dict(KNOWN)) as c:
            try:
                token = CSRF_RE.search((await c.get("/login")).text).group(1)
                while True:
                    tries += 1
                    p0 = time.perf_counter()
                    r = await c.post("/login", data={"login": "wang", "password": PASSWORD,
                                                     "csrf": token})
                    posts.append(time.perf_counter() - p0)
                    statuses.append(r.status_code if r.status_code != 429 else
                                    "429 address" if "来自该地址" in r.text else "429 busy")
                    if r.status_code != 429:
                        if KNOWN_BROWSER and DEVICE_COOKIE in r.cookies:
                            KNOWN[DEVICE_COOKIE] = r.cookies[DEVICE_COOKIE]
                        break
                    wait = float(r.headers.get("retry-after", "1"))
                    if time.perf_counter() - t0 + wait > patience:
                        break
                    await asyncio.sleep(wait)
            except Exception as exc:  # noqa: BLE001
                statuses.append(type(exc).__name__)
        return {"at_s": t0 - self.t0, "in": statuses[-1:] == [303], "tries": tries,
                "statuses": statuses, "total_s": time.perf_counter() - t0, "post_s": posts}

    async def login_probe(self, web: str, every: float, patience: float,
                          stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.logins.append(await self.one_login(web, patience))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)


async def warm_up(agi_port: int, web_port: int) -> None:
    probes = Probes()
    await probes.stream(agi_port, 20, 1.0, "warm")
    await probes.one_login(f"http://{HOST}:{web_port}", 5.0)


async def phase(opts, agi_port: int, web_port: int, tag: str) -> Probes:
    web = f"http://{HOST}:{web_port}"
    probes, stop = Probes(), asyncio.Event()
    side = [asyncio.create_task(probes.page_probe(web, stop)),
            asyncio.create_task(probes.login_probe(web, opts.login_every, opts.login_patience,
                                                   stop))]
    await probes.stream(agi_port, opts.rate, opts.seconds, tag)
    stop.set()
    await asyncio.gather(*side)
    return probes


def summarize(name: str, probes: Probes, seconds: float) -> dict:
    agi = [1000 * x for x in probes.agi]
    logins = probes.logins
    first_posts = [1000 * x["post_s"][0] for x in logins if x["post_s"]]
    in_s = [1000 * x["total_s"] for x in logins if x["in"]]
    return {
        "phase": name, "agi_sessions": len(agi), "agi_per_s": len(agi) / seconds,
        "agi_p50_ms": pct(agi, 50), "agi_p95_ms": pct(agi, 95), "agi_p99_ms": pct(agi, 99),
        "agi_max_ms": max(agi, default=float("nan")), "agi_errors": dict(probes.agi_errors),
        "agi_start_late_max_ms": 1000 * max(probes.agi_late, default=0.0),
        "page_p50_ms": pct([1000 * x for x in probes.pages], 50),
        "page_max_ms": max((1000 * x for x in probes.pages), default=float("nan")),
        "page_errors": dict(probes.page_errors),
        "logins": len(logins), "logins_in": sum(x["in"] for x in logins),
        "logins_in_first_try": sum(x["in"] and x["tries"] == 1 for x in logins),
        "login_first_post_p50_ms": pct(first_posts, 50),
        "login_first_post_max_ms": max(first_posts, default=float("nan")),
        "login_time_to_in_p50_ms": pct(in_s, 50),
        "login_time_to_in_max_ms": max(in_s, default=float("nan")),
        "login_statuses": dict(collections.Counter(str(s) for x in logins
                                                   for s in x["statuses"])),
        "login_samples": [{"at_s": round(x["at_s"], 1), "statuses": x["statuses"],
                           "total_ms": round(1000 * x["total_s"]),
                           "posts_ms": [round(1000 * p) for p in x["post_s"]]}
                          for x in logins],
    }


def server_command(data: Path, switch_ms: float | None = None) -> list[str]:
    """The hotline command; with ``switch_ms``, its ``sys.setswitchinterval`` (1 ms, set in
    hotline/running.py) is replaced by this one (an experiment: is the GIL involved?)."""
    exe = [HOTLINE] if Path(HOTLINE).exists() and switch_ms is None else [
        PYTHON, "-c", "import sys; from hotline.cli import main; sys.argv[0] = 'hotline'; "
        + ("" if switch_ms is None else f"real = sys.setswitchinterval; "
           f"sys.setswitchinterval = lambda _s: real({switch_ms / 1000!r}); ")
        + "main()"]
    return [*exe, "--data-dir", str(data)]


def run(opts) -> dict:
    info = machine()
    # the web's live line connects to AMI even with --no-ami: give it a port where nothing
    # listens, so that it never reaches another Asterisk on this machine (5038)
    ports: set[int] = set()
    while len(ports) < 3:
        ports.add(free_port())
    agi_port, web_port, ami_port = sorted(ports)
    with tempfile.TemporaryDirectory(prefix="hotline-agi-logins-") as tmp:
        data = Path(tmp) / "data"
        env = {**os.environ, "HOTLINE_AGI_PORT": str(agi_port),
               "HOTLINE_WEB_PORT": str(web_port), "HOTLINE_AMI_PORT": str(ami_port),
               "HOTLINE_AGI_SECRET": BENCH_KEY}
        for var in ("HOTLINE_CONFIG", "HOTLINE_DATABASE_URL", "HOTLINE_DATA_DIR"):
            env.pop(var, None)
        subprocess.run([*server_command(data), "users", "add", "wang", "--role", "supervisor",
                        "--password-stdin"], input=PASSWORD + "\n", text=True, env=env,
                       cwd=str(ROOT), check=True, capture_output=True, timeout=120)
        log = tempfile.TemporaryFile()
        proc = subprocess.Popen([*server_command(data, opts.switch_interval), "serve", "--no-ami"], env=env,
                                stdout=subprocess.DEVNULL, stderr=log, cwd=str(ROOT),
                                start_new_session=True)
        floods: list[subprocess.Popen] = []
        rows, extra = [], {}
        try:
            wait_accepting(proc, agi_port)
            wait_accepting(proc, web_port)
            extra["idle_rss_mb"] = proc_mem_mb(proc.pid)["VmRSS"]
            # unmeasured warm-up: the first sessions and login fill the server's caches
            asyncio.run(warm_up(agi_port, web_port))
            plan = [("A baseline", None), ("B login flood", "login"),
                    ("D FastAGI flood", "agi")]
            if opts.control:
                plan.insert(2, ("E Argon2 in another process", "hash"))
            for n, (name, flood) in enumerate(plan):
                if flood == "login":
                    floods.append(flood_child("login", {"port": web_port,
                                                        "clients": opts.flood_clients,
                                                        "seconds": opts.seconds + opts.flood_warmup + 1}))
                elif flood == "agi":
                    floods.append(flood_child("agi", {"port": agi_port,
                                                      "workers": opts.agi_flood,
                                                      "seconds": opts.seconds + opts.flood_warmup + 1}))
                elif flood == "hash":
                    floods.append(flood_child("hash", {"slots": opts.control_slots,
                                                       "seconds": opts.seconds + opts.flood_warmup + 1}))
                if flood:
                    time.sleep(opts.flood_warmup)  # let the flood get going first
                cpu0, thr0 = proc_cpu_s(proc.pid), threads_cpu(proc.pid)
                t0 = time.monotonic()
                probes = asyncio.run(phase(opts, agi_port, web_port, f"p{n}"))
                wall = time.monotonic() - t0
                row = summarize(name, probes, opts.seconds)
                thr = threads_cpu(proc.pid)
                cpu = proc_cpu_s(proc.pid) - cpu0
                row["server_cpu_pct"] = 100 * cpu / wall
                row["server_cpu_pct_by_thread"] = cpu_split(proc.pid, thr0, thr, cpu, wall)
                if flood:
                    out, _ = floods[-1].communicate(timeout=opts.seconds + 120)
                    row["flood"] = json.loads(out)
                mem = proc_mem_mb(proc.pid)
                row["server_peak_mb"], row["server_rss_mb"] = mem["VmHWM"], mem["VmRSS"]
                row["loadavg"] = loadavg()
                rows.append(row)
                print_row(row)
                if proc.poll() is not None:
                    raise RuntimeError(f"the hotline died (exit {proc.returncode})")
        finally:
            for f in floods:
                if f.poll() is None:
                    f.kill()
                    f.wait()
            stop_process(proc)
            log.seek(0)
            lines = log.read().decode(errors="replace").splitlines()
            log.close()
    problems = [ln for ln in lines if " ERROR " in ln or "Traceback" in ln]
    return {"machine": info, "options": vars(opts), "rows": rows, **extra,
            "server_log_errors": len(problems), "server_log_error_samples": problems[:5]}


# ---- report --------------------------------------------------------------------------------
def f(v, nd: int = 0) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    return f"{v:,.{nd}f}"


def print_row(r: dict) -> None:
    print(f"{r['phase']}: AGI p50 {f(r['agi_p50_ms'], 1)} p95 {f(r['agi_p95_ms'], 1)} "
          f"p99 {f(r['agi_p99_ms'], 1)} max {f(r['agi_max_ms'], 1)} ms, "
          f"{f(r['agi_per_s'], 1)}/s, errors {sum(r['agi_errors'].values())}; logins in "
          f"{r['logins_in']}/{r['logins']}; server CPU {f(r['server_cpu_pct'])}% "
          f"{r['server_cpu_pct_by_thread']}; load {r['loadavg']}"
          + (f"; flood {r['flood']}" if "flood" in r else ""), flush=True)


def table(res: dict) -> str:
    head = ("| phase | AGI/s | AGI p50 | p95 | p99 | max ms | AGI err | page p50/max ms "
            "| logins in (1st try) / tried | login 1st post p50/max ms "
            "| time to in p50/max ms | server CPU % | peak MB | load avg |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in res["rows"]:
        lines.append(
            f"| {r['phase']} | {f(r['agi_per_s'], 1)} | {f(r['agi_p50_ms'], 1)} "
            f"| {f(r['agi_p95_ms'], 1)} | {f(r['agi_p99_ms'], 1)} | {f(r['agi_max_ms'], 1)} "
            f"| {sum(r['agi_errors'].values())} "
            f"| {f(r['page_p50_ms'], 1)}/{f(r['page_max_ms'])} "
            f"| {r['logins_in']} ({r['logins_in_first_try']}) / {r['logins']} "
            f"| {f(r['login_first_post_p50_ms'])}/{f(r['login_first_post_max_ms'])} "
            f"| {f(r['login_time_to_in_p50_ms'])}/{f(r['login_time_to_in_max_ms'])} "
            f"| {f(r['server_cpu_pct'])} | {f(r['server_peak_mb'])} | {r['loadavg']} |")
    out = ["\n".join(lines), ""]
    for r in res["rows"]:
        if "flood" in r:
            out.append(f"- {r['phase']}: flood {r['flood']}")
        out.append(f"- {r['phase']}: login probe statuses {r['login_statuses']}; "
                   f"server CPU by thread {r['server_cpu_pct_by_thread']}")
        slow = [x for x in r["login_samples"] if len(x["statuses"]) > 1 or x["total_ms"] > 1000]
        if slow:
            out.append(f"- {r['phase']}: logins retried or over 1 s: "
                       + "; ".join(f"at {x['at_s']} s {x['statuses']} in {x['total_ms']} ms "
                                   f"(posts {x['posts_ms']} ms)" for x in slow))
    m = res["machine"]
    out.append(f"- machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}; project "
               f"{m['revision']}; idle RSS {f(res.get('idle_rss_mb'))} MB; server log "
               f"errors {res['server_log_errors']}")
    out += [f"  - {ln[:300]}" for ln in res["server_log_error_samples"]]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="each phase (default 20)")
    ap.add_argument("--rate", type=float, default=20.0, help="AGI sessions/s (default 20)")
    ap.add_argument("--flood-clients", type=int, default=200,
                    help="login flood clients, one address each (default 200)")
    ap.add_argument("--agi-flood", type=int, default=50,
                    help="FastAGI flood workers, closed loop (default 50)")
    ap.add_argument("--flood-warmup", type=float, default=5.0,
                    help="seconds a flood runs before the phase is measured (default 5)")
    ap.add_argument("--login-every", type=float, default=2.0,
                    help="seconds between legitimate logins (default 2)")
    ap.add_argument("--login-patience", type=float, default=15.0,
                    help="how long a user keeps retrying a 429 (default 15 s)")
    ap.add_argument("--control", action="store_true",
                    help="also phase E: Argon2 hashing in another process while the stream "
                    "runs (CPU contention without the GIL: tells the two apart)")
    ap.add_argument("--control-slots", type=int, default=2,
                    help="hashing threads in phase E (default 2, as login_hash_slots)")
    ap.add_argument("--switch-interval", type=float, metavar="MS",
                    help="run the server with this sys.setswitchinterval instead of the "
                    "1 ms hotline/running.py sets (an experiment)")
    ap.add_argument("--known-browser", action="store_true",
                    help="the legitimate logins come from a browser that signed in before "
                         "(it keeps its device cookie); default: a new browser each time")
    ap.add_argument("--json", action="store_true", help="also print the figures as JSON")
    ap.add_argument("--login-child", help=argparse.SUPPRESS)
    ap.add_argument("--agi-child", help=argparse.SUPPRESS)
    ap.add_argument("--hash-child", help=argparse.SUPPRESS)
    opts = ap.parse_args()
    if opts.login_child:
        s = json.loads(opts.login_child)
        print(json.dumps(asyncio.run(login_flood(s["port"], s["clients"], s["seconds"]))))
        return 0
    if opts.agi_child:
        s = json.loads(opts.agi_child)
        print(json.dumps(asyncio.run(agi_flood(s["port"], s["workers"], s["seconds"]))))
        return 0
    if opts.hash_child:
        s = json.loads(opts.hash_child)
        print(json.dumps(hash_outside(s["slots"], s["seconds"])))
        return 0
    global KNOWN_BROWSER
    KNOWN_BROWSER = opts.known_browser  # the warm-up's sign-in gives the browser its cookie
    print(f"load average at start: {loadavg()}", flush=True)
    res = run(opts)
    print()
    print(table(res))
    if opts.json:
        print(json.dumps(res, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
