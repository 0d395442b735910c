"""The operator's panel and the supervisor's console over HTTP (Starlette's test client)
and the live line's event handling, without a PBX: who may open what, the screen pop's
contents (R1 clock, R3 type, history, R4 guidance), saving the order during the call with
stale edits refused (nothing saved), the wall board's figures, sending a reminder from the
page (R8), and the ledger page (R9). The real browser and the real Asterisk are in
tests/test_panel_browser.py."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient
from support import court
from support.browser_review import PASSWORD

from hotline.seats import Seat
from hotline.web import auth, console
from hotline.web.app import create_app
from hotline.web.live import LiveLine
from hotline.web.panel import PopLoader
from recordings.models import AuditEntry, Recording
from workorder.models import Call, CallbackTask, OrderHistory, Reminder, WorkOrder
from workorder.notices import Notice
from workorder.registration import (
    Arrival,
    choose_type,
    record_event,
    register_call,
    set_manual_mode,
)
from workorder.rules import Answers
from workorder.types import OrderType

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def register(s, uid: str, at: datetime, phone: str = "13812345678", order_type: int = 3) -> str:
    reg = register_call(s, court.MID, court.service().calendar.tz,
                        Arrival(uid, phone, "", at), ("open", "工作时间"))
    choose_type(s, uid, OrderType(order_type), 1, at)
    return reg.order_number


class Web:
    def __init__(self, platform, clock):
        self.platform, self.settings, self.clock = platform, platform.settings, clock
        self.sessions = platform.uow
        self.app = create_app(platform, clock=lambda: clock["now"])

    def login(self, who: str) -> TestClient:
        c = TestClient(self.app)
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        r = c.post("/login", data={"login": who, "password": PASSWORD, "csrf": token},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
        c.headers["X-CSRF-Token"] = token_of(c)
        return c


def token_of(c: TestClient) -> str:
    page = c.get("/").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


@pytest.fixture
def web(platform):
    clock = {"now": NOW}
    w = Web(platform, clock)
    with w.sessions.begin() as s:
        court.build(s)
        for name, display, role in (("seat1001", "座席一", "operator"),
                                    ("seat1002", "座席二", "operator"),
                                    ("seat1003", "座席三", "operator"),
                                    ("sup9001", "值班主任", "supervisor")):
            s.add(Seat(name=name, display_name=display, role=role, secret="s3cret-" + name,
                       skills="123456" if role == "operator" else "", phone="webrtc"))
        s.flush()
        for login, role, seat in (("wang", "supervisor", "sup9001"), ("li", "operator", "seat1001"),
                                  ("zhao", "operator", None), ("chen", "judge", None)):
            auth.add_user(s, login, role, PASSWORD, NOW, name=login)
            if seat:
                auth.bind_seat(s, login, seat)
        # the caller's earlier matter, with a content that is HTML
        w.earlier = register(s, "1795000000.1", NOW - timedelta(days=3))
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == w.earlier))
        order.content, order.case_number = XSS, court.CASE
        s.flush()
        w.number = register(s, "1795300000.7", NOW - timedelta(seconds=20))
        call = s.scalar(select(Call).where(Call.uniqueid == "1795300000.7"))
        s.add(Recording(call_id=call.id, kind="call", path="calls/x.wav", created_at=NOW,
                        status="recording"))
    return w


def test_only_operators_and_supervisors_with_a_seat_get_the_panel(web):
    anon = TestClient(web.app)
    r = anon.get("/panel", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fpanel"
    li = web.login("li")
    page = li.get("/panel")
    assert page.status_code == 200 and "座席 座席一（seat1001）" in page.text
    assert '"user": "seat1001"' in page.text and '"webrtc": true' in page.text
    assert f"ws://127.0.0.1:{web.settings.http_port}/ws" in page.headers[
        "content-security-policy"]  # the page may reach the PBX's WebSocket, nothing else
    assert "script-src 'nonce-" in page.headers["content-security-policy"]
    zhao = web.login("zhao").get("/panel")
    assert zhao.status_code == 409 and "尚未绑定座席" in zhao.text
    chen = web.login("chen").get("/panel")
    assert chen.status_code == 403 and "只供座席员和班长" in chen.text
    assert web.login("wang").get("/panel").status_code == 200  # supervisors answer too


def test_an_operator_cannot_open_the_console_or_a_recording(web):
    li = web.login("li")
    for url in ("/console", "/console/board.json", "/console/ledger", "/review",
                "/recordings/1/audio"):
        r = li.get(url)
        assert r.status_code == 403, url
    assert li.post("/console/spy", json={"seat": "seat1002", "mode": "listen"}).status_code == 403
    with web.sessions() as s:
        refused = [a.detail.get("path") for a in s.scalars(
            select(AuditEntry).where(AuditEntry.actor == "li", AuditEntry.action == "refused"))]
    assert refused == ["/console", "/console/board.json", "/console/ledger", "/review",
                       "/recordings/1/audio", "/console/spy"]


def test_r1_r3_the_screen_pop_has_the_type_the_clock_start_the_history_and_r4(web):
    with web.sessions() as s:
        service = web.platform.service
        pop = PopLoader(web.sessions, service)("1795300000.7")
        assert PopLoader(web.sessions, service)("nope")["error"].startswith("来电尚未登记")
    assert pop["caller"] == "13812345678" and pop["order_type"] == 3
    assert pop["type_label"] == "联系法官"
    assert pop["order"]["number"] == web.number and pop["order"]["version"] >= 1
    assert pop["received_at"] == (NOW - timedelta(seconds=20)).timestamp()
    assert [o["number"] for o in pop["earlier_orders"]] == [web.earlier]
    assert pop["earlier_orders"][0]["content"] == XSS[:120]  # data; the page shows it as text
    assert [c["type"] for c in pop["earlier_calls"]] == ["联系法官"]
    # R4.2: a second contact-the-judge call goes to the presiding judge
    g = pop["guidance"]
    assert g["rule"] == "R4.2" and g["forward"] and g["role"] == "judge"
    assert g["target"] == ""  # no case number on this order yet: nobody to name
    assert [t["target"] for t in pop["transfer"]] == ["sup9001"]
    assert pop["recording"] is True
    del s


def test_saving_the_order_during_the_call_and_a_stale_edit_saves_nothing(web):
    li = web.login("li")
    url = f"/panel/orders/{web.number}"
    with web.sessions() as s:
        version = s.scalar(select(WorkOrder.version).where(WorkOrder.number == web.number))
    r = li.post(url, json={"version": version, "action": "save", "order_type": "3",
                           "caller_name": "张三", "case_number": "2026*1234",
                           "content": "要找承办法官，电话一直打不通"})
    assert r.status_code == 200, r.text
    saved = r.json()["order"]
    assert saved["version"] == version + 1 and saved["case_number"] == court.CASE
    assert saved["status"] == "in_progress"
    # a second page still holding the old version: refused, with who changed it
    r = li.post(url, json={"version": version, "action": "save", "content": "覆盖"})
    assert r.status_code == 409 and "li" in r.json()["error"] and "nothing was saved" in r.json()[
        "error"]
    # bad input: a clear message, nothing stored
    for bad, words in (({"version": saved["version"], "case_number": "（2024）"}, "case"),
                       ({"version": saved["version"], "content": "长" * 4001}, "4000"),
                       ({"version": saved["version"], "callback_phone": "abc"}, "phone"),
                       ({"version": saved["version"], "action": "explode"}, "action"),
                       ({"content": "x"}, "version")):
        r = li.post(url, json=bad)
        assert r.status_code == 400 and words in r.json()["error"], (bad, r.text)
    assert li.post(url, content=b"not json").status_code == 400
    # without the CSRF header
    r = li.post(url, json={"version": saved["version"]}, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    with web.sessions() as s:
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == web.number))
        assert order.content == "要找承办法官，电话一直打不通" and order.version == saved["version"]
    # R4 guidance for the form as it stands (not saved), then forward as R4.2 says
    g = li.post(f"{url}/guidance", json={"order_type": "5", "specific_clues": True}).json()
    assert g["rule"] == "R4.6" and g["role"] == "discipline_head"
    r = li.post(url, json={"version": saved["version"], "action": "forward",
                           "judge_unreachable": True})
    assert r.status_code == 200, r.text
    assert r.json()["forwarded_to"] == "法官m（承办法官）"
    with web.sessions() as s:
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == web.number))
        assert order.status == "dispatched" and order.order_type == 3
        rec = s.scalar(select(Recording).where(Recording.call_id == order.call_id))
        assert rec is not None  # the call's recording is the order's, with no step of ours
        actions = [h.action for h in s.scalars(select(OrderHistory).where(
            OrderHistory.order_id == order.id).order_by(OrderHistory.id))]
        assert actions[-3:] == ["edited", "forwarded", "dispatched"]
        assert s.scalar(select(Notice).where(Notice.order_id == order.id)) is not None


def test_an_operator_cannot_edit_the_order_of_another_seats_call(web):
    with web.sessions.begin() as s:
        s.scalar(select(Call).where(Call.uniqueid == "1795300000.7")).seat = "seat1002"
    r = web.login("li").post(f"/panel/orders/{web.number}", json={"version": 1})
    assert r.status_code == 403 and "其他座席" in r.json()["error"]
    assert web.login("li").get("/panel/pop/1795300000.7").status_code == 404  # never rang li
    with web.sessions.begin() as s:
        call = s.scalar(select(Call).where(Call.uniqueid == "1795300000.7"))
        record_event(s, call.uniqueid, "ringing", NOW, seat="seat1001", queue="q")
    assert web.login("li").get("/panel/pop/1795300000.7").status_code == 403  # rang, not hers


def test_an_operator_opens_the_pop_only_of_calls_that_rang_the_seat(web):
    # issue 16: uniqueids are guessable; a pop carries the caller's number and history
    uid, li, wang = "1795300000.7", web.login("li"), web.login("wang")
    r = li.get(f"/panel/pop/{uid}")
    assert r.status_code == 404 and r.json()["error"] == "no such call"
    assert li.get("/panel/pop/1795399999.1").json() == r.json()  # same as a uid never seen
    assert wang.get(f"/panel/pop/{uid}").status_code == 200  # supervisors watch the line
    with web.sessions.begin() as s:
        record_event(s, uid, "ringing", NOW, seat="seat1002", queue="q")
    assert li.get(f"/panel/pop/{uid}").status_code == 404  # it rang another seat
    with web.sessions.begin() as s:
        record_event(s, uid, "ringing", NOW, seat="seat1001", queue="q")
    pop = li.get(f"/panel/pop/{uid}")
    assert pop.status_code == 200 and pop.json()["caller"] == "13812345678"


def test_an_operator_cannot_change_an_order_once_dispatched(web):
    # issue 16 (R5/R7): a forwarded order is the receiver's matter; supervisors correct it
    li, wang = web.login("li"), web.login("wang")
    with web.sessions.begin() as s:
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == web.number))
        order.content, order.case_number = "原内容", court.CASE
        web.platform.service.forward(s, order, version=None, by="li", at=NOW,
                                     answers=Answers(judge_unreachable=True))
        assert order.status == "dispatched"
        version = order.version
    r = li.post(f"/panel/orders/{web.number}", json={"version": version, "content": "改过"})
    assert r.status_code == 403 and "已转办" in r.json()["error"] and "班长" in r.json()["error"]
    with web.sessions() as s:
        assert s.scalar(select(WorkOrder.content).where(
            WorkOrder.number == web.number)) == "原内容"  # nothing of the refused edit
    r = wang.post(f"/panel/orders/{web.number}", json={"version": version, "content": "改过"})
    assert r.status_code == 200 and r.json()["saved"] == ["content"], r.text


def test_seat_state_needs_the_pbx_and_says_so(web):
    li = web.login("li")
    r = li.post("/panel/state", json={"state": "pause"})
    assert r.status_code == 400 and "原因" in r.json()["error"]
    r = li.post("/panel/state", json={"state": "dance"})
    assert r.status_code == 400
    r = li.post("/panel/state", json={"state": "ready"})
    assert r.status_code == 503 and "电话系统暂未连接" in r.json()["error"]


def overdue_with_a_reminder(web) -> int:
    """The caller's earlier order, forwarded six days ago and overdue, with the reminder
    the operator must send to the department head (R8); its id."""
    with web.sessions.begin() as s:
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == web.earlier))
        web.platform.service.forward(s, order, version=None, by="li",
                                     at=NOW - timedelta(days=6),
                                     answers=Answers(judge_unreachable=True))
        order.overdue_at, order.overdue_reason = NOW - timedelta(days=2), "no_feedback"
        reminder = Reminder(order_id=order.id, round=1, created_at=NOW - timedelta(days=1),
                            due_by=NOW + timedelta(hours=3), to_name="民事长m",
                            to_mobile="13900000010")
        s.add(reminder)
        s.flush()
        return reminder.id


def test_r8_the_board_lists_overdue_orders_and_reminders_sent_from_the_page(web):
    overdue_with_a_reminder(web)
    wang = web.login("wang")
    b = wang.get("/console/board.json").json()
    assert b["pbx"] is False and b["waiting"] == [] and b["longest_wait_s"] == 0
    assert [r["number"] for r in b["overdue"]] == [web.earlier]
    assert b["overdue"][0]["light"] == "red" and b["overdue"][0]["content"] == XSS[:80]
    assert [(r["order"], r["to"]) for r in b["reminders"]] == [(web.earlier, "民事长m")]
    assert {s["seat"]: s["state"] for s in b["seats"]} == {
        "sup9001": "out", "seat1001": "out", "seat1002": "out", "seat1003": "out"}
    assert b["today"]["calls"] == 1 and b["today"]["target_s"] == 10
    rid = b["reminders"][0]["id"]
    r = wang.post(f"/console/reminders/{rid}", content=b"[1, 2")
    assert r.status_code == 400 and "not JSON" in r.json()["error"]  # and nothing was sent
    r = wang.post(f"/console/reminders/{rid}", json={})
    assert r.status_code == 200 and r.json()["texts"] >= 1
    r = wang.post(f"/console/reminders/{rid}", json={})
    assert r.status_code == 400 and "sent already" in r.json()["error"]
    assert wang.get("/console/board.json").json()["reminders"] == []
    page = wang.get("/console")
    assert page.status_code == 200 and "班长台" in page.text
    r = wang.post("/console/spy", json={"seat": "seat1001", "mode": "peek"})
    assert r.status_code == 400
    r = wang.post("/console/spy", json={"seat": "seat1001", "mode": "listen"})
    assert r.status_code == 503  # no PBX here; audited all the same
    with web.sessions() as s:
        assert s.scalar(select(AuditEntry.detail).where(AuditEntry.action == "spy_listen")) == {
            "seat": "seat1001"}


def test_r9_the_ledger_page_charts_the_month(web):
    wang = web.login("wang")
    page = wang.get("/console/ledger?month=2026-11")
    assert page.status_code == 200
    assert 'id="chart-all"' in page.text and "及时受理率" in page.text
    assert wang.get("/console/ledger?month=2027-05").status_code == 400
    assert wang.get("/console/ledger?month=junk").status_code == 400


def test_the_board_reads_seat_states_from_queue_status(web):
    members = [
        {"Event": "QueueMember", "Queue": "hotline-1", "Name": "seat1001", "Status": "2",
         "Paused": "0"},
        {"Event": "QueueMember", "Queue": "hotline-1", "Name": "seat1002", "Status": "1",
         "Paused": "1", "PausedReason": "休息"},
        {"Event": "QueueMember", "Queue": "hotline-1", "Name": "seat1003", "Status": "1",
         "Paused": "1", "PausedReason": "话后整理"},
        {"Event": "QueueMember", "Queue": "hotline-overflow", "Name": "sup9001", "Status": "5",
         "Paused": "0"}]
    entries = [{"Event": "QueueEntry", "Queue": "hotline-3", "CallerIDNum": "1380000000" + str(i),
                "Wait": str(i)} for i in range(5)]
    svc = web.platform.service
    with web.sessions() as s:
        b = console.board(s, svc, {"members": members, "entries": entries}, NOW, 10,
                          court.MID)
    assert {r["seat"]: (r["state"], r["reason"]) for r in b["seats"]} == {
        "seat1001": ("on_call", ""), "seat1002": ("paused", "休息"),
        "seat1003": ("wrapup", ""), "sup9001": ("unregistered", "")}
    assert b["longest_wait_s"] == 4 and b["waiting"][0]["type"] == "联系法官"
    assert next(r for r in b["seats"] if r["seat"] == "seat1001")["user"] == "li"


def test_r1_an_overflowed_caller_keeps_the_wait_and_the_type_on_the_board(web):
    """After the overflow the caller is in the wider group's queue, where app_queue's wait
    starts again at 0: the board counts from the first entry, with the menu's type."""
    with web.sessions.begin() as s:
        register(s, "ov.1", NOW - timedelta(seconds=40), order_type=3)
        call = s.scalar(select(Call).where(Call.uniqueid == "ov.1"))
        call.offered_at, call.queue = NOW - timedelta(seconds=14), "hotline-3"
        call.overflowed_at = NOW - timedelta(seconds=4)
    entries = [{"Event": "QueueEntry", "Queue": "hotline-overflow", "Uniqueid": "ov.1",
                "CallerIDNum": "13812345678", "Wait": "3"},
               {"Event": "QueueEntry", "Queue": "hotline-2", "Uniqueid": "elsewhere.9",
                "CallerIDNum": "13900000000", "Wait": "6"}]
    with web.sessions() as s:
        b = console.board(s, web.platform.service, {"members": [], "entries": entries}, NOW,
                          10, court.MID)
    first, second = b["waiting"]
    assert (first["caller"], first["wait_s"], first["type"], first["overflowed"]) == (
        "13812345678", 14, "联系法官", True)
    assert (second["wait_s"], second["type"], second["overflowed"]) == (6, "诉讼咨询", False)
    assert b["longest_wait_s"] == 14


