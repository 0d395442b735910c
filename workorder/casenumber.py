"""Case numbers (案号): read them however they are given, store one canonical form.

Why this exists:

* R2 registers every call with the main content of the matter, and for a case inquiry
  or a call about a judge's case (R4) that content is the case. The work order carries
  its case number in one canonical form (``work_orders.case_number``), so the same case
  is found again however it was typed the first time.
* The number reaches the line three ways, each with its own noise:

  - typed by an operator: brackets of any width, spaces, full-width digits, the legacy
    ``字`` of pre-2016 numbers (``民初字第1234号``), ``第`` and ``号`` present or not;
  - keyed by the caller on a telephone keypad, which has no Chinese characters: only the
    year and the sequence number, ``2024*1234`` (:class:`CaseQuery`);
  - said aloud and written down by a speech recogniser (R6: after-hours messages) in
    Chinese numerals, without brackets and sometimes with a space between every word or
    character: ``二零二四京零一零五民初一二三四号``, ``二零二四年京零一零五民初一千二百三十四号``,
    ``二 零 二 四 年 京 零 一 零 五 民 初 一 千 二 百 三 十 四 号``.

The official form (最高人民法院《关于人民法院案件案号的若干规定》) is
``（year）court code, case-type code, sequence number 号``, e.g. ``（2024）京0105民初1234号``:
the court code (法院代字) is a province abbreviation with 0, 2 or 4 digits (high,
intermediate, primary court) or ``最高法``; the case-type code (类型代字) is a short run of
Chinese characters such as ``民初`` or ``执恢``.

Where this module is lenient, and why:

* brackets may be mixed or missing and ``年`` may follow the year, because a year that is
  four digits directly before a court code is unambiguous, and a recogniser writes no
  brackets;
* spoken digits (〇 零 一 幺 二 … 九, also ○ as typed for 〇) count as digits everywhere,
  because no case-type code contains a numeral, so reading them as digits loses nothing;
* a year or sequence number may also be said positionally, with 十 百 千 万 (and 两 for 2
  before 百 千 万): ``一千零五``, ``十二``, ``三千四百``, ``两千零二十四``. A run of numerals
  is read one way or the other as a whole; a court code, said digit by digit, is read
  only that way in free text;
* in free text, spaces between Chinese characters are dropped, because a recogniser puts
  them between words or even characters (``民 初 一 千 二 百``).

Where it is strict: a year outside 1990 to next year, a court code that no court has, a
sequence number of 0 or of more than six digits. Each is a mistyped or misheard number,
and a wrong number on an order sends the inquiry to the wrong case. For the same reason a
run of numerals that can be read more than one way is no number at all:

* a positional number must be complete: ``一千五`` (colloquially 1500, but also what a
  caller who dropped the 零 of 一千零五 says), ``一千五百零`` and ``一二百`` are not read;
* a gap needs its 零 (``一千零五``, not ``一千五``; ``一万零五百``) and a 零 needs a gap
  (``一千零五百`` is not read); 两 is 2 only before 百 千 万 or alone (``两号``);
* in free text, a sequence number whose numerals the recogniser split with spaces counts
  only when 号 follows: in ``民初一二 三天后回电`` the 三 may belong to 三天.

Pure domain code: no I/O; "today" is an argument so tests do not depend on the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from itertools import accumulate

from workorder.errors import DomainError

__all__ = [
    "FIRST_YEAR",
    "PROVINCES",
    "SUPREME_COURT",
    "CaseNumber",
    "CaseNumberError",
    "CaseQuery",
    "find_in_text",
    "parse",
    "parse_any",
    "parse_keyed",
]

# No case the hotline can look up is older; an earlier year is a mistyped one.
FIRST_YEAR = 1990
# The upper bound is next year, not this one: around New Year a number issued on
# 1 January may be read out while a clock still says 31 December.
_YEARS_AHEAD = 1

SUPREME_COURT = "最高法"
# The 31 provincial-level abbreviations, plus 兵 for the Xinjiang Production and
# Construction Corps courts, which number their cases like a province.
PROVINCES = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川黔滇藏陕甘青宁新兵"

_TYPE_MAX = 5
_SEQ_DIGITS_MAX = 6
_CLIP = 40  # characters of the offending input quoted in an error message
_LEGACY_SUFFIX = "字"  # 民初字第1234号: dropped from case numbers in 2016

_OPEN = "（(〔[【"
_CLOSE = "）)〕]】"

_SPOKEN_DIGITS = {
    "〇": "0", "○": "0", "零": "0",
    "一": "1", "幺": "1",  # 幺 is how 1 is said on the phone, so it is not heard as 7
    "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
}  # fmt: skip
_FULL_WIDTH_DIGITS = {chr(ord("０") + n): str(n) for n in range(10)}
_TO_ASCII_WIDTH = str.maketrans(_FULL_WIDTH_DIGITS)
_TO_ASCII_DIGITS = str.maketrans(_FULL_WIDTH_DIGITS | _SPOKEN_DIGITS)
# Positional numerals: 一千二百三十四. 两 is 2 before a unit; 零 (〇) only marks a gap.
_UNITS = {"十": 10, "百": 100, "千": 1000}
_WAN = "万"
_LIANG = "两"
_WAN_PLACE = 10_000
_ZEROS = "〇○零"
_DIGIT_VALUES = {ch: int(d) for ch, d in _SPOKEN_DIGITS.items() if d != "0"} | {_LIANG: 2}
# Keypad symbols as an input method may render them.
_TO_ASCII_KEYS = str.maketrans(_FULL_WIDTH_DIGITS | {"＊": "*", "＃": "#", "－": "-"})

# CJK Unified Ideographs, Extension A and the compatibility block: what a type code is
# written in. 第 and 号 delimit the sequence number and numerals (digits, 两 and the places
# 十 百 千 万) are numbers, so none of them can be part of a type code.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_DIGIT_CHARS = "0-9" + "".join(_SPOKEN_DIGITS)
_NUMERAL_CHARS = _DIGIT_CHARS + _LIANG + "".join(_UNITS) + _WAN
_TYPE_CHAR = f"(?:(?![第号{_NUMERAL_CHARS}])[{_CJK}])"
_COURT = f"{SUPREME_COURT}|[{PROVINCES}](?:[0-9]{{4}}|[0-9]{{2}})?"
_SPOKEN_COURT = f"{SUPREME_COURT}|[{PROVINCES}](?:[{_DIGIT_CHARS}]{{4}}|[{_DIGIT_CHARS}]{{2}})?"
_NUMERAL = f"[{_NUMERAL_CHARS}]"
_OPEN_CLASS = f"[{re.escape(_OPEN)}]"
_CLOSE_CLASS = f"[{re.escape(_CLOSE)}]"

_HAS_CJK = re.compile(f"[{_CJK}〇]")  # 〇 is outside the ideograph blocks but is Chinese
_COURT_ONLY = re.compile(f"(?:{_COURT})")
_TYPE_ONLY = re.compile(f"{_TYPE_CHAR}{{1,{_TYPE_MAX}}}")
_TYPE_RUN = re.compile(f"{_TYPE_CHAR}+")
_DIGIT_RUN = re.compile("[0-9]+")
_NUMERAL_RUN = re.compile(f"{_NUMERAL}+")
# A recogniser's spaces between words or characters; typed notes keep theirs.
_SPOKEN_GAP = re.compile(f"(?<=[{_CJK}〇○])\\s+(?=[{_CJK}〇○])")
_YEAR_AT_START = re.compile(
    f"(?P<open>{_OPEN_CLASS})?(?P<year>[0-9]+)年?(?P<close>{_CLOSE_CLASS})?"
)
_KEYED_SEPARATED = re.compile(r"(?P<year>[0-9]+)(?:\s*[*#-]\s*|\s+)(?P<seq>[0-9]+)#?")
_KEYED_RUN = re.compile(r"(?P<digits>[0-9]+)#?")  # '#' ends keypad input on most IVRs

# In free text whitespace may separate the parts but not split a number: "民初12 3天后"
# must not become sequence number 123. The year and the sequence number are whole runs of
# numerals (digits, spoken or positional), read afterwards: lookarounds stop them from
# being cut out of a longer run (a phone number, a seven-digit typo, 一千二百 read as 一).
# The type code may take one character more than allowed so that a legacy 字 can follow a
# long code.
_IN_TEXT = re.compile(
    rf"(?P<open>{_OPEN_CLASS})?\s*"
    rf"(?<!{_NUMERAL})(?P<year>{_NUMERAL}+)(?!{_NUMERAL})\s*年?\s*(?P<close>{_CLOSE_CLASS})?\s*"
    rf"(?P<court>{_SPOKEN_COURT})\s*"
    rf"(?P<type>{_TYPE_CHAR}{{1,{_TYPE_MAX + 1}}})\s*"
    rf"(?P<di>第)?\s*(?P<seq>{_NUMERAL}+)(?!{_NUMERAL})"
    rf"(?:\s*(?P<hao>号))?"
)
_NUMBER_HINT = "numerals said one by one (一二三四) or as a whole number (一千二百三十四)"

_OFFICIAL_HINT = "e.g. （2024）京0105民初1234号"
_KEYED_HINT = "year and number keyed as 2024*1234"
_ANY_HINT = f"{_OFFICIAL_HINT}, or {_KEYED_HINT}"


class CaseNumberError(DomainError):
    """Not a usable case number; the one-line message quotes the input and says what was
    expected."""


@dataclass(frozen=True, slots=True)
class CaseNumber:
    """An official case number, e.g. （2024）京0105民初1234号.

    Built directly, it checks its parts' shape (so its canonical form always parses back
    to it) but not the year against today: that is a plausibility check on input, done by
    :func:`parse`.
    """

    year: int
    court_code: str  # 法院代字: 京, 京01, 京0105 or 最高法
    type_code: str  # 类型代字: 民初, 执恢, …, without the legacy 字
    seq: int  # 顺序号

    def __post_init__(self) -> None:
        _check_year_and_seq(self.year, self.seq, "CaseNumber")
        if not isinstance(self.court_code, str) or not _COURT_ONLY.fullmatch(self.court_code):
            raise CaseNumberError(
                f"invalid CaseNumber court code {self.court_code!r} "
                "(expected a province abbreviation with 0, 2 or 4 digits, or 最高法)"
            )
        if (
            not isinstance(self.type_code, str)
            or not _TYPE_ONLY.fullmatch(self.type_code)
            or self.type_code.endswith(_LEGACY_SUFFIX)
        ):
            raise CaseNumberError(
                f"invalid CaseNumber type code {self.type_code!r} "
                f"(expected 1–{_TYPE_MAX} Chinese characters such as 民初, without 第, 号, "
                "numerals or a trailing 字)"
            )

    @property
    def canonical(self) -> str:
        """The form stored on work orders: full-width brackets, no spaces, 号 at the end."""
        return f"（{self.year}）{self.court_code}{self.type_code}{self.seq}号"

    @property
    def query(self) -> CaseQuery:
        """What a caller would key for this case, to match keypad input against it."""
        return CaseQuery(self.year, self.seq)

    def __str__(self) -> str:
        return self.canonical


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """A case number as keyed on a telephone keypad: year and sequence number only.

    Several cases share it (every court and case type restarts its numbering each year),
    so it narrows a search rather than naming one case.
    """

    year: int
    seq: int

    def __post_init__(self) -> None:
        _check_year_and_seq(self.year, self.seq, "CaseQuery")

    def __str__(self) -> str:
        return f"{self.year}*{self.seq}"


def parse(text: str, today: date | None = None) -> CaseNumber:
    """The case number written in ``text``, in the official form and nothing else.

    Raises :class:`CaseNumberError` when it is not one; a keypad form (``2024*1234``) is
    not accepted here, see :func:`parse_keyed` and :func:`parse_any`.
    """
    return _parse_official(text, today, _OFFICIAL_HINT)


def parse_keyed(text: str, today: date | None = None) -> CaseQuery:
    """Year and sequence number keyed on a telephone keypad.

    Accepted: ``2024*1234``, ``2024#1234``, ``2024-1234``, ``2024 1234`` and ``20241234``
    (a four-digit year directly followed by a sequence number of up to six digits), each
    optionally ended by the ``#`` that terminates keypad input.
    """
    return _parse_keyed(text, today, _KEYED_HINT)


def parse_any(text: str, today: date | None = None) -> CaseNumber | CaseQuery:
    """The official form when ``text`` has a Chinese character, otherwise a keyed one."""
    if _HAS_CJK.search(_require_str(text)):
        return _parse_official(text, today, _ANY_HINT)
    return _parse_keyed(text, today, _ANY_HINT)


def find_in_text(text: str, today: date | None = None) -> list[CaseNumber]:
    """Every official case number in free text, in order of appearance, each once.

    For operators' notes and speech transcripts (R6): numbers in Chinese numerals are read
    whether said digit by digit (``二零二四京零一零五民初一二三四号``) or positionally
    (``二零二四年京零一零五民初一千二百三十四号``), spaces between Chinese characters are
    ignored, brackets may be missing, and anything that is not a valid case number, or
    could be read as more than one, is skipped, never raised. Without brackets, a year
    followed by a bare province character needs ``第`` or ``号`` around the sequence
    number to count, so that chatter such as ``2024京东买了3个`` is not taken for a
    high-court case.
    """
    compact, joins = _join_spoken(_require_str(text).translate(_TO_ASCII_WIDTH))
    found: list[CaseNumber] = []
    for m in _IN_TEXT.finditer(compact):
        # A court code longer than one character has digits or is 最高法: a case number
        # shape nothing else has.
        marked = m["open"] or m["close"] or m["di"] or m["hao"] or len(m["court"]) > 1
        if not marked:
            continue
        # Numerals the recogniser heard in pieces (一二 三天后) may be two figures; only a
        # 号 after them says the number ends there.
        if not m["hao"] and any(m.start("seq") < at < m.end("seq") for at in joins):
            continue
        year, seq = _numeral_digits(m["year"]), _numeral_digits(m["seq"])
        if year is None or seq is None:
            continue
        court = m["court"].translate(_TO_ASCII_DIGITS)
        try:
            number = _build(year, court, m["type"], seq, today, m[0])
        except CaseNumberError:
            continue
        if number not in found:
            found.append(number)
    return found


# ---- internals ------------------------------------------------------------------------


def _require_str(text: object) -> str:
    if not isinstance(text, str):
        raise TypeError(f"a case number must be given as str, got {type(text).__name__}")
    return text


def _quote(text: str) -> str:
    # repr escapes newlines and other non-printables, which keeps the message one line.
    clipped = text if len(text) <= _CLIP else text[: _CLIP - 1] + "…"
    return repr(clipped)


def _error(problem: str, text: str, expected: str | None = None) -> CaseNumberError:
    message = f"{problem}: {_quote(text)}"
    if expected:
        message += f" (expected {expected})"
    return CaseNumberError(message)


def _check_year_and_seq(year: object, seq: object, what: str) -> None:
    # bool is an int; True as a sequence number is a bug, not case 1.
    if type(year) is not int or not FIRST_YEAR <= year <= 9999:
        raise CaseNumberError(
            f"invalid {what} year {year!r} (expected a 4-digit year from {FIRST_YEAR})"
        )
    if type(seq) is not int or not 1 <= seq < 10**_SEQ_DIGITS_MAX:
        raise CaseNumberError(
            f"invalid {what} sequence number {seq!r} (expected 1 to {10**_SEQ_DIGITS_MAX - 1})"
        )


def _join_spoken(text: str) -> tuple[str, set[int]]:
    """``text`` without whitespace between Chinese characters, and the places in the result
    where whitespace was taken out."""
    pieces = _SPOKEN_GAP.split(text)
    return "".join(pieces), set(accumulate(len(p) for p in pieces[:-1]))


def _numeral_digits(run: str) -> str | None:
    """The decimal digits a run of numerals stands for, or None when it cannot be read one
    way only.

    Without 十 百 千 万 the run is read digit by digit (二零二四, 幺二, 1234, 2〇24); with
    them, as one positional number (一千零五, 两千零二十四, 十二万三千).
    """
    if not any(ch in _UNITS or ch == _WAN for ch in run):
        if _LIANG in run:  # 两 is said for 2 in a quantity, not in a string of digits
            return "2" if run == _LIANG else None
        return run.translate(_TO_ASCII_DIGITS)
    high, wan, low = run.partition(_WAN)
    if not wan:
        value = _positional(run, above=None)
    elif _WAN in low:
        return None
    else:
        # 十万 and 十二万三千: the part before 万 counts ten-thousands and the part after it
        # continues below them, so a gap after 万 needs its 零 as anywhere else.
        high_value = _positional(high, above=None)
        low_value = _positional(low, above=_WAN_PLACE) if low else 0
        if not high_value or low_value is None:
            return None
        value = high_value * _WAN_PLACE + low_value
    return None if value is None else str(value)


def _positional(run: str, above: int | None) -> int | None:
    """The value of a positional numeral below 10 000 (一千零五, 三百, 十二), or None.

    ``above`` is the place of the numeral said just before (万 for the part after it), so a
    skipped place is known to need its 零.
    """
    value, i, gap_said = 0, 0, False
    while i < len(run):
        ch = run[i]
        if ch in _ZEROS:
            if gap_said or above is None:  # 零零, or a number that starts with 零
                return None
            gap_said, i = True, i + 1
            continue
        if ch == "十":  # 十二, 一百十二: a bare 十 is 一十
            digit, place, i = 1, 10, i + 1
        elif ch in _DIGIT_VALUES:
            unit = run[i + 1] if i + 1 < len(run) else ""
            digit, place = _DIGIT_VALUES[ch], _UNITS.get(unit, 1)
            i += 2 if unit in _UNITS else 1
            if ch == _LIANG and place < 100 and run != _LIANG:  # 两十, 十两
                return None
        else:  # a unit with no digit (百, 千), or an Arabic digit among numerals
            return None
        if above is not None and place >= above:  # 一二百, 一百二千
            return None
        # A place skipped (一千…五) must be said as 零, and 零 only where one is skipped:
        # 一千五 is 1500 to some and 1005 to others.
        if (above is not None and place * 10 < above) != gap_said:
            return None
        value, above, gap_said = value + digit * place, place, False
    return None if gap_said else value


def _to_digits(s: str, text: str) -> str:
    """``s`` with every run of numerals replaced by its digits; an error names a run that
    cannot be read one way only."""

    def digits(run: re.Match[str]) -> str:
        read = _numeral_digits(run.group())
        if read is None:
            raise _error(f"cannot read {run.group()} as a number", text, _NUMBER_HINT)
        return read

    return _NUMERAL_RUN.sub(digits, s)


def _digits_at(s: str, pos: int) -> str:
    run = _DIGIT_RUN.match(s, pos)
    return run.group() if run else ""


def _year(digits: str, today: date | None, text: str) -> int:
    if len(digits) != 4:
        raise _error(f"year {digits} is not 4 digits", text, _OFFICIAL_HINT)
    year = int(digits)
    last = (today or date.today()).year + _YEARS_AHEAD
    if not FIRST_YEAR <= year <= last:
        raise _error(f"year {year} is out of range {FIRST_YEAR}–{last}", text)
    return year


def _seq(digits: str, text: str) -> int:
    if len(digits) > _SEQ_DIGITS_MAX:
        raise _error(f"sequence number {digits} has more than {_SEQ_DIGITS_MAX} digits", text)
    seq = int(digits)
    if seq == 0:
        raise _error("sequence number must not be 0", text)
    return seq


def _type_code(run: str, text: str) -> str:
    code = run.removesuffix(_LEGACY_SUFFIX)
    if not code:
        raise _error("no case-type code before 字", text, "e.g. 民初字第1234号")
    if len(code) > _TYPE_MAX:
        raise _error(
            f"case-type code {code} is longer than {_TYPE_MAX} characters",
            text,
            "e.g. 民初 or 执恢",
        )
    return code


def _build(
    year: str, court: str, type_run: str, seq: str, today: date | None, text: str
) -> CaseNumber:
    return CaseNumber(
        year=_year(year, today, text),
        court_code=court,
        type_code=_type_code(type_run, text),
        seq=_seq(seq, text),
    )


def _parse_official(text: str, today: date | None, hint: str) -> CaseNumber:
    # Whitespace is dropped outright: in a single field it is only ever noise
    # ("（2024） 京0105 民初 1234 号"), unlike in free text.
    s = _to_digits("".join(_require_str(text).split()).translate(_TO_ASCII_WIDTH), text)
    if not s:
        raise _error("empty case number", text, hint)

    year = _YEAR_AT_START.match(s)
    if year is None:
        if s[0] in _OPEN or s[0] in PROVINCES or s.startswith(SUPREME_COURT):
            raise _error("no year before the court code", text, _OFFICIAL_HINT)
        raise _error("not a case number", text, hint)
    pos = year.end()

    court_hint = "a province abbreviation such as 京, 京01 or 京0105, or 最高法"
    if s.startswith(SUPREME_COURT, pos):
        court = SUPREME_COURT
    elif pos < len(s) and s[pos] in PROVINCES:
        digits = _digits_at(s, pos + 1)
        court = s[pos] + digits
        if len(digits) not in (0, 2, 4):
            raise _error(
                f"court code {court} has {len(digits)} digits",
                text,
                "0, 2 or 4 digits after the province, as in 京, 京01, 京0105",
            )
    elif pos < len(s) and _HAS_CJK.match(s, pos):
        raise _error(
            f"court code must start with a province abbreviation or 最高法, found {s[pos]}",
            text,
            court_hint,
        )
    else:
        raise _error("no court code after the year", text, court_hint)
    pos += len(court)

    type_run = _TYPE_RUN.match(s, pos)
    if type_run is None:
        raise _error("no case-type code after the court code", text, "e.g. 民初 or 执")
    pos = type_run.end()

    if s.startswith("第", pos):
        pos += 1
    seq = _digits_at(s, pos)
    if not seq:
        raise _error("no sequence number after the case-type code", text, "e.g. 民初1234号")
    pos += len(seq)
    if s.startswith("号", pos):
        pos += 1
    if pos != len(s):
        raise _error(f"unexpected {s[pos:][:10]!r} after the case number", text, hint)

    return _build(year["year"], court, type_run.group(), seq, today, text)


def _parse_keyed(text: str, today: date | None, hint: str) -> CaseQuery:
    s = _require_str(text).translate(_TO_ASCII_KEYS).strip()
    if not s:
        raise _error("empty case number", text, hint)
    if separated := _KEYED_SEPARATED.fullmatch(s):
        year_digits, seq_digits = separated["year"], separated["seq"]
    elif run := _KEYED_RUN.fullmatch(s):
        digits = run["digits"]
        if len(digits) <= 4:
            raise _error("no sequence number after the year", text, _KEYED_HINT)
        year_digits, seq_digits = digits[:4], digits[4:]
    else:
        raise _error("not a case number", text, hint)
    if len(year_digits) != 4:
        raise _error(f"year {year_digits} is not 4 digits", text, _KEYED_HINT)
    return CaseQuery(_year(year_digits, today, text), _seq(seq_digits, text))
