"""The court directory import (R4/R5 route forwarded orders to the people it names): CSV
and Excel exports in, every bad row reported with file, row and column, all-or-nothing
by default — on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from hotline.cli import main
from hotline.demo import load_demo
from hotline.directory_files import cell_text, read_csv, read_file, read_files
from workorder.casenumber import CaseNumberError
from workorder.casenumber import parse as parse_case_number
from workorder.directory import SourceTable, apply, identify_table, validate
from workorder.models import Case, Court, Department, Judge, Leader
from workorder.phone import PhoneError, parse_mobile, parse_office_phone

DATA = Path(__file__).resolve().parent / "data" / "directory"
FILES = ("courts.csv", "leaders.csv", "departments.csv", "judges.csv", "cases.csv")
TODAY = date(2026, 11, 24)
MID = "测试市中级人民法院"
SOUTH = "测试市南区人民法院"
SHEETS = {"courts.csv": "法院", "leaders.csv": "院领导", "departments.csv": "部门",
          "judges.csv": "法官", "cases.csv": "案件"}


# ---- helpers ------------------------------------------------------------------------------------
def run_import(session: Session, *paths: Path, partial: bool = False, check: bool = False):
    tables, notes, errors = read_files(paths)
    assert errors == []
    report = apply(session, tables, partial=partial, check=check, today=TODAY)
    session.commit()
    report.notes[:0] = notes
    return report


def base_files() -> list[Path]:
    return [DATA / name for name in FILES]


def copy_data(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    shutil.copytree(DATA, folder)
    return folder


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.strip().replace("\n", "\r\n").encode(encoding) + b"\r\n")
    return path


def edit_csv(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


def counts(session: Session) -> dict[str, int]:
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m))
            for m in (Court, Leader, Department, Judge, Case)}


def snapshot(session: Session) -> dict[str, list[tuple]]:
    """The whole directory by names, not ids: equal snapshots are equal directories."""
    session.expire_all()
    courts = {c.id: c for c in session.scalars(select(Court))}
    leaders = {x.id: x for x in session.scalars(select(Leader))}
    depts = {d.id: d for d in session.scalars(select(Department))}
    judges = {j.id: j for j in session.scalars(select(Judge))}
    return {
        "courts": sorted((c.name, c.code, c.level, courts[c.parent_id].name if c.parent_id
                          else None) for c in courts.values()),
        "leaders": sorted((x.court, x.name, x.role, x.mobile, x.portfolio)
                          for x in leaders.values()),
        "departments": sorted(
            (d.court, d.name, d.kind, d.head_name, d.head_mobile, d.deputy_head_name,
             d.deputy_head_mobile, d.liaison_name, d.liaison_post, d.liaison_office_phone,
             d.liaison_mobile, leaders[d.leader_id].name if d.leader_id else None)
            for d in depts.values()),
        "judges": sorted((j.court, j.name, depts[j.department_id].name, j.mobile)
                         for j in judges.values()),
        "cases": sorted((c.number, c.year, c.seq, c.court, judges[c.judge_id].name,
                         depts[c.department_id].name, c.cause)
                        for c in session.scalars(select(Case))),
    }


def department(session: Session, court: str, name: str) -> Department:
    return session.scalar(select(Department).where(Department.court == court,
                                                   Department.name == name))


def judge(session: Session, court: str, name: str) -> Judge:
    return session.scalar(select(Judge).where(Judge.court == court, Judge.name == name))


def tally(report, table: str) -> tuple[int, int, int, int]:
    c = report.counts[table]
    return c.created, c.updated, c.unchanged, c.refused


def messages(report) -> list[str]:
    return [str(e) for e in report.errors]


def xlsx_from_csv(path: Path, files: tuple[str, ...] = FILES, numeric_phones: bool = True,
                  title_row: bool = True, notes_sheet: bool = True) -> Path:
    """A workbook like a trial-management export: one sheet per table, mobiles typed as
    numbers (some as floats, as Excel stores them), a title row above one header, and a
    free-text sheet that is no table."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    if notes_sheet:
        book.create_sheet("说明").append(["本工作簿由审判管理系统导出，仅供12368热线使用"])
    for n, name in enumerate(files):
        sheet = book.create_sheet(SHEETS[name])
        if title_row and name == "judges.csv":
            sheet.append(["测试市法院法官名册"])
        rows = list(csv.reader(io.StringIO((DATA / name).read_text("utf-8"))))
        sheet.append(rows[0])
        for i, row in enumerate(rows[1:]):
            cells: list[object] = []
            for value in row:
                if numeric_phones and value.isdigit() and len(value) == 11:
                    cells.append(float(value) if (i + n) % 2 else int(value))
                else:
                    cells.append(value or None)
            sheet.append(cells)
    book.save(path)
    return path


# ---- phone numbers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, mobile", [
    ("13900000001", "13900000001"),
    (" 139 0000 0001 ", "13900000001"),
    ("139-0000-0001", "13900000001"),
    ("+8613900000001", "13900000001"),
    ("0086 139 0000 0001", "13900000001"),
])
def test_parse_mobile_keeps_the_eleven_digits(raw, mobile):
    assert parse_mobile(raw) == mobile


