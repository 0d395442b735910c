"""The recording store's records: every file in the store has a row that says what it
holds, and every row's file is where the row says — or the row says it is gone.

* :func:`check` measures a closed recording once (duration, format, size, checksum,
  seconds of speech): ``ready``, ``empty`` (a hang-up or silence, R6: not an order) or
  ``unreadable`` (cut short, not audio, too long), each with the reason.
* :func:`scan` is the periodic sweep of the store: it adopts files Asterisk wrote while
  the FastAGI server was down (the call is registered then, R2), checks what is closed and
  reports rows whose file vanished.
* :func:`retention` deletes files older than the court keeps them, except those a
  supervisor holds or has not reviewed yet (R4.7/R4.8); each deletion is in the audit log.

The functions take a session factory and commit per recording, so one bad file never
stops the rest and nothing already stored is lost.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, sessionmaker

from recordings import audio
from recordings.models import AuditEntry, Flag, Recording
from recordings.store import CALLS, MESSAGES, has_audio
from workorder import phone
from workorder.history import record_history
from workorder.models import Call, OutboundCall, WorkOrder
from workorder.registration import Arrival, message_left, register_call
from workorder.types import CallOutcome, OrderStatus

log = logging.getLogger(__name__)

# Statuses whose file should be in the store.
ON_DISK = ("recording", "complete", "ready", "empty", "unreadable")
# A file written to this recently may still be growing (MixMonitor, Record).
SETTLE = timedelta(minutes=2)
# <kind>/YYYY/MM/DD/<uniqueid>.wav, or <kind>/unregistered/YYYYMMDD-<uniqueid>-<caller>.wav
# when the FastAGI server was down as the call arrived (dialplans/extensions.conf).
_DATED = re.compile(r"^(calls|messages)/(\d{4})/(\d{2})/(\d{2})/([A-Za-z0-9._-]+)\.wav$")
_UNREGISTERED = re.compile(
    r"^(calls|messages)/unregistered/(\d{8})-([0-9]+\.[0-9]+)(?:-([0-9]*))?\.wav$")
CLOSED_EMPTY = "空留言：来电人未说话即挂机或仅有静音，不生成待办事项（R6）"


@dataclass
class ScanReport:
    adopted: list[str] = field(default_factory=list)
    checked: int = 0
    empty: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    missing: list[str] = field(default_factory=list)  # rows whose file vanished, this scan
    unknown: list[str] = field(default_factory=list)  # files not named by the scheme
    discarded: int = 0  # header-only files of calls nobody answered

    def as_dict(self) -> dict:
        return {"adopted": len(self.adopted), "checked": self.checked, "empty": self.empty,
                "discarded": self.discarded,
                "unreadable": len(self.unreadable), "missing": len(self.missing),
                "unknown": len(self.unknown)}

    @property
    def anything(self) -> bool:
        return any(self.as_dict().values())


@dataclass
class RetentionReport:
    deleted: list[str] = field(default_factory=list)
    kept: int = 0  # old enough, but held or under review
    errors: list[tuple[str, str]] = field(default_factory=list)


def order_of(session: Session, rec: Recording) -> WorkOrder | None:
    """The order opened when the recording's call arrived (R2)."""
    if rec.call_id is None:
        return None
    return session.scalar(select(WorkOrder).where(WorkOrder.call_id == rec.call_id))


def record_error(rec: Recording, why: str, now: datetime) -> None:
    """The file cannot be used; why, for the report and the operator."""
    rec.status, rec.error, rec.checked_at = "unreadable", why[:255], now


def record_info(rec: Recording, info: audio.AudioInfo, now: datetime) -> None:
    """What the file holds; ``ready`` or ``empty`` (R6: a hang-up or silence)."""
    rec.duration_s, rec.speech_s = round(info.duration_s, 2), round(info.speech_s, 2)
    rec.format = f"{info.format}/{info.sample_rate}/{info.channels}"
    rec.size_bytes, rec.sha256, rec.checked_at = info.size, info.sha256, now
    rec.status, rec.error = ("empty" if info.empty else "ready"), None


def measure(rec: Recording, root: Path, now: datetime, max_s: float = 3 * 3600) -> None:
    """Read the file once and record what it holds, or why it cannot be used."""
    try:
        info, _ = audio.probe(root / rec.path, max_s)
    except audio.AudioError as exc:
        record_error(rec, str(exc), now)
        return
    record_info(rec, info, now)


