"""Caller numbers as they reach the line: normalise what can be trusted, keep the rest raw.

A caller ID is untrusted input (a trunk may send ``anonymous``, letters, or kilobytes):
registration must never fail because of it (R2), so anything unusable becomes ``None``
and the raw text is kept, truncated, for the record.
"""

from __future__ import annotations

import re

from workorder.errors import DomainError

RAW_MAX = 64  # what we keep of a raw caller ID
_DIGITS_MAX = 20  # E.164 allows 15; leave room for extensions typed by trunks
_WITHHELD = {"", "anonymous", "unknown", "unavailable", "private", "restricted", "asterisk"}
_NUMBER = re.compile(r"^\+?[0-9]{3,}$")


class PhoneError(DomainError):
    """A number the hotline must be able to dial is not a phone number; says which."""


def normalize(raw: str | None) -> str | None:
    """The dialable number for a caller ID, or None when it is withheld or malformed.

    ``+86`` / ``0086`` country prefixes are dropped so one caller is one number whatever
    the trunk sends (repeat callers are recognised by it).
    """
    if raw is None:
        return None
    text = _compact(raw)
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


def _compact(raw: str) -> str:
    return raw.strip().replace("-", "").replace(" ", "")


def parse_caller(raw: str) -> str | None:
    """A caller's number typed by a person (a test call, an order taken in the hall): the
    number :func:`normalize` gives, or None when it is withheld — empty, ``-`` (what a
    listing shows for no number) or a word a trunk sends instead (``anonymous``…).

    Anything else raises :class:`PhoneError`: a caller ID from the trunk that is not a
    number is a fact to keep (R2), a typed one is a mistake to correct.
    """
    if _compact(raw).lower() in _WITHHELD:
        return None
    number = normalize(raw)
    if number is None:
        raise PhoneError(f"{clip_raw(raw)[:30]!r} is not a phone number: digits, optionally "
                         f"after a +, 3 to {_DIGITS_MAX} of them (empty or - for a withheld "
                         "number)")
    return number


def clip_raw(raw: str | None) -> str:
    """Raw caller ID kept for the record: printable, at most RAW_MAX characters."""
    if not raw:
        return ""
    printable = "".join(ch if ch.isprintable() else "?" for ch in raw)
    return printable[:RAW_MAX]


# ---- directory numbers -------------------------------------------------------------------
# The court directory (judges, department heads, liaison officers, leaders) is trusted
# data that SMS dispatch (R5) and reminders (R8) dial: a number that cannot be reached is
# an error at import, never a silent None as for caller IDs above.
_SEPARATORS = str.maketrans("", "", " -\u3000\u00a0\t")
_MOBILE = re.compile(r"^1[0-9]{10}$")
_LANDLINE_HINT = "e.g. 0371-12345678, 037112345678, 12345678 or 0371-12345678-123"


def parse_mobile(raw: str) -> str:
    """A mainland mobile number as 11 digits starting with 1, e.g. ``'13900000001'``.

    Spaces and dashes are dropped (``139 0000 0001``, ``139-0000-0001``) and so is a
    ``+86`` / ``0086`` country prefix. Anything else raises :class:`PhoneError` quoting the input.
    """
    text = str(raw).strip().translate(_SEPARATORS)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    if not text.isascii() or not text.isdigit() or len(text) != 11:
        raise PhoneError(f"{raw!r} is not an 11-digit mobile number")
    if not _MOBILE.match(text):
        raise PhoneError(f"{raw!r} is not a mobile number (mobile numbers start with 1)")
    return text


def parse_office_phone(raw: str) -> str:
    """An office phone: a mobile number, or a landline with an optional extension.

    Normal form: mobiles as :func:`parse_mobile` gives them; landlines as
    ``AREA-LOCAL[-EXTENSION]`` (``0371-12345678``, ``010-12345678-123``) or
    ``LOCAL[-EXTENSION]`` without an area code (``12345678``). The area code is read from
    the digits when no dash separates it: ``010`` and ``02x`` have three digits, every
    other area code four (``037112345678`` → ``0371-12345678``). The local number has 7
    or 8 digits and does not start with 0; an extension has 1 to 6 digits and
    follows a dash or ``转``. Brackets around the area code are accepted
    (``(0371)12345678``).
    """
    try:
        return parse_mobile(raw)
    except PhoneError:
        pass
    text = str(raw).strip()
    for char in " \u3000\u00a0\t":
        text = text.replace(char, "")
    for opening, closing in (("(", ")"), ("（", "）")):
        if text.startswith(opening) and closing in text:
            text = text[1:].replace(closing, "-", 1)
    text = text.replace("转", "-").replace("—", "-").replace("－", "-")
    parts = text.split("-")
    if not all(p.isascii() and p.isdigit() for p in parts) or len(parts) > 3:
        raise PhoneError(f"{raw!r} is not a mobile or landline number ({_LANDLINE_HINT})")
    area = extension = ""
    if len(parts) == 3:
        area, local, extension = parts
    elif len(parts) == 2 and parts[0].startswith("0") and len(parts[0]) <= 4:
        area, local = parts
    elif len(parts) == 2:
        local, extension = parts
    else:
        local = parts[0]
    if not area and local.startswith("0"):
        cut = 3 if local[:2] in ("01", "02") else 4
        area, local = local[:cut], local[cut:]
    area_ok = not area or (area.startswith("0") and len(area) == (3 if area[1:2] in ("1", "2") else 4))
    local_ok = len(local) in (7, 8) and not local.startswith("0")
    extension_ok = not extension or 1 <= len(extension) <= 6
    if not (area_ok and local_ok and extension_ok):
        raise PhoneError(f"{raw!r} is not a mobile or landline number ({_LANDLINE_HINT})")
    return "-".join(p for p in (area, local, extension) if p)
