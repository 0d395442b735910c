"""Reading recordings (R6): duration, checksum, whether anyone spoke, and every kind of bad
file reported with what is wrong — never a crash that would stop a night's batch."""

from __future__ import annotations

import hashlib
import re
import struct

import pytest
from support.speech import line, write

from recordings.audio import AudioError, load, probe, recogniser_pcm


def test_a_message_on_the_telephone_line_is_measured(tmp_path):
    path = write(line(1.0, "법원 민원 상담", 2.0), tmp_path / "m.wav")
    info, seg = probe(path)
    assert info.sample_rate == 8000 and info.channels == 1 and info.format == "wav"
    assert 4.0 < info.duration_s < 6.0
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info.size == path.stat().st_size
    # the speech is there, the 3 s of silence around it are not counted as speech
    assert 0.8 < info.speech_s < info.duration_s - 2.5 and not info.empty
    pcm = recogniser_pcm(seg)
    assert len(pcm) == pytest.approx(info.duration_s * 16000 * 2, rel=0.01)  # 16 kHz mono


def test_a_message_of_only_silence_or_line_noise_is_empty(tmp_path):
    info, _ = probe(write(line(6.0), tmp_path / "silent.wav"))
    assert info.empty and info.speech_s == 0
    from pydub.generators import WhiteNoise

    hiss = WhiteNoise().to_audio_segment(duration=5000, volume=-60).set_frame_rate(8000)
    info, _ = probe(write(hiss.set_channels(1).set_sample_width(2), tmp_path / "hiss.wav"))
    assert info.empty, info


def test_another_format_is_decoded_through_ffmpeg(tmp_path):
    mp3 = tmp_path / "m.mp3"
    line(0.5, "안녕하세요", 0.5).export(str(mp3), format="mp3")
    info, _ = probe(mp3)
    assert info.format == "mp3" and 1.5 < info.duration_s < 3.5 and not info.empty


def _wav_header(frames: int, rate: int = 8000) -> bytes:
    data = frames * 2
    return (b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE" + b"fmt " +
            struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" +
            struct.pack("<I", data))


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b""), "an empty (zero-byte) file"),
    (lambda p: p.write_text("这不是录音，是一段文字" * 50), "not audio that can be decoded"),
    (lambda p: p.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk"), "not a readable WAV file"),
])
def test_bad_files_say_what_is_wrong(tmp_path, make, message):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(AudioError, match=re.escape(message)) as err:
        probe(path)
    assert "bad.wav" in str(err.value)


def test_a_wav_cut_short_is_reported_as_truncated(tmp_path):
    whole = write(line(0.5, "감사합니다", 0.5), tmp_path / "whole.wav").read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(AudioError, match="truncated"):
        probe(cut)


def test_a_three_hour_file_is_refused_from_its_header_without_reading_it(tmp_path):
    """Three hours of 8 kHz audio, 173 MB, written sparse: refused from the header."""
    frames = 3 * 3600 * 8000
    path = tmp_path / "long.wav"
    with open(path, "wb") as f:
        f.write(_wav_header(frames))
        f.truncate(44 + frames * 2)
    with pytest.raises(AudioError, match="180 minutes long, more than the 60 minutes"):
        load(path, max_s=3600)


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(AudioError, match="gone.wav: cannot be read"):
        probe(tmp_path / "gone.wav")