def test_r1_the_board_says_whether_the_line_is_open_and_who_forced_it(web):
    with web.sessions() as s:
        line = console.board(s, web.platform.service, None, NOW, 10, court.MID)["line"]
    assert line == {"open": True, "manual": False, "label": "开放：工作时间", "how": "按日历自动"}
    with web.sessions.begin() as s:
        set_manual_mode(s, "closed", NOW - timedelta(minutes=30), "值班主任王")
    saturday = NOW + timedelta(days=5)
    with web.sessions() as s:
        forced = console.board(s, web.platform.service, None, NOW, 10, court.MID)["line"]
        set_manual_mode(s, "auto", NOW, "值班主任王")
        weekend = console.board(s, web.platform.service, None, saturday, 10, court.MID)["line"]
    assert forced["open"] is False and forced["manual"] is True
    assert forced["label"] == "关闭：人工关闭" and forced["how"] == "值班主任王 11-23 09:30 设定"
    assert weekend["open"] is False and weekend["label"] == "关闭：周末"


def test_r1_r6_r10_the_board_shows_what_waits_and_explains_todays_missed_calls(web):
    with web.sessions.begin() as s:
        for i, (waited, outcome, overflow) in enumerate([
                (2, "abandoned", False), (30, "abandoned", False), (None, "ivr_hangup", False),
                (25, "answered", True), (40, "callback", True), (45, "abandoned", True)]):
            uid = f"m.{i}"
            register(s, uid, NOW - timedelta(minutes=50), phone=f"1391111000{i}")
            call = s.scalar(select(Call).where(Call.uniqueid == uid))
            call.outcome = outcome
            if waited is not None:
                call.offered_at = NOW - timedelta(minutes=49)
                call.ended_at = call.offered_at + timedelta(seconds=waited)
            if overflow:
                call.overflowed_at = call.offered_at + timedelta(seconds=10)
        callbacks = s.scalar(select(func.count()).select_from(CallbackTask))
        s.add(CallbackTask(order_id=s.scalar(select(WorkOrder.id).limit(1)), reason="abandoned",
                           priority=2, phone="13911110001", created_at=NOW - timedelta(days=3),
                           due_at=NOW - timedelta(days=1), status="pending"))
    with web.sessions() as s:
        b = console.board(s, web.platform.service, None, NOW, 10, court.MID)
    assert b["missed"] == {"abandoned_short": 1, "abandoned_long": 2, "short_s": 5,
                           "hung_up_in_menu": 1, "overflow_answered": 1, "overflow_callback": 1,
                           "overflow_message": 0, "overflow_gone": 1}
    assert b["backlog"]["callbacks"] == callbacks + 1 and b["backlog"]["callbacks_late"] >= 1
    assert {"messages", "messages_untranscribed", "flagged", "flagged_urgent"} <= set(b["backlog"])


