"""Reading a recording: what it is (duration, format, checksum), whether anyone spoke, and
the 16 kHz mono PCM the recogniser wants. pydub does the work (ffmpeg for anything that
is not a plain WAV).

Every kind of bad file gets an :class:`AudioError` that says what is wrong with it, so a
batch can report the file and go on: an empty file, a WAV cut short, a file that is not
audio, or one too long to be a message or a call.
"""

from __future__ import annotations

import hashlib
import struct
import wave
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError
from pydub.silence import detect_nonsilent

RECOGNISER_RATE = 16_000  # Vosk's small models; 8 kHz telephone audio is resampled up
SPEECH_MIN_S = 0.3  # less speech than this: an empty message (hung up, or only silence)


class AudioError(Exception):
    """A file that cannot be used, and why."""


@dataclass(frozen=True)
class AudioInfo:
    duration_s: float
    sample_rate: int
    channels: int
    format: str  # wav, mp3, …
    size: int
    sha256: str
    speech_s: float  # time with sound above the silence threshold

    @property
    def empty(self) -> bool:
        return self.speech_s < SPEECH_MIN_S


def _wav_header(path: Path, max_s: float) -> None:
    """A WAV's header says how long it is and how much data it holds: refuse a file too
    long before reading it, and one cut short (the header promises more than is there)."""
    try:
        with wave.open(str(path), "rb") as w:
            frames, rate = w.getnframes(), w.getframerate()
            per_frame = w.getsampwidth() * w.getnchannels()
    except (wave.Error, EOFError, RuntimeError, struct.error) as exc:
        # wave raises RuntimeError for a chunk that runs past the end of the file
        raise AudioError(f"{path.name}: not a readable WAV file ({exc or 'broken chunk'})") from None
    if rate <= 0:
        raise AudioError(f"{path.name}: the WAV header has no sample rate")
    if frames / rate > max_s:
        raise AudioError(f"{path.name}: {frames / rate / 60:.0f} minutes long, more than the "
                         f"{max_s / 60:.0f} minutes a recording may have; not processed")
    if frames == 0:
        return
    data = path.stat().st_size - 44
    if data < frames * per_frame * 0.99:  # the header's own size: 44 bytes or a little more
        raise AudioError(f"{path.name}: truncated — the header promises "
                         f"{frames * per_frame} bytes of audio, the file holds {data}")


def _read(path: Path, max_s: float) -> tuple[bytes, bool]:
    """The file's bytes, once its size and (for a WAV) its header allow reading them;
    and whether it is a WAV."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioError(f"{path.name}: cannot be read ({exc.strerror})") from None
    if size == 0:
        raise AudioError(f"{path.name}: an empty (zero-byte) file")
    with open(path, "rb") as f:
        head = f.read(12)
    is_wav = head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    if is_wav:
        _wav_header(path, max_s)  # before reading it all: a 3-hour file is not read
    return path.read_bytes(), is_wav


def _decode(name: str, data: bytes, is_wav: bool, max_s: float) -> AudioSegment:
    try:
        seg = AudioSegment.from_file(BytesIO(data), format="wav" if is_wav else None)
    except (CouldntDecodeError, IndexError, ValueError):
        raise AudioError(f"{name}: not audio that can be decoded (neither WAV nor "
                         "anything ffmpeg reads)") from None
    if len(seg) / 1000 > max_s:
        raise AudioError(f"{name}: {len(seg) / 60000:.0f} minutes long, more than the "
                         f"{max_s / 60:.0f} minutes a recording may have; not processed")
    return seg


def load(path: Path, max_s: float = 3 * 3600) -> AudioSegment:
    """The recording as audio; :class:`AudioError` for anything unusable."""
    path = Path(path)
    return _decode(path.name, *_read(path, max_s), max_s)


def speech_seconds(seg: AudioSegment) -> float:
    """Seconds with sound clearly above the line's noise floor (a -45 dBFS floor, or 16 dB
    under the recording's average, whichever is higher), in stretches of 0.2 s or more."""
    if len(seg) == 0 or seg.rms == 0:
        return 0.0
    threshold = max(-45.0, seg.dBFS - 16)
    spans = detect_nonsilent(seg, min_silence_len=300, silence_thresh=threshold, seek_step=20)
    return sum(end - start for start, end in spans if end - start >= 200) / 1000


def probe(path: Path, max_s: float = 3 * 3600) -> tuple[AudioInfo, AudioSegment]:
    """What the recording is, and its audio: the file is read once."""
    path = Path(path)
    data, is_wav = _read(path, max_s)
    seg = _decode(path.name, data, is_wav, max_s)
    info = AudioInfo(duration_s=len(seg) / 1000, sample_rate=seg.frame_rate,
                     channels=seg.channels, format=path.suffix.lower().lstrip(".") or "wav",
                     size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                     speech_s=speech_seconds(seg))
    return info, seg


def recogniser_pcm(seg: AudioSegment) -> bytes:
    """16 kHz, mono, 16-bit little-endian PCM."""
    return seg.set_channels(1).set_sample_width(2).set_frame_rate(RECOGNISER_RATE).raw_data
