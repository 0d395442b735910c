"""The input checks of the security review (issue 16): what a person types reaches the
work order only if the domain takes it, the same way from every entry point (the command
line, the operator's panel, the judge's feedback page), and a refused input loses nothing
already stored.

* an order in a court that is not in the directory is refused (R2: an order is counted in
  its court's ledger, R9);
* an order's content is at most 4,000 characters, a feedback at most 2,000 (R2, R7); too
  long is refused, never cut;
* NUL and the other control characters are refused; bidirectional-text controls are taken
  out (workorder/text.py says why);
* a yes/no from a form is true or false, nothing else (R4: the answers decide the
  handling; R10: touches_rights decides the callback's priority);
* what the command line prints of stored text cannot drive the operator's terminal;
* a page reads at most a bounded body before it parses anything.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from conftest import built, write_config
from sqlalchemy import func, select
from starlette.testclient import TestClient
from support import court
from test_panel import web  # noqa: F401  (the panel's fixture: users, seats, an order)

from hotline import settings as hotline_settings
from hotline.cli import main
from hotline.cli.common import terminal_safe
from hotline.web import panel, views
from hotline.web.app import create_app
from workorder import text
from workorder.models import OrderCounter, OrderHistory, WorkOrder
from workorder.orders import OrderError

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
ESC = "\x1b[2J\x1b[31m"  # clear the screen, then red
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE


# ---- the command line ---------------------------------------------------------------------------
@pytest.fixture
def cli(tmp_path):
    """``hotline …`` on a SQLite data folder with the test court's directory; the
    platform's units of work to look at what was stored."""
    write_config(tmp_path, database_url=f"sqlite:///{tmp_path / 'h.db'}")
    settings = hotline_settings.load(environ={}, data_dir=str(tmp_path))
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> str:
        result = runner.invoke(main, ["--data-dir", str(tmp_path), *args],
                               catch_exceptions=False, env={"HOTLINE_OPERATOR": "seat1001"})
        assert (result.exit_code == 0) == ok, result.output
        if not ok:
            assert result.exit_code == 2, result.output  # a user's error, not a bug
        return result.output

    with built(settings) as platform:
        with platform.uow.begin() as s:
            court.build(s)
        run.uow = platform.uow
        yield run


def stored(uow, number: str) -> WorkOrder:
    with uow() as s:
        return s.scalar(select(WorkOrder).where(WorkOrder.number == number))


def order_count(uow) -> int:
    with uow() as s:
        return s.scalar(select(func.count()).select_from(WorkOrder))


def one_line_error(out: str) -> str:
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), out
    return lines[0]


def test_r2_an_order_in_a_court_not_in_the_directory_is_refused_and_nothing_is_stored(cli):
    out = cli("orders", "new", "--channel", "hall", "--type", "2", "--court", "火星中级人民法院",
              "--content", "问诉讼费", ok=False)
    line = one_line_error(out)
    assert "火星中级人民法院" in line and court.MID in line and court.PRIMARY in line
    assert "hotline directory list" in line
    assert order_count(cli.uow) == 0
    with cli.uow() as s:  # not even a number was taken in the unknown court
        assert s.scalar(select(func.count()).select_from(OrderCounter)) == 0
    # the courts of the directory take orders
    out = cli("orders", "new", "--channel", "hall", "--type", "2", "--court", court.PRIMARY)
    assert "registered (version 1)" in out and order_count(cli.uow) == 1


def test_r2_the_domain_refuses_an_unknown_court_from_any_entry_point(session, ids, svc):
    with pytest.raises(OrderError, match="无此法院"):
        svc.open_order(session, "不存在的法院", channel="hall", order_type=2, by="seat1001",
                       at=NOW)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(WorkOrder)) == 0


def test_r2_content_longer_than_the_cap_is_refused_not_cut_and_the_old_content_stays(cli):
    out = cli("orders", "new", "--channel", "hall", "--type", "2", "--content", "长" * 43_000,
              ok=False)
    assert one_line_error(out) == f"Error: {too_long(43_000)}"  # the panel's words too
    assert f"最多 {text.CONTENT_MAX} 字" in out and "43000" in out
    assert order_count(cli.uow) == 0
    number = cli("orders", "new", "--channel", "hall", "--type", "2",
                 "--content", "长" * text.CONTENT_MAX).split()[0]  # exactly the cap: taken
    assert len(stored(cli.uow, number).content) == text.CONTENT_MAX
    out = cli("orders", "edit", number, "--version", "1", "--content", "改" * 43_000, ok=False)
    assert f"最多 {text.CONTENT_MAX} 字" in one_line_error(out)
    after = stored(cli.uow, number)
    assert (after.content, after.version) == ("长" * text.CONTENT_MAX, 1)


