"""The court directory (法院通讯录): courts, leaders, departments, judges and cases, as the
trial-management system exports them.

Forwarded orders go to people (R4, R5): the head of the petition office (R4.3), of the
judge's department (R4.4), of the filing department or enforcement supervision (R4.5), of
the discipline reporting centre (R4.6), the deputy president in charge and the president
(R4.8, the R8 escalation ladder), and a case's presiding judge (R4.2). This module turns
the rows of the directory tables into those records, checking every row first.

The tables arrive as :class:`SourceTable` objects — row number (as the spreadsheet shows
it, header = row 1) and header → cell text — so this module knows nothing of CSV or Excel
(``hotline.directory_files`` reads those). :func:`apply` validates every row, collects
*all* errors with file, sheet, row and column, and writes in one go:

* all-or-nothing by default: one bad row and nothing is written;
* ``partial=True`` writes the good rows; rows that depend on a refused row (a judge of a
  refused department, a case of a refused judge…) are refused too, with an error saying so;
* ``check=True`` validates and counts without writing.

Re-importing is idempotent: identity is the court's name, (court, name) for leaders,
departments and judges, and the canonical case number for cases; a matching record is
updated in place, never duplicated. The file is the truth: a blank optional cell clears
the stored value. Records missing from the files are kept (the import never deletes).

A department's deputy president in charge (分管副院长, ``Department.leader_id``) is set
from the leaders' 分管部门 column: a leader's row names the departments in their
portfolio; a re-imported leader whose portfolio no longer names a department releases it.

:func:`apply` does not commit: the caller owns the transaction, so a failure mid-way
rolls the directory back to what it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workorder import text
from workorder.casenumber import PROVINCES, CaseNumberError
from workorder.casenumber import parse as parse_case_number
from workorder.models import Case, Court, Department, Judge, Leader
from workorder.phone import PhoneError, parse_mobile, parse_office_phone
from workorder.types import DepartmentKind

__all__ = [
    "KINDS",
    "LEVELS",
    "ROLES",
    "TABLES",
    "TABLE_ORDER",
    "CaseRow",
    "Column",
    "Counts",
    "CourtRow",
    "DepartmentRow",
    "ImportReport",
    "JudgeRow",
    "LeaderRow",
    "Origin",
    "RowError",
    "SourceTable",
    "TableSpec",
    "apply",
    "closest_table",
    "identify_table",
    "overview",
    "validate",
]


# ---- the tables ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    header: str  # the Chinese header as the export writes it
    required: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str  # courts, leaders, …
    label: str  # 法院, 院领导, …
    columns: tuple[Column, ...]

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns if c.required)


def _spec(name: str, label: str, *headers: str) -> TableSpec:
    # A trailing * marks a required column, as the house spreadsheet templates do.
    return TableSpec(name, label, tuple(Column(h.rstrip("*"), h.endswith("*")) for h in headers))


TABLES: dict[str, TableSpec] = {
    s.name: s
    for s in (
        _spec("courts", "法院", "法院名称*", "法院代字", "层级*", "上级法院"),
        _spec("leaders", "院领导", "法院*", "姓名*", "职务*", "手机*", "分管部门"),
        _spec("departments", "部门", "法院*", "部门名称*", "部门类型*", "负责人*", "负责人手机*",
              "副职", "副职手机", "联络员", "联络员职务", "联络员办公电话", "联络员手机"),
        _spec("judges", "法官", "法院*", "姓名*", "部门*", "手机*"),
        _spec("cases", "案件", "案号*", "法院*", "承办法官*", "承办部门", "案由"),
    )
}
# Dependency order: each table refers only to tables before it (leaders' portfolios name
# departments, so they are linked once departments are in).
TABLE_ORDER: tuple[str, ...] = ("courts", "leaders", "departments", "judges", "cases")

LEVELS = {"中级": "intermediate", "基层": "primary"}
ROLES = {"院长": "president", "副院长": "deputy_president", "分管副院长": "deputy_president",
         "常务副院长": "deputy_president"}
KINDS = {
    "审判": DepartmentKind.TRIAL.value,
    "立案": DepartmentKind.FILING.value,
    "诉讼服务": DepartmentKind.FILING.value,
    "信访": DepartmentKind.PETITION.value,
    "执行": DepartmentKind.ENFORCEMENT.value,
    "执行监督": DepartmentKind.ENFORCEMENT_SUPERVISION.value,
    "纪检": DepartmentKind.DISCIPLINE.value,
    "违法违纪举报": DepartmentKind.DISCIPLINE.value,
    "其他": DepartmentKind.OTHER.value,
}
_PORTFOLIO_SEPARATORS = re.compile(r"[、,，;；\n]+")
# 法院代字: province abbreviation, then 2 digits (intermediate) or 4 digits (primary).
_COURT_CODE = re.compile(f"[{PROVINCES}][0-9]{{2}}(?:[0-9]{{2}})?")
_CODE_DIGITS = {"intermediate": 2, "primary": 4}


def normalize_header(text: str) -> str:
    """A header cell as compared: trimmed, a required-marker ``*`` dropped."""
    return _clean(text).strip("*").strip()


def identify_table(headers: Iterable[str]) -> str | None:
    """The table a header row belongs to: every required column present; when several
    tables qualify, the one that recognises the most columns. None when none does."""
    present = {normalize_header(h) for h in headers if h}
    best: tuple[int, str] | None = None
    for spec in TABLES.values():
        if set(spec.required) <= present:
            score = len(present & set(spec.headers))
            if best is None or score > best[0]:
                best = (score, spec.name)
    return best[1] if best else None


def closest_table(headers: Iterable[str]) -> tuple[str, list[str]]:
    """The table a header row most resembles and the required columns it lacks, to say
    what is wrong with a header row :func:`identify_table` did not recognise."""
    present = {normalize_header(h) for h in headers if h}
    spec = max(TABLES.values(), key=lambda s: (len(present & set(s.headers)),
                                               -len(set(s.required) - present)))
    return spec.name, [h for h in spec.required if h not in present]


# ---- input, errors, report ------------------------------------------------------------------
@dataclass(frozen=True)
class SourceTable:
    """One table as read from a file: which table, where from, and its rows as
    ``(row number, {header: cell text})``."""

    table: str
    file: str
    rows: Sequence[tuple[int, dict[str, str]]]
    headers: tuple[str, ...] = ()  # as found; default: the keys of the rows
    sheet: str | None = None
    header_row: int = 1

    @property
    def where(self) -> str:
        return f"{self.file} sheet {self.sheet}" if self.sheet else self.file


@dataclass(frozen=True)
class Origin:
    file: str
    sheet: str | None
    row: int

    @property
    def where(self) -> str:
        return f"{self.file} sheet {self.sheet}" if self.sheet else self.file

    def __str__(self) -> str:
        return f"{self.where} row {self.row}"


@dataclass(frozen=True)
class RowError:
    """One problem, located as the user sees it: file, sheet, row, column."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file} sheet {self.sheet}" if self.sheet else self.file
        if self.row is not None:
            where += f" row {self.row}"
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sheet": self.sheet, "row": self.row, "column": self.column,
                "message": self.message, "text": str(self)}


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0  # rows with errors, and rows depending on them