def test_the_board_speaks_chinese_about_a_seat_app_queue_paused(web):
    members = [{"Event": "QueueMember", "Queue": "hotline-1", "Name": "seat1002", "Status": "1",
                "Paused": "1", "PausedReason": "Auto-Pause"}]
    with web.sessions() as s:
        b = console.board(s, web.platform.service, {"members": members, "entries": []}, NOW, 10,
                          court.MID)
    row = next(r for r in b["seats"] if r["seat"] == "seat1002")
    assert (row["state_label"], row["reason"]) == ("示忙", "未接听，自动示忙")


def test_r1_live_line_pushes_the_pop_once_per_call_and_tells_the_others(web):
    loads: list[str] = []
    service = web.platform.service
    loader = PopLoader(web.sessions, service)

    def load(uid: str) -> dict:
        loads.append(uid)
        return loader(uid)

    async def scenario() -> dict[str, list[dict]]:
        live = LiveLine(web.settings, load)
        q1, q2 = live.subscribe("seat1001"), live.subscribe("seat1002")
        uid = "1795300000.7"
        await live.apply("QueueCallerJoin", {"Uniqueid": uid, "Queue": "hotline-3",
                                             "CallerIDNum": "13812345678",
                                             "Timestamp": "1795300001.25"})
        for seat in ("seat1001", "seat1002"):
            await live.apply("AgentCalled", {"Uniqueid": uid, "MemberName": seat,
                                             "Queue": "hotline-3", "CallerIDNum": "13812345678",
                                             "Timestamp": "1795300001.30"})
        # overflow at the target: the clock keeps its start
        await live.apply("QueueCallerAbandon", {"Uniqueid": uid, "Queue": "hotline-3"})
        await live.apply("QueueCallerJoin", {"Uniqueid": uid, "Queue": "hotline-overflow",
                                             "Timestamp": "1795300011.3"})
        await live.apply("AgentCalled", {"Uniqueid": uid, "MemberName": "seat1001",
                                         "Queue": "hotline-overflow",
                                         "Timestamp": "1795300011.4"})
        await live.apply("AgentConnect", {"Uniqueid": uid, "MemberName": "seat1001",
                                          "HoldTime": "10", "Timestamp": "1795300012"})
        await live.apply("AgentComplete", {"Uniqueid": uid, "MemberName": "seat1001",
                                           "TalkTime": "30", "Reason": "caller"})
        out = {}
        for name, q in (("seat1001", q1), ("seat1002", q2)):
            out[name] = []
            while not q.empty():
                out[name].append(q.get_nowait())
        live.unsubscribe("seat1001", q1)
        assert "seat1001" not in live.seats
        return out

    got = asyncio.run(scenario())
    kinds = [m["type"] for m in got["seat1001"]]
    assert kinds == ["pop", "gone", "pop", "answered", "ended"]
    first, second = got["seat1001"][0], got["seat1001"][2]
    assert first["queued_at"] == second["queued_at"] == 1795300001.25  # R1 clock from the 1st join
    assert first["type_label"] == "联系法官" and first["order"]["number"] == web.number
    assert first["ami_ts"] == 1795300001.30 and first["target_s"] == 10
    assert second["queue"] == "hotline-overflow"
    assert [m["type"] for m in got["seat1002"]] == ["pop", "gone"]
    assert got["seat1002"][1]["reason"] == "caller_left"
    assert loads == ["1795300000.7", "1795300000.7"]  # once per ring round, not per seat


