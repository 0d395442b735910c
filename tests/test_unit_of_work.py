"""The unit of work hands the texts a change wrote to the job engine once it commits: a text
written by a page reaches the provider within seconds, with no periodic job running (the
job worker runs as `hotline worker --no-periodic` does), and a change that is refused
hands nothing over.

The provider is Twilio's API as Prism serves it from Twilio's own description, behind the
proxy that remembers what it accepted (tests/support/twilio_record.py), reached through the
official SDK — all on 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import select
from support import court
from support.prism import ACCOUNT, TOKEN, PrismServer
from support.twilio_record import Record
from test_panel import NOW, overdue_with_a_reminder, web  # noqa: F401  (the panel's court and pages, on these settings)

from hotline.jobs import consumer
from workorder.models import WorkOrder
from workorder.notices import Notice
from workorder.rules import Answers

WITHIN_S = 5.0  # "within a few seconds": the hand-over, a worker thread, one HTTP request


@pytest.fixture(scope="module")
def provider():
    with PrismServer() as prism, Record(prism.url) as record:
        yield record


@pytest.fixture
def settings(settings, provider):
    """The test court texting through Twilio (here: Prism behind the recording proxy); no
    quiet hours, so the test does not depend on the hour it runs at."""
    return settings.with_(sms_provider="twilio", twilio_account_sid=ACCOUNT,
                          twilio_auth_token=TOKEN, twilio_from="+15005550006",
                          twilio_base_url=provider.url, sms_quiet_from="00:00",
                          sms_quiet_until="00:00")


def accepted(provider: Record, mobile: str, number: str) -> list[str]:
    """The bodies of the texts the provider accepted for ``mobile`` about order ``number``."""
    query = urllib.parse.urlencode({"To": f"+86{mobile}", "PageSize": 50})
    req = urllib.request.Request(
        f"{provider.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json?{query}",
        headers={"Authorization": "Basic " + base64.b64encode(
            f"{ACCOUNT}:{TOKEN}".encode()).decode()})
    with urllib.request.urlopen(req, timeout=5) as r:
        return [m["body"] for m in json.loads(r.read())["messages"] if number in m["body"]]


@pytest.fixture
def worker(web):  # noqa: F811
    """The job worker without its periodic jobs; started, and idle once it has sent what
    was pending at its start."""
    c = consumer(web.platform.jobs, workers=2, periodic=False)
    c.start()
    huey = web.platform.jobs.huey
    deadline = time.monotonic() + 10
    while huey.pending_count() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # the start-up delivery of what was pending has run
    yield c
    c.stop(graceful=True)


def assignee_mobile(web, number: str) -> str:  # noqa: F811
    with web.sessions() as s:
        return s.scalar(select(WorkOrder.assignee_mobile).where(WorkOrder.number == number))


def until_accepted(provider: Record, mobile: str, number: str, started: float,
                   word: str = "") -> float:
    """Seconds from ``started`` until the provider accepted a text for ``mobile`` about
    order ``number`` (that says ``word``)."""
    while time.monotonic() - started < 30:
        if any(word in body for body in accepted(provider, mobile, number)):
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"no text about {number} reached the provider for {mobile} in 30 s")


def test_r4_8_an_urgent_forward_saved_in_the_panel_reaches_the_provider_in_seconds(
        web, worker, provider):  # noqa: F811
    li = web.login("li")
    url = f"/panel/orders/{web.number}"
    version = li.post(url, json={"version": 1, "action": "save", "case_number": court.CASE,
                                 "content": "法官一直联系不上，账户今天被冻结"}
                      ).json()["order"]["version"]
    started = time.monotonic()
    r = li.post(url, json={"version": version, "action": "forward", "judge_unreachable": True,
                           "urgent": True})
    assert r.status_code == 200, r.text
    judge = assignee_mobile(web, web.number)
    took = until_accepted(provider, judge, web.number, started)
    assert took < WITHIN_S, f"the judge's text took {took:.1f} s"
    [body] = accepted(provider, judge, web.number)
    assert body.startswith("【12368】【紧急】转办工单") and "/f/" in body  # R4.8, the link (R7)
    with web.sessions() as s:
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == web.number))
        sent = {n.kind: n.status for n in s.scalars(select(Notice).where(
            Notice.order_id == order.id))}
    assert sent["dispatch"] == "sent"


def test_r8_a_reminder_sent_from_the_console_reaches_the_provider_in_seconds(
        web, worker, provider):  # noqa: F811
    rid = overdue_with_a_reminder(web)
    wang = web.login("wang")
    started = time.monotonic()
    r = wang.post(f"/console/reminders/{rid}", json={})
    assert r.status_code == 200 and r.json()["texts"] == 2, r.text
    took = until_accepted(provider, "13900000010", web.earlier, started, "催办")
    assert took < WITHIN_S, f"the department head's reminder took {took:.1f} s"
    judge = assignee_mobile(web, web.earlier)
    assert until_accepted(provider, judge, web.earlier, started, "催办") < WITHIN_S


def test_a_refused_change_hands_no_text_over(web):  # noqa: F811
    """A forward the domain refuses after writing its texts (here: the transaction fails
    at the end) commits nothing and hands nothing to the job engine."""
    handed: list = []
    web.platform.uow.texts_written = handed.append
    svc = web.platform.service
    with pytest.raises(RuntimeError), web.sessions.begin() as s:
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == web.number))
        order.case_number = court.CASE
        svc.forward(s, order, version=None, by="li", at=NOW,
                    answers=Answers(judge_unreachable=True))
        s.flush()
        assert s.scalar(select(Notice.id).where(Notice.order_id == order.id))
        raise RuntimeError("the change fails after its texts were written")
    with web.sessions() as s:
        assert s.scalar(select(Notice.id)) is None
    assert handed == []
    with web.sessions.begin() as s:  # the same forward, committed: its texts, once
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == web.number))
        order.case_number = court.CASE
        svc.forward(s, order, version=None, by="li", at=NOW,
                    answers=Answers(judge_unreachable=True))
    assert [len(h) for h in handed] == [2]  # the judge's dispatch text, the head's copy
