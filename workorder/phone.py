"""Caller numbers as they reach the line: normalise what can be trusted, keep the rest raw.

A caller ID is untrusted input (a trunk may send ``anonymous``, letters, or kilobytes):
registration must never fail because of it (R2), so anything unusable becomes ``None``
and the raw text is kept, truncated, for the record.
"""

from __future__ import annotations

import re

RAW_MAX = 64  # what we keep of a raw caller ID
_DIGITS_MAX = 20  # E.164 allows 15; leave room for extensions typed by trunks
_WITHHELD = {"", "anonymous", "unknown", "unavailable", "private", "restricted", "asterisk"}
_NUMBER = re.compile(r"^\+?[0-9]{3,}$")


def normalize(raw: str | None) -> str | None:
    """The dialable number for a caller ID, or None when it is withheld or malformed.

    ``+86`` / ``0086`` country prefixes are dropped so one caller is one number whatever
    the trunk sends (repeat callers are recognised by it).
    """
    if raw is None:
        return None
    text = raw.strip().replace("-", "").replace(" ", "")
    if text.lower() in _WITHHELD or not _NUMBER.match(text):
        return None
    digits = text.lstrip("+")
    if text.startswith("+86"):
        digits = digits[2:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not 3 <= len(digits) <= _DIGITS_MAX:
        return None
    return digits


def clip_raw(raw: str | None) -> str:
    """Raw caller ID kept for the record: printable, at most RAW_MAX characters."""
    if not raw:
        return ""
    printable = "".join(ch if ch.isprintable() else "?" for ch in raw)
    return printable[:RAW_MAX]