@pytest.mark.parametrize("raw, message", [
    ("1390000", "'1390000' is not an 11-digit mobile number"),
    ("139000000012", "'139000000012' is not an 11-digit mobile number"),
    ("23900000001", "'23900000001' is not a mobile number (mobile numbers start with 1)"),
    ("手机号", "'手机号' is not an 11-digit mobile number"),
    ("", "'' is not an 11-digit mobile number"),
])
def test_parse_mobile_refuses_what_cannot_be_texted(raw, message):
    with pytest.raises(PhoneError) as exc:
        parse_mobile(raw)
    assert str(exc.value) == message


@pytest.mark.parametrize("raw, phone", [
    ("0371-12345678", "0371-12345678"),
    ("037112345678", "0371-12345678"),
    ("(0371)12345678", "0371-12345678"),
    ("（0371）1234 5678", "0371-12345678"),
    ("01012345678", "010-12345678"),
    ("12345678", "12345678"),
    ("0371-12345678-123", "0371-12345678-123"),
    ("0371-12345678转8012", "0371-12345678-8012"),
    ("12345678-12", "12345678-12"),
    ("139 0000 0001", "13900000001"),
])
def test_parse_office_phone_normalises_landlines_and_mobiles(raw, phone):
    assert parse_office_phone(raw) == phone


@pytest.mark.parametrize("raw", ["0371-1234", "03711234", "0371-0234567", "123", "分机8012",
                                 "0371-12345678-1234567", "0-12345678", ""])
def test_parse_office_phone_refuses_what_is_no_number(raw):
    with pytest.raises(PhoneError, match="is not a mobile or landline number"):
        parse_office_phone(raw)


# ---- reading files ---------------------------------------------------------------------------------
def test_tables_are_recognised_by_their_header_row_in_any_column_order():
    assert identify_table(["法院", "姓名", "部门", "手机"]) == "judges"
    assert identify_table(["手机", "职务", "姓名", "法院", "备注"]) == "leaders"
    assert identify_table([" 案号 ", "法院", "承办法官"]) == "cases"
    assert identify_table(["*法院名称", "*层级"]) == "courts"
    assert identify_table(["法院", "姓名", "手机"]) is None


@pytest.mark.parametrize("value, text", [
    (13900000001, "13900000001"),
    (13900000001.0, "13900000001"),
    (5180501, "5180501"),
    (2.5, "2.5"),
    (None, ""),
    ("  周立\u3000", "周立"),
    (date(2026, 1, 5), "2026-01-05"),
])
def test_numeric_and_other_cells_become_the_text_a_person_sees(value, text):
    assert cell_text(value) == text


def test_gb18030_csv_from_a_chinese_excel_is_read(tmp_path):
    text = (DATA / "judges.csv").read_text("utf-8")
    table = read_csv("judges.csv", text.encode("gb18030"))
    assert table.table == "judges"
    assert table.rows[0] == (2, {"法院": MID, "姓名": "施一", "部门": "民事审判庭",
                                 "手机": "13900090011"})


def test_utf8_csv_with_a_byte_order_mark_is_read():
    data = b"\xef\xbb\xbf" + (DATA / "courts.csv").read_bytes()
    table = read_csv("courts.csv", data)
    assert table.table == "courts"
    assert table.headers[0] == "法院名称"
    assert [cells["法院名称"] for _, cells in table.rows] == [MID, SOUTH]


def test_other_file_types_are_refused_with_the_way_out(tmp_path):
    for name in ("old.xls", "list.txt"):
        (tmp_path / name).write_bytes(b"whatever")
    tables, notes, errors = read_files([tmp_path / "old.xls", tmp_path / "list.txt",
                                        tmp_path / "missing.csv"])
    assert tables == [] and notes == []
    assert errors[0] == ("old.xls: an Excel 97-2003 workbook (.xls) cannot be imported; "
                         "save it as .xlsx or .csv")
    assert errors[1] == "list.txt: a .txt file cannot be imported; save it as .xlsx or .csv"
    assert errors[2].startswith("missing.csv: no such file")


def test_a_csv_whose_header_is_no_table_says_what_is_missing(tmp_path):
    path = write_csv(tmp_path / "judges.csv", "法院,姓名,部门,电话\n测试市中级人民法院,施一,民事审判庭,1")
    _, _, errors = read_files([path])
    assert errors == ["judges.csv: the header row is not a directory table "
                      "(closest: 法官 judges, missing 手机)"]


def test_a_broken_xlsx_is_a_clear_error(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"not a zip")
    _, _, errors = read_files([path])
    assert len(errors) == 1 and errors[0].startswith("book.xlsx: not a readable .xlsx workbook")


def test_xlsx_sheets_are_recognised_and_others_skipped_with_a_note(tmp_path):
    tables, notes = read_file(xlsx_from_csv(tmp_path / "export.xlsx"))
    assert [(t.sheet, t.table) for t in tables] == [
        ("法院", "courts"), ("院领导", "leaders"), ("部门", "departments"), ("法官", "judges"),
        ("案件", "cases")]
    assert notes == ["export.xlsx sheet 说明: the header row is not a directory table "
                     "(closest: 法院 courts, missing 法院名称, 层级); sheet skipped"]
    judges = tables[3]
    assert judges.header_row == 2  # a title row above it
    assert judges.rows[0] == (3, {"法院": MID, "姓名": "施一", "部门": "民事审判庭",
                                  "手机": "13900090011"})


