"""R6: the operators' messages page (hotline/web/messages_page.py) through the real
application over HTTP (Starlette's test client): the messages waiting to be heard —
transcribed or not — urgent first, each playable by operators and supervisors (audited
as the review's audio is), confirmed from the page with the order's version (a stale or
bad form saves nothing), and refused to everyone else."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient
from support import court
from support.browser_review import PASSWORD, seed, tone_wav
from test_recording_store import message

from hotline.web import auth
from hotline.web.app import create_app
from recordings import pipeline
from recordings.models import AuditEntry, Recording
from workorder.models import OrderHistory, WorkOrder
from workorder.types import OrderStatus

NIGHT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # Monday 22:00 in Beijing: the line is closed
MORNING = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00: the batch has run
NOW = MORNING + timedelta(hours=1)
WAV = tone_wav(2.0)
XSS = '<script>alert("x")</script>'


def said(words: list[tuple[str, float, float]] | None) -> dict:
    """What the speech batch's worker reports for a 20-second message (no words: the
    recogniser heard nothing it could write)."""
    out: dict = {"info": {"duration_s": 20.0, "sample_rate": 8000, "channels": 1,
                          "format": "wav", "size": len(WAV), "sha256": "0" * 64,
                          "speech_s": 12.0}}
    if words:
        out["transcript"] = {"text": "".join(w for w, _, _ in words), "engine": "vosk",
                             "model": "vosk-model-small-cn-0.22",
                             "words": [[w, s, e, 0.9] for w, s, e in words]}
    return out


def processed(platform, rel: str, result: dict) -> None:
    """The morning's batch on one message (recordings/pipeline.py)."""
    report = pipeline.BatchReport()
    with platform.uow.begin() as s:
        rec = s.scalar(select(Recording).where(Recording.path == rel))
        pipeline.apply(s, rec, result, platform.speech.rules(), MORNING, report,
                       platform.service, platform.settings.tz)