def test_r2_the_panel_takes_its_cap_from_the_domain_and_says_the_same(web):  # noqa: F811
    """One constant, one check: the panel no longer has a cap of its own, and says what
    the command line says (test above)."""
    source = open(panel.__file__, encoding="utf-8").read()
    assert "CONTENT_MAX = " not in source and panel.CONTENT_MAX is text.CONTENT_MAX
    li = web.login("li")
    url = f"/panel/orders/{web.number}"
    with web.sessions() as s:
        version = s.scalar(select(WorkOrder.version).where(WorkOrder.number == web.number))
    r = li.post(url, json={"version": version, "content": "记下的话"})
    assert r.status_code == 200, r.text
    version = r.json()["order"]["version"]
    r = li.post(url, json={"version": version, "content": "长" * (text.CONTENT_MAX + 1)})
    assert r.status_code == 400 and r.json()["error"] == too_long(text.CONTENT_MAX + 1)
    with web.sessions() as s:
        o = s.scalar(select(WorkOrder).where(WorkOrder.number == web.number))
        assert (o.content, o.version) == ("记下的话", version)


def too_long(n: int) -> str:
    """What the domain says of a content of ``n`` characters."""
    with pytest.raises(text.TextError) as refused:
        text.clean("长" * n, "content", limit=text.CONTENT_MAX)
    return str(refused.value)


# ---- the judge's feedback (R7) -------------------------------------------------------------------
@pytest.fixture
def judge(settings):
    """The judge's feedback page of a dispatched order: (client, url, order id, uow)."""
    with built(settings) as platform:
        order_id = court.dispatched_order(platform.uow, NOW)
        app = create_app(platform, clock=lambda: NOW + timedelta(hours=1))
        url = platform.links.feedback_url(order_id).replace(platform.settings.public_url, "")
        yield TestClient(app), url, order_id, platform.uow


def not_fed_back(uow, order_id: int) -> None:
    with uow() as s:
        o = s.get(WorkOrder, order_id)
        assert (o.status, o.feedback_text, o.feedback_at) == ("dispatched", None, None)


def test_r7_a_feedback_longer_than_2000_is_a_400_page_and_nothing_is_stored(judge):
    client, url, order_id, uow = judge
    r = client.post(url, data={"result": "办" * (text.FEEDBACK_MAX + 1), "by": "法官m"})
    assert r.status_code == 400 and f"最多 {text.FEEDBACK_MAX} 字" in r.text
    assert "办" * (text.FEEDBACK_MAX + 1) in r.text  # the judge's words stay in the form
    not_fed_back(uow, order_id)
    r = client.post(url, data={"result": "办" * text.FEEDBACK_MAX, "by": "法官m"},
                    follow_redirects=False)
    assert r.status_code == 303


def test_r7_a_million_character_feedback_is_refused_before_it_is_parsed(judge):
    client, url, order_id, uow = judge
    r = client.post(url, data={"result": "办" * 1_000_000, "by": "法官m"})
    assert r.status_code == 413 and "未保存" in r.text and "<html" in r.text.lower()
    not_fed_back(uow, order_id)
    # sent without a length (chunked): read only up to the bound, then refused
    chunks = (b"result=" + b"x" * 65_536 for _ in range(100))
    r = client.post(url, content=chunks,
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    not_fed_back(uow, order_id)


def test_a_body_past_the_bound_is_not_read_any_further():
    """``views.read_body`` stops at the first chunk past the bound: a 10 GB post costs at
    most the bound plus one chunk."""
    sent = {"n": 0}

    async def receive():
        sent["n"] += 1
        return {"type": "http.request", "body": b"x" * 65_536, "more_body": True}

    scope = {"type": "http", "method": "POST", "headers": [], "path": "/f/x",
             "query_string": b""}
    from starlette.requests import Request

    with pytest.raises(views.BodyTooLarge):
        asyncio.run(views.read_body(Request(scope, receive), 200_000))
    assert sent["n"] == 4  # 3 chunks fit in 200,000 bytes, the 4th goes past
    scope["headers"] = [(b"content-length", b"10000000000")]
    sent["n"] = 0
    with pytest.raises(views.BodyTooLarge):  # said too big up front: nothing is read
        asyncio.run(views.read_body(Request(scope, receive), 200_000))
    assert sent["n"] == 0


def test_r7_the_command_line_feedback_has_the_same_cap(cli):
    number = cli("orders", "new", "--channel", "hall", "--type", "4", "--phone",
                 "13812345678", "--case", court.CASE, "--content", "信访").split()[0]
    cli("orders", "forward", number)
    out = cli("orders", "feedback", number, "--text", "办" * 5000, "--by", "信访长m", ok=False)
    assert f"最多 {text.FEEDBACK_MAX} 字" in one_line_error(out)
    o = stored(cli.uow, number)
    assert (o.status, o.feedback_text) == ("dispatched", None)


# ---- control characters ---------------------------------------------------------------------------
@pytest.mark.parametrize("char", ["\x00", "\x07", "\x08", "\x1b", "\x7f", "\x9b", "\x0b",
                                  "\x0c"])
def test_control_characters_are_refused_with_their_code_point(char):
    with pytest.raises(text.TextError, match=f"U\\+{ord(char):04X}"):
        text.clean(f"开庭{char}时间", "content")


@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066",
                                  "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c"])
