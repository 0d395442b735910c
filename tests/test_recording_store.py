"""The recording store loses nothing (R6, R2): every file gets a record that says what it
holds, files written while the FastAGI server was down are adopted, vanished files are
reported, empty messages are not made into orders, bad files are reported without stopping
the scan, and retention deletes only what nobody still needs — with an audit entry."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from support.speech import line, write
from test_audio import _wav_header

from recordings import catalog
from recordings.catalog import leave_message
from recordings.models import AuditEntry, Flag, Recording
from workorder.models import Call, OrderHistory, WorkOrder
from workorder.registration import Arrival, register_call
from workorder.types import OrderStatus

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture
def store(platform):
    """The platform whose recording store the tests fill."""
    return platform


def _old(path, seconds: float = 600) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def message(platform, uid: str, audio, caller: str = "13812345678", left: datetime = NOW,
            register: bool = True):
    """A closed-line call that left a message: registered as the FastAGI server does."""
    settings = platform.settings
    rel = f"messages/{left.astimezone(settings.tz):%Y/%m/%d}/{uid}.wav"
    path = settings.recordings_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(audio, bytes):
        path.write_bytes(audio)
    else:
        write(audio, path)
    _old(path)
    with platform.uow.begin() as s:
        register_call(s, settings.court_name, settings.tz, Arrival(uid, caller, None, left),
                      ("closed", "outside staffed hours"))
        if register:
            leave_message(s, uid, rel, left, exists=True)
    return rel


def test_r6_a_message_is_measured_once_with_duration_format_size_and_checksum(store):
    import hashlib

    rel = message(store, "1700000000.1", line(0.5, "법원", 1.0))
    report = store.speech.scan()
    assert report.checked == 1 and not report.missing and not report.adopted
    with store.uow() as s:
        rec = s.scalar(select(Recording))
        data = (store.settings.recordings_dir / rel).read_bytes()
        assert rec.status == "ready" and rec.format == "wav/8000/1"
        assert rec.size_bytes == len(data) and rec.sha256 == hashlib.sha256(data).hexdigest()
        assert 1.5 < rec.duration_s < 3.5 and 0.3 < rec.speech_s < rec.duration_s
        assert rec.caller_phone == "13812345678" and rec.started_at is not None
    assert store.speech.scan().checked == 0  # measured once


def test_r6_an_empty_message_is_marked_and_its_order_closed_not_queued(store):
    message(store, "1700000000.2", line(4.0))
    store.speech.scan()
    with store.uow() as s:
        rec = s.scalar(select(Recording))
        order = s.scalar(select(WorkOrder))
        assert rec.status == "empty" and rec.speech_s == 0
        assert order.status == OrderStatus.CLOSED and "空留言" in order.resolution
        assert list(s.scalars(select(OrderHistory.action).where(
            OrderHistory.order_id == order.id).order_by(OrderHistory.id))) == [
            "registered", "message_empty"]  # the line registered it (R2), then the store


def test_r2_a_message_whose_registration_was_lost_is_adopted_with_its_call(store):
    """The FastAGI server went down between the call's arrival and its hang-up: the call is
    registered, the message file is on disk, no record points at it."""
    rel = message(store, "1700000000.3", line(0.3, "법원", 0.5), register=False)
    report = store.speech.scan()
    assert report.adopted == [rel]
    with store.uow() as s:
        rec = s.scalar(select(Recording))
        call = s.scalar(select(Call))
        order = s.scalar(select(WorkOrder))
        assert rec.adopted and rec.call_id == call.id and rec.status == "ready"
        assert call.outcome == "message" and order.status == OrderStatus.MESSAGE_PENDING
    assert store.speech.scan().adopted == []  # once


def test_r2_a_file_of_a_call_python_never_saw_registers_the_call_from_its_name(store):
    """The dialplan names files of unregistered calls with the date, the channel id and the
    caller's number; the scan registers the call (R2) and the message (R6)."""
    for kind, uid in (("messages", "1700000001.7"), ("calls", "1700000001.8")):
        path = store.settings.recordings_dir / kind / "unregistered" / f"20261124-{uid}-13900001111.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        write(line(0.3, "법원", 0.3), path)
        _old(path)
    report = store.speech.scan()
    assert len(report.adopted) == 2
    with store.uow() as s:
        calls = {c.uniqueid: c for c in s.scalars(select(Call))}
        assert set(calls) == {"1700000001.7", "1700000001.8"}
        assert all(c.caller_phone == "13900001111" for c in calls.values())
        orders = {o.call_id: o for o in s.scalars(select(WorkOrder))}
        assert orders[calls["1700000001.7"].id].status == OrderStatus.MESSAGE_PENDING
        kinds = {r.kind for r in s.scalars(select(Recording))}
        assert kinds == {"call", "message"}