# ---- importing ------------------------------------------------------------------------------------
def test_full_import_from_csv_creates_the_directory(session):
    report = run_import(session, *base_files())
    assert report.ok and report.written
    assert counts(session) == {"courts": 2, "leaders": 5, "departments": 8, "judges": 6,
                               "cases": 3}
    assert tally(report, "judges") == (6, 0, 0, 0)
    assert report.notes == ["leaders.csv: column '备注' ignored"]

    mid = session.scalar(select(Court).where(Court.name == MID))
    south = session.scalar(select(Court).where(Court.name == SOUTH))
    assert (mid.code, mid.level, mid.parent_id) == ("豫98", "intermediate", None)
    assert (south.code, south.level, south.parent_id) == ("豫9801", "primary", mid.id)

    wang = session.scalar(select(Leader).where(Leader.name == "王武"))
    assert (wang.role, wang.mobile, wang.portfolio) == ("deputy_president", "13900090003",
                                                        "执行局,执行监督庭")
    # R4.8 / R8: the deputy president in charge comes from the leaders' portfolios.
    assert department(session, MID, "执行监督庭").leader_id == wang.id
    li = session.scalar(select(Leader).where(Leader.name == "李文"))
    assert department(session, MID, "信访办公室").leader_id == li.id
    assert department(session, SOUTH, "立案庭").leader_id is not None

    filing = department(session, SOUTH, "立案庭")
    assert filing.kind == "filing"
    assert (filing.head_name, filing.head_mobile) == ("秦三", "13900091101")
    civil = department(session, MID, "民事审判庭")
    assert (civil.deputy_head_name, civil.liaison_name, civil.liaison_post,
            civil.liaison_office_phone) == ("陈五", "褚六", "书记员", "0399-5180201")
    assert department(session, MID, "执行局").liaison_office_phone == "0399-5180301-8"
    assert department(session, MID, "执行局").head_mobile == "13900090103"
    assert department(session, MID, "违法违纪举报中心").kind == "discipline"

    assert judge(session, MID, "金六").department_id == civil.id  # "金　六": padding dropped
    case = session.scalar(select(Case).where(Case.number == "（2026）豫98执5号"))
    kong = judge(session, MID, "孔三")
    assert (case.year, case.seq, case.court, case.judge_id) == (2026, 5, MID, kong.id)
    assert case.department_id == kong.department_id  # blank 承办部门: the judge's department


def test_full_import_from_xlsx_with_several_sheets_equals_the_csv_import(session, tmp_path):
    report = run_import(session, xlsx_from_csv(tmp_path / "export.xlsx"))
    assert report.ok and report.written
    assert counts(session) == {"courts": 2, "leaders": 5, "departments": 8, "judges": 6,
                               "cases": 3}
    assert judge(session, MID, "张二").mobile == "13900090012"  # typed as a number
    again = run_import(session, *base_files())
    for table in ("courts", "leaders", "departments", "judges", "cases"):
        created, updated, unchanged, refused = tally(again, table)
        assert (created, updated, refused) == (0, 0, 0), table
        assert unchanged == counts(session)[table]


def test_reimporting_the_same_files_changes_and_duplicates_nothing(session):
    run_import(session, *base_files())
    before = snapshot(session)
    report = run_import(session, *base_files())
    assert report.ok and report.written
    assert [tally(report, t) for t in report.counts] == [
        (0, 0, 2, 0), (0, 0, 5, 0), (0, 0, 8, 0), (0, 0, 6, 0), (0, 0, 3, 0)]
    assert snapshot(session) == before
    assert counts(session)["judges"] == 6


def test_a_changed_mobile_updates_the_record_in_place(session, tmp_path):
    run_import(session, *base_files())
    old_id = judge(session, MID, "张二").id
    folder = copy_data(tmp_path)
    edit_csv(folder / "judges.csv", "张二,民事审判庭,13900090012", "张二,民事审判庭,13900090099")
    report = run_import(session, folder / "judges.csv")
    assert tally(report, "judges") == (0, 1, 5, 0)
    session.expire_all()
    moved = judge(session, MID, "张二")
    assert (moved.id, moved.mobile) == (old_id, "13900090099")


def test_a_judge_moving_department_keeps_the_record_and_their_cases_follow(session, tmp_path):
    run_import(session, *base_files())
    kong = judge(session, MID, "孔三")
    folder = copy_data(tmp_path)
    edit_csv(folder / "judges.csv", "孔三,执行局", "孔三,民事审判庭")
    report = run_import(session, folder / "judges.csv", folder / "cases.csv")
    assert tally(report, "judges") == (0, 1, 5, 0)
    assert tally(report, "cases") == (0, 1, 2, 0)  # 承办部门 blank: the judge's department
    session.expire_all()
    civil = department(session, MID, "民事审判庭")
    assert judge(session, MID, "孔三").id == kong.id
    assert judge(session, MID, "孔三").department_id == civil.id
    case = session.scalar(select(Case).where(Case.number == "（2026）豫98执5号"))
    assert case.department_id == civil.id


