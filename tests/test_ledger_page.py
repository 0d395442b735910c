"""The monthly ledger page and its Excel download (R9) over HTTP: every assessed rate charted
for the platform and for each court under the names of their definitions, the orders by
channel, status and department, and the workbook `hotline ledger` writes, for supervisors
only and audited."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient
from support import court
from support.browser_review import PASSWORD
from test_panel import NOW, Web

from hotline import ledger_export
from hotline.web import auth
from recordings.models import AuditEntry
from workorder import ledger
from workorder.models import Call
from workorder.registration import Arrival, register_call

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def web(platform):
    """November 2026 as the supervisor 'wang' sees it: 2 orders closed on the call at the
    intermediate court (web, wechat), 2 forwarded (one to each court, from the hall), and 2
    hotline calls to the intermediate court, one answered in 4 s, one abandoned."""
    w = Web(platform, {"now": NOW})
    svc = platform.service
    at = NOW - timedelta(days=10)
    with w.sessions.begin() as s:
        court.build(s)
        auth.add_user(s, "wang", "supervisor", PASSWORD, NOW, name="王班长")
        auth.add_user(s, "li", "operator", PASSWORD, NOW, name="李")
        for channel in ("web", "wechat"):
            o = svc.open_order(s, court.MID, channel=channel, order_type=2, by="seat1001", at=at)
            svc.close(s, o, version=None, by="seat1001", at=at, resolution="已答复")
        for i, where in enumerate((court.MID, court.PRIMARY)):
            o = svc.open_order(s, where, channel="hall", order_type=4, by="seat1001", at=at,
                               caller_phone=f"1381111000{i}")
            svc.forward(s, o, version=None, by="seat1001", at=at)
        for uid, hold, outcome in (("c1", 4, "answered"), ("c2", None, "abandoned")):
            reg = register_call(s, court.MID, svc.calendar.tz,
                                Arrival(uid, "13900000000", "", at), ("open", "工作日"))
            c = s.get(Call, reg.call_id)
            c.queue, c.outcome, c.hold_time_s = "hotline-1", outcome, hold
            c.answered_at = at if outcome == "answered" else None
    return w


def labels(page: str, chart: str) -> list[str]:
    svg = re.search(rf'<svg id="{chart}".*?</svg>', page, re.S)
    assert svg, chart
    return re.findall(r'<text class="label"[^>]*>([^<]*)</text>', svg.group(0))


def table(page: str, table_id: str) -> list[list[str]]:
    html = re.search(rf'<table id="{table_id}">.*?</table>', page, re.S)
    assert html, table_id
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr)
            for tr in re.findall(r"<tr>(.*?)</tr>", html.group(0), re.S)]


def test_r9_the_page_charts_every_rate_the_ledger_defines_for_the_platform_and_each_court(web):
    page = web.login("wang").get("/console/ledger?month=2026-11")
    assert page.status_code == 200
    names = [name for _k, name, _d in ledger.RATES]
    assert re.findall(r"<dt>(.*?)</dt>", page.text) == names  # the definitions box
    assert labels(page.text, "chart-all") == names
    courts = re.findall(r'<svg id="(chart-court-\d+)"', page.text)
    assert len(courts) == 2
    for chart in courts:
        assert labels(page.text, chart) == names
    # the line's rates are there, for the platform and the court that had the calls
    assert re.search(r'<svg id="chart-all".*?>接通率</text>.*?>50\.0%</text>', page.text, re.S)
    assert re.search(r'>10秒服务水平</text>.*?>100\.0%</text>', page.text, re.S)


def test_r9_the_page_has_the_orders_by_channel_status_and_department(web):
    wang = web.login("wang")
    page = wang.get("/console/ledger?month=2026-11").text
    with web.sessions() as s:
        led = ledger.build(s, "2026-11", web.platform.calendar.tz, NOW,
                           target_s=web.settings.answer_target_s)
    sheets = {title: (headers, rows) for title, headers, rows in ledger_export.sections(led)}
    for table_id, sheet in (("by-channel", "按渠道"), ("by-status", "按状态"),
                            ("by-department", "部门排名")):
        headers, rows = sheets[sheet]
        assert table(page, table_id) == [headers] + [[str(v) for v in r] for r in rows]
    channels = dict(table(page, "by-channel")[1:])
    assert (channels["12368热线"], channels["网站"], channels["微信"], channels["诉讼服务大厅"],
            channels["自助终端"]) == ("2", "1", "1", "2", "0")
    assert sum(int(n) for _s, n in table(page, "by-status")[1:]) == 6
    assert "已办结" in dict(table(page, "by-status")[1:])
    departments = table(page, "by-department")
    assert departments[0][:6] == ["名次", "法院", "名称", "工单量", "转办", "按时受理"]
    assert sorted((r[1], r[2], r[3], r[4]) for r in departments[1:]) == sorted([
        (court.MID, "信访办公室", "1", "1"), (court.PRIMARY, "信访办公室", "1", "1")])
    assert "<h2>按渠道</h2>" in page and "<h2>按办理状态</h2>" in page
    assert "<h2>按部门（排名）</h2>" in page


def test_r9_the_excel_ledger_downloads_from_the_page_and_the_export_is_audited(web):
    wang = web.login("wang")
    page = wang.get("/console/ledger?month=2026-11").text
    assert 'href="/console/ledger.xlsx?month=2026-11"' in page
    r = wang.get("/console/ledger.xlsx?month=2026-11")
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    assert r.headers["content-disposition"] == 'attachment; filename="ledger-2026-11.xlsx"'
    assert r.headers["cache-control"] == "private, no-store"
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    with web.sessions() as s:
        led = ledger.build(s, "2026-11", web.platform.calendar.tz, NOW,
                           target_s=web.settings.answer_target_s)
    assert wb.sheetnames == [title for title, _h, _r in ledger_export.sections(led)]
    assert wb["概况"]["B2"].value == "2026-11" and wb["概况"]["B3"].value == "全部法院"
    assert [c.value for c in wb["按渠道"][1]] == ["渠道", "工单量"]
    # a month written loosely is the same month, named the usual way
    assert wang.get("/console/ledger.xlsx?month=2026-1").headers[
        "content-disposition"] == 'attachment; filename="ledger-2026-01.xlsx"'
    with web.sessions() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "ledger_export")
                              .order_by(AuditEntry.id)))
    assert [(a.actor, a.recording_id, a.detail["month"]) for a in rows] == [
        ("wang", None, "2026-11"), ("wang", None, "2026-01")]


@pytest.mark.parametrize("month, says", [("junk", "不是“年-月”的写法"),
                                         ("2026-13", "不是“年-月”的写法"),
                                         ("2026-+11", "不是“年-月”的写法"),
                                         ("1999-12", "台账从 2000 年起"),
                                         ("2027-05", "2027-05 尚未开始")],
                         ids=["junk", "month-13", "plus-sign", "before-2000", "future"])
def test_r9_a_bad_month_is_refused_in_chinese_by_the_page_and_the_download(web, month, says):
    wang = web.login("wang")
    for url in ("/console/ledger", "/console/ledger.xlsx"):
        r = wang.get(f"{url}?month={month}")
        assert r.status_code == 400, url
        assert r.headers["content-type"].startswith("text/html")
        assert "无法生成台账" in r.text and says in r.text, url
    with web.sessions() as s:
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "ledger_export")) is None


def test_r9_only_a_supervisor_downloads_the_ledger(web):
    anon = TestClient(web.app).get("/console/ledger.xlsx?month=2026-11", follow_redirects=False)
    assert anon.status_code == 303 and anon.headers["location"].startswith("/login?next=")
    r = web.login("li").get("/console/ledger.xlsx?month=2026-11")
    assert r.status_code == 403 and "只有班长可以使用班长台" in r.text
    assert r.headers["content-type"].startswith("text/html")
    with web.sessions() as s:
        refused = [a.detail.get("path") for a in s.scalars(
            select(AuditEntry).where(AuditEntry.actor == "li", AuditEntry.action == "refused"))]
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "ledger_export")) is None
    assert refused == ["/console/ledger.xlsx"]