@dataclass
class ImportReport:
    counts: dict[str, Counts]
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False  # False after --check, or when all-or-nothing met an error

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "written": self.written,
            "counts": {t: vars(c).copy() for t, c in self.counts.items()},
            "errors": [e.as_dict() for e in self.errors],
            "notes": list(self.notes),
        }


# ---- the rows -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CourtRow:
    origin: Origin
    name: str
    code: str | None
    level: str  # intermediate | primary
    parent: str | None


@dataclass(frozen=True)
class LeaderRow:
    origin: Origin
    court: str
    name: str
    role: str  # president | deputy_president
    mobile: str
    portfolio: str  # the 分管部门 text as given
    departments: tuple[str, ...]  # the department names in it


@dataclass(frozen=True)
class DepartmentRow:
    origin: Origin
    court: str
    name: str
    kind: str
    head_name: str
    head_mobile: str
    deputy_head_name: str
    deputy_head_mobile: str
    liaison_name: str
    liaison_post: str
    liaison_office_phone: str
    liaison_mobile: str


@dataclass(frozen=True)
class JudgeRow:
    origin: Origin
    court: str
    name: str
    department: str
    mobile: str


@dataclass(frozen=True)
class CaseRow:
    origin: Origin
    number: str  # canonical
    year: int
    seq: int
    court_code: str
    court: str
    judge: str
    department: str | None  # None: the judge's department
    cause: str


