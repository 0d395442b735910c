"""R6: the night's messages become work orders on the next working day — transcribed by
the real Vosk recogniser (the complete Korean model; no Mandarin model can be fetched
here), with a suggested type, a case number heard in them, the caller's earlier matters and
the abusive/urgent flags (R4.7/R4.8) with their times in the audio. Bad files are reported
and skipped; the batch goes on; a second run does nothing twice."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from conftest import HOTLINE, built
from sqlalchemy import select
from support.speech import KOREAN_MODEL, line
from test_recording_store import _wav_header, message

from hotline.settings import Settings
from recordings import pipeline
from recordings.models import Flag, Recording
from workorder.models import OrderHistory, WorkOrder
from workorder.orders import OrderError
from workorder.types import OrderStatus, OrderType

NIGHT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 22:00 in Beijing, Monday
MORNING = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00, Tuesday


@pytest.fixture
def store(settings: Settings):
    """The platform of a court whose speech model is the real Korean Vosk model."""
    with built(settings.with_(models_dir=str(KOREAN_MODEL.parent),
                              speech_model=KOREAN_MODEL.name)) as platform:
        yield platform


def _said(words: list[tuple[str, float, float]]) -> dict:
    """What a Mandarin model writes: one word per entry with its times."""
    return {"info": {"duration_s": 20.0, "sample_rate": 8000, "channels": 1, "format": "wav",
                     "size": 320044, "sha256": "0" * 64, "speech_s": 12.0},
            "transcript": {"text": "".join(w for w, _, _ in words), "engine": "vosk",
                           "model": "vosk-model-small-cn-0.22",
                           "words": [[w, s, e, 0.9] for w, s, e in words]},
            "cpu_s": 1.0}


def _apply(store, rel: str, result: dict, at: datetime = MORNING) -> pipeline.BatchReport:
    report = pipeline.BatchReport()
    with store.uow.begin() as s:
        rec = s.scalar(select(Recording).where(Recording.path == rel))
        pipeline.apply(s, rec, result, store.speech.rules(), at, report, store.service,
                       store.settings.tz)
    return report


def test_r6_the_order_gets_the_transcript_a_suggested_type_and_the_case_number(store):
    rel = message(store, "1700000100.1", line(1.0), left=NIGHT)
    words = [("你好", 0.5, 0.9), ("我", 1.0, 1.1), ("联系", 1.2, 1.5), ("不", 1.5, 1.6),
             ("上", 1.6, 1.7), ("承办", 1.8, 2.1), ("法官", 2.1, 2.5), ("案号", 3.0, 3.4),
             ("二零二四", 3.5, 4.2), ("京", 4.3, 4.4), ("零一零五", 4.5, 5.2), ("民初", 5.3, 5.6),
             ("一千二百三十四", 5.7, 6.8), ("号", 6.9, 7.0)]
    report = _apply(store, rel, _said(words))
    assert report.transcribed == 1 and len(report.orders) == 1
    with store.uow() as s:
        order = s.scalar(select(WorkOrder))
        rec = s.scalar(select(Recording))
        assert order.status == OrderStatus.MESSAGE_PENDING  # still to be heard (R6)
        assert order.order_type == OrderType.CONTACT_JUDGE
        assert order.case_number == "（2024）京0105民初1234号"
        assert "联系不上承办法官" in order.content
        assert rec.processed_at == MORNING and rec.transcript_text.startswith("你好我联系")
        hist = s.scalar(select(OrderHistory).where(OrderHistory.action == "message_transcribed"))
        assert "建议类型：联系法官" in hist.reason and hist.changes["order_type"] == [6, 3]


def test_r4_8_r4_7_flags_carry_the_words_and_their_times_urgent_first(store):
    rel = message(store, "1700000100.2", line(1.0), left=NIGHT)
    words = [("你们", 0.2, 0.5), ("这些", 0.5, 0.8), ("王八蛋", 0.9, 1.6), ("公司", 3.0, 3.3),
             ("账户", 3.3, 3.7), ("被", 3.8, 3.9), ("冻结", 3.9, 4.4), ("了", 4.4, 4.5)]
    report = _apply(store, rel, _said(words))
    assert [why.split("：")[0] for _p, why in report.flagged][0] != ""
    with store.uow() as s:
        flags = list(s.scalars(select(Flag).order_by(Flag.id)))
        kinds = {f.kind: f for f in flags}
        assert set(kinds) == {"urgent", "abusive"}
        assert kinds["abusive"].matches == [{"phrase": "王八蛋", "start": 0.9, "end": 1.6}]
        assert kinds["urgent"].matches[0]["start"] == 3.3  # 账户…冻结 where it was said
        assert all(f.order_id == s.scalar(select(WorkOrder.id)) for f in flags)
        [(order, _rec)] = pipeline.queue(s, store.settings.court_name)
        assert order.status == OrderStatus.MESSAGE_PENDING


def test_r6_urgent_messages_come_first_in_the_queue_then_the_oldest(store):
    first = message(store, "1700000100.3", line(1.0), left=NIGHT)
    second = message(store, "1700000100.4", line(1.0), left=NIGHT + timedelta(hours=1))
    _apply(store, first, _said([("我", 0.1, 0.2), ("想", 0.2, 0.3), ("咨询", 0.3, 0.8)]))
    _apply(store, second, _said([("我", 0.1, 0.2), ("不想", 0.2, 0.5), ("活", 0.5, 0.7),
                                  ("了", 0.7, 0.8)]))
    with store.uow() as s:
        assert [r.path for _o, r in pipeline.queue(s, store.settings.court_name)] == [second, first]


def test_r6_the_real_recogniser_transcribes_a_batch_and_skips_bad_files(store):
    good = [message(store, f"1700000200.{i}", line(0.5, "안녕하세요 법원입니다", 0.5,
                                                     "사건 번호", 0.5), left=NIGHT)
            for i in range(2)]
    silent = message(store, "1700000200.7", line(5.0), left=NIGHT)
    cut = message(store, "1700000200.8", _wav_header(8000 * 5) + b"\0" * 800, left=NIGHT)
    empty_file = message(store, "1700000200.9", b"", left=NIGHT)
    late = message(store, "1700000201.1", line(0.5, "법원", 0.5), left=MORNING + timedelta(hours=1))
    seen = []
    report = store.speech.messages(MORNING, workers=1,
                             progress=lambda done, total, path: seen.append((done, total)),
                             now=lambda: MORNING)
    assert report.total == 5 and seen[-1] == (5, 5)  # the one left after 09:00 waits
    assert report.transcribed == 2 and report.empty == 1
    assert sorted(p for p, _ in report.unreadable) == sorted([cut, empty_file])
    assert report.audio_s > 3 and report.cpu_s > 0
    with store.uow() as s:
        recs = {r.path: r for r in s.scalars(select(Recording))}
        for p in good:
            t = recs[p].transcript
            assert t["model"] == KOREAN_MODEL.name and t["words"]
            assert all(0 <= w[1] <= w[2] <= recs[p].duration_s + 0.1 for w in t["words"])
        assert recs[silent].status == "empty"
        assert recs[late].processed_at is None
        queued = {r.path for _o, r in pipeline.queue(s, store.settings.court_name)}
        # the unreadable ones stay in the queue: the operator calls the caller back
        assert queued == {*good, cut, empty_file}
        order = s.scalar(select(WorkOrder).join(Recording, Recording.call_id == WorkOrder.call_id)
                         .where(Recording.path == cut))
        assert "无法使用" in order.content and "truncated" in order.content
    again = store.speech.messages(MORNING, workers=1, now=lambda: MORNING)
    assert again.total == 0


def test_r6_two_worker_processes_share_the_batch(store):
    rels = [message(store, f"1700000300.{i}", line(0.3, "법원", 0.3), left=NIGHT)
            for i in range(4)]
    report = store.speech.messages(MORNING, workers=2, now=lambda: MORNING)
    assert report.transcribed == 4 and sorted(report.orders) == sorted(
        o for o in report.orders) and len(report.orders) == 4
    with store.uow() as s:
        assert all(r.transcribed_at == MORNING for r in s.scalars(select(Recording)))
    assert len(rels) == 4


def test_r6_without_a_model_messages_still_reach_the_queue(settings):
    with built(settings.with_(models_dir=str(settings.data_dir / "no-models"))) as store:
        rel = message(store, "1700000400.1", line(0.3, "법원", 0.3), left=NIGHT)
        report = store.speech.messages(MORNING, workers=1, now=lambda: MORNING)
        assert report.transcribed == 0 and len(report.orders) == 1
        with store.uow() as s:
            [(order, rec)] = pipeline.queue(s, store.settings.court_name)
            assert rec.path == rel and "请听录音" in order.content and rec.status == "ready"


def test_r6_the_operator_confirms_and_corrects_the_type(store, svc):
    rel = message(store, "1700000500.1", line(1.0), left=NIGHT)
    _apply(store, rel, _said([("我", 0.1, 0.2), ("要", 0.2, 0.3), ("投诉", 0.3, 0.8)]))
    with store.uow.begin() as s:
        order = s.scalar(select(WorkOrder))
        assert order.order_type == OrderType.COMPLAINT
        svc.confirm_message(s, order, version=order.version, by="seat1001",
                            at=MORNING + timedelta(minutes=5), order_type=4)
        assert order.status == OrderStatus.IN_PROGRESS and order.order_type == 4
        with pytest.raises(OrderError, match="not a message waiting"):
            svc.confirm_message(s, order, version=None, by="seat1001", at=MORNING)
        actions = [h.action for h in s.scalars(select(OrderHistory).order_by(OrderHistory.id))]
        assert actions[-2:] == ["edited", "message_confirmed"]


def hotline_cli(platform, *args: str, env: dict, check: bool = True):
    import os

    proc = subprocess.run([HOTLINE, "--data-dir", str(platform.settings.data_dir), *args],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                          env={**os.environ, **env})
    if check:
        assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def test_r6_by_hand_with_a_progress_bar_and_a_clear_error_for_a_closed_day(store):
    message(store, "1700000600.1", line(0.3, "법원", 0.3), left=NIGHT)
    env = {"HOTLINE_MODELS_DIR": store.settings.models_dir, "HOTLINE_SPEECH_MODEL": store.settings.speech_model}
    bad = hotline_cli(store, "messages", "process", "--date", "2026-11-28", env=env,
                      check=False)
    assert bad.returncode == 2 and "2026-11-28 is not a working day" in bad.stderr
    assert "the next one is 2026-11-30" in bad.stderr
    out = hotline_cli(store, "messages", "process", "--date", "2026-11-24", "--json",
                      "--workers", "1", env=env)
    data = json.loads(out.stdout)
    assert data["total"] == 1 and len(data["order_numbers"]) == 1
    assert "processing 1 message" in out.stderr  # the progress bar
    listed = hotline_cli(store, "messages", "list", "--json", env=env)
    assert [r["number"] for r in json.loads(listed.stdout)] == data["order_numbers"]


def test_r6_the_job_waits_while_the_line_is_closed_and_works_when_it_opens(store):
    """The periodic job: nothing while the line is closed (night, holiday, or switched off
    by hand); once it is staffed, the night's messages become orders to confirm."""
    from workorder.registration import set_manual_mode

    rel = message(store, "1700000700.1", line(0.3, "법원", 0.3), left=NIGHT)
    jobs = store.jobs
    saturday = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 on a Saturday
    jobs.speech_work(saturday)
    with store.uow.begin() as s:
        assert s.scalar(select(Recording.processed_at).where(Recording.path == rel)) is None
        set_manual_mode(s, "closed", MORNING, "sup9001")
    jobs.speech_work(MORNING)  # a working morning, but the supervisor closed the line
    with store.uow.begin() as s:
        assert s.scalar(select(Recording.processed_at).where(Recording.path == rel)) is None
        set_manual_mode(s, "auto", MORNING, "sup9001")
    jobs.speech_work(MORNING)
    with store.uow() as s:
        assert s.scalar(select(Recording.processed_at).where(Recording.path == rel))
        assert len(pipeline.queue(s, store.settings.court_name)) == 1
