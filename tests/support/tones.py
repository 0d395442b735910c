"""Measure audio, not call state: how much of a sound's energy is one tone.

``share(samples, rate, hz)`` is the part of the signal's power at exactly ``hz`` (the
discrete-time Fourier transform evaluated at that frequency, so the tone need not fall on a
bin): about 1.0 for a pure tone of that frequency, about 0 for silence, another tone or
noise. Pure Python (no numpy in the project): a few seconds at 8 kHz take milliseconds."""

from __future__ import annotations

import array
import cmath
import io
import math
import wave
from pathlib import Path


def sine_wav(hz: float, seconds: float, rate: int = 8000, level: float = 0.3) -> bytes:
    """A 16-bit mono WAV of one steady tone."""
    n = int(seconds * rate)
    samples = array.array("h", (int(level * 32767 * math.sin(2 * math.pi * hz * i / rate))
                                for i in range(n)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return out.getvalue()


def alaw(hz: float, seconds: float, level: float = 0.3) -> bytes:
    """A steady tone as raw G.711 A-law at 8 kHz (what sipp's rtp_stream plays)."""
    out = bytearray()
    for i in range(int(seconds * 8000)):
        out.append(_alaw_byte(int(level * 32767 * math.sin(2 * math.pi * hz * i / 8000))))
    return bytes(out)


def _alaw_byte(sample: int) -> int:
    """One 16-bit sample in A-law (ITU-T G.711): sign, 3-bit segment, 4-bit step."""
    sign = 0x80 if sample >= 0 else 0
    magnitude = min(abs(sample), 32635) >> 3  # 13-bit magnitude
    if magnitude < 32:
        code = magnitude >> 1
    else:
        segment = magnitude.bit_length() - 5  # 1..7
        code = (segment << 4) | ((magnitude >> segment) & 0x0F)
    return (sign | code) ^ 0x55


def read_wav(path: Path) -> tuple[list[float], int]:
    """A 16-bit WAV's first channel as floats in [-1, 1], and its rate."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: {8 * w.getsampwidth()}-bit, 16 expected")
        frames = array.array("h", w.readframes(w.getnframes()))
        step = w.getnchannels()
        return [x / 32768 for x in frames[::step]], w.getframerate()


def power(samples: list[float]) -> float:
    return sum(x * x for x in samples) / len(samples) if samples else 0.0


def share(samples: list[float], rate: int, hz: float) -> float:
    """The share of the signal's power that is the tone at ``hz`` (0..1)."""
    total = power(samples)
    if total <= 1e-9 or not samples:
        return 0.0
    turn = cmath.exp(-2j * math.pi * hz / rate)
    acc, z = 0j, 1 + 0j
    for x in samples:
        acc += x * z
        z *= turn
    tone = 2 * abs(acc) ** 2 / len(samples) ** 2
    return min(tone / total, 1.0)


def dbfs(samples: list[float]) -> float:
    p = power(samples)
    return 10 * math.log10(p) if p > 1e-12 else -120.0


def measure(path: Path, *tones: float, window_s: float = 0.25) -> dict:
    """A WAV file's level (dBFS), and each tone's share and level, e.g.
    {"db": -12.3, "seconds": 1.0, 440: 0.91, "db_440": -12.7}.

    Measured over windows of ``window_s`` and added up by power: a call's audio slips now
    and then (a packet lost, a jitter buffer resynchronised), and a tone whose phase jumps
    would cancel itself out over the whole file."""
    samples, rate = read_wav(path)
    out: dict = {"db": round(dbfs(samples), 1), "seconds": round(len(samples) / rate, 2)}
    size = max(1, int(window_s * rate))
    windows = [samples[i:i + size] for i in range(0, len(samples) - size + 1, size)] or [samples]
    total = sum(power(w) for w in windows)
    for hz in tones:
        tone = sum(share(w, rate, hz) * power(w) for w in windows)
        out[hz] = round(tone / total, 3) if total > 1e-9 else 0.0
        out[f"db_{hz:g}"] = round(10 * math.log10(tone / len(windows)), 1) \
            if tone / len(windows) > 1e-12 else -120.0
    return out