Row = CourtRow | LeaderRow | DepartmentRow | JudgeRow | CaseRow


# what a spreadsheet would read as a formula if a name began with it
FORMULA_START = ("=", "+", "-", "@")


def _clean(value: object) -> str:
    return "" if value is None else str(value).strip().strip("\ufeff").strip()


def _limit(column: Any) -> int | None:
    return getattr(column.property.columns[0].type, "length", None)


class _Cells:
    """Reads one row's cells, recording an error per bad cell."""

    def __init__(self, origin: Origin, cells: dict[str, str], errors: list[RowError],
                 notes: list[str] | None = None) -> None:
        self.origin = origin
        self.cells = {normalize_header(k): v for k, v in cells.items() if k}
        self.errors = errors
        self.notes = notes if notes is not None else []
        self.failed = False

    def error(self, column: str | None, message: str) -> None:
        o = self.origin
        self.errors.append(RowError(o.file, o.sheet, o.row, column, message))
        self.failed = True

    def text(self, header: str, *, required: bool = False, limit: int | None = None,
             person: bool = False, phone: bool = False) -> str:
        try:  # control characters refused, bidirectional controls taken out (text.py)
            value = text.clean(_clean(self.cells.get(header)), header, one_line=False)
        except text.TextError as exc:
            self.error(header, str(exc))
            return ""
        if person:  # "王　正": padding inside a name is layout, not part of it
            value = "".join(value.split())
        if not value:
            if required:
                self.error(header, "is empty (required)")
            return ""
        if limit is not None and len(value) > limit:
            self.error(header, f"{value!r} is longer than {limit} characters")
            return ""
        if not phone and value.startswith(FORMULA_START):  # a phone is stored as digits
            self.notes.append(f"{self.origin}, {header}: {value[:40]!r} starts like a "
                              "spreadsheet formula; kept as text (ledgers write it as text)")
        return value

    def mobile(self, header: str, *, required: bool = False) -> str:
        value = self.text(header, required=required, phone=True)
        if not value:
            return ""
        try:
            return parse_mobile(value)
        except PhoneError as exc:
            self.error(header, str(exc))
            return ""

    def office_phone(self, header: str) -> str:
        value = self.text(header, phone=True)
        if not value:
            return ""
        try:
            return parse_office_phone(value)
        except PhoneError as exc:
            self.error(header, str(exc))
            return ""

    def choice(self, header: str, values: dict[str, str]) -> str:
        value = self.text(header, required=True)
        if value and value not in values:
            self.error(header, f"{value!r} is not one of {', '.join(values)}")
            return ""
        return values.get(value, "")


# Each parser returns the row's key (None when the key cells themselves are unusable) and
# the row (None when any cell is bad).
def _parse_court(c: _Cells, today: date | None) -> tuple[Any, Row | None]:
    name = c.text("法院名称", required=True, limit=_limit(Court.name))
    code = c.text("法院代字", limit=_limit(Court.code))
    level = c.choice("层级", LEVELS)
    parent = c.text("上级法院", limit=_limit(Court.name))
    if code and not _COURT_CODE.fullmatch(code):
        c.error("法院代字", f"{code!r} is not a court code like 豫01 (中级) or 豫0102 (基层)")
    elif code and level and len(code) - 1 != _CODE_DIGITS[level]:
        c.error("法院代字", f"{code!r} is not a {'中级' if level == 'intermediate' else '基层'} "
                "court's code (豫01 for 中级, 豫0102 for 基层)")
    if level == "primary" and not _clean(c.cells.get("上级法院")):
        c.error("上级法院", "is empty, but a 基层 court needs its 上级法院")
    if level == "intermediate" and parent:
        parent = ""  # the high court is not part of a platform's directory
    if parent and parent == name:
        c.error("上级法院", f"{parent!r} is the court itself")
    row = None if c.failed else CourtRow(c.origin, name, code or None, level, parent or None)
    return (name or None), row