def test_bidi_controls_are_taken_out(char):
    assert text.clean(f"电话{char}8765{char}4321", "content") == "电话87654321"


def test_newlines_and_tabs_stay_in_long_texts_but_not_in_names():
    assert text.clean(" 第一行\r\n第二行\r第三\t行 ", "content") == "第一行\n第二行\n第三\t行"
    with pytest.raises(text.TextError, match="U\\+000A"):
        text.clean("张\n三", "caller_name")
    assert text.clean(f"张三{RLO}", "caller_name") == "张三"


def test_nul_is_refused_from_the_command_line_and_nothing_changes(cli):
    out = cli("orders", "new", "--channel", "hall", "--type", "2", "--content", "问\x00费",
              ok=False)
    assert "U+0000" in one_line_error(out) and order_count(cli.uow) == 0
    number = cli("orders", "new", "--channel", "hall", "--type", "2", "--name", f"张三{RLO}",
                 "--content", f"问{RLO}费").split()[0]
    o = stored(cli.uow, number)
    assert (o.caller_name, o.content) == ("张三", "问费")  # the overrides are gone
    out = cli("orders", "edit", number, "--version", "1", "--content", f"改{ESC}", ok=False)
    assert "U+001B" in one_line_error(out)
    out = cli("orders", "close", number, "--resolution", "已答复\x00", ok=False)
    assert "U+0000" in one_line_error(out)
    o = stored(cli.uow, number)
    assert (o.content, o.version, o.status) == ("问费", 1, "in_progress")


def test_nul_is_refused_on_the_panel_and_nothing_changes(web):  # noqa: F811
    li = web.login("li")
    url = f"/panel/orders/{web.number}"
    before = stored(web.sessions, web.number)
    version = before.version
    r = li.post(url, json={"version": version, "content": "记录\u0000内容"})
    assert r.status_code == 400 and "U+0000" in r.json()["error"]
    r = li.post(url, json={"version": version, "caller_name": "张三\u001b[8m"})
    assert r.status_code == 400 and "U+001B" in r.json()["error"]
    r = li.post(url, json={"version": version, "action": "close",
                           "resolution": "已答复\u0000"})
    assert r.status_code == 400 and "U+0000" in r.json()["error"]
    after = stored(web.sessions, web.number)
    assert (after.version, after.status, after.content, after.caller_name,
            after.resolution) == (version, before.status, before.content, before.caller_name,
                                  None)


def test_r7_nul_is_refused_on_the_feedback_page(judge):
    client, url, order_id, uow = judge
    r = client.post(url, data={"result": "已联系\x00当事人", "by": "法官m"})
    assert r.status_code == 400 and "U+0000" in r.text
    r = client.post(url, data={"result": "已联系当事人", "by": f"法官m{ESC}"})
    assert r.status_code == 400 and "U+001B" in r.text
    not_fed_back(uow, order_id)


# ---- booleans (R4, R10) --------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["no", "false", "0", "", 1, [], {}])
def test_r10_a_yes_no_that_is_not_true_or_false_is_a_400(web, value):  # noqa: F811
    li = web.login("li")
    url = f"/panel/orders/{web.number}"
    with web.sessions() as s:
        version = s.scalar(select(WorkOrder.version).where(WorkOrder.number == web.number))
    r = li.post(url, json={"version": version, "touches_rights": value})
    assert r.status_code == 400 and "touches_rights" in r.json()["error"], r.text
    r = li.post(f"{url}/guidance", json={"urgent": value})  # R4.8 is not guessed either
    assert r.status_code == 400 and "urgent" in r.json()["error"], r.text
    with web.sessions() as s:
        o = s.scalar(select(WorkOrder).where(WorkOrder.number == web.number))
        assert (o.touches_rights, o.version) == (False, version)


