"""Bad input on the staff pages gets a 4xx that says why, never a 500: out-of-range
numbers in paths and queries, impossible months, JSON nested past any use."""

from __future__ import annotations

import pytest
from test_panel import web  # noqa: F401  (the panel's fixture: users, seats, an order)

HUGE = "9" * 30  # past SQLite's 64-bit integers
NESTED = b"[" * 200_000 + b"]" * 200_000


@pytest.mark.parametrize("path", [
    f"/review/{HUGE}", f"/recordings/{HUGE}/audio", f"/messages/{HUGE}/audio",
    f"/review/audit?recording={HUGE}", f"/review/audit?before={HUGE}",
    "/console/ledger?month=0001-01", "/console/ledger?month=9999-12",
    "/console/ledger?month=2026-13", "/console/ledger.xlsx?month=0000-00",
    f"/panel/pop/{'x' * 5000}", f"/panel/orders/{HUGE}/guidance?type={HUGE}",
])
def test_out_of_range_numbers_and_months_are_4xx(web, path):  # noqa: F811
    r = web.login("wang").get(path)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[-300:])


@pytest.mark.parametrize("path", [
    f"/console/reminders/{HUGE}", "/panel/state", "/console/spy",
    "/panel/orders/{number}", "/panel/orders/{number}/guidance",
])
def test_json_nested_past_any_use_is_400(web, path):  # noqa: F811
    c = web.login("wang")
    r = c.post(path.format(number=web.number), content=NESTED,
               headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, (r.status_code, r.text[-300:])