def test_a_blank_optional_cell_clears_the_stored_value(session, tmp_path):
    run_import(session, *base_files())
    folder = copy_data(tmp_path)
    edit_csv(folder / "departments.csv", "周一,13900090101,吴二,13900090201",
             "周一,13900090101,,")
    report = run_import(session, folder / "departments.csv")
    assert tally(report, "departments") == (0, 1, 7, 0)
    session.expire_all()
    filing = department(session, MID, "立案庭")
    assert (filing.deputy_head_name, filing.deputy_head_mobile) == ("", "")


def test_a_portfolio_moved_to_another_deputy_moves_the_department(session, tmp_path):
    run_import(session, *base_files())
    folder = copy_data(tmp_path)
    edit_csv(folder / "leaders.csv", "立案庭、民事审判庭；信访办公室", "民事审判庭；信访办公室")
    edit_csv(folder / "leaders.csv", '"执行局,执行监督庭"', "执行局、执行监督庭、立案庭")
    report = run_import(session, folder / "leaders.csv")
    assert report.ok
    assert tally(report, "leaders") == (0, 2, 3, 0)
    assert tally(report, "departments") == (0, 1, 0, 0)  # not in the files, but relinked
    session.expire_all()
    wang = session.scalar(select(Leader).where(Leader.name == "王武"))
    assert department(session, MID, "立案庭").leader_id == wang.id


def test_a_dropped_portfolio_entry_releases_the_department(session, tmp_path):
    run_import(session, *base_files())
    folder = copy_data(tmp_path)
    edit_csv(folder / "leaders.csv", "13900090001,违法违纪举报中心,", "13900090001,,")
    report = run_import(session, folder / "leaders.csv")
    assert report.ok
    session.expire_all()
    assert department(session, MID, "违法违纪举报中心").leader_id is None


# ---- bad rows ---------------------------------------------------------------------------------------
BAD_ROWS = {
    "short mobile": ("judges.csv", f"法院,姓名,部门,手机\n{MID},新法官,民事审判庭,1390000",
                     "judges.csv row 2, 手机: '1390000' is not an 11-digit mobile number"),
    "unknown court": ("judges.csv", "法院,姓名,部门,手机\n测试市北区人民法院,新法官,立案庭,13900090099",
                      "judges.csv row 2, 法院: unknown court '测试市北区人民法院'"),
    "unknown department": (
        "judges.csv", f"法院,姓名,部门,手机\n{MID},新法官,刑事审判庭,13900090099",
        f"judges.csv row 2, 部门: unknown department '刑事审判庭' of {MID}"),
    "department of another court": (
        "judges.csv", f"法院,姓名,部门,手机\n{SOUTH},新法官,执行局,13900090099",
        f"judges.csv row 2, 部门: unknown department '执行局' of {SOUTH}"),
    "unknown judge": (
        "cases.csv", f"案号,法院,承办法官\n（2026）豫98民终9号,{MID},无名氏",
        f"cases.csv row 2, 承办法官: unknown judge '无名氏' of {MID}"),
    "duplicate key": (
        "judges.csv",
        f"法院,姓名,部门,手机\n{MID},新法官,立案庭,13900090098\n{MID},新法官,执行局,13900090099",
        f"judges.csv row 3, 姓名: judge '新法官' of {MID} is already in judges.csv row 2"),
    "level": ("courts.csv", "法院名称,层级\n测试省高级人民法院,高级",
              "courts.csv row 2, 层级: '高级' is not one of 中级, 基层"),
    "role": ("leaders.csv", f"法院,姓名,职务,手机\n{MID},孙庭长,庭长,13900090098",
             "leaders.csv row 2, 职务: '庭长' is not one of 院长, 副院长, 分管副院长, 常务副院长"),
    "kind": ("departments.csv",
             f"法院,部门名称,部门类型,负责人,负责人手机\n{MID},办公室,行政,孙八,13900090098",
             "departments.csv row 2, 部门类型: '行政' is not one of 审判, 立案, 诉讼服务, 信访, "
             "执行, 执行监督, 纪检, 违法违纪举报, 其他"),
    "primary without parent": (
        "courts.csv", "法院名称,法院代字,层级,上级法院\n测试市北区人民法院,豫9802,基层,",
        "courts.csv row 2, 上级法院: is empty, but a 基层 court needs its 上级法院"),
    "parent not intermediate": (
        "courts.csv", f"法院名称,法院代字,层级,上级法院\n测试市北区人民法院,豫9802,基层,{SOUTH}",
        f"courts.csv row 2, 上级法院: '{SOUTH}' is not an intermediate (中级) court"),
    "code of another court": (
        "courts.csv", f"法院名称,法院代字,层级,上级法院\n测试市北区人民法院,豫9801,基层,{MID}",
        f"courts.csv row 2, 法院代字: '豫9801' is the code of {SOUTH} in the directory"),
    "code twice": (
        "courts.csv",
        f"法院名称,法院代字,层级,上级法院\n测试市东区人民法院,豫9802,基层,{MID}\n"
        f"测试市北区人民法院,豫9802,基层,{MID}",
        "courts.csv row 3, 法院代字: '豫9802' is also the code of 测试市东区人民法院 "
        "(courts.csv row 2)"),
    "code shape": ("courts.csv", f"法院名称,法院代字,层级,上级法院\n测试市北区人民法院,豫98,基层,{MID}",
                   "courts.csv row 2, 法院代字: '豫98' is not a 基层 court's code "
                   "(豫01 for 中级, 豫0102 for 基层)"),
    "empty required": ("judges.csv", f"法院,姓名,部门,手机\n{MID},,立案庭,13900090099",
                       "judges.csv row 2, 姓名: is empty (required)"),
    "case of another court": (
        "cases.csv", f"案号,法院,承办法官\n（2026）豫9801民初9号,{MID},施一",
        f"cases.csv row 2, 案号: '（2026）豫9801民初9号' is a case of court code 豫9801, "
        f"but {MID} is 豫98"),
    "office phone": (
        "departments.csv",
        f"法院,部门名称,部门类型,负责人,负责人手机,联络员办公电话\n{MID},研究室,其他,孙八,13900090098,5180",
        "departments.csv row 2, 联络员办公电话: '5180' is not a mobile or landline number "
        "(e.g. 0371-12345678, 037112345678, 12345678 or 0371-12345678-123)"),
    "portfolio names an unknown department": (
        "leaders.csv", f"法院,姓名,职务,手机,分管部门\n{MID},孙副,副院长,13900090098,立案庭、政治部",
        f"leaders.csv row 2, 分管部门: unknown department '政治部' of {MID}"),
    "a department in two portfolios": (
        "leaders.csv",
        f"法院,姓名,职务,手机,分管部门\n{MID},孙副,副院长,13900090098,立案庭\n"
        f"{MID},周副,副院长,13900090097,执行局、立案庭",
        "leaders.csv row 3, 分管部门: department '立案庭' is already in the portfolio of 孙副 "
        "(leaders.csv row 2)"),
    "two presidents": (
        "leaders.csv", f"法院,姓名,职务,手机\n{MID},甲,院长,13900090098\n{MID},乙,院长,13900090097",
        f"leaders.csv row 3, 职务: {MID} already has a president: 甲 (leaders.csv row 2)"),
    "too long": ("judges.csv", f"法院,姓名,部门,手机\n{MID},{'长' * 33},立案庭,13900090099",
                 f"judges.csv row 2, 姓名: '{'长' * 33}' is longer than 32 characters"),
}


