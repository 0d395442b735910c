"""`hotline messages …`: after-hours messages (R6) — transcribe them now, list the ones
waiting to be heard, confirm what was heard."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime

import click

from hotline.cli.common import (
    Fail,
    by_option,
    counted,
    court_option,
    echo,
    emit,
    local,
    now_utc,
    pass_platform,
    unit,
)
from hotline.platform import Platform
from recordings import pipeline
from recordings.models import Flag
from workorder.types import OrderType


@click.group(name="messages")
def command() -> None:
    """After-hours messages: transcribed and queued for listening on the next working day
    (R6)."""


@command.command(name="process")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="A working day: take the messages left before it opened. Default: all "
                   "messages left until now.")
@click.option("--workers", type=click.IntRange(1, 16), default=None,
              help="Recogniser processes (default: the speech_workers setting).")
@click.option("--json", "as_json", is_flag=True)
@pass_platform
def process(platform: Platform, day: datetime | None, workers: int | None,
            as_json: bool) -> None:
    """Transcribe the messages, flag them and fill in their orders now, instead of waiting
    for the job that does it when the line opens."""
    settings = platform.settings
    before = now_utc()
    if day is not None:
        calendar = platform.calendar
        d: date = day.date()
        if not calendar.is_working_day(d):
            raise Fail(f"{d} is not a working day ({calendar.reason(d)}); the next one is "
                       f"{calendar.next_working_day(d)}")
        start, _end = settings.staffed_hours
        before = datetime.combine(d, start, settings.tz).astimezone(UTC)
    total = platform.speech.pending("message", before)
    if total == 0:
        emit({"total": 0}, as_json, "no messages waiting")
        return
    # off a terminal the bar is its label alone, once: a sentence, not a stray word
    with click.progressbar(length=total, label=f"processing {counted(total, 'message')}",
                           show_pos=True, file=sys.stderr) as bar:
        report = platform.speech.messages(
            before, workers, progress=lambda done, _t, _p: bar.update(done - bar.pos))
    lines = [f"{counted(report.total, 'message')}: {counted(len(report.orders), 'order')} "
             f"to confirm (`hotline messages list`), {report.empty} empty, "
             f"{report.transcribed} transcribed in {report.wall_s:.1f} s"]
    lines += [f"  unreadable {p}: {why}" for p, why in report.unreadable]
    lines += [f"  missing {p}" for p in report.missing]
    lines += [f"  flagged {p}: {why}" for p, why in report.flagged]
    data = report.as_dict() | {"order_numbers": report.orders,
                               "unreadable_files": report.unreadable,
                               "missing_files": report.missing}
    emit(data, as_json, "\n".join(lines))


def _flag_summary(flags: list[Flag]) -> str:
    return "；".join(f"{'紧急' if f.kind == 'urgent' else '辱骂'} {f.reason}" for f in flags)


@command.command(name="list")
@court_option
@click.option("--json", "as_json", is_flag=True)
@pass_platform
def list_(platform: Platform, court: str | None, as_json: bool) -> None:
    """听留言: the messages waiting to be heard and confirmed, urgent first, then oldest."""
    settings = platform.settings
    with platform.uow() as s:
        rows = []
        for order, rec in pipeline.queue(s, court or settings.court_name):
            rows.append({
                "number": order.number, "left_at": local(rec.created_at, settings),
                "caller": order.caller_phone, "seconds": rec.duration_s,
                "type": OrderType(order.order_type).label_zh, "case": order.case_number,
                "flags": _flag_summary(rec.flags), "content": order.content,
                "recording": rec.path, "status": rec.status})
    if as_json:
        emit(rows, True, "")
        return
    if not rows:
        click.echo("no messages waiting to be heard")
    for r in rows:
        flag = f" ⚠ {r['flags']}" if r["flags"] else ""
        echo(f"{r['number']}  {r['left_at']}  {r['caller'] or '未知号码'}  "
             f"{r['seconds'] or 0:.0f}s  {r['type']}  {r['case'] or ''}{flag}\n"
             f"    {r['content'][:80]}")


@command.command(name="confirm")
@click.argument("number")
@click.option("--type", "order_type", help="The type heard (1-6 or its name), if not the "
                                           "suggested one (R3).")
@click.option("--case", "case_number", help="The case number heard.")
@click.option("--content", help="The matter, as heard.")
@click.option("--name", "caller_name", help="The caller's name, as heard.")
@click.option("--urgent", is_flag=True, help="Urgent or extreme (R4.8).")
@click.option("--abusive", is_flag=True, help="Abusive or harassing (R4.7).")
@click.option("--version", type=int, default=None, help="The order version you heard it on.")
@by_option
@court_option
@unit
def confirm(platform: Platform, session, number: str, order_type: str | None,
            case_number: str | None, content: str | None, caller_name: str | None,
            urgent: bool, abusive: bool, version: int | None, by: str,
            court: str | None) -> None:
    """The message was heard: confirm or correct the type and the details (R6). The order
    is then answered, closed or forwarded like any other."""
    service = platform.service
    order = service.find(session, court or platform.settings.court_name, number)
    fields = {k: v for k, v in (("order_type", order_type), ("case_number", case_number),
                                ("content", content), ("caller_name", caller_name))
              if v is not None}
    if urgent:
        fields["urgent"] = True
    if abusive:
        fields["abusive"] = True
    service.confirm_message(session, order, version=version, by=by, at=now_utc(), **fields)
    click.echo(f"{order.number} confirmed as {OrderType(order.order_type).label_zh}; next: "
               f"`hotline orders close {order.number}` or `hotline orders forward "
               f"{order.number}`")
