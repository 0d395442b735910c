"""Speech work on the store: messages become work orders on the next working day (R6),
and every transcript is searched for abusive (R4.7) and urgent (R4.8) words.

The heavy part — reading the file, measuring it, running the recogniser — happens in
worker processes, each loading the model once (:class:`Analyser`). The light part —
writing what was found — happens here, one transaction per recording, so a batch stopped
half-way keeps what it did and the next run takes up the rest.

For a message (R6), on the first working day after it was left:

* the order opened when the call arrived (R2) gets the transcript as its content, a
  suggested type (keyword rules the court can edit), any case number said in it (digits
  spoken as 二零二四 or written 2024), and the caller's earlier matters;
* it stays 待听留言 (``message_pending``): operators listen, correct the type and confirm
  (``Service.confirm_message``), then answer or forward it like any other order;
* an empty message closes its order as such; an unreadable or vanished file leaves the
  order in the queue with the reason, for the operator to call the caller back.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recordings import audio, catalog, flags
from recordings.models import Flag, Recording
from recordings.transcribe import Transcript, VoskEngine, Word
from workorder import casenumber, suggest
from workorder.history import record_history
from workorder.models import WorkOrder
from workorder.types import OrderStatus, OrderType

log = logging.getLogger(__name__)

MAX_S = 3 * 3600  # longer than any call the line takes; a longer file is refused unread

# ---- in the worker processes ------------------------------------------------------------
_engine: VoskEngine | None = None


def _load(model_dir: str | None) -> None:
    global _engine
    _engine = VoskEngine(model_dir) if model_dir else None


def analyse(path: str, transcribe: bool = True, max_s: float = MAX_S) -> dict:
    """Measure a file and transcribe it: a plain dict, to cross the process boundary.
    ``error`` is set for a file that cannot be used; nothing here raises for bad audio."""
    try:
        info, seg = audio.probe(Path(path), max_s)
    except audio.AudioError as exc:
        return {"error": str(exc)}
    except OSError as exc:
        return {"error": f"{Path(path).name}: cannot be read ({exc.strerror})"}
    out: dict = {"info": asdict(info)}
    if transcribe and _engine is not None and not info.empty:
        started = time.process_time()
        out["transcript"] = _engine.transcribe(audio.recogniser_pcm(seg)).as_dict()
        out["cpu_s"] = time.process_time() - started
    out["pid"] = os.getpid()
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak so far
    return out


# ---- the pool -----------------------------------------------------------------------------
class Analyser:
    """Runs :func:`analyse` on ``workers`` processes (1: in this process), each with the
    model loaded once. A broken model is refused before any file is read; without a model
    (``None``) files are only measured."""

    def __init__(self, model_dir: Path | None, workers: int = 1) -> None:
        self.model_dir = str(model_dir) if model_dir else None
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Analyser:
        _load(self.model_dir)  # fails here, clearly, if the model is not usable
        if self.workers > 1:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_load, initargs=(self.model_dir,))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def run(self, jobs: list[tuple[int, str, bool]]) -> Iterator[tuple[int, dict]]:
        """(recording id, absolute path, transcribe?) → (id, result) as each finishes."""
        if self._pool is None:
            for rid, path, tr in jobs:
                yield rid, analyse(path, tr)
            return
        futures = {self._pool.submit(analyse, path, tr): rid for rid, path, tr in jobs}
        for fut in as_completed(futures):
            try:
                yield futures[fut], fut.result()
            except Exception as exc:  # a worker that died (out of memory, a crash in C)
                yield futures[fut], {"error": f"the recogniser failed: {exc!r}"}


# ---- writing what was found ---------------------------------------------------------------
@dataclass(frozen=True)
class Rules:
    """What the court configured: the flag lexicons and the type keywords."""

    lexicon: list[flags.Category]
    types: suggest.Rules


@dataclass
class BatchReport:
    total: int = 0
    orders: list[str] = field(default_factory=list)  # numbers now in the queue
    transcribed: int = 0
    empty: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    flagged: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    audio_s: float = 0.0
    cpu_s: float = 0.0
    wall_s: float = 0.0
    peak_mb: dict[int, float] = field(default_factory=dict)  # worker pid → peak memory

    def as_dict(self) -> dict:
        return {"total": self.total, "orders": len(self.orders),
                "transcribed": self.transcribed, "empty": self.empty,
                "unreadable": len(self.unreadable), "missing": len(self.missing),
                "flagged": len(self.flagged), "audio_s": round(self.audio_s, 1),
                "cpu_s": round(self.cpu_s, 1), "wall_s": round(self.wall_s, 1)}


def transcript_of(data: dict) -> Transcript:
    return Transcript([Word(*w) for w in data.get("words", [])], data.get("engine", ""),
                      data.get("model", ""))


def save_flags(session: Session, rec: Recording, transcript: Transcript,
               lexicon: list[flags.Category], order_id: int | None,
               now: datetime) -> list[Flag]:
    """The lexicons' flags on this recording; one per category, found once."""
    have = {f.category for f in rec.flags if f.source == "lexicon"}
    out = []
    for f in flags.flag(transcript, lexicon):
        if f.category in have:
            continue
        row = Flag(recording_id=rec.id, order_id=order_id, kind=f.kind, category=f.category,
                   label=f.label, reason=f.reason, source="lexicon", created_at=now,
                   created_by="system", note="",
                   matches=[{"phrase": m.phrase, "start": m.start, "end": m.end}
                            for m in f.matches])
        session.add(row)
        out.append(row)
    return out