def leave_message(session: Session, uniqueid: str, relative_path: str, at: datetime,
                  exists: bool) -> Recording | None:
    """An after-hours (or overflow) message: its file is registered for processing on the
    next working day (R6). A caller who hung up before speaking leaves no file."""
    call = message_left(session, uniqueid, relative_path, at, exists)
    if call is None:
        return None
    rec = session.scalar(select(Recording).where(Recording.path == relative_path))
    if rec is None:
        # closed: the checks (duration, silence, checksum) run in the store's scan
        rec = Recording(call_id=call.id, kind="message", path=relative_path, created_at=at,
                        status="complete", caller_phone=call.caller_phone,
                        started_at=call.received_at, ended_at=at)
        session.add(rec)
    return rec


def close_empty_message(session: Session, rec: Recording, now: datetime) -> None:
    """An empty message is marked, and its order (opened when the call arrived, R2) is
    closed as such rather than queued for listening (R6)."""
    if rec.kind != "message":
        return
    order = order_of(session, rec)
    if order is not None and order.status == OrderStatus.MESSAGE_PENDING.value:
        order.status, order.closed_at, order.updated_at = OrderStatus.CLOSED.value, now, now
        order.resolution = CLOSED_EMPTY
        record_history(session, order.id, now, "system", "message_empty", reason=CLOSED_EMPTY)


def check(session: Session, rec: Recording, root: Path, now: datetime) -> None:
    if not (root / rec.path).exists():
        mark_missing(rec, now)
        return
    measure(rec, root, now)
    if rec.status == "empty":
        close_empty_message(session, rec, now)


def mark_missing(rec: Recording, now: datetime) -> None:
    rec.status, rec.missing_at = "missing", now
    rec.error = "the file is no longer in the recording store"
    log.error("recording %s (%s): its file vanished from the store", rec.id, rec.path)


def _parse(rel: str) -> tuple[str, str, str | None] | None:
    """(kind, uniqueid, caller or None) of a file named by the scheme."""
    m = _DATED.match(rel)
    if m:
        kind, uid = m.group(1), m.group(5)
        return ("call" if kind == CALLS else "message"), uid, None
    m = _UNREGISTERED.match(rel)
    if m:
        kind, _ymd, uid, caller = m.groups()
        return ("call" if kind == CALLS else "message"), uid, caller or None
    return None


def _files(root: Path) -> list[str]:
    out = []
    for top in (CALLS, MESSAGES):
        base = root / top
        if not base.is_dir():
            continue
        for dirpath, _dirs, names in os.walk(base):
            for name in names:
                if not name.startswith("."):
                    out.append((Path(dirpath) / name).relative_to(root).as_posix())
    return out


def adopt(session: Session, rel: str, root: Path, court: str, tz: ZoneInfo,
          now: datetime) -> Recording | None:
    """A file without a row: the FastAGI server was down when Asterisk wrote it. The call
    it belongs to is found by the PBX's channel id in its name, or registered now (R2)."""
    parsed = _parse(rel)
    if parsed is None:
        return None
    kind, uid, caller = parsed
    path = root / rel
    at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    call = session.scalar(select(Call).where(Call.uniqueid == uid))
    if call is None:
        mode = ("closed", "补登：录音由存储扫描发现") if kind == "message" else (
            "open", "补登：录音由存储扫描发现")
        register_call(session, court, tz, Arrival(uid, caller, None, at), mode)
        call = session.scalar(select(Call).where(Call.uniqueid == uid))
        call.ended_at = at
    if kind == "message":
        rec = leave_message(session, uid, rel, at, exists=True)
    else:
        rec = Recording(call_id=call.id, kind="call", path=rel, created_at=at,
                        status="complete", caller_phone=call.caller_phone,
                        started_at=call.answered_at, ended_at=at)
        session.add(rec)
        if call.outcome is None:
            call.outcome = CallOutcome.ANSWERED.value
        call.recording_path = call.recording_path or rel
    rec.adopted = True
    rec.caller_phone = rec.caller_phone or phone.normalize(caller)
    return rec