@pytest.mark.parametrize("name", list(BAD_ROWS))
def test_each_kind_of_bad_row_is_reported_with_file_row_and_column(session, tmp_path, name):
    run_import(session, *base_files())
    before = snapshot(session)
    filename, text, expected = BAD_ROWS[name]
    report = run_import(session, write_csv(tmp_path / filename, text))
    assert messages(report) == [expected]
    assert report.written is False
    assert snapshot(session) == before


def test_a_malformed_case_number_is_reported_with_the_parsers_reason(session, tmp_path):
    run_import(session, *base_files())
    with pytest.raises(CaseNumberError) as reason:
        parse_case_number("2026民终9", today=TODAY)
    path = write_csv(tmp_path / "cases.csv", f"案号,法院,承办法官\n2026民终9,{MID},施一")
    report = run_import(session, path)
    assert messages(report) == [f"cases.csv row 2, 案号: {reason.value}"]
    assert "'2026民终9'" in messages(report)[0]


def test_every_error_of_every_file_is_listed_in_row_order(session, tmp_path):
    judges = write_csv(tmp_path / "judges.csv", (
        f"法院,姓名,部门,手机\n{MID},甲,立案庭,1390000\n{MID},乙,立案庭,13900090098\n"
        f"{MID},,无此庭,abc"))
    courts = write_csv(tmp_path / "courts.csv", "法院名称,层级\n测试市北区人民法院,区级")
    report = run_import(session, courts, judges)
    assert messages(report) == [
        "courts.csv row 2, 层级: '区级' is not one of 中级, 基层",
        "judges.csv row 2, 手机: '1390000' is not an 11-digit mobile number",
        f"judges.csv row 3, 法院: unknown court '{MID}'",
        "judges.csv row 4, 姓名: is empty (required)",
        "judges.csv row 4, 手机: 'abc' is not an 11-digit mobile number",
    ]
    assert [tally(report, t)[3] for t in ("courts", "judges")] == [1, 3]
    assert counts(session)["courts"] == 0


def test_errors_in_a_workbook_name_the_sheet(session, tmp_path):
    run_import(session, DATA / "courts.csv", DATA / "departments.csv")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "法官"
    sheet.append(["姓名", "部门", "手机", "法院"])
    sheet.append(["施一", "民事审判庭", 13900090011, MID])
    sheet.append(["张二", "民事审判庭", 1390009001.0, MID])
    book.save(tmp_path / "book.xlsx")
    report = run_import(session, tmp_path / "book.xlsx")
    assert messages(report) == [
        "book.xlsx sheet 法官 row 3, 手机: '1390009001' is not an 11-digit mobile number"]
    assert counts(session)["judges"] == 0


def test_a_table_missing_a_required_column_is_refused_at_its_header(session):
    table = SourceTable(table="judges", file="judges.csv", headers=("法院", "姓名", "部门"),
                        rows=[(2, {"法院": MID, "姓名": "甲", "部门": "立案庭"})])
    report = validate(session, [table], today=TODAY)
    assert messages(report) == [
        "judges.csv row 1, 手机: missing column '手机' (required for 法官)"]
    assert tally(report, "judges") == (0, 0, 0, 1)


