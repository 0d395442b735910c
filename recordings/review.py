"""The supervisor's review of flagged recordings: abusive callers (R4.7) and urgent or
extreme ones (R4.8).

* :func:`flagged` — the recordings with flags, as the supervisor's list shows them: open
  ones first, urgent before abusive, newest first.
* :func:`mark_reviewed` — listened to; nothing more to do.
* :func:`write_up` (R4.7) — the recording becomes a written report (court, order, caller,
  time, the flags and the transcript around each flagged word), kept with the flags and in
  the order's history, the recording held past retention, and the report texted to court
  leadership.
* :func:`escalate` (R4.8) — reported at once to the division's deputy head and head, and
  where needed to the vice president and president; the order becomes urgent.
* :func:`audit` — the append-only audit log of who listened and what was done.

Who is texted is what R4 prescribes (:func:`workorder.rules.propose`), resolved in the
court directory; texts are only written to the outbox (``notices``), the SMS worker sends
them. Whoever the directory cannot name is reported back, never skipped in silence.
Functions take a session and do not commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, selectinload

from recordings import catalog
from recordings.models import AuditEntry, Flag, Recording
from workorder import notices, routing
from workorder.errors import DomainError
from workorder.history import record_history
from workorder.models import Case, OrderHistory, WorkOrder
from workorder.notices import Notice
from workorder.rules import Answers, History, propose
from workorder.types import OrderType

__all__ = ["EXCERPT_S", "Item", "Recipient", "Report", "ReviewError", "Word", "audit",
           "audit_access", "audit_entries", "clock", "escalate", "flagged", "mark_reviewed",
           "order_of", "words", "write_up"]

KIND_ZH = {"urgent": "紧急", "abusive": "辱骂"}
OUTCOME_ZH = {None: "待复核", "reviewed": "已复核", "reported": "已整理上报",
              "escalated": "已紧急报告"}
_RANK = {None: 0, "reviewed": 1, "reported": 2, "escalated": 3}
EXCERPT_S = 6.0  # seconds of transcript kept either side of a flagged word
ACTOR_MAX = 40  # audit_log.actor
ACTION_MAX = 24  # audit_log.action


class ReviewError(DomainError):
    """What the supervisor asked cannot be done; the message (Chinese) says why."""


# ---- reading -------------------------------------------------------------------------------
def clock(seconds: float | None) -> str:
    """Seconds into a recording as mm:ss (h:mm:ss past an hour)."""
    s = max(0, int(seconds or 0))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60:02d}:{rest % 60:02d}"


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    hit: bool = False  # inside a flag's match


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def spaced(ws: list[Word]) -> list[bool]:
    """Whether a space follows each word as the transcript is read: none between Chinese
    characters (the recogniser's spaces are not the speaker's), one between other words."""
    out: list[bool] = []
    if not ws:  # no transcript (a flag set by hand, a lost transcript): nothing to space
        return out
    for w, nxt in zip(ws, [*ws[1:], None], strict=True):
        joined = bool(nxt and w.word and nxt.word and _CJK.match(w.word[-1])
                      and _CJK.match(nxt.word[0]))
        out.append(nxt is not None and not joined)
    return out


def words(rec: Recording) -> list[Word]:
    """The transcript's words with their times, each marked when it falls inside one of the
    flags' matches. Accepts both stored shapes of a word: ``[word, start, end, conf]``
    (recordings/transcribe.py) and ``{"word", "start", "end", "conf"}``."""
    spans = [(float(m["start"]), float(m["end"])) for f in rec.flags for m in (f.matches or [])]
    out = []
    for w in (rec.transcript or {}).get("words") or []:
        if isinstance(w, dict):
            text, start, end = w.get("word", ""), w.get("start", 0), w.get("end", 0)
        else:
            text, start, end = w[0], w[1], w[2]
        start, end = float(start), float(end)
        out.append(Word(str(text), start, end,
                        any(start < me and end > ms for ms, me in spans)))
    return out


@dataclass
class Item:
    """One flagged recording in the supervisor's list."""

    recording: Recording
    order: WorkOrder | None

    @property
    def flags(self) -> list[Flag]:
        return list(self.recording.flags)

    @property
    def open(self) -> bool:
        return any(f.reviewed_at is None for f in self.flags)

    @property
    def kind(self) -> str:
        relevant = [f for f in self.flags if f.reviewed_at is None] or self.flags
        return "urgent" if any(f.kind == "urgent" for f in relevant) else "abusive"

    @property
    def at(self) -> datetime:
        return self.recording.started_at or self.recording.created_at

    @property
    def outcome(self) -> str | None:
        if self.open:
            return None
        return max((f.outcome for f in self.flags), key=lambda o: _RANK.get(o, 0))

    @property
    def reason(self) -> str:
        return "；".join(f.reason or f.label for f in self.flags)

    @property
    def caller(self) -> str:
        return self.recording.caller_phone or (self.order.caller_phone if self.order else "") or ""


