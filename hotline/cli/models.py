"""`hotline models …`: the speech models that transcribe messages and calls (R6)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from hotline.cli.common import Fail, pass_settings
from hotline.settings import Settings
from recordings import speech_models


@click.group(name="models")
def command() -> None:
    """Speech models (Vosk) for transcribing messages and calls."""


@command.command(name="install")
@click.argument("name", default=speech_models.DEFAULT_MODEL)
@click.option("--base-url", default=None,
              help="A host laid out like the Vosk model site (model-list.json and "
                   "<name>.zip), e.g. a mirror; default: the models_url setting.")
@click.option("--file", "archive", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Install from this archive (<name>.zip, fetched "
                                 "elsewhere) instead of downloading.")
@click.option("--md5", default=None,
              help="With --file: the archive's MD5 from the model list; refused if it "
                   "differs.")
@click.option("--force", is_flag=True, help="Download and replace even if installed.")
@pass_settings
def install(settings: Settings, name: str, base_url: str | None, archive: Path | None,
            md5: str | None, force: bool) -> None:
    """Download, verify (size and MD5 from the model list) and unpack model NAME
    (default vosk-model-small-cn-0.22; vosk-model-cn-0.22 for accuracy). An interrupted
    download resumes when the command is run again.

    Without a network: --base-url a mirror, or --file an archive fetched elsewhere (NAME
    may also be the archive's path, the model then named after the file)."""
    if archive is None and name.endswith(".zip"):
        archive, name = Path(name), Path(name).name.removesuffix(".zip")
    if archive is not None:
        path = speech_models.install_file(name, settings.speech_models_dir, archive, md5)
    else:
        path = _download(settings, name, base_url or settings.models_url, force)
    note = "" if name == settings.speech_model else (
        f"\nto use it: speech_model = \"{name}\" in hotline.toml")
    click.echo(f"{name} installed in {path}{note}")


def _download(settings: Settings, name: str, base: str, force: bool) -> Path:
    """The model from the site, with a progress bar once the download starts."""
    with contextlib.ExitStack() as stack:
        bars: list = []

        def progress(done: int, total: int | None) -> None:
            if not bars:
                bars.append(stack.enter_context(click.progressbar(
                    length=total or 0, label=f"downloading {name}", show_pos=True)))
            bar = bars[0]
            if total and bar.length != total:
                bar.length = total
            bar.update(done - bar.pos)

        try:
            return speech_models.install(name, settings.speech_models_dir, base, progress,
                                         force=force)
        except speech_models.SiteUnreachable as exc:
            raise Fail(f"{exc}\n"
                       f"  from a mirror: hotline models install {name} --base-url URL\n"
                       f"  from {name}.zip fetched elsewhere: hotline models install "
                       f"{name} --file PATH") from None


@command.command(name="list")
@pass_settings
def list_(settings: Settings) -> None:
    """The models installed, and which one transcribes."""
    names = speech_models.installed(settings.speech_models_dir)
    for n in names:
        click.echo(f"{'*' if n == settings.speech_model else ' '} {n}")
    if settings.speech_model not in names:
        click.echo(f"the configured speech_model {settings.speech_model} is not installed: "
                   f"hotline models install {settings.speech_model}")