# ---- all or nothing, partial, check ---------------------------------------------------------------
def test_all_or_nothing_leaves_the_database_exactly_as_before(session, tmp_path):
    run_import(session, *base_files())
    before, before_counts = snapshot(session), counts(session)
    folder = copy_data(tmp_path)
    edit_csv(folder / "judges.csv", "张二,民事审判庭,13900090012", "张二,民事审判庭,13900090099")
    with (folder / "judges.csv").open("a", encoding="utf-8") as f:
        f.write(f"{MID},新法官,民事审判庭,1390000\n")
    report = run_import(session, *(folder / name for name in FILES))
    assert messages(report) == ["judges.csv row 8, 手机: '1390000' is not an 11-digit mobile number"]
    assert report.written is False
    assert tally(report, "judges") == (0, 1, 5, 1)  # what it would have done
    assert counts(session) == before_counts
    assert snapshot(session) == before
    assert judge(session, MID, "张二").mobile == "13900090012"


def test_partial_writes_the_good_rows_and_refuses_the_rows_depending_on_bad_ones(session, tmp_path):
    run_import(session, *base_files())
    departments = write_csv(tmp_path / "departments.csv", (
        f"法院,部门名称,部门类型,负责人,负责人手机\n{MID},刑事审判庭,审判,孙八,1390000\n"
        f"{MID},行政审判庭,审判,周九,13900090109"))
    judges = write_csv(tmp_path / "judges.csv", (
        f"法院,姓名,部门,手机\n{MID},新刑法官,刑事审判庭,13900090031\n"
        f"{MID},新行政法官,行政审判庭,13900090032\n{MID},张二,民事审判庭,13900090099"))
    cases = write_csv(tmp_path / "cases.csv", (
        f"案号,法院,承办法官\n（2026）豫98刑初1号,{MID},新刑法官\n（2026）豫98行初2号,{MID},新行政法官"))
    report = run_import(session, departments, judges, cases, partial=True)
    assert messages(report) == [
        "departments.csv row 2, 负责人手机: '1390000' is not an 11-digit mobile number",
        f"judges.csv row 2, 部门: department '刑事审判庭' of {MID} is not imported: "
        "departments.csv row 2 has errors",
        f"cases.csv row 2, 承办法官: judge '新刑法官' of {MID} is not imported: "
        "judges.csv row 2 has errors",
    ]
    assert report.written is True and not report.ok
    assert tally(report, "departments") == (1, 0, 0, 1)
    assert tally(report, "judges") == (1, 1, 0, 1)
    assert tally(report, "cases") == (1, 0, 0, 1)
    assert department(session, MID, "刑事审判庭") is None
    assert judge(session, MID, "新刑法官") is None
    assert judge(session, MID, "新行政法官").department_id == department(session, MID, "行政审判庭").id
    assert judge(session, MID, "张二").mobile == "13900090099"
    numbers = set(session.scalars(select(Case.number)))
    assert "（2026）豫98行初2号" in numbers and "（2026）豫98刑初1号" not in numbers


def test_a_court_refused_in_partial_mode_takes_its_whole_directory_with_it(session, tmp_path):
    folder = copy_data(tmp_path)
    edit_csv(folder / "courts.csv", "豫9801,基层", "豫9801,区级")
    report = run_import(session, *(folder / name for name in FILES), partial=True)
    assert report.written and not report.ok
    assert messages(report)[0] == "courts.csv row 3, 层级: '区级' is not one of 中级, 基层"
    assert all(f"court '{SOUTH}' is not imported: courts.csv row 3 has errors" in m
               for m in messages(report)[1:])
    assert [tally(report, t)[3] for t in report.counts] == [1, 2, 2, 2, 1]
    assert counts(session) == {"courts": 1, "leaders": 3, "departments": 6, "judges": 4,
                               "cases": 2}


def test_check_validates_and_counts_but_writes_nothing(session):
    report = run_import(session, *base_files(), check=True)
    assert report.ok and report.written is False
    assert tally(report, "cases") == (3, 0, 0, 0)
    assert counts(session) == {"courts": 0, "leaders": 0, "departments": 0, "judges": 0,
                               "cases": 0}


def test_a_failure_while_writing_leaves_the_directory_as_it_was(session, tmp_path):
    run_import(session, *base_files())
    before = snapshot(session)
    folder = copy_data(tmp_path)
    edit_csv(folder / "leaders.csv", "张华,院长,测试市中级人民法院,13900090001",
             "张华,院长,测试市中级人民法院,13900090009")
    edit_csv(folder / "departments.csv", "周一,13900090101", "周一,13900090111")
    edit_csv(folder / "judges.csv", "张二,民事审判庭,13900090012", "张二,民事审判庭,13900090099")
    flushed: list[str] = []

    def fail_at_judges(s, context, instances):
        kinds = {type(o).__name__ for o in (*s.new, *s.dirty)}
        flushed.extend(sorted(kinds))
        if "Judge" in kinds:  # leaders and departments are already written by now
            raise RuntimeError("database gone")

    event.listen(session, "before_flush", fail_at_judges)
    tables, _, _ = read_files([folder / name for name in FILES])
    try:
        with pytest.raises(RuntimeError, match="database gone"):
            apply(session, tables, today=TODAY)
    finally:
        event.remove(session, "before_flush", fail_at_judges)
    assert {"Leader", "Department", "Judge"} <= set(flushed)
    session.rollback()
    assert snapshot(session) == before


