"""`hotline callbacks …`: callbacks (回访, R10) — the callers to call back after feedback
and after an abandoned or unanswered call (R2), and the outcome of each attempt."""

from __future__ import annotations

import click

from hotline.cli.common import Fail, by_option, court_option, emit, local, now_utc, unit
from hotline.platform import Platform
from workorder import callbacks as callback_tasks
from workorder.models import WorkOrder
from workorder.types import CallbackReason


@click.group(name="callbacks")
def command() -> None:
    """Callbacks (回访, R10)."""


@command.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Also done and failed ones.")
@court_option
@click.option("--json", "as_json", is_flag=True)
@unit
def list_(platform: Platform, session, show_all: bool, court: str | None,
          as_json: bool) -> None:
    """Pending callbacks, litigation-rights matters first (R10)."""
    settings = platform.settings
    rows = [{"id": t.id, "order": o.number, "reason": t.reason, "priority": t.priority,
             "phone": t.phone, "due_at": local(t.due_at, settings), "status": t.status,
             "attempts": t.attempts, "satisfaction": t.satisfaction}
            for t, o in callback_tasks.open_tasks(session, court, include_done=show_all)]
    emit(rows, as_json, "\n".join(
        f"{r['id']:>6}  P{r['priority']}  {r['order']}  {r['reason']:<10} {r['phone']:<13} "
        f"due {r['due_at']}  {r['status']}"
        + (f" {r['satisfaction']}" if r["satisfaction"] else "") for r in rows)
        or "no callbacks to make")


@command.command(name="done")
@click.argument("number", required=False)
@click.option("--task", "task_id", type=int, help="The task's id (`callbacks list`), instead "
              "of the order NUMBER.")
@click.option("--reason", type=click.Choice([r.value for r in CallbackReason]),
              help="Which callback, when the order has more than one pending.")
@click.option("--outcome", required=True, type=click.Choice(callback_tasks.OUTCOMES))
@click.option("--satisfaction", help="满意 / 基本满意 / 不满意 (after feedback only)")
@click.option("--note", default="")
@court_option
@by_option
@unit
def done(platform: Platform, session, number: str | None, task_id: int | None,
         reason: str | None, outcome: str, satisfaction: str | None, note: str,
         court: str | None, by: str) -> None:
    """Record a callback attempt for order NUMBER; reaching the caller after feedback, with
    their satisfaction, closes the order (R10)."""
    service = platform.service
    if (number is None) == (task_id is None):
        raise Fail("give the order NUMBER (or --task ID) of the callback")
    if task_id is None:
        order = service.find(session, court or platform.settings.court_name, number)
        task_id = callback_tasks.task_of(session, order, reason).id
    t = callback_tasks.record(session, service.calendar, service.policy, task_id, by=by,
                              at=now_utc(), outcome=outcome, satisfaction=satisfaction, note=note)
    order = session.get(WorkOrder, t.order_id)
    click.echo(f"callback {t.id} ({t.reason}) of order {order.number}: {t.status}"
               + (f", {t.satisfaction}" if t.satisfaction else "")
               + ("; the order is closed" if order.status == "closed" else ""))
