"""The supervisor's review of flagged recordings (R4.7 abusive callers, R4.8 urgent or
extreme ones): the domain (recordings/review.py) on SQLite and PostgreSQL, users and
logins (hotline/web/auth.py, `hotline users`), and the pages through the real application
over HTTP (Starlette's test client)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from starlette.testclient import TestClient
from support import court
from support.browser_review import PASSWORD, seed, tone_wav

from hotline import bootstrap, running
from hotline.web import auth
from hotline.web.app import create_app
from hotline.web.models import User
from recordings import review
from recordings.models import AuditEntry, Flag, Recording
from workorder.models import OrderHistory, WorkOrder
from workorder.notices import Notice

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
WAV = tone_wav(2.0)


def notices_of(session, order_id: int) -> list[tuple[str, str, str]]:
    return sorted((n.to_role, n.to_name, n.to_mobile) for n in session.scalars(
        select(Notice).where(Notice.order_id == order_id, Notice.kind == "report")))


def order_of(session, rec: Recording) -> WorkOrder:
    return session.scalar(select(WorkOrder).where(WorkOrder.call_id == rec.call_id))


# ---- the domain -----------------------------------------------------------------------------
def test_r4_7_r4_8_flagged_lists_open_first_then_urgent_then_newest(session, svc, ids, tmp_path):
    old_abuse = seed(session, svc, tmp_path, at=NOW - timedelta(hours=5), uniqueid="1.1")
    new_abuse = seed(session, svc, tmp_path, at=NOW - timedelta(hours=1), uniqueid="1.2")
    urgent = seed(session, svc, tmp_path, at=NOW - timedelta(hours=9), uniqueid="1.3",
                  flags=[("urgent", "self_harm", "自伤、自杀倾向", [("不想活", 1.0, 1.5)]),
                         ("abusive", "abuse", "辱骂", [("他妈的", 1.6, 2.2)])])
    done = seed(session, svc, tmp_path, at=NOW, uniqueid="1.4",
                flags=[("urgent", "violence", "暴力、极端行为", [("同归于尽", 0.5, 1.0)])])
    review.mark_reviewed(session, done.id, "sup", NOW, "")
    session.commit()

    items = review.flagged(session)
    assert [i.recording.id for i in items] == [urgent.id, new_abuse.id, old_abuse.id]
    assert [i.kind for i in items] == ["urgent", "abusive", "abusive"]
    assert all(i.open and i.outcome is None for i in items)
    assert items[0].order is not None and items[0].order.call_id == urgent.call_id
    assert items[0].caller == "13812345678" and "自伤" in items[0].reason

    every = review.flagged(session, "all")
    assert [i.recording.id for i in every] == [urgent.id, new_abuse.id, old_abuse.id, done.id]
    assert not every[-1].open and every[-1].outcome == "reviewed"
    with pytest.raises(review.ReviewError):
        review.flagged(session, "closed")


def test_mark_reviewed_closes_the_open_flags_once(session, svc, ids, tmp_path):
    rec = seed(session, svc, tmp_path, at=NOW)
    closed = review.mark_reviewed(session, rec.id, "sup", NOW, "  听过了，无需上报 ")
    session.commit()
    flag = session.scalar(select(Flag).where(Flag.recording_id == rec.id))
    assert [f.id for f in closed] == [flag.id]
    assert (flag.reviewed_by, flag.reviewed_at, flag.outcome, flag.note) == (
        "sup", NOW, "reviewed", "听过了，无需上报")
    history = session.scalar(select(OrderHistory).where(
        OrderHistory.order_id == order_of(session, rec).id,
        OrderHistory.action == "recording_reviewed"))
    assert history.actor == "sup" and history.changes == {"recording": [None, rec.id]}
    with pytest.raises(review.ReviewError, match="已由 sup 复核"):
        review.mark_reviewed(session, rec.id, "sup2", NOW, "")
    with pytest.raises(review.ReviewError, match="没有编号为 999"):
        review.mark_reviewed(session, 999, "sup", NOW, "")


def test_r4_7_write_up_is_kept_held_and_texted_to_the_deputy_president(session, svc, ids,
                                                                       tmp_path):
    rec = seed(session, svc, tmp_path, at=NOW)
    later = NOW + timedelta(hours=3)
    report = review.write_up(session, rec.id, "sup", later, SH, note="多次辱骂话务员")
    session.commit()
    order = order_of(session, rec)
    # R4.7 (workorder/rules.py): the deputy president in charge of the department
    assert notices_of(session, order.id) == [("deputy_president", "副院长m", "13900001001")]
    sent = session.scalar(select(Notice).where(Notice.order_id == order.id))
    assert "来电人辱骂、骚扰" in sent.body and sent.next_attempt_at == later
    assert [(r.status, r.name) for r in report.recipients] == [("texted", "副院长m")]
    assert report.rule == "R4.7" and not report.failures and report.notice_ids == [sent.id]
    t = report.text
    for part in (court.MID, order.number, "13812345678", "2026-11-23 10:00:00", "录音时长：00:04",
                 "[00:00–00:03] 你们法院【他妈的】怎么还不开庭", "多次辱骂话务员", "复核人：sup"):
        assert part in t, part
    rec = session.get(Recording, rec.id)
    assert rec.hold is True
    flag = rec.flags[0]
    assert (flag.outcome, flag.reviewed_by, flag.reviewed_at) == ("reported", "sup", later)
    assert flag.note == t
    assert order.abusive is True
    h = session.scalar(select(OrderHistory).where(OrderHistory.order_id == order.id,
                                                  OrderHistory.action == "written_up"))
    assert h.reason == t and h.changes["recording"] == [None, rec.id]
    with pytest.raises(review.ReviewError, match="未重复报告"):
        review.write_up(session, rec.id, "sup", later, SH)


def test_r4_8_escalation_texts_the_deputy_head_and_head_and_if_chosen_the_presidents(
        session, svc, ids, tmp_path):
    plain = seed(session, svc, tmp_path, at=NOW, uniqueid="2.1",
                 flags=[("urgent", "account_frozen", "账户今日冻结、扣划", [("今天冻结", 1.0, 1.6)])])
    wide = seed(session, svc, tmp_path, at=NOW, uniqueid="2.2",
                flags=[("urgent", "self_harm", "自伤、自杀倾向", [("不想活", 1.0, 1.6)])])
    r1 = review.escalate(session, plain.id, "sup", NOW, SH)
    r2 = review.escalate(session, wide.id, "sup", NOW, SH, leadership=True, note="已电话安抚")
    session.commit()
    o1, o2 = order_of(session, plain), order_of(session, wide)
    assert notices_of(session, o1.id) == [("department_head", "民事长m", "13900000010"),
                                          ("deputy_head", "民事副m", "13800000010")]
    assert notices_of(session, o2.id) == [
        ("department_head", "民事长m", "13900000010"), ("deputy_head", "民事副m", "13800000010"),
        ("deputy_president", "副院长m", "13900001001"), ("president", "院长m", "13900001000")]
    body = session.scalar(select(Notice.body).where(Notice.order_id == o1.id).limit(1))
    assert "【紧急】" in body and "情绪激动或事项紧急" in body
    assert [r.status for r in r1.recipients] == ["texted", "texted"] and r2.rule == "R4.8"
    for o, rec in ((o1, plain), (o2, wide)):
        assert o.urgent is True and session.get(Recording, rec.id).hold is True
        assert session.get(Recording, rec.id).flags[0].outcome == "escalated"
        assert session.scalar(select(OrderHistory.reason).where(
            OrderHistory.order_id == o.id, OrderHistory.action == "escalated")).startswith(
            "12368诉讼服务热线来电人言行极端或事项紧急情况报告（R4.8）")
    # A later R4.7 write-up of the same call is its own report, but nobody texted already
    # about this order is texted twice (the outbox keeps one report per order and mobile).
    w = review.write_up(session, wide.id, "sup", NOW + timedelta(minutes=5), SH)
    assert [(r.status, r.name) for r in w.recipients] == [("already", "副院长m")]
    assert "已于 11-23 10:00 就此工单发过报告短信" in w.recipients[0].says
    assert session.get(Recording, wide.id).flags[0].outcome == "escalated"  # not weakened


def test_r4_8_leaders_the_directory_cannot_name_are_reported_back(session, svc, ids,
                                                                 tmp_path):
    # No case number: the order names no department, so no division head can be found.
    rec = seed(session, svc, tmp_path, at=NOW, case_number=None,
               flags=[("urgent", "violence", "暴力、极端行为", [("同归于尽", 1.0, 1.6)])])
    report = review.escalate(session, rec.id, "sup", NOW, SH, leadership=True)
    session.commit()
    order = order_of(session, rec)
    assert [(r.role, r.name, r.status) for r in report.recipients] == [
        ("部门副职", "", "unresolved"), ("部门负责人", "", "unresolved"),
        ("分管副院长", "院长m", "texted"), ("院长", "院长m", "already")]
    assert len(report.failures) == 2
    assert "通讯录中找不到此人" in report.failures[0].says and "请电话报告" in report.failures[0].says
    assert "no department known" in report.failures[0].detail
    # With no department, the president stands in for the deputy president in charge
    # (workorder/routing.py): one person, one text.
    assert notices_of(session, order.id) == [("deputy_president", "院长m", "13900001000")]
    assert "与分管副院长为同一人" in report.recipients[3].says
    history = session.scalar(select(OrderHistory).where(OrderHistory.order_id == order.id,
                                                        OrderHistory.action == "escalated"))
    assert any("通讯录中找不到此人" in line for line in history.changes["to"][1])


def test_r4_7_a_leader_without_a_mobile_is_named_not_skipped(session, svc, ids, tmp_path):
    from workorder.models import Leader

    session.scalar(select(Leader).where(Leader.name == "副院长m")).mobile = ""
    rec = seed(session, svc, tmp_path, at=NOW)
    report = review.write_up(session, rec.id, "sup", NOW, SH)
    assert [(r.name, r.status) for r in report.recipients] == [("副院长m", "no_mobile")]
    assert "没有手机号" in report.recipients[0].says
    assert notices_of(session, order_of(session, rec).id) == []


def test_r4_7_a_recording_without_an_order_cannot_be_reported(session, svc, ids, tmp_path):
    rec = seed(session, svc, tmp_path, at=NOW, with_order=False)
    with pytest.raises(review.ReviewError, match="没有对应的工单"):
        review.write_up(session, rec.id, "sup", NOW, SH)
    assert session.get(Recording, rec.id).hold is False


def test_the_audit_log_is_append_only_and_one_listening_is_one_row(session, svc, ids,
                                                                   tmp_path):
    rec = seed(session, svc, tmp_path, at=NOW)
    window = timedelta(minutes=10)
    first = review.audit_access(session, "sup", "play", rec.id, "127.0.0.1", NOW, window,
                                range="bytes=0-")
    assert first is not None
    for seconds in (1, 30, 599):  # the seeks of the same playback
        assert review.audit_access(session, "sup", "play", rec.id, "127.0.0.1",
                                   NOW + timedelta(seconds=seconds), window,
                                   range="bytes=9000-") is None
    assert review.audit_access(session, "sup", "download", rec.id, "", NOW, window)
    assert review.audit_access(session, "other", "play", rec.id, "", NOW, window)
    assert review.audit_access(session, "sup", "play", rec.id, "",
                               NOW + timedelta(minutes=11), window)
    session.commit()
    rows = review.audit_entries(session, rec.id)
    assert [(r.actor, r.action) for r in rows] == [("sup", "play"), ("other", "play"),
                                                   ("sup", "download"), ("sup", "play")]
    assert rows[-1].detail == {"range": "bytes=0-"} and rows[-1].remote == "127.0.0.1"
    for statement in ("UPDATE audit_log SET actor = 'nobody'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
    assert len(review.audit_entries(session)) == 4


def test_transcript_words_are_read_in_both_stored_shapes():
    rec = Recording(transcript={"words": [["你好", 0.1, 0.4, 0.9],
                                          {"word": "混蛋", "start": 0.5, "end": 0.9,
                                           "conf": 0.8}]})
    rec.flags = [Flag(kind="abusive", matches=[{"phrase": "混蛋", "start": 0.5, "end": 0.9}])]
    assert review.words(rec) == [review.Word("你好", 0.1, 0.4, False),
                                 review.Word("混蛋", 0.5, 0.9, True)]
    assert review.clock(65.7) == "01:05" and review.clock(3725) == "1:02:05"


# ---- users and logging in ---------------------------------------------------------------------
def test_passwords_are_argon2id_hashes_and_bad_users_are_refused(session):
    user = auth.add_user(session, " Wang.Li ", "supervisor", PASSWORD, NOW, name="王立")
    assert user.login == "wang.li" and user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert auth.verify_password(user.password_hash, PASSWORD)
    assert not auth.verify_password(user.password_hash, PASSWORD + "x")
    assert not auth.verify_password("not a hash", PASSWORD)
    with pytest.raises(auth.UserError, match="is taken"):
        auth.add_user(session, "WANG.LI", "operator", PASSWORD, NOW)
    with pytest.raises(auth.UserError, match="at least 8"):
        auth.add_user(session, "zhao", "operator", "1234567", NOW)
    with pytest.raises(auth.UserError, match="role must be one of"):
        auth.add_user(session, "zhao", "janitor", PASSWORD, NOW)
    with pytest.raises(auth.UserError, match="letters, digits"):
        auth.add_user(session, "赵 六", "operator", PASSWORD, NOW)
    old = user.password_hash
    auth.set_password(session, "wang.li", "another password")
    assert user.password_hash != old and auth.verify_password(user.password_hash,
                                                              "another password")


def test_five_failed_logins_lock_the_login_for_a_while(session):
    auth.add_user(session, "wang", "supervisor", PASSWORD, NOW)
    for i in range(auth.MAX_FAILURES):
        with pytest.raises(auth.LoginRefused) as exc:
            auth.authenticate(session, "wang", "wrong password", NOW + timedelta(seconds=i))
        assert exc.value.message == "登录名或密码不正确。" and exc.value.until is None
    last = NOW + timedelta(seconds=auth.MAX_FAILURES - 1)
    # locked: even the right password is not tried now
    with pytest.raises(auth.LoginRefused, match="暂时锁定") as exc:
        auth.authenticate(session, "wang", PASSWORD, last + timedelta(seconds=30))
    assert exc.value.until == last + auth.LOCK_FIRST
    user = auth.authenticate(session, "wang", PASSWORD, last + timedelta(seconds=61))
    assert user.login == "wang"
    # a success starts the count again
    assert auth.locked_until(session, "wang", last + timedelta(seconds=62)) is None
    # unknown logins are throttled the same way and answered with the same words
    for i in range(auth.MAX_FAILURES + 1):
        with pytest.raises(auth.LoginRefused) as exc:
            auth.authenticate(session, "nobody", "whatever", NOW + timedelta(seconds=i))
    assert exc.value.until is not None
    actions = [a.action for a in session.scalars(select(AuditEntry).where(
        AuditEntry.actor == "wang").order_by(AuditEntry.id))]
    assert actions == ["login_failed"] * 5 + ["login"]


def test_a_disabled_user_cannot_log_in(session):
    auth.add_user(session, "wang", "supervisor", PASSWORD, NOW)
    auth.set_active(session, "wang", False)
    with pytest.raises(auth.LoginRefused, match="已停用"):
        auth.authenticate(session, "wang", PASSWORD, NOW)
    with pytest.raises(auth.LoginRefused, match="登录名或密码不正确"):
        auth.authenticate(session, "wang", "wrong password", NOW)


# ---- the pages --------------------------------------------------------------------------------
class Web:
    def __init__(self, platform, clock):
        self.platform, self.settings, self.clock = platform, platform.settings, clock
        self.sessions = platform.uow
        self.app = create_app(platform, clock=lambda: clock["now"])

    def client(self) -> TestClient:
        return TestClient(self.app)

    def login(self, who: str, password: str = PASSWORD, next_: str = "") -> TestClient:
        c = self.client()
        r = self.try_login(c, who, password, next_)
        assert r.status_code == 303, r.text
        return c

    @staticmethod
    def try_login(c: TestClient, who: str, password: str, next_: str = ""):
        token = csrf(c.get(f"/login?next={next_}").text)
        return c.post("/login", data={"login": who, "password": password, "csrf": token,
                                      "next": next_}, follow_redirects=False)

    def audit(self) -> list[tuple]:
        with self.sessions() as s:
            return [(a.actor, a.action, a.recording_id, a.detail)
                    for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def csrf(page: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m, page[:500]
    return m.group(1)


@pytest.fixture
def web(platform):
    settings = platform.settings
    clock = {"now": NOW}
    w = Web(platform, clock)
    with w.sessions.begin() as s:
        court.build(s)
        svc = court.service()
        auth.add_user(s, "wang", "supervisor", PASSWORD, NOW, name="王班长")
        auth.add_user(s, "li", "operator", PASSWORD, NOW, name="李座席")
        w.abusive = seed(s, svc, settings.recordings_dir, at=NOW - timedelta(hours=2),
                         uniqueid="3.1", wav=WAV).id
        w.urgent = seed(s, svc, settings.recordings_dir, at=NOW - timedelta(hours=3),
                        uniqueid="3.2", wav=WAV, case_number=None,
                        flags=[("urgent", "self_harm", "自伤、自杀倾向", [("不想活", 2.4, 3.0)])]).id
        w.deleted = seed(s, svc, settings.recordings_dir, at=NOW - timedelta(days=400),
                         uniqueid="3.3", status="deleted").id
        w.vanished = seed(s, svc, settings.recordings_dir, at=NOW - timedelta(hours=4),
                          uniqueid="3.4").id  # "ready", but the file is not in the store
    return w


def test_anonymous_visitors_are_sent_to_log_in_and_come_back(web):
    c = web.client()
    for url in ("/review", f"/review/{web.abusive}", f"/recordings/{web.abusive}/audio",
                "/review/audit"):
        r = c.get(url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2F")
    r = c.get("/review?status=all", follow_redirects=False)
    assert r.headers["location"] == "/login?next=%2Freview%3Fstatus%3Dall"
    page = c.get(r.headers["location"])
    assert page.status_code == 200 and "登录名" in page.text and "密码" in page.text
    r = c.post("/login", data={"login": "wang", "password": PASSWORD, "csrf": csrf(page.text),
                               "next": "/review?status=all"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/review?status=all"
    cookie = r.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "Max-Age=36000" in cookie and "secure" not in cookie.lower()  # loopback http
    assert c.get("/review?status=all").status_code == 200
    assert web.audit()[-1][:2] == ("wang", "login")


def test_a_bad_login_never_says_which_part_was_wrong_and_is_throttled(web):
    c = web.client()
    wrong_password = web.try_login(c, "wang", "wrong password")
    unknown_login = web.try_login(c, "nobody", PASSWORD)
    assert wrong_password.status_code == unknown_login.status_code == 401
    for r in (wrong_password, unknown_login):
        assert "登录名或密码不正确" in r.text
    assert c.get("/review", follow_redirects=False).status_code == 303
    for _ in range(auth.MAX_FAILURES - 1):
        web.try_login(c, "wang", "wrong password")
    locked = web.try_login(c, "wang", PASSWORD)
    assert locked.status_code == 429 and "暂时锁定" in locked.text
    assert int(locked.headers["Retry-After"]) == 61
    web.clock["now"] = NOW + timedelta(minutes=2)
    assert web.try_login(c, "wang", PASSWORD).status_code == 303
    # a form posted without the session's token (another site's form) is refused
    fresh = web.client()
    r = fresh.post("/login", data={"login": "wang", "password": PASSWORD, "csrf": "forged"})
    assert r.status_code == 400 and "页面已过期" in r.text
    # after login, "next" only ever leads to this site
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        r = web.try_login(web.client(), "wang", PASSWORD, evil)
        assert r.headers["location"] == "/"


def test_r4_7_an_operator_is_refused_the_pages_and_the_audio_and_it_is_audited(web):
    c = web.login("li")
    home = c.get("/")
    assert home.status_code == 200 and "李座席" in home.text and "/review" not in home.text
    for url in ("/review", f"/review/{web.abusive}", f"/recordings/{web.abusive}/audio",
                "/review/audit"):
        r = c.get(url)
        assert r.status_code == 403, url
        assert "只有班长可以查看和收听被标记的录音" in r.text
        assert "RIFF" not in r.text
    token = csrf(c.get("/").text)
    r = c.post(f"/review/{web.abusive}/write-up", data={"csrf": token})
    assert r.status_code == 403
    refused = [(a, rid, d["path"]) for actor, a, rid, d in web.audit() if a == "refused"]
    assert refused == [("refused", None, "/review"),
                       ("refused", web.abusive, f"/review/{web.abusive}"),
                       ("refused", web.abusive, f"/recordings/{web.abusive}/audio"),
                       ("refused", None, "/review/audit"),
                       ("refused", web.abusive, f"/review/{web.abusive}/write-up")]
    with web.sessions() as s:
        assert s.scalar(select(Notice.id)) is None


def test_r4_7_r4_8_the_supervisor_sees_the_list_and_the_recording(web):
    c = web.login("wang")
    page = c.get("/review")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    rows = re.findall(r'data-recording="(\d+)"', page.text)
    # open first; urgent before abusive; newest first
    assert rows == [str(web.urgent), str(web.abusive), str(web.vanished), str(web.deleted)]
    assert page.text.count('class="badge urgent">紧急') == 1
    assert page.text.count('class="badge abusive">辱骂') == 3
    assert "13812345678" in page.text and "2026-11-23 08:00" in page.text and "00:04" in page.text
    detail = c.get(f"/review/{web.abusive}")
    assert detail.status_code == 200
    t = detail.text
    assert f'<audio id="player" controls preload="metadata" src="/recordings/{web.abusive}/audio">' in t
    assert re.search(r'<mark tabindex="0" role="button" data-t="1.6"[^>]*>他妈的</mark>', t)
    assert 'class="seek" data-t="1.6"' in t and "00:01 他妈的" in t
    nonce = re.search(r"script-src 'nonce-([^']+)'", detail.headers["content-security-policy"])
    assert f'<script nonce="{nonce.group(1)}">' in t
    assert "整理成书面材料报院领导（R4.7）" in t and "同时报告分管副院长和院长" in t
    views = [row for row in web.audit() if row[1] == "view"]
    assert views == [("wang", "view", web.abusive, {})]


def test_the_audio_is_served_with_ranges_and_each_playback_is_audited_once(web):
    c = web.login("wang")
    url = f"/recordings/{web.abusive}/audio"
    whole = c.get(url)
    assert whole.status_code == 200 and whole.content == WAV
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"].startswith("audio/")
    assert whole.headers["cache-control"] == "private, no-store"
    assert "content-disposition" not in whole.headers
    part = c.get(url, headers={"Range": "bytes=100-1123"})
    assert part.status_code == 206 and part.content == WAV[100:1124]
    assert part.headers["content-range"] == f"bytes 100-1123/{len(WAV)}"
    tail = c.get(url, headers={"Range": "bytes=-44"})
    assert tail.status_code == 206 and tail.content == WAV[-44:]
    bad = c.get(url, headers={"Range": f"bytes={len(WAV) + 10}-"})
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{len(WAV)}"
    plays = [row for row in web.audit() if row[1] == "play"]
    assert plays == [("wang", "play", web.abusive, {"range": ""})]  # one playback, one row
    web.clock["now"] = NOW + timedelta(minutes=30)  # a new playback later
    c.get(url, headers={"Range": "bytes=0-"})
    down = c.get(url + "?download=1")
    assert down.status_code == 200 and down.content == WAV
    assert down.headers["content-disposition"] == f'attachment; filename="recording-{web.abusive}.wav"'
    assert [row[1:] for row in web.audit() if row[1] in ("play", "download")] == [
        ("play", web.abusive, {"range": ""}), ("play", web.abusive, {"range": "bytes=0-"}),
        ("download", web.abusive, {"range": ""})]


def test_a_recording_whose_file_is_gone_is_410(web):
    c = web.login("wang")
    deleted = c.get(f"/recordings/{web.deleted}/audio")
    assert deleted.status_code == 410 and "已按保存期限删除" in deleted.text
    vanished = c.get(f"/recordings/{web.vanished}/audio")
    assert vanished.status_code == 410 and "不在录音库中" in vanished.text
    page = c.get(f"/review/{web.deleted}")
    assert page.status_code == 200 and "<audio" not in page.text and 'id="gone"' in page.text
    assert c.get("/recordings/9999/audio").status_code == 404
    assert not [row for row in web.audit() if row[1] == "play"]


def test_posts_without_the_session_s_csrf_token_are_refused(web):
    c = web.login("wang")
    for action in ("reviewed", "write-up", "escalate"):
        r = c.post(f"/review/{web.abusive}/{action}", data={"note": "x", "csrf": "forged"})
        assert r.status_code == 403 and "操作未执行" in r.text
        r = c.post(f"/review/{web.abusive}/{action}", data={"note": "x"})
        assert r.status_code == 403
    other = web.login("wang")  # another session's token is no good either
    r = c.post(f"/review/{web.abusive}/reviewed", data={"csrf": csrf(other.get("/").text)})
    assert r.status_code == 403
    assert c.post("/logout", data={"csrf": "forged"}).status_code == 400
    with web.sessions() as s:
        assert s.scalar(select(Flag.reviewed_at).where(Flag.recording_id == web.abusive)) is None
        assert s.scalar(select(Notice.id)) is None


def test_r4_7_write_up_from_the_page_texts_leadership_and_says_so(web):
    c = web.login("wang")
    token = csrf(c.get(f"/review/{web.abusive}").text)
    r = c.post(f"/review/{web.abusive}/write-up", data={"csrf": token, "note": "辱骂法官"})
    assert r.status_code == 200 and r.url.path == f"/review/{web.abusive}"
    flash = re.search(r'<section class="card flash ok" id="flash".*?</section>', r.text, re.S)
    assert flash and "书面报告（R4.7）已保存" in flash.group(0)
    assert "分管副院长 副院长m（13900001001）：已写入短信发送队列" in flash.group(0)
    assert "已整理上报" in r.text and "长期保存" in r.text
    # the written material is on the page, to print or copy into the court's system
    notes = re.search(r'<details id="notes" open>.*?</details>', r.text, re.S).group(0)
    assert "来电人辱骂、骚扰情况书面报告（R4.7）" in notes and "【他妈的】" in notes
    again = c.post(f"/review/{web.abusive}/write-up", data={"csrf": token})
    assert 'class="card flash error"' in again.text and "未重复报告" in again.text
    with web.sessions() as s:
        rec = s.get(Recording, web.abusive)
        assert rec.hold and rec.flags[0].outcome == "reported"
        assert notices_of(s, rec.flags[0].order_id) == [
            ("deputy_president", "副院长m", "13900001001")]
    # handed to the job worker at once (R4.7 reports do not wait for the minute job)
    assert web.platform.jobs.huey.pending_count() == 1
    report = [row for row in web.audit() if row[1] == "report"]
    assert len(report) == 1 and report[0][3]["rule"] == "R4.7"
    assert report[0][3]["note"] == "辱骂法官" and "副院长m" in report[0][3]["to"][0]


def test_r4_8_escalation_from_the_page_names_who_could_not_be_texted(web):
    c = web.login("wang")
    token = csrf(c.get(f"/review/{web.urgent}").text)
    r = c.post(f"/review/{web.urgent}/escalate",
               data={"csrf": token, "leadership": "1", "note": "来电人称要轻生"})
    flash = re.search(r'<section class="card flash warn" id="flash".*?</section>', r.text, re.S)
    assert flash, r.text[:2000]
    text_ = flash.group(0)
    assert "紧急报告（R4.8）已保存" in text_ and "有 2 人未能发送短信，请电话报告" in text_
    assert text_.count("通讯录中找不到此人") == 2
    assert "分管副院长 院长m（13900001000）：已写入短信发送队列" in text_
    with web.sessions() as s:
        rec = s.get(Recording, web.urgent)
        order = s.get(WorkOrder, rec.flags[0].order_id)
        assert order.urgent and rec.hold and rec.flags[0].outcome == "escalated"


def test_the_supervisor_marks_reviewed_and_the_audit_log_shows_it(web):
    c = web.login("wang")
    c.get(f"/recordings/{web.abusive}/audio", headers={"Range": "bytes=0-"})
    token = csrf(c.get(f"/review/{web.abusive}").text)
    r = c.post(f"/review/{web.abusive}/reviewed", data={"csrf": token, "note": "情绪激动"})
    assert "已标记为已复核（1 个标记）" in r.text
    assert f'data-recording="{web.abusive}"' not in c.get("/review").text
    assert f'data-recording="{web.abusive}"' in c.get("/review?status=all").text
    log = c.get(f"/review/audit?recording={web.abusive}")
    actions = re.findall(r'<tr data-action="([a-z_]+)"', log.text)
    # newest first; the page seen again right after the action is the same viewing
    assert actions == ["review", "view", "play"]
    assert "意见：情绪激动" in log.text and "范围：bytes=0-" in log.text
    everything = re.findall(r'<tr data-action="([a-z_]+)"', c.get("/review/audit").text)
    assert everything == ["review", "view", "play", "login"]


def test_disabling_a_user_or_changing_the_password_ends_the_open_session(web):
    c = web.login("wang")
    assert c.get("/review").status_code == 200
    with web.sessions.begin() as s:
        auth.set_active(s, "wang", False)
    assert c.get("/review", follow_redirects=False).status_code == 303
    with web.sessions.begin() as s:
        auth.set_active(s, "wang", True)
    # enabled again, the user logs in again: the cookie of before stays refused
    assert c.get("/review", follow_redirects=False).status_code == 303
    c = web.login("wang")
    with web.sessions.begin() as s:
        auth.set_password(s, "wang", "a new password")
    assert c.get("/review", follow_redirects=False).status_code == 303
    c = web.login("wang", "a new password")
    web.clock["now"] = NOW + auth.SESSION_MAX_AGE + timedelta(minutes=1)  # a working day on
    assert c.get("/review", follow_redirects=False).status_code == 303


def test_logout_ends_the_session(web):
    c = web.login("wang")
    r = c.post("/logout", data={"csrf": csrf(c.get("/").text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c.get("/review", follow_redirects=False).status_code == 303
    assert [row[:2] for row in web.audit()][-1] == ("wang", "logout")


def test_the_feedback_pages_are_untouched_by_the_login(web):
    """The judge's link pages need no login and set no cookie."""
    r = web.client().get("/f/not-a-token")
    assert r.status_code == 403 and "set-cookie" not in r.headers


