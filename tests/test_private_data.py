"""Issue 16: the data folder (secrets, seat passwords, the database, recordings of the
public) is the service's alone, on disk after `hotline setup` and when the PBX runs."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import HOTLINE

from hotline import private


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([HOTLINE, "--data-dir", str(data_dir), *args], capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)


def open_entries(folder: Path) -> list[str]:
    """Everything under ``folder`` (itself included) that grants group or other rights."""
    found = []
    for root, dirs, names in os.walk(folder):
        for entry in [Path(root)] + [Path(root) / n for n in dirs + names]:
            st = entry.lstat()
            if not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o077:
                found.append(f"{entry.relative_to(folder)} {stat.filemode(st.st_mode)}")
    return found


@pytest.fixture
def open_parent() -> Iterator[Path]:
    """A folder other accounts can reach (0755 under /tmp), as a careless install's /srv
    would be; pytest's own tmp_path sits inside a private (0700) folder."""
    parent = Path(tempfile.mkdtemp(prefix="hotline-open-", dir="/tmp"))
    parent.chmod(0o755)
    try:
        yield parent
    finally:
        shutil.rmtree(parent)


def test_a_fresh_setup_leaves_nothing_open_to_other_accounts(open_parent):
    data = open_parent / "var"
    done = run(data, "setup")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("hotline.db", "ami.secret", "agi.secret"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    assert any((data / "sounds").iterdir())  # the prompts were made, privately
    assert open_entries(data) == []
    assert not private.reachable_by_others(data / "hotline.db")


def test_serving_from_an_open_data_folder_is_refused_with_how_to_fix_it(open_parent):
    data = open_parent / "var"
    assert run(data, "setup").returncode == 0
    (data / "hotline.db").chmod(0o644)
    data.chmod(0o755)  # as an older install, or a careless `chmod`, left it
    before = (data / "hotline.db").read_bytes()
    refused = run(data, "serve", "--no-ami")
    assert refused.returncode == 2
    line = refused.stderr.strip()
    assert len(line.splitlines()) == 1 and "open to other accounts (drwxr-xr-x)" in line
    assert f"chmod -R go= {data.resolve()}" in line and "hotline setup" in line
    assert (data / "hotline.db").read_bytes() == before  # nothing touched
    pbx = run(data, "pbx", "start")  # refused before Asterisk is started
    assert pbx.returncode == 2 and "open to other accounts" in pbx.stderr
    # the fix it names: setup takes the rights back, then serving is allowed again
    fixed = run(data, "setup")
    assert fixed.returncode == 0 and "took group and other rights off" in fixed.stdout
    assert open_entries(data) == []
    private.check(data)


def test_a_data_folder_inside_a_private_one_is_closed_whatever_its_own_mode(tmp_path):
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    inner.chmod(0o755)
    tmp_path.chmod(0o700)
    assert not private.reachable_by_others(inner)
    private.check(inner)