def _parse_leader(c: _Cells, today: date | None) -> tuple[Any, Row | None]:
    court = c.text("法院", required=True, limit=_limit(Court.name))
    name = c.text("姓名", required=True, limit=_limit(Leader.name), person=True)
    role = c.choice("职务", ROLES)
    mobile = c.mobile("手机", required=True)
    portfolio = c.text("分管部门", limit=_limit(Leader.portfolio))
    departments = tuple(dict.fromkeys(
        p.strip() for p in _PORTFOLIO_SEPARATORS.split(portfolio) if p.strip()))
    row = None if c.failed else LeaderRow(c.origin, court, name, role, mobile, portfolio,
                                          departments)
    return ((court, name) if court and name else None), row


def _parse_department(c: _Cells, today: date | None) -> tuple[Any, Row | None]:
    court = c.text("法院", required=True, limit=_limit(Court.name))
    name = c.text("部门名称", required=True, limit=_limit(Department.name))
    kind = c.choice("部门类型", KINDS)
    values = dict(
        head_name=c.text("负责人", required=True, limit=_limit(Department.head_name), person=True),
        head_mobile=c.mobile("负责人手机", required=True),
        deputy_head_name=c.text("副职", limit=_limit(Department.deputy_head_name), person=True),
        deputy_head_mobile=c.mobile("副职手机"),
        liaison_name=c.text("联络员", limit=_limit(Department.liaison_name), person=True),
        liaison_post=c.text("联络员职务", limit=_limit(Department.liaison_post)),
        liaison_office_phone=c.office_phone("联络员办公电话"),
        liaison_mobile=c.mobile("联络员手机"),
    )
    row = None if c.failed else DepartmentRow(c.origin, court, name, kind, **values)
    return ((court, name) if court and name else None), row


def _parse_judge(c: _Cells, today: date | None) -> tuple[Any, Row | None]:
    court = c.text("法院", required=True, limit=_limit(Court.name))
    name = c.text("姓名", required=True, limit=_limit(Judge.name), person=True)
    department = c.text("部门", required=True, limit=_limit(Department.name))
    mobile = c.mobile("手机", required=True)
    row = None if c.failed else JudgeRow(c.origin, court, name, department, mobile)
    return ((court, name) if court and name else None), row


def _parse_case(c: _Cells, today: date | None) -> tuple[Any, Row | None]:
    raw = c.text("案号", required=True)
    number = None
    if raw:
        try:
            number = parse_case_number(raw, today=today)
        except CaseNumberError as exc:
            c.error("案号", str(exc))
    court = c.text("法院", required=True, limit=_limit(Court.name))
    judge = c.text("承办法官", required=True, limit=_limit(Judge.name), person=True)
    department = c.text("承办部门", limit=_limit(Department.name))
    cause = c.text("案由", limit=_limit(Case.cause))
    if number is None or c.failed:
        return (number.canonical if number else None), None
    return number.canonical, CaseRow(c.origin, number.canonical, number.year, number.seq,
                                     number.court_code, court, judge, department or None, cause)


_PARSERS = {"courts": _parse_court, "leaders": _parse_leader, "departments": _parse_department,
            "judges": _parse_judge, "cases": _parse_case}
_KEY_COLUMN = {"courts": "法院名称", "leaders": "姓名", "departments": "部门名称",
               "judges": "姓名", "cases": "案号"}
_WHAT = {"courts": "court", "leaders": "leader", "departments": "department",
         "judges": "judge", "cases": "case"}


def _describe(table: str, key: Any) -> str:
    if isinstance(key, tuple):
        return f"{_WHAT[table]} {key[1]!r} of {key[0]}"
    return f"{_WHAT[table]} {key!r}"


