"""`hotline notices …`: the SMS outbox — dispatch texts (R5), urgent reports (R4.8),
reminders and the ladder's texts (R8), and those an operator must phone about instead."""

from __future__ import annotations

import click
from sqlalchemy import select

from hotline.cli.common import echo, json_text, local, pass_platform
from hotline.platform import Platform
from workorder.models import WorkOrder
from workorder.notices import Notice


@click.group(name="notices")
def command() -> None:
    """SMS notices (the outbox): dispatch texts (R5) and urgent reports (R4.8)."""


@command.command(name="list")
@click.option("--flagged", is_flag=True, help="Only those an operator must phone about (R5).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True)
@pass_platform
def list_(platform: Platform, flagged: bool, limit: int, as_json: bool) -> None:
    """The newest texts first, with their state (pending until when, sent, failed)."""
    settings = platform.settings
    q = (select(Notice, WorkOrder.number).outerjoin(WorkOrder, WorkOrder.id == Notice.order_id)
         .order_by(Notice.id.desc()).limit(limit))
    if flagged:
        q = q.where(Notice.flagged_at.is_not(None),
                    Notice.status.notin_(["sent", "delivered"]))
    with platform.uow() as s:
        rows = [{"id": n.id, "order": number, "kind": n.kind, "to": n.to_name,
                 "mobile": n.to_mobile, "status": n.status, "attempts": n.attempts,
                 "next_attempt_at": local(n.next_attempt_at, settings),
                 "sent_at": local(n.sent_at, settings), "flagged": n.flagged_at is not None,
                 "error": n.last_error, "body": n.body} for n, number in s.execute(q)]
    if as_json:
        click.echo(json_text(rows))
        return
    for r in rows:
        echo(f"{r['id']:>6}  {r['order'] or '-'}  {r['kind']:<8} {r['to']} {r['mobile']}  "
             f"{r['status']}"
             f"{' until ' + r['next_attempt_at'] if r['status'] == 'pending' else ''}"
             f"{' FLAGGED: phone them' if r['flagged'] else ''}"
             f"{'  ' + r['error'] if r['error'] else ''}")
    if not rows:
        click.echo("no notices")
