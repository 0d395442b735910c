"""`hotline messages …`, `recordings …`, `flags …`: after-hours messages (R6), the
recording store, and the abusive/urgent flags (R4.7/R4.8) from the command line."""

from __future__ import annotations

from datetime import UTC, date, datetime

import click
from sqlalchemy import select

from hotline.cli import Fail, _guard, _local, _platform, _settings, main
from hotline.cli_orders import _by, _court, _emit, _now, _unit
from recordings import catalog, pipeline
from recordings.models import Flag, Recording
from workorder.models import WorkOrder
from workorder.orders import check_actor
from workorder.types import OrderType


@main.group()
def messages() -> None:
    """After-hours messages: transcribed and queued for listening on the next working day
    (R6)."""


@messages.command(name="process")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="A working day: take the messages left before it opened. Default: all "
                   "messages left until now.")
@click.option("--workers", type=click.IntRange(1, 16), default=None,
              help="Recogniser processes (default: the speech_workers setting).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def messages_process(ctx: click.Context, day: datetime | None, workers: int | None,
                     as_json: bool) -> None:
    """Transcribe the messages, flag them and fill in their orders now, instead of waiting
    for the job that does it when the line opens."""
    settings = _settings(ctx)
    before = _now()
    if day is not None:
        calendar = _platform(ctx).calendar
        d: date = day.date()
        if not calendar.is_working_day(d):
            raise Fail(f"{d} is not a working day ({calendar.reason(d)}); the next one is "
                       f"{calendar.next_working_day(d)}")
        start, _end = settings.staffed_hours
        before = datetime.combine(d, start, settings.tz).astimezone(UTC)
    total = _platform(ctx).speech.pending("message", before)
    if total == 0:
        _emit({"total": 0}, as_json, "no messages waiting")
        return
    with click.progressbar(length=total, label="messages", show_pos=True,
                           file=click.get_text_stream("stderr")) as bar:
        report = _platform(ctx).speech.messages(before, workers,
                                 progress=lambda done, _t, _p: bar.update(done - bar.pos))
    lines = [f"{report.total} messages: {len(report.orders)} orders to confirm "
             f"(`hotline messages list`), {report.empty} empty, "
             f"{report.transcribed} transcribed in {report.wall_s:.1f} s"]
    lines += [f"  unreadable {p}: {why}" for p, why in report.unreadable]
    lines += [f"  missing {p}" for p in report.missing]
    lines += [f"  flagged {p}: {why}" for p, why in report.flagged]
    data = report.as_dict() | {"order_numbers": report.orders,
                               "unreadable_files": report.unreadable,
                               "missing_files": report.missing}
    _emit(data, as_json, "\n".join(lines))


def _flag_summary(flags: list[Flag]) -> str:
    return "；".join(f"{'紧急' if f.kind == 'urgent' else '辱骂'} {f.reason}" for f in flags)


@messages.command(name="list")
@_court
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def messages_list(ctx: click.Context, court: str | None, as_json: bool) -> None:
    """听留言: the messages waiting to be heard and confirmed, urgent first, then oldest."""
    settings = _settings(ctx)
    with _platform(ctx).uow() as s:
        rows = []
        for order, rec in pipeline.queue(s, court or settings.court_name):
            rows.append({
                "number": order.number, "left_at": _local(rec.created_at, settings),
                "caller": order.caller_phone, "seconds": rec.duration_s,
                "type": OrderType(order.order_type).label_zh, "case": order.case_number,
                "flags": _flag_summary(rec.flags), "content": order.content,
                "recording": rec.path, "status": rec.status})
    if as_json:
        _emit(rows, True, "")
        return
    if not rows:
        click.echo("no messages waiting to be heard")
    for r in rows:
        flag = f" ⚠ {r['flags']}" if r["flags"] else ""
        click.echo(f"{r['number']}  {r['left_at']}  {r['caller'] or '未知号码'}  "
                   f"{r['seconds'] or 0:.0f}s  {r['type']}  {r['case'] or ''}{flag}\n"
                   f"    {r['content'][:80]}")


@messages.command(name="confirm")
@click.argument("number")
@click.option("--type", "order_type", help="The type heard (1-6 or its name), if not the "
                                           "suggested one (R3).")
@click.option("--case", "case_number", help="The case number heard.")
@click.option("--content", help="The matter, as heard.")
@click.option("--name", "caller_name", help="The caller's name, as heard.")
@click.option("--urgent", is_flag=True, help="Urgent or extreme (R4.8).")
@click.option("--abusive", is_flag=True, help="Abusive or harassing (R4.7).")
@click.option("--version", type=int, default=None, help="The order version you heard it on.")
@_by
@_court
@_unit
def messages_confirm(settings, service, session, number, order_type, case_number, content,
                     caller_name, urgent, abusive, version, by, court):
    """The message was heard: confirm or correct the type and the details (R6). The order
    is then answered, closed or forwarded like any other."""
    order = service.find(session, court or settings.court_name, number)
    fields = {k: v for k, v in (("order_type", order_type), ("case_number", case_number),
                                ("content", content), ("caller_name", caller_name))
              if v is not None}
    if urgent:
        fields["urgent"] = True
    if abusive:
        fields["abusive"] = True
    service.confirm_message(session, order, version=version, by=by, at=_now(), **fields)
    click.echo(f"{order.number} confirmed as {OrderType(order.order_type).label_zh}; next: "
               f"`hotline orders close {order.number}` or `hotline orders forward "
               f"{order.number}`")


