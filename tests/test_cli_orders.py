"""The work-order commands end to end, as an operator types them, on SQLite and PostgreSQL:
register, propose (R4), forward (R5), feedback (R7), callback (R10), history, the sweep
(R8), reminders and the ledger (R9)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import built, write_config
from support import court

from hotline import bootstrap
from hotline import settings as hotline_settings
from hotline.cli import main


@pytest.fixture
def hotline(tmp_path, db_url):
    write_config(tmp_path, database_url=db_url)
    settings = hotline_settings.load(environ={}, data_dir=str(tmp_path))
    with built(settings) as platform, platform.uow.begin() as s:
        court.build(s)
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> str:
        result = runner.invoke(main, ["--data-dir", str(tmp_path), *args],
                               catch_exceptions=False, env={"HOTLINE_OPERATOR": "seat1001"})
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    yield run


def test_an_order_goes_from_the_hall_to_the_petition_office_and_back(hotline, tmp_path):
    out = hotline("orders", "new", "--channel", "hall", "--type", "4", "--phone",
                  "138-1234-5678", "--name", "王五", "--content", "对判决不服，要求信访",
                  "--case", court.CASE, "--by", "seat1001")
    number = out.split()[0]
    assert "registered (version 1)" in out
    assert "forward → 信访部门负责人 信访长m  [R4.3]" in hotline("orders", "propose", number)
    out = hotline("orders", "forward", number, "--by", "seat1001")
    assert "→ 信访部门负责人 信访长m 13900000012 [R4.3]; feedback due" in out
    texts = json.loads(hotline("notices", "list", "--json"))
    assert [(t["order"], t["kind"], t["to"], t["status"]) for t in texts] == [
        (number, "dispatch", "信访长m", "pending")]  # R5: written with the dispatch
    shown = json.loads(hotline("orders", "show", number, "--json"))
    assert (shown["status"], shown["light"], shown["caller_phone"]) == (
        "dispatched", "green", "13812345678")
    assert shown["case_number"] == court.CASE
    # the operator's form was opened at version 1: the edit is refused, nothing saved
    out = hotline("orders", "edit", number, "--version", "1", "--content", "改", ok=False)
    assert "was changed by seat1001" in out and "nothing was saved" in out
    hotline("orders", "feedback", number, "--text", "已约谈，解释判决理由", "--by", "信访长m")
    tasks = json.loads(hotline("callbacks", "list", "--json"))
    assert [(t["order"], t["reason"], t["priority"]) for t in tasks] == [(number, "feedback", 1)]
    out = hotline("callbacks", "done", number, "--outcome", "reached",
                  "--satisfaction", "满意", "--by", "seat1002")
    assert f"(feedback) of order {number}: done, 满意; the order is closed" in out
    assert json.loads(hotline("orders", "show", number, "--json"))["status"] == "closed"
    history = hotline("orders", "history", number)
    for action in ("registered", "forwarded", "dispatched", "feedback", "callback", "closed"):
        assert action in history
    month = datetime.now(UTC).astimezone(court.service().calendar.tz).strftime("%Y-%m")
    data = json.loads(hotline("ledger", "--month", month, "--format", "json", "-o", "-"))
    assert data["totals"]["orders"] == 1 and data["rates"]["callback_satisfaction"] == 1.0
    out = hotline("ledger", "--month", month, "-o", str(tmp_path / "l.xlsx"))
    assert "1 order →" in out
    assert openpyxl.load_workbook(tmp_path / "l.xlsx")["考核指标"]["A1"].value == "指标"


def test_r5_a_forward_from_the_command_line_hands_its_texts_to_the_job_engine(hotline,
                                                                              tmp_path):
    """The texts a command writes are queued for the worker once the command commits:
    urgent ones to go at once, the others when the quiet hours end (if they apply now)."""
    number = hotline("orders", "new", "--channel", "hall", "--type", "5", "--phone",
                     "13900002222").split()[0]
    hotline("orders", "forward", number, "--about", "filing", "--urgent", "--by", "seat1001")
    texts = json.loads(hotline("notices", "list", "--json"))
    assert len(texts) >= 2 and {t["kind"] for t in texts} >= {"dispatch", "report"}
    with bootstrap.build(hotline_settings.load(environ={}, data_dir=str(tmp_path))) as p:
        queued = [t for t in p.jobs.huey.pending() if t.name.endswith("deliver_notice")]
    assert sorted(t.args[0] for t in queued) == sorted(t["id"] for t in texts)


def test_the_sweep_and_reminders_from_the_command_line(hotline):
    number = hotline("orders", "new", "--channel", "web", "--type", "5", "--phone",
                     "13900001111").split()[0]
    hotline("orders", "forward", number, "--about", "filing", "--by", "seat1001")
    later = (datetime.now(UTC) + timedelta(days=12)).astimezone(
        court.service().calendar.tz).strftime("%Y-%m-%dT%H:%M")
    report = json.loads(hotline("sweep", "--at", later, "--json"))
    assert (report["overdue"], report["reminders"], report["escalations"]) == (1, 1, 3)
    again = json.loads(hotline("sweep", "--at", later, "--json"))
    assert (again["orders"], again["reminders"], again["escalations"]) == (0, 0, 0)
    [reminder] = json.loads(hotline("reminders", "list", "--json"))
    assert (reminder["order"], reminder["to"]) == (number, "立案长m")
    # the filing head is both the assignee and the department head: one text
    assert "1 text queued" in hotline("reminders", "send", str(reminder["id"]), "--by",
                                       "seat1001")
    assert "sent already" in hotline("reminders", "send", str(reminder["id"]), "--phoned",
                                     ok=False)
    texts = json.loads(hotline("notices", "list", "--json"))
    kinds = sorted(t["kind"] for t in texts)
    # R5 dispatch, R8 the reminder, the ladder's three steps
    assert kinds == ["dispatch", "escalate-1", "escalate-2", "escalate-3", "remind-1"], kinds
    assert all("催办" in t["body"] for t in texts if t["kind"] == "remind-1")
    shown = hotline("orders", "show", number)
    assert "OVERDUE" in shown and "escalated L3 president 院长m" in shown


@pytest.mark.parametrize("args, message", [
    (("orders", "show", "20990101-0001"), "no work order '20990101-0001'"),
    (("orders", "new", "--channel", "fax", "--type", "1"), "unknown channel 'fax'"),
    (("orders", "new", "--channel", "hall", "--type", "9"), "not an order type key"),
    (("orders", "new", "--channel", "hall", "--type", "1", "--phone", "call me"),
     "is not a phone number"),
    (("orders", "new", "--channel", "hall", "--type", "1", "--case", "（2024）XX民初1号"),
     "no court code after the year"),
    (("ledger", "--month", "2026-13"), "not YYYY-MM"),
    (("callbacks", "done", "--task", "999", "--outcome", "reached"), "no callback task 999"),
    (("callbacks", "done", "--outcome", "reached"), "give the order NUMBER"),
    (("callbacks", "done", "20990101-0001", "--outcome", "reached"), "no work order"),
    (("ledger", "--month", "2026-11", "--format", "csv", "-o", "/nonexistent/dir/l.csv"),
     "cannot write /nonexistent/dir/l.csv"),
    (("orders", "new", "--channel", "hall", "--type", "1", "--by", "x" * 41),
     "1 to 40 characters"),
])
def test_bad_input_gets_one_clear_line(hotline, args, message):
    out = hotline(*args, ok=False)
    assert message in out and "Traceback" not in out


def test_a_user_error_is_one_line_exit_2_and_a_bug_leaves_with_its_trace_exit_1(
        tmp_path, db_url, monkeypatch):
    """Domain errors are not ValueError: an unknown order is one line (exit 2); a
    ValueError from a bug is not turned into such a line — it leaves with its trace."""
    write_config(tmp_path, database_url=db_url)
    runner = CliRunner()
    args = ["--data-dir", str(tmp_path), "orders", "show", "20260101-0001"]
    assert runner.invoke(main, ["--data-dir", str(tmp_path), "setup"]).exit_code == 0
    refused = runner.invoke(main, args)
    assert refused.exit_code == 2, refused.output
    assert refused.output.strip().splitlines() == [
        "Error: no work order '20260101-0001' in 示范市中级人民法院 (numbers look like "
        "20261124-0001; see `hotline orders list`)"]

    def broken(*_args, **_kwargs):
        raise ValueError("a bug, not the user's mistake")

    monkeypatch.setattr("workorder.orders.Service.find", broken)
    crashed = runner.invoke(main, args)
    assert crashed.exit_code == 1
    assert isinstance(crashed.exception, ValueError)  # not a SystemExit with one line
    assert "a bug" not in crashed.output


def test_r10_a_callback_is_recorded_by_its_order_and_satisfaction_only_after_feedback(
        hotline, tmp_path):
    """Task 1 on a fresh court is an abandoned call's callback; recording "the" callback by
    the order number reaches the forwarded order's, and the abandoned call's refuses a
    satisfaction that would count in 回访满意率."""
    from workorder import callbacks as tasks
    from workorder.models import WorkOrder
    from workorder.registration import Arrival, register_call
    from workorder.types import CallbackReason

    settings = hotline_settings.load(environ={}, data_dir=str(tmp_path))
    with bootstrap.build(settings) as p, p.uow.begin() as s:
        now = datetime.now(UTC)
        reg = register_call(s, court.MID, p.calendar.tz, Arrival("gone.1", "13855554444", "", now),
                            ("open", "工作时间"))
        tasks.create(s, p.calendar, p.service.policy, s.get(WorkOrder, reg.order_id),
                     CallbackReason.ABANDONED, now)
        abandoned = reg.order_number
    number = hotline("orders", "new", "--channel", "hall", "--type", "4", "--phone",
                     "13812345678").split()[0]
    hotline("orders", "forward", number, "--by", "seat1001")
    hotline("orders", "feedback", number, "--text", "已答复", "--by", "信访长m")
    ids = {t["order"]: t["id"] for t in json.loads(hotline("callbacks", "list", "--json"))}
    assert ids[abandoned] < ids[number]  # the README's "task 1" was the other order's
    refused = hotline("callbacks", "done", abandoned, "--outcome", "reached",
                      "--satisfaction", "满意", ok=False)
    assert "no satisfaction to ask" in refused
    out = hotline("callbacks", "done", number, "--outcome", "reached", "--satisfaction",
                  "基本满意", "--by", "seat1002")
    assert f"of order {number}: done, 基本满意; the order is closed" in out


def test_r2_who_acts_is_a_person_never_the_system_account(tmp_path, db_url):
    """`orders history` showed "root": a command that changes an order needs --by or
    HOTLINE_OPERATOR when the login is a system account, and says so."""
    write_config(tmp_path, database_url=db_url)
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path)]
    assert runner.invoke(main, [*base, "setup"]).exit_code == 0
    new = [*base, "orders", "new", "--channel", "hall", "--type", "2"]
    refused = runner.invoke(main, new, env={"HOTLINE_OPERATOR": "root"})
    assert refused.exit_code == 2 and "say who acts" in refused.output
    made = runner.invoke(main, new, env={"HOTLINE_OPERATOR": "李座席"})
    assert made.exit_code == 0, made.output
    history = runner.invoke(main, [*base, "orders", "history", made.output.split()[0]])
    assert "李座席" in history.output and "root" not in history.output