class Web:
    def __init__(self, platform):
        self.platform, self.sessions = platform, platform.uow
        self.clock = {"now": NOW}
        self.app = create_app(platform, clock=lambda: self.clock["now"])

    def login(self, who: str) -> TestClient:
        c = TestClient(self.app)
        r = c.post("/login", data={"login": who, "password": PASSWORD,
                                   "csrf": csrf(c.get("/login").text)}, follow_redirects=False)
        assert r.status_code == 303, r.text
        return c

    def rec(self, rel: str) -> Recording:
        with self.sessions() as s:
            return s.scalar(select(Recording).where(Recording.path == rel))

    def order(self, rel: str) -> WorkOrder:
        with self.sessions() as s:
            return s.scalar(select(WorkOrder).join(Recording, Recording.call_id == WorkOrder.call_id)
                            .where(Recording.path == rel))

    def history(self, order_id: int) -> list[tuple[str, str]]:
        with self.sessions() as s:
            return [(h.actor, h.action) for h in s.scalars(
                select(OrderHistory).where(OrderHistory.order_id == order_id)
                .order_by(OrderHistory.id))]

    def audit(self) -> list[tuple]:
        with self.sessions() as s:
            return [(a.actor, a.action, a.recording_id, a.detail)
                    for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def section(page: str, number: str) -> str:
    m = re.search(rf'<section class="card message[^"]*" id="message-{number}".*?</section>',
                  page, re.S)
    assert m, f"no row for {number}"
    return m.group(0)


def form_of(page: str, number: str) -> dict:
    """The confirm form of one row, as the browser would post it unchanged."""
    row = section(page, number)
    values = dict(re.findall(r'<input type="(?:hidden|text)"[^>]*name="(\w+)" value="([^"]*)"',
                             row))
    chosen = re.search(r'<option value="(\d)" selected>', row)
    values["order_type"] = chosen.group(1) if chosen else ""
    values["content"] = re.search(r"<textarea[^>]*>(.*?)</textarea>", row, re.S).group(1)
    return values


@pytest.fixture
def web(platform):
    w = Web(platform)
    with w.sessions.begin() as s:
        court.build(s)
        for login, role in (("li", "operator"), ("wang", "supervisor"), ("chen", "judge"),
                            ("root", "admin")):
            auth.add_user(s, login, role, PASSWORD, NOW, name=login)
    # left at 22:00 and 22:30; the batch has not reached the first (it is 待转写)
    w.pending = message(platform, "1795400000.1", WAV, caller="13812345678", left=NIGHT)
    w.unheard = message(platform, "1795400000.2", WAV, caller="13912345678",
                        left=NIGHT + timedelta(minutes=30))
    processed(platform, w.unheard, said(None))  # measured, nothing transcribed
    # left last, but urgent: first in the list
    w.urgent = message(platform, "1795400000.3", WAV, caller="13712345678",
                       left=NIGHT + timedelta(hours=1))
    processed(platform, w.urgent, said([
        ("我", 0.1, 0.2), ("联系", 0.2, 0.5), ("不上", 0.5, 0.8), ("承办", 0.8, 1.0),
        ("法官", 1.0, 1.3), ("不想", 1.4, 1.7), ("活", 1.7, 1.9), ("了", 1.9, 2.0),
        (XSS, 2.1, 2.5)]))
    with w.sessions.begin() as s:  # a seat call's recording, with its own file and order
        w.call = seed(s, court.service(), platform.settings.recordings_dir, at=NIGHT,
                      uniqueid="1795400000.9", wav=WAV).id
    return w


def test_r6_an_operator_sees_the_waiting_messages_urgent_first_then_the_oldest(web):
    page = web.login("li").get("/messages")
    assert page.status_code == 200
    numbers = [web.order(r).number for r in (web.urgent, web.pending, web.unheard)]
    assert re.findall(r'data-order="([^"]+)"', page.text) == numbers
    assert [web.order(r).status for r in (web.urgent, web.pending, web.unheard)] == [
        OrderStatus.MESSAGE_PENDING] * 3
    assert page.headers["cache-control"] == "private, no-store"
    urgent, pending, unheard = (section(page.text, n) for n in numbers)
    # the one the batch has not reached yet, and the one it could not transcribe
    assert 'data-state="pending"' in pending and "待转写" in pending
    assert "13812345678" in pending and "2026-11-23 22:00" in pending
    assert 'data-state="unheard"' in unheard and "未能转写，请听录音" in unheard
    assert "【留言未能转写，请听录音】" in unheard and "00:20" in unheard
    rec = web.rec(web.pending)
    assert f'<audio controls preload="none" src="/messages/{rec.id}/audio"></audio>' in pending
    # what the batch found: suggested type, flags in Chinese, the transcript
    assert "已转写，待核听" in urgent and '<dd class="type">联系法官</dd>' in urgent
    assert 'class="badge urgent">紧急：' in urgent and "13712345678" in urgent
    assert "建议类型：联系法官" in urgent  # the batch's note
    # a caller's words are text, never markup
    assert XSS not in page.text and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in urgent
    # the confirm form names the order's version and carries the session's token
    form = form_of(page.text, numbers[0])
    assert form["version"] == str(web.order(web.urgent).version) and form["csrf"]
    assert form["order_type"] == "3" and form["content"].startswith("我联系不上承办法官")
    # a seat call is not a message; the nav leads here
    assert str(web.call) not in re.findall(r'data-recording="(\d+)"', page.text)
    assert '<a href="/messages" id="nav-messages">留言</a>' in page.text
    assert web.login("wang").get("/messages").status_code == 200  # supervisors too


def test_r6_an_operator_plays_an_untranscribed_message_and_each_playback_is_audited(web):
    li = web.login("li")
    rec = web.rec(web.pending)
    url = f"/messages/{rec.id}/audio"
    stored = (web.platform.settings.recordings_dir / rec.path).read_bytes()
    whole = li.get(url)
    assert whole.status_code == 200 and whole.content == stored == WAV
    assert whole.headers["content-type"].startswith("audio/")
    assert whole.headers["cache-control"] == "private, no-store"
    part = li.get(url, headers={"Range": "bytes=100-199"})  # the player seeks
    assert part.status_code == 206 and part.content == stored[100:200]
    assert li.head(url).status_code == 200  # HEAD only asks what there is
    assert [row for row in web.audit() if row[1] in ("play", "download")] == [
        ("li", "play", rec.id, {"range": ""})]  # one playback, one row
    down = li.get(url + "?download=1")
    assert down.status_code == 200 and down.content == stored
    assert down.headers["content-disposition"] == f'attachment; filename="recording-{rec.id}.wav"'
    web.clock["now"] = NOW + timedelta(minutes=30)  # a new playback later, by a supervisor
    web.login("wang").get(url, headers={"Range": "bytes=0-"})
    assert [row for row in web.audit() if row[1] in ("play", "download")] == [
        ("li", "play", rec.id, {"range": ""}), ("li", "download", rec.id, {"range": ""}),
        ("wang", "play", rec.id, {"range": "bytes=0-"})]
    with web.sessions() as s:
        remote = s.scalar(select(AuditEntry.remote).where(AuditEntry.actor == "li").limit(1))
    assert remote == "testclient"


def test_r6_judges_admins_and_visitors_are_refused_the_messages_and_their_audio(web):
    rec = web.rec(web.pending)
    number = web.order(web.pending).number
    anon = TestClient(web.app)
    for url in ("/messages", f"/messages/{rec.id}/audio"):
        r = anon.get(url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Fmessages")
    for who in ("chen", "root"):
        c = web.login(who)
        page = c.get("/messages")
        assert page.status_code == 403 and "留言页面只供座席员和班长使用" in page.text
        assert "13812345678" not in page.text and 'id="nav-messages"' not in page.text
        audio = c.get(f"/messages/{rec.id}/audio")
        assert audio.status_code == 403 and audio.content != WAV and "RIFF" not in audio.text
        token = csrf(c.get("/").text)
        r = c.post(f"/messages/{number}/confirm", data={"csrf": token, "version": "1",
                                                         "order_type": "1", "content": "x"})
        assert r.status_code == 403
    refused = [(actor, rid, d["path"]) for actor, a, rid, d in web.audit() if a == "refused"]
    assert refused == [(who, rid, path) for who in ("chen", "root") for rid, path in (
        (None, "/messages"), (rec.id, f"/messages/{rec.id}/audio"),
        (None, f"/messages/{number}/confirm"))]
    assert not [row for row in web.audit() if row[1] == "play"]
    assert web.order(web.pending).status == OrderStatus.MESSAGE_PENDING


def test_r6_a_seat_call_s_recording_is_refused_to_operators_and_a_gone_message_is_410(web):
    li = web.login("li")
    r = li.get(f"/messages/{web.call}/audio")
    assert r.status_code == 403 and "这不是本院的留言录音" in r.text and r.content != WAV
    assert web.audit()[-1][:3] == ("li", "refused", web.call)
    assert web.audit()[-1][3]["path"] == f"/messages/{web.call}/audio"
    sup = web.login("wang").get(f"/messages/{web.call}/audio")
    assert sup.status_code == 404 and "不是本院的留言录音" in sup.text
    assert li.get("/messages/99999/audio").status_code == 404
    # a message whose file retention deleted, and one whose file vanished
    with web.sessions.begin() as s:
        gone = s.scalar(select(Recording).where(Recording.path == web.pending))
        gone.status, gone.deleted_at = "deleted", NOW - timedelta(minutes=5)
    (web.platform.settings.recordings_dir / web.unheard).unlink()
    deleted = li.get(f"/messages/{web.rec(web.pending).id}/audio")
    assert deleted.status_code == 410 and "已按保存期限删除" in deleted.text
    vanished = li.get(f"/messages/{web.rec(web.unheard).id}/audio")
    assert vanished.status_code == 410 and "不在录音库中" in vanished.text
    page = li.get("/messages").text
    row = section(page, web.order(web.pending).number)
    assert "<audio" not in row and "已按保存期限删除" in row
    assert not [a for a in web.audit() if a[1] in ("play", "download")]


def test_r6_a_stale_or_bad_confirm_is_refused_and_changes_nothing(web):
    li = web.login("li")
    number = web.order(web.unheard).number
    form = form_of(li.get("/messages").text, number)
    assert form["content"] == ""  # nothing heard yet: the operator writes what was said
    # a supervisor saves the order after li opened the page
    with web.sessions.begin() as s:
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == number))
        web.platform.service.edit(s, order, version=order.version, by="wang", at=NOW,
                                  content="来电人要求回电")
    before = web.order(web.unheard)
    history = web.history(before.id)
    typed = {**form, "order_type": "2", "content": "想问执行款什么时候到账", "caller_name": "张三"}
    r = li.post(f"/messages/{number}/confirm", data=typed)
    assert r.status_code == 409
    flash = re.search(r'<section class="card flash error" id="flash".*?</section>', r.text, re.S)
    assert flash and "已被修改" in flash.group(0) and "wang" in flash.group(0)
    assert "本次未保存任何内容" in flash.group(0)
    assert "想问执行款什么时候到账" in flash.group(0) and "张三" in flash.group(0)  # not lost
    # the form now holds the order as it is, with its new version
    again = form_of(r.text, number)
    assert again["version"] == str(before.version) and again["content"] == "来电人要求回电"
    after = web.order(web.unheard)
    assert (after.status, after.version, after.content, after.order_type, after.caller_name) == (
        OrderStatus.MESSAGE_PENDING, before.version, "来电人要求回电", before.order_type, "")
    assert web.history(after.id) == history
    # bad input: said in Chinese; the typed words stay in the form; nothing stored
    for bad, words, status in (
            ({"case_number": "（2024）"}, "案号“（2024）”格式不对", 400),
            ({"case_number": "2025*77"}, "在案件目录中找不到", 400),
            ({"content": ""}, "请填写留言内容", 400),
            ({"content": "长" * 4001}, "留言内容最多 4000 字", 400),
            ({"order_type": "9"}, "请选择工单类型", 400),
            ({"caller_name": "名" * 65}, "来电人姓名最多 64 个字", 400),
            ({"version": ""}, "缺少工单版本号", 400)):
        r = li.post(f"/messages/{number}/confirm", data={**typed, **again, "content": "听到的话",
                                                          **bad})
        assert r.status_code == status and words in r.text, (bad, r.text[-3000:])
        if "content" not in bad and "version" not in bad:
            assert form_of(r.text, number)["content"] == "听到的话"
    r = li.post(f"/messages/{number}/confirm", data={**again, "csrf": "forged"})
    assert r.status_code == 403 and "留言未确认" in r.text
    r = li.post("/messages/20261124-9999/confirm", data=again)
    assert r.status_code == 404 and "没有编号为 20261124-9999 的工单" in r.text
    assert web.order(web.unheard).version == before.version
    assert web.history(after.id) == history
    with web.sessions() as s:
        assert s.scalar(select(func.count()).select_from(OrderHistory).where(
            OrderHistory.actor == "li")) == 0


