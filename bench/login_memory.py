"""Peak memory of the web process under a burst of failed logins.

Each scenario runs in a fresh child process (VmHWM is a process's high-water mark): the
hotline's web application on a new data folder (SQLite), a supervisor ``wang``, then
``--logins`` failed logins posted at once through the ASGI application (httpx), either
all from one address on one login, or each from its own address on its own login (what
the per-address budget does not stop: only the bound on hashes at once does). Printed:
the process's resident memory before the burst and its peak (VmHWM) after, the answers'
status codes, and how many passwords were hashed.

    .venv/bin/python bench/login_memory.py
    .venv/bin/python bench/login_memory.py --root /path/to/another/checkout  # compare
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"


def status_kb(field: str) -> int:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.M).group(1))


async def burst(app, logins: int, spread: bool) -> list[int]:
    import httpx

    async def one(i: int) -> int:
        peer = f"127.0.{i // 250}.{i % 250 + 1}" if spread else "127.0.0.1"
        transport = httpx.ASGITransport(app=app, client=(peer, 40000 + i))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            page = (await c.get("/login")).text
            token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            who = f"user{i}" if spread else "wang"
            r = await c.post("/login", data={"login": who, "password": f"guess {i}",
                                             "csrf": token})
            return r.status_code

    # every client first has its form, then all post at once
    return list(await asyncio.gather(*(one(i) for i in range(logins))))


def scenario(root: Path, logins: int, spread: bool) -> dict:
    sys.path[:0] = [str(root)]
    from hotline import bootstrap, running, settings
    from hotline.web import auth
    from hotline.web.app import create_app

    checks = [0]
    verify = auth.verify_password

    def counted(password_hash: str, password: str) -> bool:
        checks[0] += 1
        return verify(password_hash, password)

    auth.verify_password = counted
    with tempfile.TemporaryDirectory() as tmp:
        config = settings.load(environ={}, data_dir=tmp)
        with bootstrap.build(config) as platform:
            running.setup(platform, demo=False, prompts=False)
            with platform.uow.begin() as s:
                auth.add_user(s, "wang", "supervisor", PASSWORD, datetime.now(UTC))
            app = create_app(platform)
            auth._dummy_hash()  # made once per process, before the burst
            before = status_kb("VmRSS")
            started = time.monotonic()
            codes = asyncio.run(burst(app, logins, spread))
            took = time.monotonic() - started
            peak = status_kb("VmHWM")
    return {"code": str(auth.__file__), "logins": logins,
            "from": "one address per login" if spread else "one address, one login",
            "rss_before_mb": round(before / 1024), "peak_mb": round(peak / 1024),
            "answers": dict(collections.Counter(codes)), "passwords_checked": checks[0],
            "seconds": round(took, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure")
    parser.add_argument("--logins", type=int, default=40)
    parser.add_argument("--child", choices=["one", "spread"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(scenario(args.root.resolve(), args.logins, args.child == "spread")))
        return
    for kind in ("one", "spread"):
        out = subprocess.run([sys.executable, __file__, "--root", str(args.root),
                              "--logins", str(args.logins), "--child", kind],
                             capture_output=True, text=True, timeout=600, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{row['logins']} failed logins ({row['from']}): RSS {row['rss_before_mb']} MB "
              f"→ peak {row['peak_mb']} MB; answers {row['answers']}; "
              f"{row['passwords_checked']} passwords checked; {row['seconds']} s  "
              f"[{row['code']}]")


if __name__ == "__main__":
    main()