def fill_message_order(session: Session, rec: Recording, order: WorkOrder,
                       transcript: Transcript | None, rules: Rules, earlier: list[WorkOrder],
                       now: datetime, tz) -> None:
    """R6: what the operator needs to listen and confirm, on the order itself."""
    if order.status != OrderStatus.MESSAGE_PENDING.value:
        return  # already handled by an operator: the transcript is on the recording
    changes: dict = {}
    notes = []
    text = transcript.text if transcript else ""
    if rec.status == "unreadable" or rec.status == "missing":
        content = f"【留言录音无法使用：{rec.error}】请回拨来电人。"
    elif text:
        content = f"【留言转写，待核听】{text}"
    else:
        content = "【留言未能转写，请听录音】"
    if not order.content:
        changes["content"] = [order.content, content]
        order.content = content
    if text:
        s = suggest.suggest(text, rules.types)
        if order.order_type == OrderType.OTHER.value and s.order_type != OrderType.OTHER:
            changes["order_type"] = [order.order_type, int(s.order_type)]
            order.order_type = int(s.order_type)
        notes.append(f"建议类型：{s.order_type.label_zh}（{s.reason}）")
        if not order.case_number:
            found = casenumber.find_in_text(text, now.astimezone(tz).date())
            if found:
                changes["case_number"] = [None, found[0].canonical]
                order.case_number = found[0].canonical
                notes.append(f"转写中的案号：{found[0]}")
    if earlier:
        notes.append("来电人此前事项：" + "、".join(
            f"{o.number}（{OrderStatus(o.status).label_zh}）" for o in earlier[:5]))
    order.updated_at = now
    record_history(session, order.id, now, "system", "message_transcribed", changes,
                   "；".join(notes) or "留言已处理 (R6)")


def apply(session: Session, rec: Recording, result: dict, rules: Rules, now: datetime,
          report: BatchReport, service=None, tz=UTC, open_order: bool = True) -> None:
    """Write one analysis: measurement, transcript, flags and (messages) the order."""
    transcript = None
    if "error" in result:
        catalog.record_error(rec, result["error"], now)
        report.unreadable.append((rec.path, rec.error))
        log.error("recording %s: %s", rec.path, rec.error)
    else:
        info = audio.AudioInfo(**result["info"])
        catalog.record_info(rec, info, now)
        report.audio_s += info.duration_s
        if rec.status == "empty":
            report.empty += 1
            catalog.close_empty_message(session, rec, now)
        elif "transcript" in result:
            transcript = transcript_of(result["transcript"])
            rec.transcript, rec.transcript_text = result["transcript"], transcript.text
            rec.speech_model, rec.transcribed_at = transcript.model, now
            report.transcribed += 1
            report.cpu_s += result.get("cpu_s", 0.0)
            pid = result.get("pid", 0)
            report.peak_mb[pid] = max(report.peak_mb.get(pid, 0.0), result.get("rss_mb", 0.0))
    order = catalog.order_of(session, rec)
    if transcript is not None:
        for f in save_flags(session, rec, transcript, rules.lexicon,
                            order.id if order else None, now):
            report.flagged.append((rec.path, f.reason))
    if rec.kind == "message" and open_order and rec.status != "empty":
        if order is not None:
            earlier = service.earlier_matters(session, order) if service else []
            fill_message_order(session, rec, order, transcript, rules, earlier, now, tz)
            if order.status == OrderStatus.MESSAGE_PENDING.value:
                report.orders.append(order.number)
        rec.processed_at = now


