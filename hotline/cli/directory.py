"""`hotline directory`: import the court directory from the trial-management system's
exports, and show it (R4/R5 route forwarded orders to the people it names)."""

from __future__ import annotations

import json

import click
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from hotline import running
from hotline.cli.common import Fail, echo, json_text, platform_of
from hotline.directory_files import read_files
from workorder.directory import TABLE_ORDER, ImportReport, apply, overview


@click.group(name="directory")
def command() -> None:
    """The court directory: courts, leaders, departments, judges, cases."""


def _counts_lines(report: ImportReport) -> list[str]:
    lines = []
    for table in TABLE_ORDER:
        c = report.counts[table]
        line = f"{table:<12} {c.created} created, {c.updated} updated, {c.unchanged} unchanged"
        if c.refused:
            line += f", {c.refused} refused"
        lines.append(line)
    return lines


@command.command(name="import")
@click.argument("files", nargs=-1, required=True)
@click.option("--check", is_flag=True, help="Validate and count; write nothing.")
@click.option("--partial", is_flag=True,
              help="Write the valid rows even when others have errors (exit status stays 2).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def import_(ctx: click.Context, files: tuple[str, ...], check: bool, partial: bool,
            as_json: bool) -> None:
    """Import FILE... (.csv or .xlsx); tables are recognised by their Chinese header row.

    All or nothing by default: one bad row and nothing is written. Every error is listed
    with its file, row and column.
    """
    tables, notes, file_errors = read_files(files)
    if file_errors:
        if as_json:
            errors = [{"file": None, "sheet": None, "row": None, "column": None,
                       "message": e, "text": e} for e in file_errors]
            click.echo(json.dumps({"ok": False, "written": False, "counts": {},
                                   "errors": errors, "notes": notes},
                                  ensure_ascii=False, indent=1))
            ctx.exit(2)
        for line in file_errors:
            click.echo(line, err=True)
        raise Fail(f"{len(file_errors)} file{'s' if len(file_errors) > 1 else ''} could not "
                   "be read; nothing was written")
    try:
        # The directory may be the first thing a new platform loads: make sure the
        # schema is there (idempotent; no demo court is loaded here).
        running.setup(platform_of(ctx), demo=False, prompts=False)
        with platform_of(ctx).uow.begin() as session:
            report = apply(session, tables, partial=partial, check=check)
    except IntegrityError as exc:
        raise Fail(f"the database refused the import, nothing was written: "
                   f"{str(exc.orig).splitlines()[0]}") from None
    report.notes[:0] = notes
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
        ctx.exit(0 if report.ok else 2)
    for note in report.notes:
        click.echo(f"note: {note}")
    if check:
        click.echo("the import would do:")
    if report.written or check:  # a refused import has no counts worth showing
        for line in _counts_lines(report):
            click.echo(line)
    for error in report.errors:
        click.echo(str(error), err=True)
    n = len(report.errors)
    errors = f"{n} error{'s' if n != 1 else ''}"
    if check:
        if n:
            raise Fail(f"{errors}; checked only, nothing was written")
        click.echo("no errors; checked only, nothing was written")
    elif not report.written:
        raise Fail(f"{errors}; nothing was written (fix them, or use --partial)")
    elif n:
        raise Fail(f"{errors}; the other rows were written")
    else:
        click.echo("directory imported")


@command.command(name="list")
@click.option("--court", help="Only this court (its full name).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx: click.Context, court: str | None, as_json: bool) -> None:
    """Courts, their leaders, departments with head and liaison officer, judge counts."""
    try:
        with platform_of(ctx).uow() as session:
            courts = overview(session, court)
    except (OperationalError, ProgrammingError):
        raise Fail("the database has no directory yet; run `hotline setup` or "
                   "`hotline directory import FILE...` first") from None
    if court is not None and not courts:
        raise Fail(f"no court named {court!r}; `hotline directory list` shows them")
    if as_json:
        click.echo(json_text(courts))
        return
    if not courts:
        click.echo("the directory is empty; `hotline directory import FILE...` fills it")
    for c in courts:
        level = {"intermediate": "中级", "primary": "基层"}.get(c["level"] or "", "?")
        parent = f", under {c['parent']}" if c["parent"] else ""
        echo(f"{c['name']} ({c['code'] or '-'}, {level}{parent}); {c['cases']} cases")
        for x in c["leaders"]:
            role = "院长" if x["role"] == "president" else "副院长"
            portfolio = f" — {x['portfolio']}" if x["portfolio"] else ""
            echo(f"  {role} {x['name']} {x['mobile']}{portfolio}")
        for d in c["departments"]:
            head = f"{d['head']['name']} {d['head']['mobile']}".strip() or "-"
            deputy = (f"; deputy {d['deputy']['name']} {d['deputy']['mobile']}"
                      if d["deputy"]["name"] else "")
            li = d["liaison"]
            liaison = ""
            if li["name"]:
                phones = " / ".join(p for p in (li["office_phone"], li["mobile"]) if p)
                liaison = f"; liaison {li['name']}" + (f" ({li['post']})" if li["post"] else "")
                liaison += f" {phones}" if phones else ""
            judges = f"{d['judges']} judge{'' if d['judges'] == 1 else 's'}"
            echo(f"  {d['name']} [{d['kind']}] head {head}{deputy}{liaison}; {judges}")