def test_two_courts_swapping_codes_in_one_import(session, tmp_path):
    run_import(session, *base_files())
    path = write_csv(tmp_path / "courts.csv", (
        f"法院名称,法院代字,层级,上级法院\n{SOUTH},豫9802,基层,{MID}\n测试市北区人民法院,豫9801,基层,{MID}"))
    report = run_import(session, path)
    assert report.ok and tally(report, "courts") == (1, 1, 0, 0)
    session.expire_all()
    codes = dict(session.execute(select(Court.name, Court.code)).all())
    assert codes[SOUTH] == "豫9802" and codes["测试市北区人民法院"] == "豫9801"


# ---- the command line ----------------------------------------------------------------------------
@pytest.fixture
def cli(tmp_path, db_url):
    """`hotline` in-process on the test database (SQLite or PostgreSQL)."""
    runner = CliRunner()
    env = {"HOTLINE_DATABASE_URL": db_url}

    def invoke(*args: str):
        return runner.invoke(main, ["--data-dir", str(tmp_path / "data"), *args], env=env)

    yield invoke  # each command closes the platform it built: nothing to dispose of here


def cli_counts(db_url: str) -> dict[str, int]:
    from hotline.db import make_engine

    engine = make_engine(db_url)
    with Session(engine) as s:
        result = counts(s)
    engine.dispose()
    return result


def test_cli_import_list_and_reimport(cli, db_url):
    files = [str(p) for p in base_files()]
    first = cli("directory", "import", *files)
    assert first.exit_code == 0, first.output
    assert "judges       6 created, 0 updated, 0 unchanged" in first.stdout
    assert "note: leaders.csv: column '备注' ignored" in first.stdout
    assert first.stdout.strip().endswith("directory imported")

    again = cli("directory", "import", "--json", *files)
    assert again.exit_code == 0
    data = json.loads(again.stdout)
    assert data["ok"] and data["written"] and data["errors"] == []
    assert data["counts"]["cases"] == {"created": 0, "updated": 0, "unchanged": 3, "refused": 0}

    listing = cli("directory", "list", "--court", MID)
    assert listing.exit_code == 0
    assert listing.stdout.splitlines()[0] == f"{MID} (豫98, 中级); 2 cases"
    assert ("  立案庭 [filing] head 周一 13900090101; deputy 吴二 13900090201; liaison 郑三 "
            "(内勤) 0399-5180101 / 13900090301; 0 judges") in listing.stdout.splitlines()
    assert SOUTH not in listing.stdout

    as_json = json.loads(cli("directory", "list", "--json").stdout)
    assert [c["name"] for c in as_json] == [MID, SOUTH]
    assert as_json[1]["parent"] == MID
    civil = next(d for d in as_json[0]["departments"] if d["name"] == "民事审判庭")
    assert (civil["judges"], civil["leader"]) == (3, "李文")

    unknown = cli("directory", "list", "--court", "没有的法院")
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == ("Error: no court named '没有的法院'; "
                                      "`hotline directory list` shows them")


def test_cli_bad_rows_exit_1_list_every_error_and_write_nothing(cli, db_url, tmp_path):
    folder = copy_data(tmp_path)
    edit_csv(folder / "judges.csv", "张二,民事审判庭,13900090012", "张二,民事审判庭,1390009")
    edit_csv(folder / "cases.csv", "（2025）豫98民终101号", "（2025）豫98民终101")
    edit_csv(folder / "cases.csv", "孔三,,", "无名,,")
    result = cli("directory", "import", *(str(folder / n) for n in FILES))
    assert result.exit_code == 2
    err = result.stderr.strip().splitlines()
    assert err == [
        "judges.csv row 3, 手机: '1390009' is not an 11-digit mobile number",
        f"cases.csv row 3, 承办法官: unknown judge '无名' of {MID}",
        "Error: 2 errors; nothing was written (fix them, or use --partial)",
    ]
    assert "created" not in result.stdout  # nothing to count when nothing was written
    assert cli_counts(db_url)["courts"] == 0

    as_json = cli("directory", "import", "--json", *(str(folder / n) for n in FILES))
    assert as_json.exit_code == 2
    data = json.loads(as_json.stdout)
    assert (data["ok"], data["written"]) == (False, False)
    assert data["errors"][0] == {
        "file": "judges.csv", "sheet": None, "row": 3, "column": "手机",
        "message": "'1390009' is not an 11-digit mobile number",
        "text": "judges.csv row 3, 手机: '1390009' is not an 11-digit mobile number"}


def test_cli_check_writes_nothing_and_partial_writes_the_good_rows(cli, db_url, tmp_path):
    files = [str(p) for p in base_files()]
    check = cli("directory", "import", "--check", *files)
    assert check.exit_code == 0
    assert check.stdout.splitlines()[1:4] == [
        "the import would do:",
        "courts       2 created, 0 updated, 0 unchanged",
        "leaders      5 created, 0 updated, 0 unchanged"]
    assert check.stdout.splitlines()[-1] == "no errors; checked only, nothing was written"
    assert cli_counts(db_url) == {"courts": 0, "leaders": 0, "departments": 0, "judges": 0,
                                  "cases": 0}

    folder = copy_data(tmp_path)
    edit_csv(folder / "judges.csv", "张二,民事审判庭,13900090012", "张二,民事审判庭,1390009")
    partial = cli("directory", "import", "--partial", *(str(folder / n) for n in FILES))
    assert partial.exit_code == 2
    assert partial.stderr.strip().splitlines()[-1] == "Error: 1 error; the other rows were written"
    assert cli_counts(db_url) == {"courts": 2, "leaders": 5, "departments": 8, "judges": 5,
                                  "cases": 3}