# ---- the import -----------------------------------------------------------------------------
class _Import:
    def __init__(self, session: Session, tables: Sequence[SourceTable],
                 today: date | None) -> None:
        self.session = session
        self.today = today
        self.errors: list[RowError] = []
        self.notes: list[str] = []
        self.counts = {t: Counts() for t in TABLE_ORDER}
        self.good: dict[str, dict[Any, Any]] = {t: {} for t in TABLE_ORDER}
        self.bad: dict[str, dict[Any, Origin]] = {t: {} for t in TABLE_ORDER}
        self.order = {id(t): i for i, t in enumerate(tables)}
        self.tables = sorted(tables, key=lambda t: (TABLE_ORDER.index(t.table)
                                                    if t.table in TABLE_ORDER else 99,
                                                    self.order[id(t)]))
        self.source_rank = {(t.file, t.sheet): self.order[id(t)] for t in tables}

    # -- errors
    def error(self, origin: Origin, column: str | None, message: str) -> None:
        self.errors.append(RowError(origin.file, origin.sheet, origin.row, column, message))

    def refuse(self, table: str, key: Any, row: Any, column: str, message: str) -> None:
        self.error(row.origin, column, message)
        del self.good[table][key]
        self.bad[table][key] = row.origin
        self.counts[table].refused += 1

    # -- stage 1: cells
    def parse(self) -> None:
        seen: dict[str, dict[Any, Origin]] = {t: {} for t in TABLE_ORDER}
        for src in self.tables:
            spec = TABLES.get(src.table)
            if spec is None:
                self.errors.append(RowError(src.file, src.sheet, None, None,
                                            f"unknown table {src.table!r}"))
                continue
            headers = [normalize_header(h) for h in (src.headers or _keys(src.rows))]
            missing = [h for h in spec.required if h not in headers]
            for h in missing:
                self.errors.append(RowError(src.file, src.sheet, src.header_row, h,
                                            f"missing column {h!r} (required for {spec.label})"))
            extra = [h for h in headers if h and h not in spec.headers]
            if extra:
                self.notes.append(f"{src.where}: column{'s' if len(extra) > 1 else ''} "
                                  f"{', '.join(repr(h) for h in extra)} ignored")
            if missing:
                self.counts[src.table].refused += sum(1 for _, cells in src.rows
                                                      if any(_clean(v) for v in cells.values()))
                continue
            for number, cells in src.rows:
                if not any(_clean(v) for v in cells.values()):
                    continue
                origin = Origin(src.file, src.sheet, number)
                reader = _Cells(origin, cells, self.errors, self.notes)
                key, row = _PARSERS[src.table](reader, self.today)
                if key is not None and key in seen[src.table]:
                    first = seen[src.table][key]
                    if row is not None:  # its own errors are reported already
                        reader.error(_KEY_COLUMN[src.table],
                                     f"{_describe(src.table, key)} is already in {first}")
                    self.counts[src.table].refused += 1
                    continue
                if key is not None:
                    seen[src.table][key] = origin
                if row is None:
                    self.counts[src.table].refused += 1
                    if key is not None:
                        self.bad[src.table][key] = origin
                else:
                    self.good[src.table][key] = row

    # -- stage 2: what is in the database
    def load(self) -> None:
        s = self.session
        courts = list(s.scalars(select(Court)))
        leaders = list(s.scalars(select(Leader)))
        departments = list(s.scalars(select(Department)))
        judges = list(s.scalars(select(Judge)))
        numbers = list(self.good["cases"])
        cases: list[Case] = []
        for i in range(0, len(numbers), 500):
            cases += s.scalars(select(Case).where(Case.number.in_(numbers[i:i + 500])))
        self.db: dict[str, dict[Any, Any]] = {
            "courts": {c.name: c for c in courts},
            "leaders": {(x.court, x.name): x for x in leaders},
            "departments": {(d.court, d.name): d for d in departments},
            "judges": {(j.court, j.name): j for j in judges},
            "cases": {c.number: c for c in cases},
        }
        self.court_name = {c.id: c.name for c in courts}
        self.leader_key = {x.id: (x.court, x.name) for x in leaders}
        self.dept_key = {d.id: (d.court, d.name) for d in departments}
        self.judge_key = {j.id: (j.court, j.name) for j in judges}

    # -- stage 3: references
    def ref(self, table: str, key: Any, row: Any, column: str) -> bool:
        """Is ``key`` a record this import can point at? Reports the row when not."""
        if key in self.good[table]:
            return True
        if key in self.bad[table]:
            origin = self.bad[table][key]
            self.error(row.origin, column,
                       f"{_describe(table, key)} is not imported: {origin} has errors")
            return False
        if key in self.db[table]:
            return True
        self.error(row.origin, column, f"unknown {_describe(table, key)}")
        return False

    def resolve(self) -> None:
        self._resolve_courts()
        for table, check in (("departments", self._check_department),
                             ("leaders", self._check_leader),
                             ("judges", self._check_judge),
                             ("cases", self._check_case)):
            for key, row in list(self.good[table].items()):
                if not check(row):
                    del self.good[table][key]
                    self.bad[table][key] = row.origin
                    self.counts[table].refused += 1
        self._check_presidents()

    def court_level(self, name: str) -> str | None:
        if name in self.good["courts"]:
            return self.good["courts"][name].level
        court = self.db["courts"].get(name)
        return court.level if court is not None else None

    def court_code(self, name: str) -> str | None:
        if name in self.good["courts"]:
            return self.good["courts"][name].code
        court = self.db["courts"].get(name)
        return court.code if court is not None else None

    def _resolve_courts(self) -> None:
        good = self.good["courts"]
        first_with_code: dict[str, CourtRow] = {}
        for name, row in list(good.items()):
            if not row.code:
                continue
            first = first_with_code.setdefault(row.code, row)
            # A court re-imported under another code frees its old one.
            holder = next((c.name for c in self.db["courts"].values()
                           if c.code == row.code and c.name != name and c.name not in good),
                          None)
            if first is not row:
                self.refuse("courts", name, row, "法院代字", f"{row.code!r} is also the code "
                            f"of {first.name} ({first.origin})")
            elif holder is not None:
                self.refuse("courts", name, row, "法院代字",
                            f"{row.code!r} is the code of {holder} in the directory")
        for name, row in list(good.items()):
            if row.parent is None:
                continue
            if not self.ref("courts", row.parent, row, "上级法院"):
                self.refuse_quietly("courts", name, row)
            elif self.court_level(row.parent) != "intermediate":
                self.refuse("courts", name, row, "上级法院",
                            f"{row.parent!r} is not an intermediate (中级) court")

    def refuse_quietly(self, table: str, key: Any, row: Any) -> None:
        del self.good[table][key]
        self.bad[table][key] = row.origin
        self.counts[table].refused += 1

    def _check_department(self, row: DepartmentRow) -> bool:
        return self.ref("courts", row.court, row, "法院")

    def _check_leader(self, row: LeaderRow) -> bool:
        if not self.ref("courts", row.court, row, "法院"):
            return False
        return all([self.ref("departments", (row.court, d), row, "分管部门")
                    for d in row.departments])

    def _check_judge(self, row: JudgeRow) -> bool:
        return (self.ref("courts", row.court, row, "法院")
                and self.ref("departments", (row.court, row.department), row, "部门"))

    def _check_case(self, row: CaseRow) -> bool:
        if not self.ref("courts", row.court, row, "法院"):
            return False
        ok = self.ref("judges", (row.court, row.judge), row, "承办法官")
        if row.department is not None:
            ok = self.ref("departments", (row.court, row.department), row, "承办部门") and ok
        code = self.court_code(row.court)
        if code and code != row.court_code:
            self.error(row.origin, "案号", f"{row.number!r} is a case of court code "
                       f"{row.court_code}, but {row.court} is {code}")
            ok = False
        return ok

    def _check_presidents(self) -> None:
        """One president per court; a department in one leader's portfolio only."""
        presidents: dict[str, LeaderRow] = {}
        claims: dict[tuple[str, str], LeaderRow] = {}
        for key, row in list(self.good["leaders"].items()):
            if row.role == "president":
                first = presidents.setdefault(row.court, row)
                if first is not row:
                    self.refuse("leaders", key, row, "职务", f"{row.court} already has a "
                                f"president: {first.name} ({first.origin})")
                    continue
            taken = [(d, claims[(row.court, d)]) for d in row.departments
                     if (row.court, d) in claims]
            if taken:
                d, other = taken[0]
                self.refuse("leaders", key, row, "分管部门", f"department {d!r} is already in "
                            f"the portfolio of {other.name} ({other.origin})")
                continue
            for d in row.departments:
                claims[(row.court, d)] = row

    # -- stage 4: what changes
    def links(self) -> dict[tuple[str, str], tuple[str, str] | None]:
        """Department → its deputy president in charge, where this import decides it."""
        links: dict[tuple[str, str], tuple[str, str] | None] = {}
        for key, row in self.good["leaders"].items():
            for d in row.departments:
                links[(row.court, d)] = key
        for dkey, dept in self.db["departments"].items():
            owner = self.leader_key.get(dept.leader_id) if dept.leader_id else None
            if (owner in self.good["leaders"] and dkey not in links
                    and dkey not in self.bad["departments"]):
                links[dkey] = None  # released from the re-imported leader's portfolio
        return links

    def current(self, table: str, record: Any) -> tuple:
        if table == "courts":
            return (record.code, record.level, self.court_name.get(record.parent_id))
        if table == "leaders":
            return (record.role, record.mobile, record.portfolio)
        if table == "departments":
            return (*(getattr(record, f) for f in _DEPARTMENT_FIELDS),
                    self.leader_key.get(record.leader_id))
        if table == "judges":
            return (self.dept_key.get(record.department_id), record.mobile)
        return (record.year, record.seq, record.court, self.judge_key.get(record.judge_id),
                self.dept_key.get(record.department_id), record.cause)

    def desired(self, table: str, row: Any, links: dict) -> tuple:
        if table == "courts":
            return (row.code, row.level, row.parent)
        if table == "leaders":
            return (row.role, row.mobile, row.portfolio)
        if table == "departments":
            key = (row.court, row.name)
            existing = self.db["departments"].get(key)
            link = links.get(key, self.leader_key.get(existing.leader_id) if existing else None)
            return (*(getattr(row, f) for f in _DEPARTMENT_FIELDS), link)
        if table == "judges":
            return ((row.court, row.department), row.mobile)
        return (row.year, row.seq, row.court, (row.court, row.judge),
                (row.court, self.case_department(row)), row.cause)

    def case_department(self, row: CaseRow) -> str:
        if row.department is not None:
            return row.department
        judge = self.good["judges"].get((row.court, row.judge))
        if judge is not None:
            return judge.department
        return self.dept_key[self.db["judges"][(row.court, row.judge)].department_id][1]

    def count(self) -> None:
        links = self.links()
        for table in TABLE_ORDER:
            counts = self.counts[table]
            for key, row in self.good[table].items():
                record = self.db[table].get(key)
                if record is None:
                    counts.created += 1
                elif self.current(table, record) != self.desired(table, row, links):
                    counts.updated += 1
                else:
                    counts.unchanged += 1
        # Departments not in the files whose deputy president changes with a portfolio.
        for dkey, leader in links.items():
            dept = self.db["departments"].get(dkey)
            if (dept is not None and dkey not in self.good["departments"]
                    and self.leader_key.get(dept.leader_id) != leader):
                self.counts["departments"].updated += 1

    # -- stage 5: writing
    def write(self) -> None:
        s = self.session
        courts = dict(self.db["courts"])
        # Codes are unique: free the codes that change hands before handing them out, so
        # two courts swapping codes in one import do not collide half-way.
        moving = [courts[n] for n, r in self.good["courts"].items()
                  if n in courts and courts[n].code != r.code]
        for court in moving:
            court.code = None
        if moving:
            s.flush()
        for name, row in self.good["courts"].items():
            court = courts.get(name)
            if court is None:
                court = courts[name] = Court(name=name, level=row.level)
                s.add(court)
            court.code, court.level = row.code, row.level
        s.flush()
        for name, row in self.good["courts"].items():
            courts[name].parent_id = courts[row.parent].id if row.parent else None

        leaders = dict(self.db["leaders"])
        for key, row in self.good["leaders"].items():
            leader = leaders.get(key)
            if leader is None:
                leader = leaders[key] = Leader(court=row.court, name=row.name)
                s.add(leader)
            leader.role, leader.mobile, leader.portfolio = row.role, row.mobile, row.portfolio

        departments = dict(self.db["departments"])
        for key, row in self.good["departments"].items():
            dept = departments.get(key)
            if dept is None:
                dept = departments[key] = Department(court=row.court, name=row.name)
                s.add(dept)
            for f in _DEPARTMENT_FIELDS:
                setattr(dept, f, getattr(row, f))
        s.flush()
        for dkey, lkey in self.links().items():
            if dkey in departments:
                departments[dkey].leader_id = leaders[lkey].id if lkey else None

        judges = dict(self.db["judges"])
        for key, row in self.good["judges"].items():
            judge = judges.get(key)
            dept = departments[(row.court, row.department)]
            if judge is None:
                judge = judges[key] = Judge(court=row.court, name=row.name,
                                            department_id=dept.id)
                s.add(judge)
            judge.department_id, judge.mobile = dept.id, row.mobile
        s.flush()

        for number, row in self.good["cases"].items():
            case = self.db["cases"].get(number)
            if case is None:
                case = Case(number=number)
                s.add(case)
            dept = departments[(row.court, self.case_department(row))]
            case.year, case.seq, case.court, case.cause = row.year, row.seq, row.court, row.cause
            case.judge_id = judges[(row.court, row.judge)].id
            case.department_id = dept.id
        s.flush()

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=lambda e: (self.source_rank.get((e.file, e.sheet), 0),
                                                  e.row or 0))


