"""The web process's event loop pushes every seat's screen pop (R1): no page may hold it.
Views run in worker threads; a view that awaits the PBX holds no transaction while it
waits. Requests go through the application in-process (httpx's ASGI transport), on the
same event loop as the live line, as they do in the running hotline.
"""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pytest
from support.browser_review import PASSWORD
from test_panel import web  # noqa: F401  (the panel's court, seats and users)

from hotline.web.live import LiveLine
from workorder import ledger as ledger_mod

SLOW_S = 1.5  # a ledger that takes this long to compute (a province's month can)


async def logged_in(app, who: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    page = (await client.get("/login")).text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = await client.post("/login", data={"login": who, "password": PASSWORD, "csrf": token})
    assert r.status_code == 303, r.text
    home = (await client.get("/")).text
    client.headers["X-CSRF-Token"] = re.search(r'name="csrf" value="([^"]+)"', home).group(1)
    return client


async def heartbeat(gaps: list[float], stop: asyncio.Event) -> None:
    """How long the loop went without running this task (it asks for every 10 ms)."""
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.01)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


def test_r1_the_screen_pop_is_pushed_while_a_supervisor_loads_the_month_s_ledger(
        web, monkeypatch):  # noqa: F811
    """The ledger is computed in a worker thread: the loop never stalls, and a pop that
    arrives meanwhile reaches the seat's page at once (before, the whole month was computed
    on the loop and the pop waited for it)."""
    real_build = ledger_mod.build

    def slow_build(*args, **kwargs):
        time.sleep(SLOW_S)  # the work of a big month, holding its thread
        return real_build(*args, **kwargs)

    monkeypatch.setattr(ledger_mod, "build", slow_build)
    live: LiveLine = web.app.state.live

    async def scenario() -> tuple[float, float, int]:
        wang = await logged_in(web.app, "wang")
        seat = live.subscribe("seat1001")
        gaps: list[float] = []
        stop = asyncio.Event()
        beat = asyncio.create_task(heartbeat(gaps, stop))
        ledger = asyncio.create_task(wang.get("/console/ledger?month=2026-11"))
        await asyncio.sleep(0.3)  # the ledger is being computed now
        rang = time.perf_counter()
        await live.apply("AgentCalled", {"Uniqueid": "1795300000.7", "MemberName": "seat1001",
                                         "Queue": "hotline-3", "CallerIDNum": "13812345678"})
        pop = await asyncio.wait_for(seat.get(), 10)
        pushed_s = time.perf_counter() - rang
        page = await ledger
        stop.set()
        await beat
        await wang.aclose()
        assert pop["type"] == "pop" and pop["order"]["number"] == web.number
        return pushed_s, max(gaps), page.status_code

    pushed_s, stall_s, status = asyncio.run(scenario())
    assert status == 200
    assert stall_s < 0.25, f"the loop stalled {stall_s:.2f} s during the ledger"
    assert pushed_s < 0.3, f"the pop took {pushed_s:.2f} s while the ledger was computed"


class SlowPbx:
    """A PBX that takes its time to answer a seat action, until told to."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()
        self.answer = asyncio.Event()

    async def seat_state(self, *_args) -> None:
        self.asked.set()
        await self.answer.wait()


@pytest.mark.parametrize("state", ["ready", "pause"])
def test_no_transaction_is_open_while_the_pbx_answers_a_seat_action(web, state):  # noqa: F811
    """The panel's ready/pause waits for Asterisk's answer with no database connection
    checked out (before, the page's transaction was held across the await)."""
    pbx = SlowPbx()
    live: LiveLine = web.app.state.live
    live.seat_state = pbx.seat_state  # type: ignore[method-assign]
    pool = web.platform.engine.pool

    async def scenario() -> tuple[int, int]:
        li = await logged_in(web.app, "li")
        posted = asyncio.create_task(li.post("/panel/state", json={
            "state": state, "reason": "会议" if state == "pause" else ""}))
        await asyncio.wait_for(pbx.asked.wait(), 10)
        held = pool.checkedout()
        pbx.answer.set()
        r = await posted
        await li.aclose()
        return held, r.status_code

    held, status = asyncio.run(scenario())
    assert status == 200
    assert held == 0, f"{held} connection(s) held while the PBX was answering"
