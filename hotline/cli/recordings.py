"""`hotline recordings …`: the recording store — scan it, list vanished files, apply the
retention period."""

from __future__ import annotations

import click

from hotline.cli.common import emit, local, pass_platform
from hotline.platform import Platform
from recordings import catalog


@click.group(name="recordings")
def command() -> None:
    """The recording store: scan, vanished files, retention."""


@command.command(name="scan")
@click.option("--json", "as_json", is_flag=True)
@pass_platform
def scan(platform: Platform, as_json: bool) -> None:
    """Adopt files written while the FastAGI server was down, check closed recordings, and
    report rows whose file vanished (the job does this every 5 minutes)."""
    report = platform.speech.scan()
    lines = [", ".join(f"{k} {v}" for k, v in report.as_dict().items())]
    lines += [f"  adopted {p}" for p in report.adopted]
    lines += [f"  unreadable {p}: {why}" for p, why in report.unreadable]
    lines += [f"  MISSING {p}" for p in report.missing]
    lines += [f"  not named by the store's scheme (left alone): {p}" for p in report.unknown]
    emit(report.as_dict() | {"adopted_files": report.adopted, "missing_files": report.missing,
                             "unknown_files": report.unknown}, as_json, "\n".join(lines))


@command.command(name="missing")
@pass_platform
def missing(platform: Platform) -> None:
    """Recordings whose file vanished from the store."""
    with platform.uow() as s:
        rows = catalog.missing(s)
        if not rows:
            click.echo("no recording is missing")
        for r in rows:
            click.echo(f"{r.id}  {r.kind}  {r.path}  missing since "
                       f"{local(r.missing_at, platform.settings)}  sha256 {r.sha256 or '?'}")


@command.command(name="retention")
@pass_platform
def retention(platform: Platform) -> None:
    """Delete recordings older than retention_days now (the job runs hourly); held and
    unreviewed flagged ones are kept. Every deletion is in the audit log."""
    settings = platform.settings
    if settings.retention_days == 0:
        click.echo("retention_days = 0: recordings are kept forever")
        return
    report = platform.speech.retention()
    click.echo(f"{len(report.deleted)} deleted (older than {settings.retention_days} days), "
               f"{report.kept} kept for review")
    for p, why in report.errors:
        click.echo(f"  cannot delete {p}: {why}", err=True)
