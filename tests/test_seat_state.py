"""One reading of a seat's state (R1: a call rings only a seat that is ready), shared by
the console, the operator's panel and `hotline seats list`."""

from __future__ import annotations

import pytest

from hotline import seat_state
from hotline.seat_state import SeatState, read


def member(queue: str = "hotline-1", status: str = "1", paused: str = "0",
           reason: str = "") -> dict:
    return {"Event": "QueueMember", "Queue": queue, "Name": "seat1001", "Status": status,
            "Paused": paused, "PausedReason": reason}


@pytest.mark.parametrize(("rows", "state", "zh", "en", "rings"), [
    ([], "out", "已下线", "logged out", False),
    ([member(status="5")], "unregistered", "未注册", "phone not registered", False),
    ([member(status="4")], "unregistered", "未注册", "phone not registered", False),
    ([member(), member("hotline-2")], "ready", "就绪", "ready", True),
    ([member(paused="1", reason="Auto-Pause")], "paused", "示忙（未接听，自动示忙）",
     "paused (Auto-Pause)", False),
    ([member(), member("hotline-2", paused="1", reason="会议")], "paused", "示忙（会议）",
     "paused (会议)", False),
    ([member(paused="1", reason="话后整理")], "wrapup", "话后整理", "wrap-up", False),
    ([member(status="6")], "ringing", "振铃", "ringing", False),
    ([member(status="2", paused="1", reason="话后整理")], "on_call", "通话中", "on a call",
     False),
    ([member(status="0")], "unknown", "状态未知", "state unknown", True),
])
def test_r1_a_seat_reads_the_same_everywhere(rows, state, zh, en, rings):
    st = read(rows)
    assert (st.state, st.text_zh, st.text_en, st.rings) == (state, zh, en, rings)


def test_an_unregistered_seat_is_never_called_ready():
    """Before, `seats list` printed "ready" for any seat in its queues, phone or not."""
    st = read([member("hotline-1", status="5"), member("hotline-2", status="5")])
    assert st.state == "unregistered" and st.queues == ("hotline-1", "hotline-2")


def test_the_panels_live_news_is_read_the_same_way():
    """A QueueMemberPause event carries the member's fields: one event, one state."""
    event = {"Event": "QueueMemberPause", "Queue": "hotline-3", "MemberName": "seat1001",
             "Status": "1", "Paused": "1", "PausedReason": "培训"}
    assert read([event]).as_json() == {"state": "paused", "label": "示忙（培训）",
                                       "reason": "培训", "rings": False}


def test_seats_are_grouped_by_name_and_a_missing_seat_is_out():
    states = seat_state.by_seat([member(), {**member("hotline-2"), "Name": "seat1002",
                                            "Status": "5"}])
    assert states["seat1001"] == SeatState("ready", "", ("hotline-1",))
    assert states["seat1002"].state == "unregistered"
    assert "seat1003" not in states