def test_r6_a_good_confirm_changes_the_order_and_its_history(web):
    li = web.login("li")
    number = web.order(web.pending).number
    form = form_of(li.get("/messages").text, number)
    before = web.order(web.pending)
    r = li.post(f"/messages/{number}/confirm", follow_redirects=False, data={
        **form, "order_type": "3", "case_number": "2026*1234", "caller_name": "张三",
        "content": "联系不上承办法官，请法官回电"})
    assert r.status_code == 303 and r.headers["location"] == "/messages"
    after = web.order(web.pending)
    assert after.status == OrderStatus.IN_PROGRESS and after.version > before.version
    assert (after.order_type, after.case_number, after.caller_name, after.content) == (
        3, court.CASE, "张三", "联系不上承办法官，请法官回电")
    assert web.history(after.id)[-2:] == [("li", "edited"), ("li", "message_confirmed")]
    with web.sessions() as s:
        edit = s.scalar(select(OrderHistory).where(OrderHistory.order_id == after.id,
                                                   OrderHistory.action == "edited"))
        assert edit.changes["case_number"] == [None, court.CASE] and "R6" in edit.reason
    page = li.get("/messages")  # the notice, and the order has left the list
    flash = re.search(r'<section class="card flash ok" id="flash".*?</section>', page.text, re.S)
    assert flash and f"工单 {number} 已确认（联系法官）" in flash.group(0)
    assert "请回拨来电人 13812345678" in flash.group(0)
    assert number not in re.findall(r'data-order="([^"]+)"', page.text)
    assert "已确认" not in li.get("/messages").text  # said once
    # the same form posted again (another tab): refused, nothing changes
    r = li.post(f"/messages/{number}/confirm", data={**form, "content": "再次"})
    assert r.status_code == 409 and "已不是待听留言" in r.text and "确认留言" in r.text
    assert web.order(web.pending).version == after.version


def test_r6_the_console_s_tile_leads_to_the_messages_page(web):
    wang = web.login("wang")
    console = wang.get("/console")
    assert console.status_code == 200
    assert re.search(r'id="t-messages".*?<a href="/messages">待听留言</a>', console.text, re.S)
    assert wang.get("/messages").status_code == 200
