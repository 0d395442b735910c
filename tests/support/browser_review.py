"""The supervisor's review of flagged recordings (R4.7/R4.8) in a real headless Chromium
(Debian's), run by tests/test_review_browser.py inside a network namespace that has only
`lo`.

    python browser_review.py DATA_DIR OUT.json

Sets up a court, a supervisor and an operator, and an after-hours message recorded with
real speech (espeak-ng on an 8 kHz line) whose transcript has a flagged word; serves the
web app on 127.0.0.1. The supervisor logs in, opens the list and the recording, plays it,
clicks the flagged word (the player seeks there) and marks it reviewed. The operator then
logs in and is refused the page and the audio. Writes what happened, with screenshots.

:func:`seed` (the flagged call or message, its order and recording) is shared with
tests/test_review.py.
"""

from __future__ import annotations

import io
import json
import math
import socket
import struct
import sys
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

from sqlalchemy.orm import Session  # noqa: E402

from recordings.models import Flag, Recording  # noqa: E402
from support import court  # noqa: E402
from workorder.models import Call, WorkOrder  # noqa: E402
from workorder.orders import Service  # noqa: E402

CHROMIUM = "/usr/lib/chromium/chromium"
FLAGS = ["--disable-background-networking", "--disable-component-update", "--no-first-run",
         "--disable-gpu", "--autoplay-policy=no-user-gesture-required"]
PASSWORD = "correct horse 12368"
# (word, start, end) of the default transcript; 他妈的 is flagged abusive (R4.7).
WORDS = [("你们", 0.5, 0.9), ("法院", 0.9, 1.4), ("他妈的", 1.6, 2.2), ("怎么", 2.4, 2.7),
         ("还不", 2.7, 3.0), ("开庭", 3.0, 3.5)]