def test_a_file_still_being_written_is_left_until_it_settles(store):
    path = store.settings.recordings_dir / "calls" / "2026" / "11" / "24" / "1700000002.1.wav"
    path.parent.mkdir(parents=True)
    write(line(0.5), path)  # modified just now
    assert store.speech.scan().adopted == []
    _old(path)
    assert len(store.speech.scan().adopted) == 1


def test_a_file_outside_the_naming_scheme_is_reported_and_left_alone(store):
    stray = store.settings.recordings_dir / "messages" / "copy of message.wav"
    stray.parent.mkdir(parents=True)
    write(line(0.5), stray)
    _old(stray)
    report = store.speech.scan()
    assert report.unknown == ["messages/copy of message.wav"] and not report.adopted
    assert stray.exists()


def test_a_record_whose_file_vanished_is_reported(store):
    rel = message(store, "1700000000.4", line(0.3, "법원", 0.3))
    store.speech.scan()
    (store.settings.recordings_dir / rel).unlink()
    report = store.speech.scan()
    assert report.missing == [rel]
    with store.uow() as s:
        [rec] = catalog.missing(s)
        assert rec.path == rel and rec.missing_at is not None and rec.sha256
    assert store.speech.scan().missing == []  # reported once, then listed


@pytest.mark.parametrize("content,why", [
    (b"", "zero-byte"),
    (_wav_header(8000 * 5) + b"\0" * 8000, "truncated"),
    (_wav_header(8000 * 3 * 3600 + 8000), "minutes long"),
    (b"%PDF-1.4 this is a scanned judgment, not audio" * 20, "not audio"),
    (b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk", "not a readable WAV"),
])
def test_r6_a_bad_file_is_reported_and_the_scan_goes_on(store, content, why):
    good = message(store, "1700000000.5", line(0.3, "법원", 0.3))
    bad = message(store, "1700000000.6", content)
    report = store.speech.scan()
    assert report.checked == 2
    assert [p for p, _ in report.unreadable] == [bad]
    assert why in report.unreadable[0][1]
    with store.uow() as s:
        recs = {r.path: r for r in s.scalars(select(Recording))}
        assert recs[good].status == "ready"
        assert recs[bad].status == "unreadable" and why in recs[bad].error
        assert (store.settings.recordings_dir / bad).exists()  # kept as evidence, not deleted


def test_retention_deletes_old_files_but_keeps_held_and_unreviewed_ones(store):
    """Files older than retention_days go, each deletion in the audit log; a recording
    under review (an open flag, R4.7/R4.8) or held by a supervisor stays."""
    old = NOW - timedelta(days=400)
    paths = {name: message(store, f"1600000000.{i}", line(0.3, "법원", 0.3), left=old)
             for i, name in enumerate(("plain", "flagged", "held", "reviewed"))}
    recent = message(store, "1700000000.9", line(0.3, "법원", 0.3))
    store.speech.scan()
    with store.uow.begin() as s:
        recs = {r.path: r for r in s.scalars(select(Recording))}
        recs[paths["held"]].hold = True
        for name, reviewed in (("flagged", None), ("reviewed", NOW)):
            s.add(Flag(recording_id=recs[paths[name]].id, kind="abusive", category="abuse",
                       reason="辱骂", source="lexicon", created_at=old, matches=[],
                       reviewed_at=reviewed, reviewed_by="sup" if reviewed else None))
    report = catalog.retention(store.uow, store.settings.recordings_dir, 365, NOW)
    assert sorted(report.deleted) == sorted([paths["plain"], paths["reviewed"]])
    assert report.kept == 2
    for name, gone in (("plain", True), ("reviewed", True), ("flagged", False),
                       ("held", False)):
        assert (store.settings.recordings_dir / paths[name]).exists() is not gone, name
    assert (store.settings.recordings_dir / recent).exists()
    with store.uow() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "deleted")))
        assert sorted(e.detail["path"] for e in entries) == sorted(report.deleted)
        assert all(e.actor == "retention" and e.detail["sha256"] for e in entries)
        rec = s.scalar(select(Recording).where(Recording.path == paths["plain"]))
        assert rec.status == "deleted" and rec.deleted_at is not None and rec.sha256
    # a second run finds nothing more to do, and 0 days keeps everything
    assert catalog.retention(store.uow, store.settings.recordings_dir, 365,
                             NOW).deleted == []
    assert catalog.retention(store.uow, store.settings.recordings_dir, 0,
                             NOW + timedelta(days=9999)).deleted == []