_DEPARTMENT_FIELDS = ("kind", "head_name", "head_mobile", "deputy_head_name",
                      "deputy_head_mobile", "liaison_name", "liaison_post",
                      "liaison_office_phone", "liaison_mobile")


def _keys(rows: Sequence[tuple[int, dict[str, str]]]) -> list[str]:
    keys: dict[str, None] = {}
    for _, cells in rows:
        keys.update(dict.fromkeys(cells))
    return list(keys)


def apply(session: Session, tables: Sequence[SourceTable], *, partial: bool = False,
          check: bool = False, today: date | None = None) -> ImportReport:
    """Validate the directory tables and write them (see the module docstring).

    Writes (flushes) when nothing is wrong, or with ``partial`` the good rows; never with
    ``check``. The caller commits or rolls back. ``today`` bounds case-number years.
    """
    job = _Import(session, tables, today)
    job.parse()
    job.load()
    job.resolve()
    job.count()
    report = ImportReport(counts=job.counts, errors=job.sorted_errors(), notes=job.notes)
    if not check and (partial or report.ok):
        job.write()
        report.written = True
    return report


def validate(session: Session, tables: Sequence[SourceTable], *,
             today: date | None = None) -> ImportReport:
    """What :func:`apply` would do, without writing anything."""
    return apply(session, tables, check=True, today=today)