def order_of(session: Session, rec: Recording) -> WorkOrder | None:
    """The order a recording belongs to: the one its flags name, else the order of its call."""
    for f in rec.flags:
        if f.order_id:
            return session.get(WorkOrder, f.order_id)
    return catalog.order_of(session, rec)


def flagged(session: Session, status: str = "open", limit: int = 200) -> list[Item]:
    """Recordings with flags; ``status`` "open" (some flag not reviewed yet) or "all".
    Open first, then urgent before abusive (urgent flags still open count most), then the
    newest call first."""
    if status not in ("open", "all"):
        raise ReviewError(f"未知的筛选条件：{status}")
    is_open = func.max(case((Flag.reviewed_at.is_(None), 1), else_=0))
    urgency = func.max(case((and_(Flag.kind == "urgent", Flag.reviewed_at.is_(None)), 2),
                            (Flag.kind == "urgent", 1), else_=0))
    when = func.coalesce(Recording.started_at, Recording.created_at)
    q = (select(Flag.recording_id)
         .join(Recording, Recording.id == Flag.recording_id)
         .group_by(Flag.recording_id, Recording.started_at, Recording.created_at)
         .order_by(is_open.desc(), urgency.desc(), when.desc(), Flag.recording_id.desc())
         .limit(limit))
    if status == "open":
        q = q.having(is_open == 1)
    ids = list(session.scalars(q))
    recs = {r.id: r for r in session.scalars(
        select(Recording).where(Recording.id.in_(ids)).options(selectinload(Recording.flags)))}
    by_flag = {f.order_id for r in recs.values() for f in r.flags if f.order_id}
    calls = {r.call_id for r in recs.values() if r.call_id}
    orders = list(session.scalars(select(WorkOrder).where(
        WorkOrder.id.in_(by_flag) | WorkOrder.call_id.in_(calls)))) if by_flag or calls else []
    by_id = {o.id: o for o in orders}
    by_call = {o.call_id: o for o in orders if o.call_id}
    items = []
    for rid in ids:
        rec = recs[rid]
        named = next((by_id.get(f.order_id) for f in rec.flags if f.order_id), None)
        items.append(Item(rec, named or by_call.get(rec.call_id)))
    return items


def _flagged_recording(session: Session, recording_id: int) -> Recording:
    rec = session.get(Recording, recording_id)
    if rec is None:
        raise ReviewError(f"没有编号为 {recording_id} 的录音")
    if not rec.flags:
        raise ReviewError(f"录音 {recording_id} 没有标记，无需复核")
    return rec


def _settle(flags: list[Flag], outcome: str, by: str, at: datetime, note: str) -> None:
    """Record the review on the flags; a stronger outcome is never weakened."""
    for f in flags:
        if f.reviewed_at is None:
            f.reviewed_at, f.reviewed_by = at, by
        if _RANK[outcome] >= _RANK.get(f.outcome, 0):
            f.outcome = outcome
        if note and note not in f.note:
            f.note = f"{f.note}\n\n{note}" if f.note else note


