"""The data folder belongs to the service alone.

It holds the AMI password and the FastAGI key, the seats' SIP passwords (rendered
``pjsip.conf``), the database and the recordings of the public. Every hotline command runs
with the umask 077, so what it creates — and what the Asterisk it starts creates — is its
owner's only (files 0600, folders 0700). ``hotline setup`` takes back what an older
install left open; the long-running commands refuse a folder other accounts can reach,
with one line that says how to close it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

UMASK = 0o077
OPEN_BITS = stat.S_IRWXG | stat.S_IRWXO


class OpenFolderError(Exception):
    """The data folder is open to other accounts."""


def restrict_umask() -> None:
    """What this process (and every process it starts) creates is its owner's only."""
    os.umask(UMASK)


def reachable_by_others(folder: Path) -> bool:
    """True if an account other than the owner (and root) can open files by name in
    ``folder``: every folder from the root down to it lets 'others' through (o+x). A
    folder inside a private one (a 0700 parent) is closed whatever its own mode."""
    path = folder.resolve()
    for part in [path, *path.parents]:
        try:
            mode = part.stat().st_mode
        except FileNotFoundError:
            return False
        if not mode & stat.S_IXOTH:
            return False
    return True


def check(folder: Path) -> None:
    """Refuse to run on a data folder other accounts can reach."""
    if folder.exists() and reachable_by_others(folder):
        mode = stat.filemode(folder.stat().st_mode)
        raise OpenFolderError(
            f"the data folder {folder} is open to other accounts ({mode}) and holds "
            f"secrets and recordings: run `hotline setup` or `chmod -R go= {folder}`")


def tree(folder: Path) -> list[Path]:
    """``folder`` and everything under it (symlinks listed, not followed)."""
    return [folder] + [Path(root) / n for root, dirs, names in os.walk(folder)
                       for n in dirs + names]


def make_private(folder: Path, pbx_gid: int | None = None) -> int:
    """Take group and other rights off ``folder`` and everything under it (symlinks are
    not followed); returns how many entries changed. What is shared with the PBX's
    account (its group, ``pbx_gid``: hotline/pbx_account.py) keeps its group rights."""
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        return 1
    changed = 0
    for entry in tree(folder):
        st = entry.lstat()
        closing = stat.S_IRWXO if pbx_gid is not None and st.st_gid == pbx_gid else OPEN_BITS
        if stat.S_ISLNK(st.st_mode) or not st.st_mode & closing:
            continue
        entry.chmod(stat.S_IMODE(st.st_mode) & ~closing)
        changed += 1
    return changed
