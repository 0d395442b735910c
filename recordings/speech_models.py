"""Installing a Vosk model: download from the Vosk model site (or any host laid out like
it), resume an interrupted download, verify it against the site's model list (size and
MD5), unpack it safely, and only then put it in place — a failed install never damages
the model already there.

The site publishes ``model-list.json`` beside the archives: one entry per model with its
``name``, ``size`` and ``md5``; the archive is ``<base>/<name>.zip`` holding one folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import requests

VOSK_SITE = "https://alphacephei.com/vosk/models"
DEFAULT_MODEL = "vosk-model-small-cn-0.22"  # 42 MB, the courts' default
ACCURATE_MODEL = "vosk-model-cn-0.22"  # 1.3 GB, for accuracy
CHUNK = 1 << 20


class ModelInstallError(RuntimeError):
    """What went wrong, and what to do about it."""


def is_model(path: Path) -> bool:
    """A Vosk model folder (every model has its acoustic model in am/)."""
    return (path / "am").is_dir()


def installed(models_dir: Path) -> list[str]:
    if not models_dir.is_dir():
        return []
    return sorted(p.name for p in models_dir.iterdir()
                  if not p.name.startswith(".") and is_model(p))


def model_list(base_url: str, http: requests.Session, timeout: float = 30) -> dict[str, dict]:
    url = base_url.rstrip("/") + "/model-list.json"
    try:
        r = http.get(url, timeout=timeout)
        r.raise_for_status()
        entries = r.json()
    except (requests.RequestException, ValueError) as exc:
        raise ModelInstallError(f"cannot read the model list at {url}: {exc}") from None
    return {e["name"]: e for e in entries if isinstance(e, dict) and "name" in e}


def _md5(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _download(http: requests.Session, url: str, part: Path, size: int | None,
              progress: Callable[[int, int | None], None] | None, timeout: float) -> None:
    have = part.stat().st_size if part.exists() else 0
    if size is not None and have == size:
        return  # complete already; the checksum decides
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        with http.get(url, headers=headers, stream=True, timeout=timeout) as r:
            if r.status_code == 416:  # nothing left to send: the part is whole (or wrong)
                return
            if r.status_code == 404:
                raise ModelInstallError(f"{url} is not there (HTTP 404)")
            r.raise_for_status()
            mode = "ab" if r.status_code == 206 else "wb"  # a server without ranges: anew
            done = have if mode == "ab" else 0
            with open(part, mode) as f:
                for block in r.iter_content(CHUNK):
                    f.write(block)
                    done += len(block)
                    if progress:
                        progress(done, size)
    except requests.RequestException as exc:
        got = part.stat().st_size if part.exists() else 0
        raise ModelInstallError(
            f"the download of {url} was interrupted at {got} bytes ({type(exc).__name__}); "
            "run the same command again to resume") from None


def _unpack(archive: Path, into: Path) -> Path:
    """Unpack into a new folder; refuses members that would land outside it."""
    try:
        with zipfile.ZipFile(archive) as z:
            for member in z.namelist():
                p = PurePosixPath(member)
                if p.is_absolute() or ".." in p.parts:
                    raise ModelInstallError(f"{archive.name}: unsafe path {member!r} in the "
                                            "archive; not unpacked")
            z.extractall(into)
    except zipfile.BadZipFile as exc:
        raise ModelInstallError(f"{archive.name} is not a valid zip archive: {exc}") from None
    candidates = [p for p in [into, *into.iterdir()] if is_model(p)]
    if not candidates:
        raise ModelInstallError(f"{archive.name} holds no Vosk model (no am/ folder)")
    return candidates[0]


def install(name: str, models_dir: Path, base_url: str = VOSK_SITE,
            progress: Callable[[int, int | None], None] | None = None,
            http: requests.Session | None = None, timeout: float = 60,
            force: bool = False) -> Path:
    """Install model ``name`` into ``models_dir/name``; returns its folder."""
    if not name or "/" in name or name.startswith("."):
        raise ModelInstallError(f"{name!r} is not a model name")
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / name
    if is_model(target) and not force:
        return target
    http = http or requests.Session()
    models = model_list(base_url, http, timeout)
    entry = models.get(name)
    if entry is None:
        known = ", ".join(sorted(n for n in models if "-cn-" in n or "-small-" in n)[:12])
        raise ModelInstallError(f"no model {name!r} in the model list at {base_url}; "
                                f"e.g. {known}")
    size = int(entry["size"]) if entry.get("size") else None
    part = models_dir / f".{name}.zip.part"
    _download(http, f"{base_url.rstrip('/')}/{name}.zip", part, size, progress, timeout)
    got = part.stat().st_size
    if size is not None and got != size:
        if got > size:
            part.unlink()
        raise ModelInstallError(f"{name}: {got} bytes downloaded, the list says {size}"
                                + ("; the download was discarded, run again" if got > size
                                   else "; run the same command again to resume"))
    if entry.get("md5") and _md5(part) != entry["md5"]:
        part.unlink()
        raise ModelInstallError(f"{name}: the archive's MD5 does not match the model list; "
                                "the download was corrupt and is discarded — run again")
    staging = models_dir / f".{name}.unpacking"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        model = _unpack(part, staging)
        old = models_dir / f".{name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        model.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    part.unlink()
    (target / ".installed.json").write_text(json.dumps(
        {"name": name, "size": size, "md5": entry.get("md5"), "from": base_url}))
    return target