# ---- reading it back ----------------------------------------------------------------------------
def overview(session: Session, court: str | None = None) -> list[dict[str, Any]]:
    """The directory per court: leaders, departments with head, deputy, liaison, deputy
    president in charge and judge count, and the number of cases. Courts known only
    from their departments (a directory older than the court table) are listed too."""
    courts = {c.name: c for c in session.scalars(select(Court).order_by(Court.id))}
    by_id = {c.id: c.name for c in courts.values()}
    departments = list(session.scalars(select(Department).order_by(Department.court,
                                                                   Department.id)))
    leaders = list(session.scalars(select(Leader).order_by(Leader.court, Leader.id)))
    leader_names = {x.id: x.name for x in leaders}
    judges = dict(session.execute(select(Judge.department_id, func.count())
                                  .group_by(Judge.department_id)).all())
    cases = dict(session.execute(select(Case.court, func.count()).group_by(Case.court)).all())
    names = list(courts) + sorted({d.court for d in departments} - set(courts))
    if court is not None:
        names = [n for n in names if n == court]
    result = []
    for name in names:
        c = courts.get(name)
        result.append({
            "name": name,
            "code": c.code if c else None,
            "level": c.level if c else None,
            "parent": by_id.get(c.parent_id) if c and c.parent_id else None,
            "leaders": [{"name": x.name, "role": x.role, "mobile": x.mobile,
                         "portfolio": x.portfolio} for x in leaders if x.court == name],
            "departments": [{
                "name": d.name, "kind": d.kind,
                "head": {"name": d.head_name, "mobile": d.head_mobile},
                "deputy": {"name": d.deputy_head_name, "mobile": d.deputy_head_mobile},
                "liaison": {"name": d.liaison_name, "post": d.liaison_post,
                            "office_phone": d.liaison_office_phone,
                            "mobile": d.liaison_mobile},
                "leader": leader_names.get(d.leader_id) if d.leader_id else None,
                "judges": judges.get(d.id, 0),
            } for d in departments if d.court == name],
            "cases": cases.get(name, 0),
        })
    return result
