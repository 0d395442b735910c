"""A suggested order type (R3) for a message, from court-editable keyword rules.

Why this exists: on the next working day every after-hours message becomes a work order
(R6). The recogniser's transcript is matched against keyword rules for the six types, and
the type whose keywords weigh most is put first on the order, with the keywords that
decided it, so the operator who listens to the message confirms rather than types. No
keyword gives 其他 (other) with nothing matched: a guess is never presented as a finding.

The rules are a TOML file the court edits (``type_keywords.toml`` beside this module is
the default; its comments describe the format). Matching:

* ignores what a recogniser or an input method adds: spaces next to Chinese characters
  (a recogniser puts them between words, even between characters), full- and half-width
  forms, the case of Latin letters; match offsets still point into the text as given, so
  a screen can highlight the words;
* counts every part of the text once: where keywords overlap the longest wins (投诉法官
  for 投诉举报, not also 法官 for 联系法官; 联系不上法官 once, not again as 法官); of equal
  length the heavier, then the earlier;
* adds up each type's weights; ties go to the type with more of the text matched, then to
  the one mentioned first.

Pure domain code: reads only the rules file it is given.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from workorder.errors import DomainError
from workorder.types import OrderType, UnknownType

__all__ = [
    "DEFAULT_RULES",
    "Alternative",
    "Keyword",
    "Match",
    "Rules",
    "RulesError",
    "Suggestion",
    "load",
    "loads",
    "suggest",
]

DEFAULT_RULES = Path(__file__).with_name("type_keywords.toml")

_TABLE_KEYS = ("label", "keywords")
_ITEM_KEYS = ("keyword", "weight")
_TYPES_HINT = "1–6: " + ", ".join(f"{t.value} {t.label_zh}" for t in OrderType)
# Where whitespace carries no meaning: CJK radicals, symbols and punctuation, kana,
# ideographs with extension A, compatibility ideographs and forms, full-width forms, and
# the supplementary ideograph planes.
_CJK_RANGES = (
    (0x2E80, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
    (0x20000, 0x3FFFF),
)


class RulesError(DomainError):
    """A rules file that cannot be used: which file, where in it, and what is wrong."""


@dataclass(frozen=True, slots=True)
class Keyword:
    text: str  # as written in the rules
    order_type: OrderType
    weight: float
    key: str  # the normalised form that is matched


@dataclass(frozen=True, slots=True)
class Rules:
    keywords: tuple[Keyword, ...]
    source: str  # the file (or name) the rules came from, for messages


@dataclass(frozen=True, slots=True)
class Match:
    keyword: str  # as written in the rules
    type: OrderType
    start: int  # character offsets into the text as given: text[start:end]
    end: int
    weight: float


class Alternative(NamedTuple):
    order_type: OrderType
    score: float


@dataclass(frozen=True, slots=True)
class Suggestion:
    order_type: OrderType
    score: float  # the suggested type's total weight; 0 when no keyword matched
    matches: list[Match]  # every keyword counted, any type, in text order
    alternatives: list[Alternative]  # the other types that scored, best first

    @property
    def reason(self) -> str:
        """What the operator reads beside the suggestion."""
        if not self.matches:
            return "未找到关键词，归为其他"
        out = "关键词：" + _said(self.matches, self.order_type)
        others = [
            f"{a.order_type.label_zh}（{_said(self.matches, a.order_type)}）"
            for a in self.alternatives
        ]
        if others:
            out += "；也像" + "、".join(others)
        return out


def load(path: Path | str | None = None) -> Rules:
    """The rules in a TOML file; the default file when no path is given."""
    path = Path(path) if path else DEFAULT_RULES
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise RulesError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return loads(text, str(path))


def loads(text: str, source: str = "<rules>") -> Rules:
    """The rules in TOML text; ``source`` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML ({exc})") from None
    lines = text.splitlines()
    keywords: list[Keyword] = []
    seen: dict[str, Keyword] = {}
    for table_key, table in data.items():
        order_type = _table(source, lines, table_key, table)
        for item in table["keywords"]:
            word, weight = _item(source, lines, table_key, item)
            key = _normalise(word)[0]
            earlier = seen.get(key)
            if not key or earlier:
                where = _where(source, lines, table_key, word)
                if not earlier:
                    raise RulesError(f"{where}: empty keyword {word!r}")
                if earlier.order_type is order_type:
                    raise RulesError(f"{where}: keyword {word!r} is listed twice")
                raise RulesError(
                    f"{where}: keyword {word!r} is also under [{earlier.order_type.value}] "
                    f"{earlier.order_type.label_zh}; a keyword belongs to one type only"
                )
            seen[key] = Keyword(word, order_type, weight, key)
            keywords.append(seen[key])
    if not keywords:
        raise RulesError(f"{source}: no keyword rules (expected tables [1] to [6] with keywords)")
    return Rules(tuple(keywords), source)