def test_cli_refuses_unreadable_files_in_one_line_each(cli, tmp_path):
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    result = cli("directory", "import", str(tmp_path / "old.xls"), str(DATA / "courts.csv"))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "old.xls: an Excel 97-2003 workbook (.xls) cannot be imported; save it as .xlsx or .csv",
        "Error: 1 file could not be read; nothing was written",
    ]
    assert "Traceback" not in result.output
    as_json = cli("directory", "import", "--json", str(tmp_path / "old.xls"))
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["errors"][0]["message"].startswith("old.xls: an Excel 97")


def test_a_workbook_without_any_directory_table_is_an_error(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "统计"
    book.active.append(["月份", "来电量"])
    book.active.append(["10月", 1234])
    book.save(tmp_path / "stats.xlsx")
    _, _, errors = read_files([tmp_path / "stats.xlsx"])
    assert errors == ["stats.xlsx: no sheet has a directory table's header row (stats.xlsx "
                      "sheet 统计: the header row is not a directory table (closest: 法院 "
                      "courts, missing 法院名称, 层级); sheet skipped)"]


def test_a_tab_separated_export_is_read_like_a_csv():
    text = (DATA / "judges.csv").read_text("utf-8").replace(",", "\t")
    table = read_csv("judges.csv", text.encode("utf-8"))
    assert table.table == "judges" and len(table.rows) == 6


def test_cli_imports_a_gb18030_csv_and_an_xlsx_together(cli, db_url, tmp_path):
    gbk = tmp_path / "courts.csv"
    gbk.write_bytes((DATA / "courts.csv").read_text("utf-8").encode("gb18030"))
    book = xlsx_from_csv(tmp_path / "rest.xlsx", files=FILES[1:], notes_sheet=False)
    result = cli("directory", "import", str(gbk), str(book))
    assert result.exit_code == 0, result.output
    assert cli_counts(db_url) == {"courts": 2, "leaders": 5, "departments": 8, "judges": 6,
                                  "cases": 3}


# ---- the demo platform ------------------------------------------------------------------------------
def test_the_demo_loader_imports_the_demo_directory_once(session):
    assert load_demo(session) is True
    session.commit()
    assert counts(session) == {"courts": 3, "leaders": 9, "departments": 23, "judges": 36,
                               "cases": 21}
    mid = "示范市中级人民法院"
    # Names other parts of the hotline (and their tests) rely on.
    expected = {"立案庭": ("周立", "13900000001", {"陈明", "林芳"}),
                "民事审判第一庭": ("王正", "13900000002", {"李强", "赵敏", "孙伟"}),
                "执行局": ("刘毅", "13900000003", {"何军"}),
                "信访办公室": ("吴静", "13900000004", set())}
    for name, (head, mobile, judges) in expected.items():
        d = department(session, mid, name)
        assert (d.head_name, d.head_mobile) == (head, mobile)
        assert set(session.scalars(select(Judge.name).where(Judge.department_id == d.id))) == judges
    kinds = set(session.scalars(select(Department.kind).where(Department.court == mid)))
    assert kinds == {"filing", "trial", "enforcement", "enforcement_supervision", "petition",
                     "discipline"}
    # every department has its deputy president (or the president) in charge
    assert session.scalar(select(func.count()).select_from(Department)
                          .where(Department.leader_id.is_(None))) == 0
    assert load_demo(session) is False


def test_the_demo_files_are_valid_utf8_csv_tables():
    folder = Path(__file__).resolve().parents[1] / "hotline" / "demo" / "directory"
    tables = [read_csv(p.name, p.read_bytes()) for p in sorted(folder.glob("*.csv"))]
    assert sorted(t.table for t in tables) == ["cases", "courts", "departments", "judges",
                                               "leaders"]
    for p in folder.glob("*.csv"):
        p.read_bytes().decode("utf-8")  # the demo files are UTF-8, no GBK


def test_r9_a_name_that_starts_like_a_formula_is_kept_as_text_with_a_warning(session,
                                                                             tmp_path):
    """Directory names reach the ledger's workbook: the import says which cell would be
    read as a formula (the workbook writes it as text)."""
    folder = copy_data(tmp_path)
    deps = folder / "departments.csv"
    deps.write_text(deps.read_text(encoding="utf-8").replace(
        ",内勤,", ",=1+cmd|calc!A0,", 1), encoding="utf-8")
    report = run_import(session, *[folder / name for name in FILES])
    assert report.ok, report.errors
    warned = [n for n in report.notes if "formula" in n]
    assert len(warned) == 1 and "departments.csv row 2, 联络员职务" in warned[0], report.notes
    assert session.scalar(select(Department.liaison_post).where(
        Department.name == "立案庭", Department.court == MID)) == "=1+cmd|calc!A0"
