"""`hotline worker`: the job worker alone (texts, retries, the sweep), e.g. on another
machine sharing the job store."""

from __future__ import annotations

import signal
import threading

import click

from hotline.cli.common import pass_platform
from hotline.jobs import consumer
from hotline.platform import Platform


@click.command(name="worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--no-periodic", is_flag=True,
              help="Leave the minute jobs (sweep, outbox) to another node.")
@pass_platform
def command(platform: Platform, workers: int, no_periodic: bool) -> None:
    """Run the job worker alone (texts, retries, the sweep), e.g. on another machine
    sharing the job store. Ctrl-C stops it after the jobs in hand."""
    c = consumer(platform.jobs, workers=workers, periodic=not no_periodic)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    c.start()
    click.echo(f"worker: {workers} threads on {platform.settings.job_store or 'jobs.db'}; "
               "Ctrl-C stops")
    stop.wait()
    c.stop(graceful=True)
