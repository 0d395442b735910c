"""`hotline models …`: the speech models that transcribe messages and calls (R6)."""

from __future__ import annotations

import click

from hotline.cli.common import pass_settings
from hotline.settings import Settings
from recordings import speech_models


@click.group(name="models")
def command() -> None:
    """Speech models (Vosk) for transcribing messages and calls."""


@command.command(name="install")
@click.argument("name", default=speech_models.DEFAULT_MODEL)
@click.option("--base-url", default=None,
              help="A host laid out like the Vosk model site (model-list.json and "
                   "<name>.zip); default: the models_url setting.")
@click.option("--force", is_flag=True, help="Download and replace even if installed.")
@pass_settings
def install(settings: Settings, name: str, base_url: str | None, force: bool) -> None:
    """Download, verify (size and MD5 from the model list) and unpack model NAME
    (default vosk-model-small-cn-0.22; vosk-model-cn-0.22 for accuracy). An interrupted
    download resumes when the command is run again."""
    base = base_url or settings.models_url
    with click.progressbar(length=0, label=name, show_pos=True) as bar:
        def progress(done: int, total: int | None) -> None:
            if total and bar.length != total:
                bar.length = total
            bar.update(done - bar.pos)

        path = speech_models.install(name, settings.speech_models_dir, base, progress,
                                     force=force)
    note = "" if name == settings.speech_model else (
        f"\nto use it: speech_model = \"{name}\" in hotline.toml")
    click.echo(f"{name} installed in {path}{note}")


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
