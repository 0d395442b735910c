"""What a person types, checked once for every entry point: the command line, the
operator's panel, the messages page and the judge's feedback page all reach the domain,
and the domain takes free text only through :func:`clean` and a yes/no only through
:func:`flag`. A page may check earlier to say it in its own words, with these constants.

* **Sizes.** An order's content is "the main content of the matter" (R2), at most
  :data:`CONTENT_MAX` characters; a handler's feedback (R7) at most :data:`FEEDBACK_MAX`,
  as its form says. Too long is refused, never cut: a cut complaint or feedback says less
  than the person said, and nobody would know.
* **Control characters** (C0 except newline and tab, DEL, C1) are refused: no keyboard
  types them, a pasted one is invisible, and stored they can end a string early in another
  program (NUL) or drive the terminal of whoever reads the order (ESC, CSI). Line breaks
  from a form (CR LF) become LF.
* **Bidirectional-text controls** (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C)
  are taken out, not refused. They are invisible and change only the order in which text
  is *shown*: a phone number, a case number or a name with an override in it reads
  differently from what is stored ("Trojan Source", CVE-2021-42574) — in the ledger a
  court sends up, on a supervisor's screen, in a text to a judge. Chinese text never needs
  them, and names in Uyghur or other right-to-left scripts are shown rightly by the Unicode
  bidirectional algorithm without them. They arrive unseen in text pasted from chat
  apps, so refusing them would stop an operator during a call over a character nobody
  can see; taking them out keeps every visible character and makes the stored text show
  exactly what it says, which is what a court's security office asks of a record.
"""

from __future__ import annotations

from workorder.errors import DomainError

__all__ = ["CONTENT_MAX", "FEEDBACK_MAX", "NAME_MAX", "NOTE_MAX", "TextError", "clean", "flag",
           "ticked"]

CONTENT_MAX = 4000  # an order's content (R2)
FEEDBACK_MAX = 2000  # a handler's feedback (R7)
NOTE_MAX = 2000  # a resolution, a reason, a callback's note
NAME_MAX = 64  # work_orders.caller_name

# What the operator or the judge calls the field, for the message.
LABELS = {"content": "记录内容", "caller_name": "来电人姓名", "resolution": "办理结果",
          "feedback": "反馈内容", "feedback_by": "反馈人", "reason": "原因", "note": "备注",
          "by": "经办人"}

# Names are one line: a line break in one would split the ledger's row or the text to a
# judge. The other fields are texts, where newlines and tabs stay.
ONE_LINE = frozenset({"caller_name", "feedback_by", "by"})

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                          "\u200e\u200f\u061c")
_STRIP_BIDI = {ord(c): None for c in BIDI_CONTROLS}
FLAG_WORDS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False,
              "是": True, "否": False}


class TextError(DomainError):
    """Free text the domain does not store as it is; the message names the field and the
    character or the length."""


def is_control(ch: str) -> bool:
    """C0 (but newline and tab, which texts keep), DEL and C1."""
    cp = ord(ch)
    return (cp < 0x20 and ch not in "\n\t") or 0x7F <= cp <= 0x9F


def clean(value: object, field: str, *, limit: int | None = None,
          one_line: bool | None = None) -> str:
    """``value`` as the domain stores it: stripped, CR LF as LF, bidirectional controls
    taken out; refused (:class:`TextError`) with a control character in it, a line break
    or tab in a ``one_line`` field (by default the names, :data:`ONE_LINE`), or more than
    ``limit`` characters."""
    label = LABELS.get(field, field)
    one_line = field in ONE_LINE if one_line is None else one_line
    s = "" if value is None else str(value)
    s = s.replace("\r\n", "\n").replace("\r", "\n").translate(_STRIP_BIDI)
    for i, ch in enumerate(s):
        if is_control(ch) or (one_line and ch in "\n\t"):
            what = "换行" if ch == "\n" else "控制字符"
            raise TextError(f"{label}第 {i + 1} 个字符是不可见的{what} U+{ord(ch):04X}，不能保存；"
                            f"请删去后重试（{field}: control character U+{ord(ch):04X} "
                            "refused）")
    s = s.strip()
    if limit is not None and len(s) > limit:
        raise TextError(f"{label}最多 {limit} 字，现有 {len(s)} 字；请精简后重试，不会自动截断"
                        f"（{field}: at most {limit} characters）")
    return s


def ticked(data: dict, field: str) -> bool:
    """A box of a form posted as JSON: true or false (absent or null: not ticked);
    anything else is refused by :func:`flag`, never guessed ("no" is not true)."""
    value = data.get(field)
    return False if value is None else flag(value, field)


def flag(value: object, field: str, *, words: bool = False) -> bool:
    """A yes/no: ``True`` or ``False`` and nothing else (R4's answers decide who receives
    a matter, R10's touches_rights its callback's priority: a guess is no answer).
    ``words`` also takes what a text field may say (true/false, 1/0, yes/no, 是/否), for
    inputs that are text by nature (an HTML form, a file)."""
    if isinstance(value, bool):
        return value
    if words and isinstance(value, str) and value.strip().lower() in FLAG_WORDS:
        return FLAG_WORDS[value.strip().lower()]
    expected = "true/false, 1/0, yes/no, 是/否" if words else "true or false"
    raise TextError(f"{field}: {expected} expected, got {str(value)[:20]!r}（只能是“是”或“否”）")
