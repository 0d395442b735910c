"""Audio both ways between a caller and the seats' browsers, measured; run by
tests/test_browser_audio.py inside a network namespace with only `lo` and its own veth pair
(tests/support/netns.py, ``media=True``).

    python browser_audio.py DATA_DIR OUT.json

The line runs with ``ice_host_candidates`` mapping the namespace's documentation address
to 127.0.0.1, so Asterisk offers the browsers a loopback candidate and ICE connects. The
caller (`hotline call --tone 440 --listen`) plays a steady 440 Hz tone and keeps what it
hears a second a file; both browsers' microphones are Chromium's fake device playing a
1200 Hz tone from a file. The operator answers, holds and takes the call back, then
transfers it blind to the supervisor, who answers on the console. At each step the page
measures its remote track with a WebAudio analyser, and the caller's files are measured
after; the call's own recording (MixMonitor) is measured too.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

from browser_panel import (  # noqa: E402
    CHROMIUM,
    FLAGS,
    cli,
    login,
    prepare,
    scenario,
    session_db,
    wait_http,
)
from sqlalchemy import select  # noqa: E402

from recordings.models import Recording  # noqa: E402
from support import tones  # noqa: E402
from support.netns import ICE_MAPPING  # noqa: E402
from workorder.models import Call  # noqa: E402

CALLER = "13900001111"
CALLER_HZ = 440
SEAT_HZ = 1200

# The share of a remote track's power at one frequency (the DTFT at exactly that frequency,
# WebAudio analyser), the median over 12 windows of about 90 ms taken across 1.5 s: a
# jitter buffer's resynchronisation in one window does not decide; and the level in dBFS.
LEVEL_JS = """async ([selector, hz]) => {
  const el = document.querySelector(selector);
  if (!el || !el.srcObject) return {error: 'no stream on ' + selector};
  const ctx = window.__audioCtx || (window.__audioCtx = new AudioContext());
  await ctx.resume();
  const src = ctx.createMediaStreamSource(el.srcObject);
  const an = ctx.createAnalyser();
  an.fftSize = 4096;
  src.connect(an);
  const x = new Float32Array(an.fftSize), shares = [], levels = [];
  const w = 2 * Math.PI * hz / ctx.sampleRate;
  for (let k = 0; k < 12; k++) {
    await new Promise((r) => setTimeout(r, 125));
    an.getFloatTimeDomainData(x);
    let total = 0, re = 0, im = 0;
    for (let n = 0; n < x.length; n++) {
      total += x[n] * x[n]; re += x[n] * Math.cos(w * n); im -= x[n] * Math.sin(w * n);
    }
    total /= x.length;
    const tone = 2 * (re * re + im * im) / (x.length * x.length);
    shares.push(total > 1e-9 ? Math.min(tone / total, 1) : 0);
    levels.push(total > 1e-12 ? 10 * Math.log10(total) : -120);
  }
  src.disconnect();
  const median = (v) => v.slice().sort((a, b) => a - b)[v.length >> 1];
  return {share: median(shares), db: median(levels), shares: shares};
}"""

ICE_JS = """async () => {
  const pc = window.hotline.pc;
  const out = {ice: pc ? pc.iceConnectionState : null, inbound: 0, outbound: 0, candidates: []};
  if (pc) (await pc.getStats()).forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'audio') out.inbound += r.packetsReceived;
    if (r.type === 'outbound-rtp' && r.kind === 'audio') out.outbound += r.packetsSent;
    if (r.type === 'local-candidate' || r.type === 'remote-candidate')
      out.candidates.push(r.address || r.ip);
  });
  return out;
}"""


def phase(result: dict, name: str, start: float, end: float) -> None:
    result.setdefault("phases", {})[name] = [start, end]


def heard(prefix: str, phases: dict[str, list[float]],
          hz: tuple[float, ...] = (CALLER_HZ, SEAT_HZ)) -> dict:
    """What the caller heard in each phase: the measure of each one-second file that lies
    wholly inside it (a file's last write is the end of its second)."""
    folder = Path(prefix).parent
    slices = []
    for f in folder.glob(Path(prefix).name + "-*.wav"):
        stem = f.name[len(Path(prefix).name) + 1:-4]
        if stem.isdigit():
            slices.append((int(stem), f.stat().st_mtime, f))
    out: dict = {"slices": len(slices)}
    for name, (start, end) in phases.items():
        inside = [tones.measure(f, *hz) for _, mtime, f in sorted(slices)
                  if mtime - 1.1 >= start and mtime <= end + 0.2]
        out[name] = inside
    return out


def main(data_dir: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    result: dict = {"steps": []}
    mic = out.parent / "seat-mic-1200hz.wav"
    mic.write_bytes(tones.sine_wav(SEAT_HZ, 10.0, rate=48000))
    settings = prepare(data_dir, ice_host_candidates=ICE_MAPPING)
    base = f"http://127.0.0.1:{settings.web_port}"
    with scenario(data_dir, result, out):
        wait_http(base + "/login", 30)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=[*FLAGS, f"--use-file-for-fake-audio-capture={mic}"])
            page = browser.new_context(locale="zh-CN").new_page()
            login(page, base, "/panel", "li")
            page.wait_for_function("() => window.hotline && window.hotline.state === 'ready'",
                                   timeout=20000)
            board = browser.new_context(locale="zh-CN").new_page()
            login(board, base, "/console", "wang")
            board.wait_for_function("() => window.hotline && window.hotline.registered",
                                    timeout=15000)

            placed = json.loads(cli(data_dir, "call", "--caller", CALLER, "--keys", "3",
                                    "--tone", str(CALLER_HZ), "--listen", "--stay", "70",
                                    "--no-wait", "--json"))
            result["placed"] = placed
            page.wait_for_function("() => !document.querySelector('#btn-answer').disabled",
                                   timeout=30000)
            page.click("#btn-answer")
            page.wait_for_function(
                "() => document.querySelector('#call-state').textContent === '通话中'",
                timeout=20000)
            page.wait_for_function(
                "() => window.hotline.pc && ['connected', 'completed'].includes("
                "window.hotline.pc.iceConnectionState)", timeout=15000)
            page.wait_for_timeout(1500)  # DTLS, then the first packets
            t0 = time.time()
            result["talk_seat"] = page.evaluate(LEVEL_JS, ["#remote-audio", CALLER_HZ])
            result["talk_seat_own"] = page.evaluate(LEVEL_JS, ["#remote-audio", SEAT_HZ])
            result["media"] = page.evaluate(ICE_JS)
            page.wait_for_timeout(1500)
            phase(result, "talk", t0, time.time())

            page.click("#btn-hold")
            page.wait_for_function(
                "() => document.querySelector('#call-state').textContent === '保持中'",
                timeout=10000)
            t0 = time.time()
            page.wait_for_timeout(4000)
            phase(result, "hold", t0 + 0.5, time.time())
            page.click("#btn-hold")
            page.wait_for_function(
                "() => document.querySelector('#call-state').textContent === '通话中'",
                timeout=10000)
            page.wait_for_timeout(1000)
            t0 = time.time()
            result["unhold_seat"] = page.evaluate(LEVEL_JS, ["#remote-audio", CALLER_HZ])
            page.wait_for_timeout(2500)
            phase(result, "unhold", t0, time.time())

            # blind transfer to the supervisor (the panel offers the supervisors' seats)
            page.select_option("#transfer-target", "sup9001")
            page.click("#btn-transfer")
            board.wait_for_function("() => !document.querySelector('#btn-in-answer').disabled",
                                    timeout=20000)
            board.click("#btn-in-answer")
            board.wait_for_function("() => window.hotline.inState === 'talking'", timeout=15000)
            board.wait_for_timeout(2500)
            t0 = time.time()
            result["transfer_seat"] = board.evaluate(LEVEL_JS, ["#in-audio", CALLER_HZ])
            board.wait_for_timeout(2500)
            phase(result, "transferred", t0, time.time())
            result["panel_after_transfer"] = page.inner_text("#call-state")
            board.click("#btn-in-hangup")
            board.wait_for_function("() => window.hotline.inState === 'ended'", timeout=15000)
            browser.close()
        time.sleep(3)  # MixMonitor closes its files after the hang-up
        result["caller_heard"] = heard(placed["listen"], result["phases"])
        with session_db(settings) as s:
            call = s.scalar(select(Call).where(Call.caller_phone == CALLER))
            rec = s.scalar(select(Recording).where(Recording.call_id == call.id))
            path = settings.recordings_dir / rec.path
            result["recording"] = tones.measure(path, CALLER_HZ, SEAT_HZ)
            result["call"] = {"seat": call.seat, "outcome": call.outcome}


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