# ---- the recording store ------------------------------------------------------------------
@main.group()
def recordings() -> None:
    """The recording store: scan, vanished files, retention."""


@recordings.command(name="scan")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def recordings_scan(ctx: click.Context, as_json: bool) -> None:
    """Adopt files written while the FastAGI server was down, check closed recordings, and
    report rows whose file vanished (the job does this every 5 minutes)."""
    report = _platform(ctx).speech.scan()
    lines = [", ".join(f"{k} {v}" for k, v in report.as_dict().items())]
    lines += [f"  adopted {p}" for p in report.adopted]
    lines += [f"  unreadable {p}: {why}" for p, why in report.unreadable]
    lines += [f"  MISSING {p}" for p in report.missing]
    lines += [f"  not named by the store's scheme (left alone): {p}" for p in report.unknown]
    _emit(report.as_dict() | {"adopted_files": report.adopted, "missing_files": report.missing,
                              "unknown_files": report.unknown}, as_json, "\n".join(lines))


@recordings.command(name="missing")
@click.pass_context
@_guard
def recordings_missing(ctx: click.Context) -> None:
    """Recordings whose file vanished from the store."""
    settings = _settings(ctx)
    with _platform(ctx).uow() as s:
        rows = catalog.missing(s)
        if not rows:
            click.echo("no recording is missing")
        for r in rows:
            click.echo(f"{r.id}  {r.kind}  {r.path}  missing since "
                       f"{_local(r.missing_at, settings)}  sha256 {r.sha256 or '?'}")


@recordings.command(name="retention")
@click.pass_context
@_guard
def recordings_retention(ctx: click.Context) -> None:
    """Delete recordings older than retention_days now (the job runs hourly); held and
    unreviewed flagged ones are kept. Every deletion is in the audit log."""
    settings = _settings(ctx)
    if settings.retention_days == 0:
        click.echo("retention_days = 0: recordings are kept forever")
        return
    report = _platform(ctx).speech.retention()
    click.echo(f"{len(report.deleted)} deleted (older than {settings.retention_days} days), "
               f"{report.kept} kept for review")
    for p, why in report.errors:
        click.echo(f"  cannot delete {p}: {why}", err=True)


# ---- flags -----------------------------------------------------------------------------------
@main.group()
def flags() -> None:
    """Abusive (R4.7) and urgent (R4.8) calls and messages for the supervisors."""


@flags.command(name="add")
@click.argument("number")
@click.option("--kind", type=click.Choice(["abusive", "urgent"]), required=True)
@click.option("--reason", required=True, help="What happened, in a few words.")
@click.option("--at", "at_s", type=click.FloatRange(0), default=None,
              help="Where in the recording (seconds), if known.")
@_by
@_court
@_unit
def flags_add(settings, service, session, number, kind, reason, at_s, by, court):
    """The operator's own flag on a call or message: the supervisor reviews it."""
    check_actor(by)
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise Fail("--reason must be 1 to 500 characters")
    order = service.find(session, court or settings.court_name, number)
    rec = session.scalar(select(Recording).where(Recording.call_id == order.call_id)
                         .order_by(Recording.id.desc())) if order.call_id else None
    existing = session.scalar(select(Flag).where(
        Flag.order_id == order.id, Flag.source == "operator", Flag.kind == kind,
        Flag.reviewed_at.is_(None)))
    if existing is not None:
        raise Fail(f"{number} already has an open {kind} flag by {existing.created_by}")
    matches = [{"phrase": "", "start": at_s, "end": at_s}] if at_s is not None else []
    session.add(Flag(recording_id=rec.id if rec else None, order_id=order.id, kind=kind,
                     category=f"operator-{kind}", label="坐席标记", reason=reason,
                     matches=matches, source="operator", created_at=_now(), created_by=by,
                     note=""))
    if kind == "urgent":
        order.urgent = True
    else:
        order.abusive = True
    click.echo(f"{number} flagged {kind}"
               + ("" if rec else " (no recording of this order: the flag is on the order)"))


@flags.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Reviewed ones too.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def flags_list(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """Flags waiting for a supervisor (urgent first, newest first)."""
    settings = _settings(ctx)
    with _platform(ctx).uow() as s:
        q = select(Flag, WorkOrder.number).outerjoin(WorkOrder, WorkOrder.id == Flag.order_id)
        if not show_all:
            q = q.where(Flag.reviewed_at.is_(None))
        q = q.order_by((Flag.kind != "urgent"), Flag.created_at.desc())
        rows = [{"id": f.id, "order": number, "kind": f.kind, "source": f.source,
                 "reason": f.reason, "recording_id": f.recording_id,
                 "created_at": _local(f.created_at, settings), "by": f.created_by,
                 "reviewed": f.outcome} for f, number in s.execute(q)]
    if as_json:
        _emit(rows, True, "")
        return
    if not rows:
        click.echo("no flags waiting")
    for r in rows:
        click.echo(f"{r['id']}  {r['order'] or '-'}  {r['kind']}  {r['source']}  "
                   f"{r['created_at']}  {r['reason']}"
                   + (f"  [{r['reviewed']}]" if r["reviewed"] else ""))

