"""The recording store's naming scheme, one place for Python and (through the
HOTLINE_FILE variable) the dialplan:

    <recordings_dir>/calls/YYYY/MM/DD/<uniqueid>.wav      seat calls (MixMonitor)
    <recordings_dir>/messages/YYYY/MM/DD/<uniqueid>.wav   messages (Record, R6)

The date is the court's local date of arrival, so a day's files sit together.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

CALLS = "calls"
MESSAGES = "messages"
OUTBOUND = "outbound"  # calls the hotline placed (hotline/dialout.py)
WAV_HEADER = 44  # a WAV file this size or smaller holds no audio
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def file_base(received_at: datetime, tz: ZoneInfo, uniqueid: str) -> str:
    safe = _UNSAFE.sub("_", uniqueid)[:64].lstrip(".") or "unknown"
    return f"{received_at.astimezone(tz):%Y/%m/%d}/{safe}"


def outbound_base(placed_at: datetime, tz: ZoneInfo, uniqueid: str) -> str:
    """The recording's name (no extension) of a call the hotline placed."""
    return f"{OUTBOUND}/{file_base(placed_at, tz, uniqueid)}"


def is_outbound_base(name: str) -> bool:
    """Whether ``name`` is one :func:`outbound_base` gives for a placed call's id."""
    return bool(re.fullmatch(rf"{OUTBOUND}/\d{{4}}/\d{{2}}/\d{{2}}/[A-Za-z0-9_-][A-Za-z0-9._-]{{0,63}}",
                             name))


class OutsideStore(Exception):
    """A file the PBX reported is not in the recording store."""


def relative(recordings_dir: Path, path: str | Path) -> str:
    """The store-relative name of a file the PBX reports; :class:`OutsideStore` if it is
    not in the store."""
    resolved = Path(path).resolve()
    root = recordings_dir.resolve()
    if not resolved.is_relative_to(root):
        raise OutsideStore(f"{path} is outside the recording store {root}")
    return resolved.relative_to(root).as_posix()


def has_audio(path: Path) -> bool:
    try:
        return path.stat().st_size > WAV_HEADER
    except OSError:
        return False
