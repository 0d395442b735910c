"""`hotline notices` (the SMS outbox, R5) and `hotline worker` (the job worker)."""

from __future__ import annotations

import json
import signal
import threading

import click
from sqlalchemy import select

from hotline.cli import _guard, _local, _platform, _settings, main
from hotline.jobs import consumer
from workorder.models import WorkOrder
from workorder.notices import Notice


@main.group()
def notices() -> None:
    """SMS notices (the outbox): dispatch texts (R5) and urgent reports (R4.8)."""


@notices.command(name="list")
@click.option("--flagged", is_flag=True, help="Only those an operator must phone about (R5).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def notices_list(ctx: click.Context, flagged: bool, limit: int, as_json: bool) -> None:
    settings = _settings(ctx)
    q = (select(Notice, WorkOrder.number).outerjoin(WorkOrder, WorkOrder.id == Notice.order_id)
         .order_by(Notice.id.desc()).limit(limit))
    if flagged:
        q = q.where(Notice.flagged_at.is_not(None),
                    Notice.status.notin_(["sent", "delivered"]))
    with _platform(ctx).uow() as s:
        rows = [{"id": n.id, "order": number, "kind": n.kind, "to": n.to_name,
                 "mobile": n.to_mobile, "status": n.status, "attempts": n.attempts,
                 "next_attempt_at": _local(n.next_attempt_at, settings),
                 "sent_at": _local(n.sent_at, settings), "flagged": n.flagged_at is not None,
                 "error": n.last_error, "body": n.body} for n, number in s.execute(q)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for r in rows:
        click.echo(f"{r['id']:>6}  {r['order'] or '-'}  {r['kind']:<8} {r['to']} {r['mobile']}  "
                   f"{r['status']}"
                   f"{' until ' + r['next_attempt_at'] if r['status'] == 'pending' else ''}"
                   f"{' FLAGGED: phone them' if r['flagged'] else ''}"
                   f"{'  ' + r['error'] if r['error'] else ''}")
    if not rows:
        click.echo("no notices")


@main.command()
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--no-periodic", is_flag=True,
              help="Leave the minute jobs (sweep, outbox) to another node.")
@click.pass_context
@_guard
def worker(ctx: click.Context, workers: int, no_periodic: bool) -> None:
    """Run the job worker alone (texts, retries, the sweep), e.g. on another machine
    sharing the job store. Ctrl-C stops it after the jobs in hand."""
    settings = _settings(ctx)
    c = consumer(_platform(ctx).jobs, workers=workers, periodic=not no_periodic)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    c.start()
    click.echo(f"worker: {workers} threads on {settings.job_store or 'jobs.db'}; Ctrl-C stops")
    stop.wait()
    c.stop(graceful=True)