def _history(session: Session, order: WorkOrder | None, at: datetime, by: str, action: str,
             changes: dict, reason: str) -> None:
    if order is not None:
        record_history(session, order.id, at, by, action, changes, reason)


def _check_by(by: str) -> str:
    if not by or not by.strip() or len(by) > ACTOR_MAX:
        raise ReviewError(f"复核人须为 1 至 {ACTOR_MAX} 个字符")
    return by


# ---- acting --------------------------------------------------------------------------------
def mark_reviewed(session: Session, recording_id: int, by: str, at: datetime,
                  note: str = "") -> list[Flag]:
    """Listened to, nothing further: the open flags are closed as "reviewed"."""
    _check_by(by)
    rec = _flagged_recording(session, recording_id)
    still_open = [f for f in rec.flags if f.reviewed_at is None]
    if not still_open:
        last = max(rec.flags, key=lambda f: f.reviewed_at)
        raise ReviewError(f"录音 {recording_id} 已由 {last.reviewed_by} 复核，无需再次标记")
    note = note.strip()
    _settle(still_open, "reviewed", by, at, note)
    _history(session, order_of(session, rec), at, by, "recording_reviewed",
             {"recording": [None, rec.id]}, note or "录音已复核")
    return still_open


@dataclass(frozen=True)
class Recipient:
    """One person the report is for, and what became of their text."""

    role: str  # label, e.g. 分管副院长
    name: str
    mobile: str
    status: str  # texted | already | no_mobile | unresolved
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("texted", "already")

    @property
    def says(self) -> str:
        """One line in Chinese for the supervisor's confirmation."""
        who = f"{self.role} {self.name}".strip()
        if self.status == "texted":
            return f"{who}（{self.mobile}）：已写入短信发送队列，立即发送"
        if self.status == "already":
            return f"{who}（{self.mobile}）：{self.detail}，未重复发送"
        if self.status == "no_mobile":
            return f"{who}：通讯录中没有手机号，未能发短信，请电话报告"
        return f"{self.role}：通讯录中找不到此人（{self.detail}），未能发短信，请电话报告"


@dataclass
class Report:
    rule: str  # R4.7 | R4.8
    order_number: str
    text: str
    recipients: list[Recipient] = field(default_factory=list)
    notice_ids: list[int] = field(default_factory=list)  # the texts written, to send now

    @property
    def failures(self) -> list[Recipient]:
        return [r for r in self.recipients if not r.ok]


def _order_for_report(session: Session, rec: Recording) -> WorkOrder:
    order = order_of(session, rec)
    if order is None:
        raise ReviewError(f"录音 {rec.id} 没有对应的工单，无法向院领导发送短信；"
                          "请先为该来电登记工单（R2）")
    return order


def _links(session: Session, order: WorkOrder) -> tuple[int | None, int | None]:
    """The department and judge the matter concerns: the order's own, else its case's."""
    dept, judge = order.department_id, order.judge_id
    if (dept is None or judge is None) and order.case_number:
        c = session.scalar(select(Case).where(Case.number == order.case_number))
        if c is not None:
            dept, judge = dept or c.department_id, judge or c.judge_id
    return dept, judge


