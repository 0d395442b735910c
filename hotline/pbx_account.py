"""Asterisk runs as its own account, not root.

Started by root (the chroot needs mounts), Asterisk drops to ``pbx_user`` (default
``hotline-pbx``, a system account made on first start, no login, no home) as soon as it
has read asterisk.conf, before it loads a module or opens a call. What that account gets
in the data folder, and nothing more:

* the data folder and the runtime folder: passage only (group x), so it cannot list them
  or reach the database, the secrets or the models beside;
* the configuration (``asterisk/etc``): read only, owned by root (group read), rewritten
  at each start, so a compromised Asterisk cannot change what root reads next time;
* the prompts (``sounds``): read only;
* its own state (``asterisk/lib``, ``spool``, ``run``, ``log``) and the recordings:
  its own, as MixMonitor and Record write there.

The bind shim root preloads into it lives apart (``pbx-shim``, root's alone): a file the
PBX account could replace would run as root at the next start.

Inside the chroot the account is the same uid and gid as on the host (added to the
chroot's passwd and group files), and the folders leading to the data folder's mount
point are passable (0711), so the account reaches the data folder by its own path.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hotline.private import tree
from hotline.settings import Settings


class AccountError(Exception):
    """The PBX's account cannot be made or given its folders; the message says why."""


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int


def wanted(settings: Settings) -> bool:
    """Only root drops: an Asterisk started by another account already runs as it."""
    return bool(settings.pbx_user) and os.geteuid() == 0


def ensure(name: str) -> Account:
    """The host's system account ``name`` (made if missing, with its own group)."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        done = subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
             "/nonexistent", "--shell", "/usr/sbin/nologin", "--comment",
             "hotline12368 PBX (Asterisk)", name], capture_output=True, text=True)
        if done.returncode != 0:
            raise AccountError(f"could not create the PBX account {name!r}: "
                               f"{done.stderr.strip()[:200]}; create it or set pbx_user") from None
        entry = pwd.getpwnam(name)
    if entry.pw_uid == 0:
        raise AccountError(f"pbx_user {name!r} is root: name an account of its own")
    return Account(name, entry.pw_uid, entry.pw_gid)


def _ensure_line(path: Path, name: str, line: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [x for x in lines if x.split(":", 1)[0] != name]
    if kept + [line] != lines:
        tmp = path.with_name(path.name + ".hotline-tmp")
        tmp.write_text("\n".join([*kept, line]) + "\n", encoding="utf-8")
        tmp.chmod(0o644)
        tmp.replace(path)


def enter_chroot(account: Account, chroot: Path) -> None:
    """The account known inside the chroot by the host's numbers."""
    etc = chroot / "etc"
    _ensure_line(etc / "passwd", account.name,
                 f"{account.name}:x:{account.uid}:{account.gid}:hotline12368 PBX:"
                 "/nonexistent:/usr/sbin/nologin")
    _ensure_line(etc / "group", account.name, f"{account.name}:x:{account.gid}:")


def passable_mount_point(chroot: Path, share: Path) -> None:
    """The folders inside the chroot down to ``share``'s mount point, passable by the
    account (they hold nothing but the way down)."""
    here = chroot
    for part in share.parts[1:]:
        here = here / part
        here.mkdir(exist_ok=True)
        if here == chroot / share.relative_to("/"):
            break  # the mount point itself shows the data folder's own mode
        mode = stat.S_IMODE(here.stat().st_mode)
        if not mode & stat.S_IXOTH:
            here.chmod(mode | 0o111)


def check_reachable(account: Account, share: Path) -> None:
    """A system Asterisk (no chroot) reaches the data folder through the host's own
    folders: each above it must let others pass."""
    for parent in reversed(share.parents):
        if not parent.stat().st_mode & stat.S_IXOTH:
            raise AccountError(
                f"the PBX account {account.name} cannot reach {share}: {parent} is "
                f"{stat.filemode(parent.stat().st_mode)}; put the data folder where other "
                "accounts may pass (e.g. /srv/hotline), or set pbx_user = \"\"")


def _set(path: Path, uid: int, gid: int, mode: int) -> None:
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        return
    if (st.st_uid, st.st_gid) != (uid, gid):
        os.chown(path, uid, gid)
    if stat.S_IMODE(st.st_mode) != mode:
        path.chmod(mode)


def share(settings: Settings, account: Account) -> None:
    """Give the account what Asterisk needs in the data folder (module docstring)."""
    gid = account.gid
    data = settings.data_dir.resolve()
    runtime = settings.runtime_dir
    _set(data, 0, gid, 0o710)
    _set(runtime, 0, gid, 0o710)
    for top in (runtime / "etc", settings.sounds_dir):
        readable(top, gid)
    for top in (*(runtime / n for n in ("lib", "spool", "run", "log")),
                settings.recordings_dir):
        for p in tree(top):
            _set(p, account.uid, gid, 0o700 if p.is_dir() else 0o600)


def readable(top: Path, gid: int) -> None:
    """``top`` and what is under it root's, readable by the PBX's group, for Asterisk to
    read and not change (the configuration, the prompts)."""
    if not top.exists():
        return
    for p in tree(top):
        _set(p, 0, gid, 0o750 if p.is_dir() else 0o640)


def readable_if_shared(settings: Settings, top: Path) -> None:
    """What the hotline writes for a running Asterisk (prompts made again, the SIP ban
    list, a test call's sound), made readable by it where this data folder is shared with
    the PBX's account (a `pbx start` did it; a fresh folder is shared with nobody)."""
    gid = group_of_pbx(settings)
    if gid is not None and wanted(settings) and settings.data_dir.stat().st_gid == gid:
        readable(top, gid)


def group_of_pbx(settings: Settings) -> int | None:
    """The PBX account's group, if there is one on this machine."""
    if not settings.pbx_user:
        return None
    try:
        return grp.getgrnam(settings.pbx_user).gr_gid
    except KeyError:
        return None