def scan(sessions: sessionmaker, root: Path, court: str, tz: ZoneInfo,
         now: datetime | None = None, settle: timedelta = SETTLE,
         max_s: float = 3 * 3600) -> ScanReport:
    """Adopt orphans, check closed recordings, report vanished files. Each file is its own
    transaction: a failure is logged with the file's name and the scan goes on."""
    now = now or datetime.now(UTC)
    report = ScanReport()
    root = Path(root)
    on_disk = set(_files(root))
    with sessions() as s:
        known = set(s.scalars(select(Recording.path)))
    for rel in sorted(on_disk - known):
        try:
            mtime = datetime.fromtimestamp((root / rel).stat().st_mtime, UTC)
        except OSError:
            continue  # deleted in the meantime
        if now - mtime < settle:
            continue
        parsed = _parse(rel)
        if parsed is None:
            report.unknown.append(rel)
            continue
        if parsed[0] == "call" and not has_audio(root / rel):
            # MixMonitor (bridged audio only) leaves a bare header for a call nobody
            # answered: there is nothing in it to keep
            (root / rel).unlink(missing_ok=True)
            report.discarded += 1
            continue
        try:
            with sessions.begin() as s:
                if adopt(s, rel, root, court, tz, now) is not None:
                    report.adopted.append(rel)
                    log.warning("adopted %s: written while the FastAGI server was down", rel)
        except Exception as exc:  # one bad file must not stop the scan
            log.exception("cannot adopt %s: %s", rel, exc)
    with sessions() as s:
        todo = list(s.scalars(select(Recording.id).where(Recording.status == "complete")))
        gone = [r.id for r in s.scalars(select(Recording).where(
            Recording.status.in_(ON_DISK), Recording.status != "recording"))
            if r.path not in on_disk]
    for rid in gone:
        with sessions.begin() as s:
            rec = s.get(Recording, rid)
            if rec.status in ON_DISK and not (root / rec.path).exists():
                mark_missing(rec, now)
                report.missing.append(rec.path)
    for rid in todo:
        try:
            with sessions.begin() as s:
                rec = s.get(Recording, rid)
                if rec.status != "complete":
                    continue
                check(s, rec, root, now)
                report.checked += 1
                if rec.status == "empty":
                    report.empty += 1
                elif rec.status == "unreadable":
                    report.unreadable.append((rec.path, rec.error or ""))
                    log.error("recording %s: %s", rec.path, rec.error)
                elif rec.status == "missing":
                    report.missing.append(rec.path)
        except Exception as exc:
            log.exception("cannot check recording %s: %s", rid, exc)
    return report


def missing(session: Session) -> list[Recording]:
    """Rows whose file vanished: the report a supervisor acts on."""
    return list(session.scalars(select(Recording).where(Recording.status == "missing")
                                .order_by(Recording.missing_at.desc())))


def _under_review():
    return exists().where(Flag.recording_id == Recording.id, Flag.reviewed_at.is_(None))


def retention(sessions: sessionmaker, root: Path, days: int,
              now: datetime | None = None, actor: str = "retention") -> RetentionReport:
    """Delete files older than ``days`` (0 keeps everything), except held recordings and
    those with a flag no supervisor has reviewed. The row stays, marked deleted."""
    now = now or datetime.now(UTC)
    report = RetentionReport()
    if days <= 0:
        return report
    cutoff = now - timedelta(days=days)
    old = (Recording.created_at < cutoff) & Recording.status.in_(
        ("complete", "ready", "empty", "unreadable"))
    with sessions() as s:
        ids = list(s.scalars(select(Recording.id).where(
            old, Recording.hold.is_(False), ~_under_review()).order_by(Recording.id)))
        report.kept = s.query(Recording).filter(
            old, or_(Recording.hold.is_(True), _under_review())).count()
    for rid in ids:
        with sessions.begin() as s:
            rec = s.get(Recording, rid)
            try:
                (root / rec.path).unlink(missing_ok=True)
            except OSError as exc:
                report.errors.append((rec.path, exc.strerror or str(exc)))
                log.error("retention: cannot delete %s: %s", rec.path, exc)
                continue
            rec.status, rec.deleted_at = "deleted", now
            s.add(AuditEntry(at=now, actor=actor, action="deleted", recording_id=rec.id,
                             detail={"path": rec.path, "days": days,
                                     "sha256": rec.sha256 or ""}))
            report.deleted.append(rec.path)
            log.info("retention: deleted %s (older than %d days)", rec.path, days)
    _outbound_retention(sessions, root, days, cutoff, now, actor, report)
    return report


def _outbound_retention(sessions: sessionmaker, root: Path, days: int, cutoff: datetime,
                        now: datetime, actor: str, report: RetentionReport) -> None:
    """The same for the calls the hotline placed (callbacks, parties, judges): the file
    goes, the call's row keeps what it was and says the recording was deleted."""
    with sessions() as s:
        ids = list(s.scalars(select(OutboundCall.id).where(
            OutboundCall.placed_at < cutoff, OutboundCall.recording.is_not(None),
            OutboundCall.recording != "").order_by(OutboundCall.id)))
    for cid in ids:
        with sessions.begin() as s:
            call = s.get(OutboundCall, cid)
            try:
                (root / call.recording).unlink(missing_ok=True)
            except OSError as exc:
                report.errors.append((call.recording, exc.strerror or str(exc)))
                log.error("retention: cannot delete %s: %s", call.recording, exc)
                continue
            s.add(AuditEntry(at=now, actor=actor, action="deleted", recording_id=None,
                             detail={"path": call.recording, "days": days,
                                     "outbound_call": call.uniqueid}))
            report.deleted.append(call.recording)
            log.info("retention: deleted %s (older than %d days)", call.recording, days)
            call.recording = ""  # deleted: "" where None is "never recorded"