def _notify(session: Session, order: WorkOrder, rule: str, answers: Answers, at: datetime,
            tz: ZoneInfo) -> list[Recipient]:
    """The R4.7/R4.8 texts: the roles R4 names (workorder.rules), resolved in the directory,
    one outbox row each; a person already texted this report about the order is not
    texted again (the outbox keeps one report per order and mobile)."""
    roles = propose(OrderType(order.order_type), answers, History()).report_to
    directory = routing.load(session)
    dept, judge = _links(session, order)
    out: list[Recipient] = []
    seen: dict[str, str] = {}  # mobile → the role it was texted as, in this report
    for role in roles:
        try:
            t = directory.resolve(role, order.court, dept, judge)
        except routing.RoutingError as exc:
            out.append(Recipient(role.label_zh, "", "", "unresolved", str(exc)))
            continue
        if not t.mobile:
            out.append(Recipient(t.role.label_zh, t.name, "", "no_mobile"))
            continue
        if t.mobile in seen:  # e.g. no deputy head: the head takes the role, texted once
            out.append(Recipient(t.role.label_zh, t.name, t.mobile, "already",
                                 f"与{seen[t.mobile]}为同一人，本次已发一条"))
            continue
        seen[t.mobile] = t.role.label_zh
        earlier = session.scalar(select(Notice.created_at).where(
            Notice.order_id == order.id, Notice.kind == "report", Notice.to_mobile == t.mobile))
        if earlier is not None:
            out.append(Recipient(t.role.label_zh, t.name, t.mobile, "already",
                                 f"已于 {earlier.astimezone(tz):%m-%d %H:%M} 就此工单发过报告短信"))
            continue
        notices.report_notice(session, order, t.role, t.name, t.mobile, rule, at)
        out.append(Recipient(t.role.label_zh, t.name, t.mobile, "texted"))
    return out


def _excerpts(rec: Recording) -> list[str]:
    """The transcript around each flagged passage, with its times and the flagged words in
    【】; overlapping passages are joined."""
    ws = words(rec)
    spans = sorted((float(m["start"]), float(m["end"]))
                   for f in rec.flags for m in (f.matches or []))
    windows: list[list[float]] = []
    for start, end in spans:
        lo, hi = max(0.0, start - EXCERPT_S), end + EXCERPT_S
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    out = []
    for lo, hi in windows:
        inside = [w for w in ws if w.end > lo and w.start < hi]
        if not inside:
            continue
        said = "".join((f"【{w.word}】" if w.hit else w.word) + (" " if space else "")
                       for w, space in zip(inside, spaced(inside), strict=True))
        out.append(f"[{clock(inside[0].start)}–{clock(inside[-1].end)}] {said}")
    return out


def _report_text(rec: Recording, order: WorkOrder, rule: str, by: str, at: datetime,
                 tz: ZoneInfo, note: str) -> str:
    title = ("来电人辱骂、骚扰情况书面报告" if rule == "R4.7"
             else "来电人言行极端或事项紧急情况报告")
    started = rec.started_at or rec.created_at
    lines = [f"12368诉讼服务热线{title}（{rule}）", "",
             f"法院：{order.court}",
             f"工单编号：{order.number}（{OrderType(order.order_type).label_zh}）",
             f"来电号码：{rec.caller_phone or order.caller_phone or '未知'}",
             f"来电时间：{started.astimezone(tz):%Y-%m-%d %H:%M:%S}",
             f"录音时长：{clock(rec.duration_s) if rec.duration_s is not None else '未知'}",
             f"录音编号：{rec.id}", "", "一、标记情况"]
    for i, f in enumerate(rec.flags, 1):
        source = "话务员标记" if f.source == "operator" else "关键词识别"
        times = "、".join(f"{m['phrase']}（{clock(m['start'])}）" for m in f.matches or [])
        lines.append(f"{i}. {KIND_ZH.get(f.kind, f.kind)}·{f.label or f.category}"
                     f"（{source}）：{f.reason or times}")
    lines += ["", "二、录音文字摘录（【】内为标记词语）"]
    lines += _excerpts(rec) or ["（录音无文字记录，请收听录音原件）"]
    lines += ["", "三、复核意见", note or "（无）", "",
              f"复核人：{by}　{at.astimezone(tz):%Y-%m-%d %H:%M}"]
    return "\n".join(lines)


