"""`hotline flags …`: abusive (R4.7) and urgent (R4.8) calls and messages for the
supervisors — an operator's own flag, and the flags waiting for review."""

from __future__ import annotations

import click
from sqlalchemy import select

from hotline.cli.common import (
    Fail,
    by_option,
    court_option,
    echo,
    emit,
    local,
    now_utc,
    pass_platform,
    unit,
)
from hotline.platform import Platform
from recordings.models import Flag, Recording
from workorder.models import WorkOrder
from workorder.orders import check_actor


@click.group(name="flags")
def command() -> None:
    """Abusive (R4.7) and urgent (R4.8) calls and messages for the supervisors."""


@command.command(name="add")
@click.argument("number")
@click.option("--kind", type=click.Choice(["abusive", "urgent"]), required=True)
@click.option("--reason", required=True, help="What happened, in a few words.")
@click.option("--at", "at_s", type=click.FloatRange(0), default=None,
              help="Where in the recording (seconds), if known.")
@by_option
@court_option
@unit
def add(platform: Platform, session, number: str, kind: str, reason: str, at_s: float | None,
        by: str, court: str | None) -> None:
    """The operator's own flag on a call or message: the supervisor reviews it."""
    check_actor(by)
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise Fail("--reason must be 1 to 500 characters")
    order = platform.service.find(session, court or platform.settings.court_name, number)
    rec = session.scalar(select(Recording).where(Recording.call_id == order.call_id)
                         .order_by(Recording.id.desc())) if order.call_id else None
    existing = session.scalar(select(Flag).where(
        Flag.order_id == order.id, Flag.source == "operator", Flag.kind == kind,
        Flag.reviewed_at.is_(None)))
    if existing is not None:
        raise Fail(f"{number} already has an open {kind} flag by {existing.created_by}")
    matches = [{"phrase": "", "start": at_s, "end": at_s}] if at_s is not None else []
    session.add(Flag(recording_id=rec.id if rec else None, order_id=order.id, kind=kind,
                     category=f"operator-{kind}", label="座席标记", reason=reason,
                     matches=matches, source="operator", created_at=now_utc(), created_by=by,
                     note=""))
    if kind == "urgent":
        order.urgent = True
    else:
        order.abusive = True
    click.echo(f"{number} flagged {kind}"
               + ("" if rec else " (no recording of this order: the flag is on the order)"))


@command.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Reviewed ones too.")
@click.option("--json", "as_json", is_flag=True)
@pass_platform
def list_(platform: Platform, show_all: bool, as_json: bool) -> None:
    """Flags waiting for a supervisor (urgent first, newest first)."""
    settings = platform.settings
    with platform.uow() as s:
        q = select(Flag, WorkOrder.number).outerjoin(WorkOrder, WorkOrder.id == Flag.order_id)
        if not show_all:
            q = q.where(Flag.reviewed_at.is_(None))
        q = q.order_by((Flag.kind != "urgent"), Flag.created_at.desc())
        rows = [{"id": f.id, "order": number, "kind": f.kind, "source": f.source,
                 "reason": f.reason, "recording_id": f.recording_id,
                 "created_at": local(f.created_at, settings), "by": f.created_by,
                 "reviewed": f.outcome} for f, number in s.execute(q)]
    if as_json:
        emit(rows, True, "")
        return
    if not rows:
        click.echo("no flags waiting")
    for r in rows:
        echo(f"{r['id']}  {r['order'] or '-'}  {r['kind']}  {r['source']}  "
             f"{r['created_at']}  {r['reason']}"
             + (f"  [{r['reviewed']}]" if r["reviewed"] else ""))