def test_seat_binding_survives_in_the_database(web):
    with web.sessions() as s:
        assert s.scalar(select(Seat.phone).where(Seat.name == "seat1001")) == "webrtc"


def test_a_bug_in_a_view_answers_500_and_its_trace_is_logged(web, monkeypatch, caplog):
    """A ValueError from a bug is not a user's mistake: the page answers 500 (not a 400
    with the bug's words) and the running server logs the trace through the hotline's
    logging."""
    import logging

    import httpx

    from hotline import running

    def broken(*_args, **_kwargs):
        raise ValueError("a bug in the guidance")

    monkeypatch.setattr("hotline.web.panel.guidance", broken)
    server = running.start_web(web.platform)
    try:
        base = f"http://127.0.0.1:{web.settings.web_port}"
        with httpx.Client(base_url=base) as c, caplog.at_level(logging.ERROR):
            token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
            assert c.post("/login", data={"login": "li", "password": PASSWORD,
                                          "csrf": token}).status_code == 303
            csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/").text).group(1)
            r = c.post(f"/panel/orders/{web.number}/guidance", json={},
                       headers={"X-CSRF-Token": csrf})
    finally:
        running.stop_web(server)
    assert r.status_code == 500 and "a bug" not in r.text
    traced = [rec for rec in caplog.records if rec.exc_info and
              isinstance(rec.exc_info[1], ValueError)]
    assert traced and "a bug in the guidance" in str(traced[0].exc_info[1])