def test_r4_r10_true_and_false_still_work(web):  # noqa: F811
    li = web.login("li")
    url = f"/panel/orders/{web.number}"
    with web.sessions() as s:
        version = s.scalar(select(WorkOrder.version).where(WorkOrder.number == web.number))
    r = li.post(url, json={"version": version, "touches_rights": True})
    assert r.status_code == 200 and r.json()["order"]["touches_rights"] is True
    g = li.post(f"{url}/guidance", json={"urgent": True, "abusive": False,
                                         "specific_clues": None})
    assert g.status_code == 200 and "R4.8" in g.json()["rules"]


def test_r4_the_domain_takes_only_true_or_false_for_a_flag(session, ids, svc):
    o = svc.open_order(session, court.MID, channel="hall", order_type=5, by="seat1001", at=NOW)
    for bad in ("no", "yes", 1, None):
        with pytest.raises(OrderError, match="abusive"):
            svc.edit(session, o, version=o.version, by="seat1001", at=NOW, abusive=bad)
    assert o.abusive is False
    # text by nature (a form field, a file) may say it in words, and only these
    for word, meant in (("是", True), ("否", False), ("Yes", True), ("no", False),
                        ("1", True), ("0", False), ("true", True), ("FALSE", False)):
        assert text.flag(word, "abusive", words=True) is meant
    with pytest.raises(text.TextError, match="abusive"):
        text.flag("不", "abusive", words=True)


def test_r8_the_board_s_phoned_is_true_or_false(web):  # noqa: F811
    r = web.login("wang").post("/console/reminders/1", json={"phoned": "no"})
    assert r.status_code == 400 and "phoned" in r.json()["error"]


# ---- what the command line prints ----------------------------------------------------------------
def test_terminal_safe_shows_controls_and_bidi_visibly_and_keeps_the_rest():
    assert terminal_safe(f"第一行\n第二\t行{ESC}{RLO}\x9b\x00") == \
        "第一行\n第二\t行\\x1b[2J\\x1b[31m\\u202e\\x9b\\x00"
    assert terminal_safe("示范市中级人民法院 (2026)") == "示范市中级人民法院 (2026)"


def test_orders_show_list_and_history_never_print_escape_sequences(cli):
    """Text stored before the domain refused control characters (or written by another
    program) still reaches the terminal only as visible escapes."""
    number = cli("orders", "new", "--channel", "hall", "--type", "2", "--name", "张三",
                 "--content", "问费").split()[0]
    with cli.uow.begin() as s:
        o = s.scalar(select(WorkOrder).where(WorkOrder.number == number))
        o.content, o.caller_name = f"问{ESC}费{RLO}", f"张{ESC}三"
        o.resolution = f"结{ESC}"
        s.add(OrderHistory(order_id=o.id, at=NOW, actor=f"x{ESC}", action="edited",
                           changes={"content": ["a", f"b{ESC}"]}, reason=f"r{ESC}"))
    for args in (("orders", "show", number), ("orders", "history", number),
                 ("orders", "show", number, "--json"), ("orders", "history", number, "--json"),
                 ("orders", "list"), ("orders", "list", "--json")):
        out = cli(*args)
        assert "\x1b" not in out and RLO not in out, (args, out)
    out = cli("orders", "show", number)
    assert "问\\x1b[2J\\x1b[31m费\\u202e" in out and "张\\x1b[2J\\x1b[31m三" in out
    shown = json.loads(cli("orders", "show", number, "--json"))
    assert shown["content"] == f"问{ESC}费{RLO}"  # JSON escapes are lossless


def test_a_directory_file_with_a_control_character_in_a_name_is_a_row_error():
    """The directory import takes its names through the same check (workorder/text.py)."""
    from workorder.directory import Origin, _Cells

    errors: list = []
    cells = _Cells(Origin("法官.csv", None, 2), {"姓名": "王\x00正", "部门": f"民事{RLO}一庭"},
                   errors)
    assert cells.text("姓名", person=True) == "" and cells.text("部门") == "民事一庭"
    assert [e.column for e in errors] == ["姓名"] and "U+0000" in str(errors[0])