def test_retention_deletes_old_recordings_of_calls_placed_too(store):
    """Callbacks, parties and judges the hotline dialled (outbound_calls) are recorded
    under recordings/outbound; their files age out like the others, audited, and the
    call's row says its recording was deleted."""
    from workorder import outbound
    from workorder.registration import Arrival, register_call

    root = store.settings.recordings_dir
    with store.uow.begin() as s:
        reg = register_call(s, store.settings.court_name, store.settings.tz,
                            Arrival("1600000001.1", "13800000001", "", NOW), ("open", "x"))
        made = {}
        for name, at in (("old", NOW - timedelta(days=400)), ("recent", NOW)):
            call = outbound.place(s, reg.order_id, "13800000001", "seat1001", "dial", "li", at)
            rel = f"outbound/{at:%Y/%m/%d}/{call.uniqueid}.wav"
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            line(0.3, "법원", 0.3).export(str(root / rel), format="wav")
            outbound.finish(s, call.uniqueid, "answered", at, talk_s=5, recording=rel)
            made[name] = (call.uniqueid, rel)
    report = catalog.retention(store.uow, root, 365, NOW)
    assert report.deleted == [made["old"][1]]
    assert not (root / made["old"][1]).exists() and (root / made["recent"][1]).exists()
    with store.uow() as s:
        rows = {c.uniqueid: c for c in s.scalars(select(outbound.OutboundCall))}
        assert rows[made["old"][0]].recording == "" and rows[made["old"][0]].outcome == "answered"
        (entry,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "deleted"))
        assert entry.detail == {"path": made["old"][1], "days": 365,
                                "outbound_call": made["old"][0]}
    assert catalog.retention(store.uow, root, 365, NOW).deleted == []  # once


def test_the_audit_log_cannot_be_rewritten(db_url):
    from hotline.db import make_engine

    engine = make_engine(db_url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO audit_log (at, actor, action, remote, detail) VALUES "
                       "('2026-11-24 02:00:00', 'sup9001', 'play', '', '{}')"))
    for sql in ("UPDATE audit_log SET actor = 'nobody'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as c:
            c.execute(text(sql))
    engine.dispose()


def test_the_bare_header_of_an_unanswered_call_is_discarded_not_adopted(store):
    """MixMonitor records bridged audio only: a call nobody answered leaves a 44-byte
    file, which holds nothing to keep (its call is registered, R2, without it)."""
    path = store.settings.recordings_dir / "calls" / "2026" / "11" / "24" / "1700000003.1.wav"
    path.parent.mkdir(parents=True)
    path.write_bytes(_wav_header(0))
    _old(path)
    report = store.speech.scan()
    assert report.discarded == 1 and not report.adopted and not path.exists()
    with store.uow() as s:
        assert s.scalar(select(Recording)) is None
