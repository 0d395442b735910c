"""Flags on a transcript (R4.7 abusive, R4.8 urgent): configurable Chinese lexicons matched
in what the recogniser heard, each match with the words' times in the audio so the
supervisor can jump to it.

Matching runs on the transcript with the recogniser's spaces removed, so a phrase the
recogniser split into several words (不想 / 活 / 了) is still found; the match's time runs
from the first of those words to the last.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from recordings.transcribe import Transcript
from workorder.errors import DomainError

DEFAULT_LEXICON = Path(__file__).with_name("lexicons.toml")
KINDS = ("abusive", "urgent")


class LexiconError(DomainError):
    """A lexicon file that cannot be used, and where."""


@dataclass(frozen=True)
class Category:
    key: str
    kind: str  # abusive | urgent
    label: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    phrase: str
    start: float
    end: float


@dataclass
class Flag:
    kind: str
    category: str
    label: str
    matches: list[Match] = field(default_factory=list)

    @property
    def reason(self) -> str:
        said = "、".join(dict.fromkeys(m.phrase for m in self.matches))
        return f"{self.label}：{said}（{self.matches[0].start:.1f} 秒起）"


def load(path: Path | str | None = None) -> list[Category]:
    path = Path(path) if path else DEFAULT_LEXICON
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LexiconError(f"{path}: cannot be read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LexiconError(f"{path}: not valid TOML ({exc})") from None
    out = []
    for key, table in data.items():
        where = f"{path.name} [{key}]"
        if not isinstance(table, dict):
            raise LexiconError(f"{where}: expected a table with kind, label and words")
        kind = table.get("kind")
        if kind not in KINDS:
            raise LexiconError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
        words = table.get("words")
        if not isinstance(words, list) or not words or not all(
                isinstance(w, str) and w.strip() for w in words):
            raise LexiconError(f"{where}: words must be a non-empty list of phrases")
        out.append(Category(key, kind, str(table.get("label") or key),
                            tuple(w.replace(" ", "") for w in words)))
    if not out:
        raise LexiconError(f"{path}: no categories")
    return out


def flag(transcript: Transcript, lexicon: list[Category]) -> list[Flag]:
    """The categories whose phrases were said, urgent first, each with every match."""
    chars: list[int] = []  # the word each character of the compact text came from
    text = ""
    for i, w in enumerate(transcript.words):
        piece = w.word.replace(" ", "")
        text += piece
        chars.extend([i] * len(piece))
    flags = []
    for cat in lexicon:
        found = []
        for phrase in cat.words:
            at = text.find(phrase)
            while at >= 0:
                first = transcript.words[chars[at]]
                last = transcript.words[chars[at + len(phrase) - 1]]
                found.append(Match(phrase, first.start, last.end))
                at = text.find(phrase, at + len(phrase))
        if found:
            found.sort(key=lambda m: m.start)
            flags.append(Flag(cat.kind, cat.key, cat.label, found))
    flags.sort(key=lambda f: (f.kind != "urgent", f.matches[0].start))
    return flags