def _report(session: Session, recording_id: int, rule: str, outcome: str, action: str,
            answers: Answers, by: str, at: datetime, tz: ZoneInfo, note: str) -> Report:
    _check_by(by)
    rec = _flagged_recording(session, recording_id)
    order = _order_for_report(session, rec)
    for h in session.scalars(select(OrderHistory).where(OrderHistory.order_id == order.id,
                                                        OrderHistory.action == action)):
        if (h.changes.get("recording") or [None, None])[1] == rec.id:
            raise ReviewError(f"录音 {recording_id} 已由 {h.actor} 于 "
                              f"{h.at.astimezone(tz):%Y-%m-%d %H:%M} {OUTCOME_ZH[outcome]}，"
                              "未重复报告")
    text = _report_text(rec, order, rule, by, at, tz, note.strip())
    recipients = _notify(session, order, rule, answers, at, tz)
    rec.hold = True  # kept past retention: the report rests on it
    _settle(list(rec.flags), outcome, by, at, text)
    if rule == "R4.7":
        order.abusive = True
    else:
        order.urgent = True
    order.updated_at = at
    _history(session, order, at, by, action,
             {"recording": [None, rec.id], "to": [None, [r.says for r in recipients]]}, text)
    session.flush()
    texted = [r.mobile for r in recipients if r.status == "texted"]
    ids = list(session.scalars(select(Notice.id).where(
        Notice.order_id == order.id, Notice.kind == "report",
        Notice.to_mobile.in_(texted)))) if texted else []
    return Report(rule, order.number, text, recipients, ids)


def write_up(session: Session, recording_id: int, by: str, at: datetime, tz: ZoneInfo,
             note: str = "") -> Report:
    """R4.7: the recording of an abusive or harassing call becomes written material reported
    to court leadership. The report is kept with the flags (their note) and in the order's
    history ("written_up"); the recording is held past retention; the leaders R4.7 names
    get a text at once."""
    return _report(session, recording_id, "R4.7", "reported", "written_up",
                   Answers(abusive=True), by, at, tz, note)


def escalate(session: Session, recording_id: int, by: str, at: datetime, tz: ZoneInfo,
             leadership: bool = False, note: str = "") -> Report:
    """R4.8 green channel: the division's deputy head and head are texted at once, and with
    ``leadership`` also the vice president and president; the order becomes urgent and the
    recording is held."""
    return _report(session, recording_id, "R4.8", "escalated", "escalated",
                   Answers(urgent=True, leadership=leadership), by, at, tz, note)


# ---- the audit log -------------------------------------------------------------------------
def audit(session: Session, actor: str, action: str, recording_id: int | None, remote: str,
          *, at: datetime | None = None, **detail: object) -> AuditEntry:
    """Appends one row to the audit log (the database refuses to change or delete it)."""
    entry = AuditEntry(at=at or datetime.now(UTC), actor=(actor or "?")[:ACTOR_MAX],
                       action=action[:ACTION_MAX], recording_id=recording_id,
                       remote=(remote or "")[:64], detail=detail)
    session.add(entry)
    return entry


def audit_access(session: Session, actor: str, action: str, recording_id: int, remote: str,
                 at: datetime, window: timedelta, **detail: object) -> AuditEntry | None:
    """One row per listening, not per request: a player fetches a recording in several
    Range requests (the first, then one per seek), all of them one act of listening. A
    request is audited unless the same person's same action on the same recording was
    audited within ``window``; a new row then starts the next window. Two requests racing
    in the same instant may both write: the log may say a little more, never less."""
    since = at - window
    recent = session.scalar(select(AuditEntry.id).where(
        AuditEntry.recording_id == recording_id, AuditEntry.actor == actor[:ACTOR_MAX],
        AuditEntry.action == action, AuditEntry.at > since).limit(1))
    if recent is not None:
        return None
    return audit(session, actor, action, recording_id, remote, at=at, **detail)


def audit_entries(session: Session, recording_id: int | None = None, before: int | None = None,
                  limit: int = 200) -> list[AuditEntry]:
    """The audit log, newest first; optionally one recording's; ``before`` pages back."""
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if recording_id is not None:
        q = q.where(AuditEntry.recording_id == recording_id)
    if before is not None:
        q = q.where(AuditEntry.id < before)
    return list(session.scalars(q))