def callback_task(web, phone: str = "13900000001") -> int:
    """An R2 callback task of the caller now on the line."""
    from workorder import callbacks
    from workorder.types import CallbackReason

    with web.sessions.begin() as s:
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == web.number))
        order.callback_phone = phone
        return callbacks.create(s, web.platform.calendar, web.settings.policy, order,
                                CallbackReason.ABANDONED, NOW).id


def test_r2_r10_the_panel_lists_callbacks_and_records_their_outcome(web):
    task_id = callback_task(web)
    li = web.login("li")
    d = li.get("/panel/callbacks").json()
    (row,) = d["callbacks"]
    assert (row["id"], row["order"], row["reason"], row["phone"]) == (
        task_id, web.number, "abandoned", "13900000001")
    assert row["reason_zh"] == "放弃来电" and row["calling"] is None and d["trunk"] is False
    r = li.post(f"/panel/callbacks/{task_id}", json={"outcome": "reached", "satisfaction": "满意"})
    assert r.status_code == 400 and "no matter was handled yet" in r.json()["error"]  # R10
    r = li.post(f"/panel/callbacks/{task_id}", json={"outcome": "shouted"})
    assert r.status_code == 400
    r = li.post(f"/panel/callbacks/{task_id}", json={"outcome": "reached", "note": "已告知"})
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert li.get("/panel/callbacks").json()["callbacks"] == []
    r = li.post(f"/panel/callbacks/{task_id}", json={"outcome": "reached"})
    assert r.status_code == 400 and "already done" in r.json()["error"]  # nothing changes
    assert li.post(f"/panel/callbacks/{task_id}", json={"outcome": "reached"},
                   headers={"X-CSRF-Token": "forged"}).status_code == 403


