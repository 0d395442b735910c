"""`hotline reminders …`: the reminders (催办, R8) operators must send when an order is
overdue — list them, send one by text or record one made by phone."""

from __future__ import annotations

import click
from sqlalchemy import select

from hotline.cli.common import by_option, emit, local, now_utc, unit
from hotline.platform import Platform
from workorder.models import Reminder, WorkOrder


@click.group(name="reminders")
def command() -> None:
    """Reminders (催办, R8) the operators must send."""


@command.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Also those already sent.")
@click.option("--json", "as_json", is_flag=True)
@unit
def list_(platform: Platform, session, show_all: bool, as_json: bool) -> None:
    """Reminders still to be made (with --all: those made too), the soonest due first."""
    settings = platform.settings
    q = (select(Reminder, WorkOrder.number, WorkOrder.court)
         .join(WorkOrder, WorkOrder.id == Reminder.order_id).order_by(Reminder.due_by))
    if not show_all:
        q = q.where(Reminder.sent_at.is_(None))
    rows = [{"id": r.id, "order": n, "court": c, "to": r.to_name, "mobile": r.to_mobile,
             "due_by": local(r.due_by, settings), "sent_at": local(r.sent_at, settings)}
            for r, n, c in session.execute(q.limit(500))]
    emit(rows, as_json, "\n".join(
        f"{r['id']:>6}  {r['order']}  to {r['to'] or '?'} {r['mobile']}  due by {r['due_by']}"
        + (f"  sent {r['sent_at']}" if r["sent_at"] else "") for r in rows) or "no reminders")


@command.command(name="send")
@click.argument("reminder_id", type=int)
@click.option("--phoned", is_flag=True,
              help="The reminder was made by phone: record it, send no text.")
@by_option
@unit
def send(platform: Platform, session, reminder_id: int, phoned: bool, by: str) -> None:
    """Send a reminder (催办, R8): a text to the department head and the assignee through
    the outbox (or record one made by phone)."""
    service = platform.service
    texts = service.remind(session, reminder_id, by=by, at=now_utc(), phoned=phoned)
    click.echo(f"reminder {reminder_id} recorded as made by phone" if phoned else
               f"reminder {reminder_id}: {texts} text{'s' if texts != 1 else ''} queued")
