"""The monthly ledger (R9) on SQLite and PostgreSQL: volumes, the assessed rates with
their definitions, rankings, laggards, and the xlsx / csv / json files."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from support import court

from hotline import ledger_export
from hotline.db import make_engine
from workorder import callbacks, ledger
from workorder.models import Call, Case, Reminder
from workorder.registration import Arrival, register_call
from workorder.sweep import sweep

SH = ZoneInfo("Asia/Shanghai")
MON = datetime(2026, 11, 2, 10, 0, tzinfo=SH)


@pytest.fixture
def month(db_url):
    """November 2026: 4 closed on the call, 3 forwarded in the intermediate court (one fed
    back in time and called back, one late, one never), 1 forwarded in the primary court and
    fed back in time; 3 hotline calls (2 answered, one after 12 s; 1 abandoned)."""
    engine = make_engine(db_url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    svc = court.service()
    with sessions.begin() as s:
        court.build(s)
        for i in range(4):
            o = svc.open_order(s, court.MID, channel="web" if i else "wechat", order_type=2,
                               by="seat1001", at=MON + timedelta(hours=i))
            svc.close(s, o, version=None, by="seat1001", at=MON, resolution="已答复")
        fwd = []
        for i, (where, order_type) in enumerate([(court.MID, 4), (court.MID, 4), (court.MID, 4),
                                                 (court.PRIMARY, 4)]):
            o = svc.open_order(s, where, channel="hall", order_type=order_type, by="seat1001",
                               at=MON, caller_phone=f"1381111000{i}")
            svc.forward(s, o, version=None, by="seat1001", at=MON)
            fwd.append(o)
        svc.feedback(s, fwd[0], by="信访长m", at=MON + timedelta(days=1), text="已处理")
        svc.feedback(s, fwd[1], by="信访长m", at=MON + timedelta(days=6), text="迟到的反馈")
        svc.feedback(s, fwd[3], by="信访长p", at=MON + timedelta(days=2), text="已处理")
        task = callbacks.create(s, svc.calendar, svc.policy, fwd[0],
                                callbacks.CallbackReason.FEEDBACK, MON)
        callbacks.record(s, svc.calendar, svc.policy, task.id, by="seat1002",
                         at=MON + timedelta(days=2), outcome="reached", satisfaction="满意")
        for uid, hold, outcome in (("c1", 4, "answered"), ("c2", 12, "answered"),
                                   ("c3", None, "abandoned")):
            reg = register_call(s, court.MID, SH, Arrival(uid, "13900000000", "", MON),
                                ("open", "工作日"))
            c = s.get(Call, reg.call_id)
            c.queue, c.outcome, c.hold_time_s = "hotline-1", outcome, hold
            c.answered_at = MON if outcome == "answered" else None
    # the never-answered one is overdue and escalated by the sweep; the operator sends
    # the reminder the sweep opened (R8: only a sent reminder counts as reminded)
    sweep(sessions, svc.calendar, svc.policy, datetime(2026, 11, 20, 9, tzinfo=SH))
    with sessions.begin() as s:
        for r in s.scalars(select(Reminder)):
            r.sent_at, r.sent_by = datetime(2026, 11, 20, 10, tzinfo=SH), "seat1001"
    with sessions() as s:
        yield s
    engine.dispose()


NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SH)


def test_r9_the_month_has_volumes_and_the_assessed_rates(month):
    led = ledger.build(month, "2026-11", SH, NOW)
    t = led.totals
    assert (t.orders, t.on_call, t.forwarded, t.fed_back, t.overdue, t.reminded,
            t.escalated) == (11, 4, 4, 3, 2, 1, 1)
    assert led.by_type["诉讼咨询"] == 4 and led.by_type["信访申诉"] == 4
    assert led.by_type["其他"] == 3  # the hotline calls never chose a type
    assert (led.by_channel["web"], led.by_channel["wechat"], led.by_channel["hall"],
            led.by_channel["hotline"]) == (3, 1, 4, 3)
    assert led.rates["timely_acceptance"] == 1.0  # 4 on the call + 4 dispatched at once
    assert led.rates["timely_completion"] == 0.5  # 2 in time of 4 due
    assert (led.rates["answer_rate"], led.rates["service_level"]) == (0.6667, 0.5)
    assert led.rates["callback_satisfaction"] == 1.0
    assert led.calls["offered"] == 3 and led.calls["abandoned"] == 1


def test_r9_departments_and_courts_are_ranked_and_the_laggards_named(month):
    led = ledger.build(month, "2026-11", SH, NOW)
    assert [(r.court, r.name) for r in led.courts] == [(court.PRIMARY, court.PRIMARY),
                                                       (court.MID, court.MID)]
    assert led.departments[0].rates["timely_completion"] == 1.0
    assert [(r.court, r.name, r.counts.overdue) for r in led.laggards] == [
        (court.MID, "信访办公室", 2)]
    # R8: still not handled after the reminder → named in the bulletin
    assert [n["court"] for n in led.named_orders] == [court.MID]
    only_mid = ledger.build(month, "2026-11", SH, NOW, court=court.MID)
    assert only_mid.totals.orders == 10 and [r.name for r in only_mid.courts] == [court.MID]


@pytest.mark.parametrize("bad, message", [("2026-13", "not YYYY-MM"), ("11/2026", "not YYYY-MM"),
                                          ("9999-12", "not YYYY-MM"),
                                          ("2027-01", "has not begun")])
def test_r9_a_bad_month_is_refused(month, bad, message):
    with pytest.raises(ledger.LedgerError, match=message):
        ledger.build(month, bad, SH, NOW)


def test_r9_the_excel_ledger_has_chinese_headers_and_the_definitions(month, tmp_path):
    led = ledger.build(month, "2026-11", SH, NOW)
    path = tmp_path / "l.xlsx"
    ledger_export.write(led, "xlsx", path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == ["概况", "考核指标", "按类型"]
    rates = wb["考核指标"]
    assert [c.value for c in rates[1]] == ["指标", "数值", "目标", "口径"]
    rows = {r[0].value: r for r in rates.iter_rows(min_row=2)}
    rate = rows["按期办结率"][1]
    assert (rate.value, rate.number_format) == (0.5, "0.0%")
    assert "3个工作日" in rows["按期办结率"][3].value
    assert wb["部门排名"]["B1"].value == "法院"
    assert not list(tmp_path.glob("*.part"))


def test_r9_csv_opens_in_excel_and_json_is_complete(month, tmp_path):
    led = ledger.build(month, "2026-11", SH, NOW)
    ledger_export.write(led, "csv", tmp_path / "l.csv")
    raw = (tmp_path / "l.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["【概况】"] and ["【考核指标】"] in rows
    data = json.loads(ledger_export.to_json(led))
    assert data["totals"]["orders"] == 11
    assert {d["key"] for d in data["definitions"]} == {k for k, _n, _d in ledger.RATES}


def test_r9_acceptance_counts_the_2_hour_window_and_a_zero_rate_is_a_laggard(db_url):
    """Closed a week later is not accepted in time; an order held for dispatch and still
    inside its 2 hours is not counted yet; a department at 0% is a laggard even before the
    sweep marks anything overdue."""
    engine = make_engine(db_url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    svc = court.service()
    with sessions.begin() as s:
        court.build(s)
        late = svc.open_order(s, court.MID, channel="hall", order_type=2, by="seat1001", at=MON)
        svc.close(s, late, version=None, by="seat1001", at=MON + timedelta(days=7),
                  resolution="已答复")
        held = svc.open_order(s, court.MID, channel="hall", order_type=4, by="seat1001",
                              at=NOW - timedelta(minutes=30))
        svc.forward(s, held, version=None, by="seat1001", at=NOW - timedelta(minutes=20),
                    dispatch=False)
        silent = svc.open_order(s, court.MID, channel="hall", order_type=5, by="seat1001",
                                at=MON, caller_phone="13800000077")
        svc.forward(s, silent, version=None, by="seat1001", at=MON, judge="法官m")
    with sessions() as s:
        led = ledger.build(s, "2026-11", SH, NOW + timedelta(days=1))
        now_led = ledger.build(s, "2026-12", SH, NOW)
    assert (led.totals.decided, led.totals.accepted_in_time) == (2, 1)
    assert now_led.totals.decided == 0  # held 20 minutes ago: neither on time nor late yet
    assert [(r.name, r.rates["timely_completion"]) for r in led.laggards] == [
        ("民事审判第一庭", 0.0)]
    engine.dispose()


def test_r9_hot_causes_and_where_orders_pile_up(db_url):
    engine = make_engine(db_url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    svc = court.service()
    with sessions.begin() as s:
        court.build(s)
        s.get(Case, 1).cause = "民间借贷纠纷"
        for i in range(3):
            o = svc.open_order(s, court.MID, channel="hall", order_type=5, by="seat1001",
                               at=MON + timedelta(minutes=i), case_number=court.CASE,
                               caller_phone=f"1380000010{i}")
            svc.forward(s, o, version=None, by="seat1001", at=MON)
    with sessions() as s:
        led = ledger.build(s, "2026-11", SH, NOW)
    assert led.hot_causes == [("民间借贷纠纷", 3)]
    assert led.hot_spots == [{"type": "投诉举报", "court": court.MID,
                              "department": "民事审判第一庭", "orders": 3}]
    wb_rows = {t: rows for t, _h, rows in ledger_export.sections(led)}
    assert wb_rows["热点案由"] == [["民间借贷纠纷", 3]]
    engine.dispose()


def test_r9_every_court_has_every_assessed_rate(month):
    """R9: a court is assessed on all the rates the ledger defines, its own calls (R1) and
    callbacks (R10) included, not only the three counted from its orders."""
    led = ledger.build(month, "2026-11", SH, NOW)
    rows = {r.name: r.rates for r in led.courts}
    for rates in rows.values():
        assert set(rates) == {k for k, _n, _d in ledger.RATES}
    assert (rows[court.MID]["answer_rate"], rows[court.MID]["service_level"],
            rows[court.MID]["callback_satisfaction"]) == (0.6667, 0.5, 1.0)
    # the primary court had no call and no callback: no rate rather than 0%
    assert (rows[court.PRIMARY]["answer_rate"], rows[court.PRIMARY]["service_level"],
            rows[court.PRIMARY]["callback_satisfaction"]) == (None, None, None)
    # the platform's figures are the courts' added up
    assert led.calls["offered"] == 3 and led.rates["answer_rate"] == 0.6667
    assert led.satisfaction["满意"] == 1


def test_r9_an_empty_sheet_in_the_workbook_has_its_header_row_and_nothing_else(db_url,
                                                                              tmp_path):
    """R9: a month with no orders still gives every table, each with its Chinese header row
    and no placeholder row under it."""
    engine = make_engine(db_url)
    with sessionmaker(engine)() as s:
        led = ledger.build(s, "2026-11", SH, NOW)
    engine.dispose()
    ledger_export.write(led, "xlsx", tmp_path / "l.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "l.xlsx")
    expected = {title: headers for title, headers, rows in ledger_export.sections(led)
                if not rows}
    assert {"按状态", "部门排名", "法院排名", "后进部门", "热点案由", "工单集中部门",
            "催办后仍未办理"} <= set(expected)
    for title, headers in expected.items():
        assert [list(r) for r in wb[title].iter_rows(values_only=True)] == [headers], title
    assert wb["按类型"].max_row == 7  # the six types, each with 0


def test_r9_the_workbook_columns_fit_chinese_text(month, tmp_path):
    """R9: a column is as wide as its text, a Chinese character counting about two digits
    and a digit or Latin letter one, up to a cap (the definitions then wrap)."""
    led = ledger.build(month, "2026-11", SH, NOW)
    ledger_export.write(led, "xlsx", tmp_path / "l.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "l.xlsx")

    def width(sheet: str, col: str) -> float:
        return wb[sheet].column_dimensions[col].width

    # 名称 (ranking of courts): the longest name, 示范市中级人民法院, is 9 characters
    assert 18 <= width("法院排名", "C") <= 22
    # 渠道: 诉讼服务大厅, 6 characters
    assert 12 <= width("按渠道", "A") <= 16
    # 数值 on the summary: the widest is the time it was made, 25 ASCII characters
    assert led.generated_at.isoformat(timespec="seconds") == "2026-12-01T09:00:00+08:00"
    assert 25 <= width("概况", "B") <= 29
    # 口径: definitions of 60 characters and more stop at the cap and wrap
    assert width("考核指标", "D") == ledger_export.MAX_WIDTH <= 60
    assert wb["考核指标"]["D2"].alignment.wrap_text


EVIL = '=HYPERLINK("http://127.0.0.1:9/x","点我")'


def test_r9_a_name_that_looks_like_a_formula_stays_text_in_the_workbook_and_csv(month,
                                                                                tmp_path):
    """A department named like a formula in the court's directory file became a live
    formula in the downloaded workbook (formula injection)."""
    from workorder.models import Department
    for d in month.scalars(select(Department)):
        d.name = EVIL + d.name
    month.flush()
    led = ledger.build(month, "2026-11", SH, NOW)
    ledger_export.write(led, "xlsx", tmp_path / "l.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "l.xlsx")["部门排名"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row
             if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and {c.data_type for c in cells} == {"s"}
    assert all(c.value.startswith(EVIL) for c in cells)
    month.rollback()
    ledger_export.write(led, "csv", tmp_path / "l.csv")
    text = (tmp_path / "l.csv").read_text(encoding="utf-8-sig")
    named = [c for row in csv.reader(io.StringIO(text)) for c in row if EVIL in c]
    assert named and all(c.startswith("'" + EVIL) for c in named)