def suggest(text: str, rules: Rules) -> Suggestion:
    """The likely type of the matter in ``text`` (a transcript or a note), and why."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    compact, origin = _normalise(text)
    matches = [
        Match(kw.text, kw.order_type, origin[start], origin[end - 1] + 1, kw.weight)
        for start, end, kw in _counted(compact, rules.keywords)
    ]
    if not matches:
        return Suggestion(OrderType.OTHER, 0.0, [], [])
    ranked = sorted({m.type for m in matches}, key=lambda t: _rank(matches, t), reverse=True)
    scores = [Alternative(t, _score(matches, t)) for t in ranked]
    return Suggestion(ranked[0], scores[0].score, matches, scores[1:])


# ---- internals ------------------------------------------------------------------------


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def _normalise(text: str) -> tuple[str, list[int]]:
    """``text`` as matched, and for each of its characters the offset in ``text`` it came
    from.

    Each character is folded on its own (NFKC for width, casefold for Latin case), so that
    every folded character maps back to one original. Whitespace next to a Chinese
    character is dropped; between other characters it becomes one space.
    """
    folded = [
        (out, i)
        for i, ch in enumerate(text)
        for out in unicodedata.normalize("NFKC", ch).casefold()
    ]
    chars: list[str] = []
    origin: list[int] = []
    i = 0
    while i < len(folded):
        ch, at = folded[i]
        if not ch.isspace():
            chars.append(ch)
            origin.append(at)
            i += 1
            continue
        j = i
        while j < len(folded) and folded[j][0].isspace():
            j += 1
        if chars and j < len(folded) and not _is_cjk(chars[-1]) and not _is_cjk(folded[j][0]):
            chars.append(" ")
            origin.append(at)
        i = j
    return "".join(chars), origin


def _counted(text: str, keywords: tuple[Keyword, ...]) -> list[tuple[int, int, Keyword]]:
    """The keyword occurrences that count, in text order: longest first (then heavier,
    then earlier), each taking its characters so nothing overlapping it counts again."""
    found = []
    for kw in keywords:
        at = text.find(kw.key)
        while at >= 0:
            found.append((at, at + len(kw.key), kw))
            at = text.find(kw.key, at + 1)
    found.sort(key=lambda f: (f[0] - f[1], -f[2].weight, f[0]))
    taken = [False] * len(text)
    counted = []
    for start, end, kw in found:
        if not any(taken[start:end]):
            taken[start:end] = [True] * (end - start)
            counted.append((start, end, kw))
    counted.sort(key=lambda c: c[0])
    return counted


def _score(matches: list[Match], order_type: OrderType) -> float:
    # Rounded so that 0.1 + 0.2 reads as 0.3 on the operator's screen.
    return round(sum(m.weight for m in matches if m.type is order_type), 6)


def _rank(matches: list[Match], order_type: OrderType) -> tuple[float, int, int]:
    own = [m for m in matches if m.type is order_type]
    return _score(matches, order_type), sum(m.end - m.start for m in own), -own[0].start


def _said(matches: list[Match], order_type: OrderType) -> str:
    return "、".join(dict.fromkeys(m.keyword for m in matches if m.type is order_type))


def _where(source: str, lines: list[str], table_key: str, keyword: str | None = None) -> str:
    """``file:line [code]`` for a message; the line is found again in the text, since TOML
    parsers do not keep it, and left out when it cannot be found."""
    header = re.compile(rf"\s*\[\s*([\"']?){re.escape(table_key)}\1\s*\]")
    start = next((n for n, line in enumerate(lines) if header.match(line)), None)
    line = start
    if start is not None and keyword is not None:
        quoted = (f'"{keyword}"', f"'{keyword}'")
        line = next(
            (n for n in range(start, len(lines)) if any(q in lines[n] for q in quoted)), start
        )
    at = f"{source}:{line + 1}" if line is not None else source
    return f"{at} [{table_key}]"


def _table(source: str, lines: list[str], table_key: str, table: object) -> OrderType:
    where = _where(source, lines, table_key)
    if not isinstance(table, dict):
        raise RulesError(f"{where}: expected a table such as [1] with keywords = [...]")
    try:
        order_type = OrderType.from_key(table_key)
    except UnknownType:
        raise RulesError(
            f"{where}: unknown type code {table_key!r} (expected {_TYPES_HINT})"
        ) from None
    if unknown := [k for k in table if k not in _TABLE_KEYS]:
        raise RulesError(
            f"{where}: unknown setting {unknown[0]!r} (expected {', '.join(_TABLE_KEYS)})"
        )
    label = table.get("label")
    if label is not None and label != order_type.label_zh:
        raise RulesError(
            f"{where}: label {label!r} is not type {order_type.value}'s name "
            f"{order_type.label_zh!r}; check the code"
        )
    items = table.get("keywords")
    if not isinstance(items, list) or not items:
        raise RulesError(f"{where}: keywords must be a non-empty list of phrases")
    return order_type


def _item(source: str, lines: list[str], table_key: str, item: object) -> tuple[str, float]:
    if isinstance(item, str):
        return item, 1.0
    if not isinstance(item, dict):
        raise RulesError(
            f"{_where(source, lines, table_key)}: keyword {item!r} must be a "
            'phrase in quotes or { keyword = "…", weight = 2 }'
        )
    word = item.get("keyword")
    where = _where(source, lines, table_key, word if isinstance(word, str) else None)
    if unknown := [k for k in item if k not in _ITEM_KEYS]:
        raise RulesError(
            f"{where}: unknown setting {unknown[0]!r} in {item!r} "
            f"(expected {', '.join(_ITEM_KEYS)})"
        )
    if not isinstance(word, str):
        raise RulesError(f'{where}: {item!r} has no keyword = "…"')
    weight = item.get("weight", 1.0)
    if (
        isinstance(weight, bool)
        or not isinstance(weight, int | float)
        or not math.isfinite(weight)
        or weight <= 0
    ):
        raise RulesError(f"{where}: weight of {word!r} must be a number above 0, not {weight!r}")
    return word, float(weight)