def test_click_to_call_refuses_what_must_not_be_dialled_and_dials_nothing(web):
    from workorder.models import OutboundCall

    task_id = callback_task(web)
    li = web.login("li")
    r = li.post("/panel/dial", json={"task_id": task_id})
    assert r.status_code == 409 and "no outbound trunk" in r.json()["error"]
    web.platform.settings = web.settings = web.settings.with_(trunk_port=5099)
    web.app.state.web.platform.settings = web.settings
    web.app.state.web.settings = web.settings
    for number, why in (("+442079460000", "international"), ("95588", "not a number"),
                        ("110", "not a number")):
        r = li.post("/panel/dial", json={"order": web.number, "number": number})
        assert r.status_code == 409 and why in r.json()["error"], r.json()
    # another seat is making this callback: a second click is refused before any dialling
    from workorder import outbound

    with web.sessions.begin() as s:
        outbound.place(s, s.get(CallbackTask, task_id).order_id, "13900000001", "seat1002",
                       "callback", "座席二", NOW, callback_id=task_id)
    r = li.post("/panel/dial", json={"task_id": task_id})
    assert r.status_code == 409 and "正由 seat1002" in r.json()["error"]
    assert li.get("/panel/callbacks").json()["callbacks"][0]["calling"] == "seat1002"
    with web.sessions() as s:
        assert len(s.scalars(select(OutboundCall)).all()) == 1  # only the other seat's
    r = li.post("/panel/dial", json={"task_id": 999999})
    assert r.status_code == 400 and "没有这条回访" in r.json()["error"]
    zhao = web.login("zhao")  # no seat: cannot ring its own phone first
    assert zhao.post("/panel/dial", json={"task_id": task_id}).status_code in (403, 409)


def test_two_seats_racing_for_one_callback_make_one_call(platform):
    """The database's own guarantee (a unique index on a callback's live call): two
    transactions that both saw no call being made cannot both record one."""
    import threading

    from workorder import callbacks, outbound
    from workorder.models import OutboundCall
    from workorder.types import CallbackReason

    with platform.uow.begin() as s:
        court.build(s)
        number = register(s, "race.1", NOW)
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == number))
        task_id = callbacks.create(s, court.service().calendar, platform.settings.policy,
                                   order, CallbackReason.ABANDONED, NOW).id
        order_id = order.id
    barrier, results = threading.Barrier(2), []

    def click(seat):
        try:
            with platform.uow.begin() as s:
                barrier.wait()
                outbound.place(s, order_id, "13812345678", seat, "callback", seat, NOW,
                               callback_id=task_id)
            results.append("placed")
        except Exception as exc:  # DialRefused, or SQLite's lock for the loser
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=click, args=(f"seat100{i}",)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("placed") == 1, results
    with platform.uow() as s:
        assert len(s.scalars(select(OutboundCall)).all()) == 1