# ---- `hotline users` ----------------------------------------------------------------------------
def test_hotline_users_add_list_disable_password(settings):
    from hotline.cli import main

    runner = CliRunner()
    base = ["--data-dir", str(settings.data_dir)]

    def run(*args, input=None):
        return runner.invoke(main, [*base, "users", *args], input=input)

    r = run("add", "Wang", "--role", "supervisor", "--name", "王班长", "--password-stdin",
            input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    assert "wang added (supervisor, 王班长)" in r.output
    r = run("add", "li", "--role", "operator", input="short\nshort\n")
    assert r.exit_code == 2 and "at least 8 characters" in r.output
    r = run("add", "li", "--role", "operator", input="password-1\npassword-2\n"
            "password-1\npassword-1\n")  # typed twice; a mismatch asks again
    assert r.exit_code == 0 and "li added (operator, li)" in r.output
    assert "do not match" in r.output
    r = run("add", "WANG", "--role", "operator", "--password-stdin", input=PASSWORD + "\n")
    assert r.exit_code == 2 and "'wang' is taken" in r.output
    r = run("add", "x y", "--role", "operator", "--password-stdin", input=PASSWORD + "\n")
    assert r.exit_code == 2 and "letters, digits" in r.output
    r = run("add", "zhao", "--role", "janitor", "--password-stdin", input=PASSWORD + "\n")
    assert r.exit_code == 2 and "supervisor" in r.output
    r = run("disable", "li")
    assert r.exit_code == 0 and "li disabled" in r.output
    r = run("list")
    assert r.exit_code == 0
    assert re.search(r"li\s+operator\s+disabled", r.output)
    assert re.search(r"wang\s+supervisor\s+active\s+-\s+王班长", r.output)
    r = run("password", "nobody", "--password-stdin", input=PASSWORD + "\n")
    assert r.exit_code == 2 and "no user 'nobody'" in r.output
    r = run("password", "wang", "--password-stdin", input="brand new secret\n")
    assert r.exit_code == 0 and "password of wang changed" in r.output
    with bootstrap.build(settings) as platform, platform.uow() as s:
        wang = s.scalar(select(User).where(User.login == "wang"))
        assert auth.verify_password(wang.password_hash, "brand new secret")
        assert not s.scalar(select(User.active).where(User.login == "li"))
    # seats: the operator's panel is the seat's phone; one user per seat
    with bootstrap.build(settings) as platform:
        running.setup(platform, prompts=False)  # the demo court's seats
    r = run("add", "zhou", "--role", "operator", "--seat", "seat1001", "--password-stdin",
            input=PASSWORD + "\n")
    assert r.exit_code == 0 and "zhou added (operator, zhou, seat seat1001)" in r.output
    r = run("seat", "li", "seat1001")
    assert r.exit_code == 2 and "seat seat1001 is bound to zhou" in r.output
    r = run("seat", "li", "seat9999")
    assert r.exit_code == 2 and "no seat 'seat9999'" in r.output and "seat1002" in r.output
    r = run("add", "chen", "--role", "judge", "--password-stdin", input=PASSWORD + "\n")
    assert r.exit_code == 0
    r = run("seat", "chen", "seat1002")
    assert r.exit_code == 2 and "only operators and supervisors" in r.output
    assert run("seat", "zhou", "--none").exit_code == 0
    assert run("seat", "li", "seat1001").exit_code == 0
    assert re.search(r"li\s+operator\s+disabled\s+seat1001", run("list").output)
    assert run("seat", "li").exit_code == 2


def test_r4_7_a_recording_with_no_transcript_still_opens(web):
    """A flag set by hand (or a recording whose transcript was lost) has no transcript;
    its page, where the write-up and escalation buttons are, answered 500."""
    with web.sessions.begin() as s:
        s.get(Recording, web.abusive).transcript = None
    page = web.login("wang").get(f"/review/{web.abusive}")
    assert page.status_code == 200, page.text[-2000:]
    assert "整理成书面材料报院领导（R4.7）" in page.text
