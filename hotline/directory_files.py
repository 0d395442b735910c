"""Directory files: the trial-management system's CSV and Excel (.xlsx) exports, read into
the tables :mod:`workorder.directory` imports.

A table is recognised by its Chinese header row, in any column order (the first row whose
cells name every required column of a table, within the first few rows, so a title row
above the header does no harm). Row numbers are the spreadsheet's own, header = row 1
when it is on the first line.

* ``.csv``: UTF-8 with or without BOM; anything else is read as GB18030, which is what a
  Chinese Excel writes when it saves "CSV (逗号分隔)". Comma-separated, or tab-separated
  when the header line has tabs and no commas.
* ``.xlsx``: every sheet whose header row is a table is imported; other sheets are
  skipped with a note. Numeric cells become text without Excel's float artefacts
  (13900000001.0 → ``'13900000001'``), dates become ``YYYY-MM-DD``.
* Anything else (.xls, .txt, .ods …) is refused: save it as .xlsx or .csv.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from pathlib import Path

from workorder.directory import TABLES, SourceTable, closest_table, identify_table
from workorder.errors import DomainError

__all__ = ["DirectoryFileError", "cell_text", "read_csv", "read_file", "read_files",
           "read_xlsx"]

HEADER_SEARCH_ROWS = 10  # how far down a title block may push the header row


class DirectoryFileError(DomainError):
    """A file that cannot be read as directory tables; the message names the file."""


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person sees in it, trimmed.

    Numbers typed into Excel come back as int or float: a mobile number stored as the
    number 13900000001 must be ``'13900000001'``, not ``'13900000001.0'`` or ``'1.39e10'``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip().strip("\ufeff").strip()


def _decode(name: str, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DirectoryFileError(f"{name}: UTF-16 text is not a CSV export; save it as "
                                 "\"CSV UTF-8\" or as .xlsx")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise DirectoryFileError(f"{name}: the text is neither UTF-8 nor GB18030; save it as "
                                 "\"CSV UTF-8\" or as .xlsx") from None


def _table(name: str, sheet: str | None,
           rows: Iterable[tuple[int, list[str]]]) -> SourceTable | str:
    """The table in ``rows`` (numbered lines of cell texts), or a sentence saying why
    there is none."""
    rows = iter(rows)
    first: list[str] | None = None
    header: tuple[int, list[str], str] | None = None
    for seen, (number, cells) in enumerate(rows):
        if seen >= HEADER_SEARCH_ROWS:
            break
        if not any(cells):
            continue
        if first is None:
            first = cells
        table = identify_table(cells)
        if table is not None:
            header = (number, cells, table)
            break
    where = f"{name} sheet {sheet}" if sheet else name
    if header is None:
        if first is None:
            return f"{where}: empty"
        table, missing = closest_table(first)
        return (f"{where}: the header row is not a directory table (closest: "
                f"{TABLES[table].label} {table}, missing {', '.join(missing)})")
    header_row, headers, table = header
    seen_headers: dict[str, int] = {}
    for i, h in enumerate(headers):
        if h and h in seen_headers:
            raise DirectoryFileError(f"{where}: column {h!r} appears twice in the header row")
        seen_headers[h] = i
    data = []
    for number, cells in rows:
        if not any(cells):
            continue
        data.append((number, {h: (cells[i] if i < len(cells) else "")
                              for h, i in seen_headers.items() if h}))
    return SourceTable(table=table, file=name, sheet=sheet, header_row=header_row,
                       headers=tuple(h for h in headers if h), rows=data)


def read_csv(name: str, data: bytes) -> SourceTable:
    """The table in a CSV export (``name`` is what errors call the file)."""
    text = _decode(name, data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def numbered() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, [cell_text(c) for c in cells]
        except csv.Error as exc:
            raise DirectoryFileError(f"{name} row {reader.line_num}: {exc}") from None

    table = _table(name, None, numbered())
    if isinstance(table, str):
        raise DirectoryFileError(table)
    return table


def read_xlsx(name: str, source: str | Path | io.BytesIO) -> tuple[list[SourceTable], list[str]]:
    """The tables in an Excel workbook, one per recognised sheet, and notes on the sheets
    skipped. A workbook without any table is an error."""
    import openpyxl  # imported here: only an Excel import pays for it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise DirectoryFileError(f"{name}: not a readable .xlsx workbook ({exc})") from None
    tables: list[SourceTable] = []
    notes: list[str] = []
    try:
        for sheet in book.worksheets:
            rows = ((number, [cell_text(v) for v in values]) for number, values
                    in enumerate(sheet.iter_rows(values_only=True), start=1))
            found = _table(name, sheet.title, rows)
            if isinstance(found, str):
                notes.append(f"{found}; sheet skipped")
            else:
                tables.append(found)
    finally:
        book.close()
    if not tables:
        raise DirectoryFileError(f"{name}: no sheet has a directory table's header row "
                                 f"({'; '.join(notes)})")
    return tables, notes


def read_file(path: str | Path) -> tuple[list[SourceTable], list[str]]:
    """The tables in one file, and notes; DirectoryFileError when it cannot be read."""
    path = Path(path)
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        kind = "an Excel 97-2003 workbook (.xls)" if suffix == ".xls" else f"a {suffix or 'extensionless'} file"
        raise DirectoryFileError(f"{name}: {kind} cannot be imported; save it as .xlsx or .csv")
    if not path.is_file():
        raise DirectoryFileError(f"{name}: no such file ({path})")
    if suffix == ".xlsx":
        return read_xlsx(name, path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DirectoryFileError(f"{name}: cannot be read ({exc.strerror})") from None
    return [read_csv(name, data)], []


def read_files(paths: Sequence[str | Path]) -> tuple[list[SourceTable], list[str], list[str]]:
    """Every file's tables, the notes, and one error line per file that cannot be read
    (all files are tried, so one run lists every problem)."""
    tables: list[SourceTable] = []
    notes: list[str] = []
    errors: list[str] = []
    for path in paths:
        try:
            found, more = read_file(path)
        except DirectoryFileError as exc:
            errors.append(str(exc))
            continue
        tables += found
        notes += more
    return tables, notes, errors