def tone_wav(seconds: float = 2.0, rate: int = 8000) -> bytes:
    """A telephone-line WAV (8 kHz, 16-bit mono) of a 440 Hz tone: known bytes."""
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                      for i in range(int(seconds * rate)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


def seed(session: Session, svc: Service, recordings_dir: Path, *, at: datetime,
         uniqueid: str = "1795000000.1", kind: str = "call", phone: str = "13812345678",
         wav: bytes | None = None, words: list[tuple[str, float, float]] | None = None,
         flags: list[tuple[str, str, str, list[tuple[str, float, float]]]] | None = None,
         court_name: str = court.MID, case_number: str | None = court.CASE,
         with_order: bool = True, status: str = "ready") -> Recording:
    """A call (or message) with its order and recording, and flags on the recording.

    ``flags``: (kind, category, label, [(phrase, start, end)…]); by default one abusive
    flag on 他妈的. ``wav`` is written into the store (none: the file is absent)."""
    words = WORDS if words is None else words
    flags = flags if flags is not None else [("abusive", "abuse", "辱骂",
                                              [("他妈的", 1.6, 2.2)])]
    call = Call(uniqueid=uniqueid, caller_phone=phone, caller_raw=phone, received_at=at,
                mode="open" if kind == "call" else "closed", order_type=3)
    session.add(call)
    session.flush()
    order: WorkOrder | None = None
    if with_order:
        order = svc.open_order(session, court_name, channel="hotline", order_type=3,
                               by="seat1001", at=at, caller_phone=phone,
                               case_number=case_number, content="催问开庭时间，情绪激动")
        order.call_id = call.id
    rel = f"{kind}s/{at:%Y/%m/%d}/{uniqueid}.wav"
    if wav is not None:
        path = recordings_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(wav)
    duration = words[-1][2] + 0.5 if words else 2.0
    rec = Recording(call_id=call.id, kind=kind, path=rel, created_at=at, status=status,
                    caller_phone=phone, started_at=at, ended_at=at + timedelta(seconds=duration),
                    duration_s=duration, size_bytes=len(wav) if wav else None,
                    format="wav/8000/1", speech_model="vosk-model-small-cn-0.22",
                    transcript={"text": "".join(w for w, _s, _e in words), "engine": "vosk",
                                "model": "vosk-model-small-cn-0.22",
                                "words": [[w, s, e, 0.9] for w, s, e in words]},
                    transcript_text="".join(w for w, _s, _e in words), transcribed_at=at)
    session.add(rec)
    session.flush()
    for fkind, category, label, matches in flags:
        said = "、".join(p for p, _s, _e in matches)
        session.add(Flag(recording_id=rec.id, order_id=order.id if order else None, kind=fkind,
                         category=category, label=label, source="lexicon", created_at=at,
                         reason=f"{label}：{said}（{matches[0][1]:.1f} 秒起）" if matches else label,
                         matches=[{"phrase": p, "start": s, "end": e} for p, s, e in matches]))
    session.flush()
    return rec


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spoken_message(path: Path) -> list[tuple[str, float, float]]:
    """Real speech (espeak-ng, Mandarin) laid on an 8 kHz line with pauses; returns the
    words with the times they are said at in the file."""
    from pydub import AudioSegment

    from support import speech

    out = AudioSegment.silent(duration=400, frame_rate=8000)
    said = []
    for word in ("你们法院", "他妈的", "怎么还不开庭", "我要投诉"):
        start = len(out) / 1000
        out += speech.spoken(word, voice="cmn").set_frame_rate(8000).set_channels(1)
        said.append((word, round(start, 2), round(len(out) / 1000, 2)))
        out += AudioSegment.silent(duration=700, frame_rate=8000)
    speech.write(out.set_sample_width(2), path)
    return said


def main(data_dir: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    from hotline import bootstrap, running
    from hotline import settings as hotline_settings
    from hotline.web import auth
    from recordings.models import AuditEntry

    port = free_port()
    settings = hotline_settings.load(environ={}, data_dir=str(data_dir)).with_(
        web_port=port, public_url=f"http://127.0.0.1:{port}", embedded_jobs=False)
    platform = bootstrap.build(settings)
    running.setup(platform, demo=False, prompts=False)
    audio = data_dir / "message.wav"
    words = spoken_message(audio)
    hit = words[1]
    now = datetime.now(UTC)
    with platform.uow.begin() as s:
        court.build(s)
        auth.add_user(s, "wang", "supervisor", PASSWORD, now, name="王班长")
        auth.add_user(s, "li", "operator", PASSWORD, now, name="李座席")
        rec = seed(s, court.service(), settings.recordings_dir, at=now - timedelta(hours=14),
                   kind="message", wav=audio.read_bytes(), words=words,
                   flags=[("abusive", "abuse", "辱骂", [hit])])
        rec_id = rec.id
    base = f"http://127.0.0.1:{port}"
    result: dict = {"recording": rec_id, "hit": {"word": hit[0], "start": hit[1]}}
    shots = out.parent
    web = running.start_web(platform)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            page.on("dialog", lambda d: d.accept())
            # The supervisor: straight to the list, sent to log in first, then back.
            page.goto(f"{base}/review")
            result["login_redirect"] = page.url
            page.fill("#login", "wang")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("#flagged")
            result["after_login_url"] = page.url
            result["list_text"] = page.inner_text("#flagged")
            page.screenshot(path=str(shots / "review-list.png"), full_page=True)
            page.click(f"tr[data-recording='{rec_id}'] a")
            page.wait_for_selector("#player")
            result["detail_url"] = page.url
            result["marks"] = page.eval_on_selector_all("#words mark", "els => els.map(e => e.textContent)")
            page.wait_for_function("() => document.getElementById('player').readyState >= 1")
            result["duration"] = page.evaluate("document.getElementById('player').duration")
            page.evaluate("document.getElementById('player').play()")
            page.wait_for_function("() => document.getElementById('player').currentTime > 0.8",
                                   timeout=15000)
            result["playing"] = page.evaluate(
                "(() => { const p = document.getElementById('player');"
                " return {time: p.currentTime, paused: p.paused, error: p.error && p.error.code}; })()")
            page.screenshot(path=str(shots / "review-playing.png"), full_page=True)
            # Pause, move away, then click the flagged word: the player seeks to it.
            page.evaluate("(() => { const p = document.getElementById('player'); p.pause();"
                          " p.currentTime = 0; })()")
            page.click("#words mark")
            page.wait_for_function(
                f"() => {{ const p = document.getElementById('player');"
                f" return !p.seeking && !p.paused && p.currentTime >= {hit[1]}; }}",
                timeout=15000)
            result["after_seek"] = page.evaluate(
                "(() => { const p = document.getElementById('player');"
                " return {time: p.currentTime, paused: p.paused}; })()")
            page.screenshot(path=str(shots / "review-seek.png"), full_page=True)
            page.evaluate("document.getElementById('player').pause()")
            page.fill("#note-reviewed", "已收听，来电人情绪激动，未达书面上报程度")
            page.click("#do-reviewed")
            page.wait_for_selector("#flash")
            result["flash"] = page.inner_text("#flash")
            result["status_after"] = page.inner_text("#status")
            page.screenshot(path=str(shots / "review-done.png"), full_page=True)
            page.click("#logout")
            page.wait_for_selector("#login-form")
            result["after_logout_url"] = page.url
            # The operator: refused the page and the audio.
            page.fill("#login", "li")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            r = page.goto(f"{base}/review/{rec_id}")
            result["operator_page"] = {"status": r.status if r else None,
                                       "text": page.inner_text("#message")}
            page.screenshot(path=str(shots / "review-refused.png"), full_page=True)
            r = page.goto(f"{base}/recordings/{rec_id}/audio")
            result["operator_audio"] = {"status": r.status if r else None,
                                        "type": r.headers.get("content-type") if r else None}
            browser.close()
    finally:
        running.stop_web(web)
    with platform.uow() as s:
        from sqlalchemy import select

        result["audit"] = [[a.actor, a.action, a.recording_id, a.detail]
                           for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        flag = s.scalar(select(Flag).where(Flag.recording_id == rec_id))
        result["flag"] = {"outcome": flag.outcome, "by": flag.reviewed_by, "note": flag.note}
    out.write_text(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
