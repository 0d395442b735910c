"""Installing a Vosk model: download from the Vosk model site (or any host laid out like
it), resume an interrupted download, verify it against the site's model list (size and
MD5), unpack it safely, and only then put it in place — a failed install never damages
the model already there.

The site publishes ``model-list.json`` beside the archives: one entry per model with its
``name``, ``size`` and ``md5``; the archive is ``<base>/<name>.zip`` holding one folder.
Without a network an archive fetched elsewhere installs from a file (:func:`install_file`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
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


class SiteUnreachable(ModelInstallError):
    """The model site (or mirror) could not be read: no network, refused, not there."""


def _reason(exc: BaseException) -> str:
    """A library error in a few words: what the network said, not the library's trace."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS failed"
    if isinstance(exc, ValueError):
        return "not a model list (no JSON)"
    seen, todo = set(), [exc]
    while todo:  # requests wraps urllib3 wraps the socket's error: find the socket's
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, socket.gaierror):
            return "the host name does not resolve: no network, or no DNS"
        if isinstance(e, ConnectionRefusedError):
            return "connection refused"
        if isinstance(e, TimeoutError):
            return "no answer in time"
        if isinstance(e, OSError) and e.strerror:
            return e.strerror[0].lower() + e.strerror[1:]
        todo += [x for x in (*e.args, getattr(e, "reason", None), e.__cause__, e.__context__)
                 if isinstance(x, BaseException)]
    return type(exc).__name__


def is_model(path: Path) -> bool:
    """A Vosk model folder (every model has its acoustic model in am/)."""
    return (path / "am").is_dir()


def installed(models_dir: Path) -> list[str]:
    if not models_dir.is_dir():
        return []
    return sorted(p.name for p in models_dir.iterdir()
                  if not p.name.startswith(".") and is_model(p))


def model_list(base_url: str, http: requests.Session, timeout: float = 30,
               name: str = "the model") -> dict[str, dict]:
    url = base_url.rstrip("/") + "/model-list.json"
    try:
        r = http.get(url, timeout=timeout)
        r.raise_for_status()
        entries = r.json()
    except (requests.RequestException, ValueError) as exc:
        raise SiteUnreachable(f"cannot install {name}: cannot read the model list at {url} "
                              f"({_reason(exc)})") from None
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
        raise SiteUnreachable(
            f"the download of {url} was interrupted at {got} bytes ({_reason(exc)}); "
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


def _check_name(name: str) -> None:
    if not name or "/" in name or name.startswith("."):
        raise ModelInstallError(f"{name!r} is not a model name")


def install(name: str, models_dir: Path, base_url: str = VOSK_SITE,
            progress: Callable[[int, int | None], None] | None = None,
            http: requests.Session | None = None, timeout: float = 60,
            force: bool = False) -> Path:
    """Install model ``name`` into ``models_dir/name``; returns its folder."""
    _check_name(name)
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / name
    if is_model(target) and not force:
        return target
    http = http or requests.Session()
    models = model_list(base_url, http, timeout, name)
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
    _put_in_place(name, models_dir, part, {"size": size, "md5": entry.get("md5"),
                                           "from": base_url})
    part.unlink()
    return target


def install_file(name: str, models_dir: Path, archive: Path, md5: str | None = None) -> Path:
    """Install model ``name`` from an archive already on this machine (fetched elsewhere:
    no network here), checked against ``md5`` (the model list's) when given. The archive
    is left where it is; an installed model of that name is replaced only by a good one."""
    _check_name(name)
    md5 = md5.strip().lower() if md5 else None
    if not archive.is_file():
        raise ModelInstallError(f"cannot install {name}: no file {archive}")
    try:
        if md5 and _md5(archive) != md5:
            raise ModelInstallError(f"the MD5 of {archive} is not {md5} (a corrupt or "
                                    "different archive)")
        models_dir.mkdir(parents=True, exist_ok=True)
        _put_in_place(name, models_dir, archive, {"size": archive.stat().st_size,
                                                  "md5": md5 or _md5(archive),
                                                  "from": str(archive.resolve())})
    except ModelInstallError as exc:
        raise ModelInstallError(f"cannot install {name}: {exc}; nothing was changed") from None
    return models_dir / name


def _put_in_place(name: str, models_dir: Path, archive: Path, record: dict) -> None:
    """Unpack beside the models and only then swap the model in: an archive that does not
    unpack to a model leaves the installed one as it was."""
    target = models_dir / name
    staging = models_dir / f".{name}.unpacking"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        model = _unpack(archive, staging)
        old = models_dir / f".{name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        model.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    (target / ".installed.json").write_text(json.dumps({"name": name, **record}))