Progress = Callable[[int, int, str], None]


def due_query(kind: str, before: datetime, limit: int | None):
    q = select(Recording.id, Recording.path, Recording.status).where(
        Recording.kind == kind, Recording.created_at < before)
    if kind == "message":
        q = q.where(Recording.processed_at.is_(None),
                    Recording.status.in_(("complete", "ready", "unreadable", "missing")))
    else:
        q = q.where(Recording.transcribed_at.is_(None),
                    Recording.status.in_(("complete", "ready")))
    return q.order_by(Recording.created_at).limit(limit)


def process(sessions: sessionmaker, root: Path, analyser: Analyser, rules: Rules,
            kind: str, before: datetime, now: Callable[[], datetime] = lambda: datetime.now(UTC),
            service=None, tz=UTC, progress: Progress | None = None,
            limit: int | None = None) -> BatchReport:
    """Every ``kind`` recording left before ``before`` and not yet done: measured,
    transcribed, flagged and, for messages, its order filled in (R6). Bad files are
    reported and skipped; the batch goes on."""
    started = time.perf_counter()
    report = BatchReport()
    with sessions() as s:
        rows = s.execute(due_query(kind, before, limit)).all()
    report.total = len(rows)
    jobs = []
    done = 0
    for rid, path, status in rows:
        if status == "missing" or not (root / path).exists():
            with sessions.begin() as s:
                rec = s.get(Recording, rid)
                if rec.status != "missing":
                    catalog.mark_missing(rec, now())
                report.missing.append(rec.path)
                if kind == "message":
                    order = catalog.order_of(s, rec)
                    if order is not None:
                        fill_message_order(s, rec, order, None, rules, [], now(), tz)
                        report.orders.append(order.number)
                    rec.processed_at = now()
            done += 1
            if progress:
                progress(done, report.total, path)
            continue
        jobs.append((rid, str(root / path), status != "unreadable"))
    paths = {rid: path for rid, path, _ in rows}
    for rid, result in analyser.run(jobs):
        try:
            with sessions.begin() as s:
                rec = s.get(Recording, rid)
                apply(s, rec, result, rules, now(), report, service, tz, kind == "message")
        except Exception as exc:  # one record that cannot be written must not stop the rest
            log.exception("recording %s: %s", paths[rid], exc)
            report.unreadable.append((paths[rid], f"not saved: {exc}"[:255]))
        done += 1
        if progress:
            progress(done, report.total, paths[rid])
    report.wall_s = time.perf_counter() - started
    return report


# ---- the operators' side ------------------------------------------------------------------
def queue(session: Session, court: str) -> list[tuple[WorkOrder, Recording]]:
    """听留言: messages transcribed and waiting for an operator, those with an urgent flag
    first, then the oldest."""
    return _waiting(session, court, Recording.processed_at.is_not(None))


def unprocessed(session: Session, court: str) -> list[tuple[WorkOrder, Recording]]:
    """Messages waiting for an operator that this batch has not reached yet (it runs on
    the first working day after they were left, R6): operators may listen to them before
    it does. Ordered like :func:`queue`."""
    return _waiting(session, court, Recording.processed_at.is_(None))


def _waiting(session: Session, court: str, processed) -> list[tuple[WorkOrder, Recording]]:
    rows = session.execute(
        select(WorkOrder, Recording).join(Recording, Recording.call_id == WorkOrder.call_id)
        .where(WorkOrder.court == court, Recording.kind == "message",
               WorkOrder.status == OrderStatus.MESSAGE_PENDING.value, processed)
        .order_by(WorkOrder.created_at)).all()
    urgent = {f.recording_id for f in session.scalars(select(Flag).where(
        Flag.recording_id.in_([r.id for _, r in rows]), Flag.kind == "urgent"))}
    return sorted(((o, r) for o, r in rows), key=lambda p: p[1].id not in urgent)


__all__ = ["Analyser", "BatchReport", "Rules", "analyse", "apply", "process",
           "queue", "save_flags", "unprocessed"]
