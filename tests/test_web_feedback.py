"""The judge's feedback page (R7) and Twilio's status callback (R5), through the real
application over HTTP (Starlette's test client), on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import built
from sqlalchemy import select
from starlette.testclient import TestClient
from support import court
from twilio.request_validator import RequestValidator

from hotline.web.app import create_app
from workorder.models import CallbackTask, WorkOrder
from workorder.notices import Notice

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


@pytest.fixture
def web(settings):
    settings = settings.with_(twilio_auth_token="tok", public_url="http://127.0.0.1:8368")
    with built(settings) as platform:
        order_id = court.dispatched_order(platform.uow, NOW)
        clock = {"now": NOW + timedelta(hours=1)}
        app = create_app(platform, clock=lambda: clock["now"])
        yield TestClient(app), platform.links, order_id, platform.uow, clock, platform


def test_r7_the_judge_feeds_back_once_and_the_callback_is_scheduled(web):
    client, signer, order_id, sessions, _clock, _s = web
    url = signer.feedback_url(order_id).replace("http://127.0.0.1:8368", "")
    page = client.get(url)
    assert page.status_code == 200 and "联系不上法官" in page.text and "法官m" in page.text
    empty = client.post(url, data={"result": " ", "by": "法官m"})
    assert empty.status_code == 400 and "请填写办理结果" in empty.text
    ok = client.post(url, data={"result": "已电话联系当事人", "by": "法官m"},
                     follow_redirects=False)
    assert ok.status_code == 303
    assert "反馈已收到" in client.get(ok.headers["location"]).text
    with sessions() as s:
        o = s.get(WorkOrder, order_id)
        assert (o.status, o.feedback_text, o.feedback_by) == ("fed_back", "已电话联系当事人", "法官m")
        assert s.scalar(select(CallbackTask.reason).where(CallbackTask.order_id == order_id)) \
            == "feedback"
    used = client.get(url)
    assert used.status_code == 410 and "已于" in used.text and "链接已失效" in used.text


def test_r7_an_expired_or_forged_link_says_so(web):
    client, signer, order_id, _sessions, _clock, _s = web
    token = signer.token(order_id)
    forged = client.get(f"/f/{token[:-2]}xx")
    assert forged.status_code == 403 and "链接无效" in forged.text
    signer.max_age_s = -1  # every link is past its age now
    aged = TestClient(create_app(web[5])).get(f"/f/{token}")
    assert aged.status_code == 410 and "链接已过期" in aged.text


def dispatch_notice(s, order_id: int) -> Notice:
    return s.scalar(select(Notice).where(Notice.order_id == order_id,
                                         Notice.kind == "dispatch"))


def sent_by_twilio(sessions, order_id: int, sid: str) -> None:
    """The order's dispatch text as Twilio accepted it, waiting for its receipt."""
    with sessions.begin() as s:
        n = dispatch_notice(s, order_id)
        n.status, n.provider_id = "sent", sid


def test_r5_delivery_receipts_count_only_with_twilio_s_signature(web):
    _client, _signer, order_id, sessions, _clock, platform = web
    sent_by_twilio(sessions, order_id, "SM" + "b" * 32)
    url = "http://127.0.0.1:8368/twilio/status"
    form = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "delivered"}
    twilio = platform.settings.with_(  # never sends here: nothing listens on port 9
        sms_provider="twilio", twilio_account_sid="AC" + "0" * 32, twilio_from="+12025550100",
        twilio_base_url="http://127.0.0.1:9")
    with built(twilio) as p:
        client = TestClient(create_app(p))
        forged = client.post("/twilio/status", data=form,
                             headers={"X-Twilio-Signature": "AAAA"})
        assert forged.status_code == 403
        sig = RequestValidator("tok").compute_signature(url, form)
        good = client.post("/twilio/status", data=form, headers={"X-Twilio-Signature": sig})
        assert good.status_code == 204
    with sessions() as s:
        n = dispatch_notice(s, order_id)
        assert (n.status, n.delivered_at is not None) == ("delivered", True)


@pytest.mark.parametrize("token", ["tok", ""])
def test_r5_receipts_are_not_taken_unless_twilio_sends_the_texts(web, token):
    """A signature made with an empty token used to be accepted when Twilio was not the
    provider: anyone could mark a text delivered. (Twilio as the provider without a
    token is refused by the settings already.)"""
    _client, _signer, order_id, sessions, _clock, platform = web
    sent_by_twilio(sessions, order_id, "SM" + "c" * 32)
    url = "http://127.0.0.1:8368/twilio/status"
    form = {"MessageSid": "SM" + "c" * 32, "MessageStatus": "delivered"}
    sig = RequestValidator(token).compute_signature(url, form)
    with built(platform.settings.with_(twilio_auth_token=token)) as p:
        r = TestClient(create_app(p)).post("/twilio/status", data=form,
                                           headers={"X-Twilio-Signature": sig})
    assert r.status_code == 404
    with sessions() as s:
        n = dispatch_notice(s, order_id)
        assert (n.status, n.delivered_at) == ("sent", None)


def test_r5_r8_the_department_head_sees_the_department_s_open_orders(web):
    client, signer, order_id, sessions, clock, _s = web
    with sessions() as s:
        dept = s.get(WorkOrder, order_id).department_id
    url = signer.department_url(dept).replace("http://127.0.0.1:8368", "")
    page = client.get(url)
    assert page.status_code == 200 and "民事审判第一庭" in page.text
    assert 'id="count">1<' in page.text and 'data-light="green"' in page.text
    clock["now"] = NOW + timedelta(days=10)  # past the feedback deadline: red
    assert 'data-light="red"' in client.get(url).text and "已逾期" in client.get(url).text
    assert client.get("/d/forged.token").status_code == 403


def test_r5_the_judge_s_text_links_the_order_and_the_head_s_the_department(web):
    _client, signer, order_id, sessions, _clock, platform = web
    jobs = platform.jobs
    with sessions() as s:
        texts = {n.kind: n for n in s.scalars(select(Notice).where(Notice.order_id == order_id))}
        dept = s.get(WorkOrder, order_id).department_id
    assert jobs.link_for(texts["dispatch"]) == signer.feedback_url(order_id)
    assert jobs.link_for(texts["copy"]).startswith("http://127.0.0.1:8368/d/")
    assert signer.department_id(jobs.link_for(texts["copy"]).rsplit("/", 1)[1]) == dept


def test_public_pages_are_not_framed_cached_or_scripted_and_send_no_referer(web):
    """The login, the judge's feedback page (it shows a complaint), the department's page
    and the thanks had none of the staff pages' headers."""
    client, signer, order_id, _sessions, _clock, _p = web
    with _sessions() as s:
        order = s.get(WorkOrder, order_id)
        number, dept = order.number, order.department_id
    pages = {"/login": client.get("/login"), "/f": client.get(f"/f/{signer.token(order_id)}"),
             "/d": client.get(signer.department_url(dept).replace("http://127.0.0.1:8368", "")),
             "/done": client.get(f"/done/{number}")}
    for name, r in pages.items():
        assert r.status_code == 200, name
        h = r.headers
        assert "script-src 'none'" in h["content-security-policy"], name
        assert "frame-ancestors 'none'" in h["content-security-policy"], name
        assert (h["x-frame-options"], h["cache-control"], h["referrer-policy"]) == (
            "DENY", "private, no-store", "no-referrer"), name
