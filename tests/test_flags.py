"""Flags for the supervisor (R4.7 abusive, R4.8 urgent): the court's lexicons matched in
transcripts, each match with its time in the audio — also end to end, from speech through
the real recogniser to a flag."""

from __future__ import annotations

import pytest
from support.speech import KOREAN_MODEL, line

from recordings.audio import recogniser_pcm
from recordings.flags import LexiconError, flag, load
from recordings.transcribe import Transcript, VoskEngine, Word


def said(*pieces: tuple[str, float, float]) -> Transcript:
    """A transcript as Vosk's Chinese models give it: words with times."""
    return Transcript([Word(w, s, e, 0.9) for w, s, e in pieces])


def test_r4_8_a_phrase_split_across_words_is_found_with_its_time():
    t = said(("我", 0.5, 0.7), ("真的", 0.7, 1.0), ("不想", 5.2, 5.6), ("活", 5.6, 5.8),
             ("了", 5.8, 5.9), ("法院", 6.1, 6.5))
    [f] = flag(t, load())
    assert (f.kind, f.category, f.label) == ("urgent", "self_harm", "自伤、自杀倾向")
    assert [(m.phrase, m.start, m.end) for m in f.matches] == [("不想活", 5.2, 5.8)]
    assert f.reason == "自伤、自杀倾向：不想活（5.2 秒起）"


def test_r4_7_abuse_and_r4_8_urgency_in_one_call_urgent_first():
    t = said(("你们", 0.0, 0.3), ("这些", 0.3, 0.5), ("狗官", 0.5, 1.0), ("我", 2.0, 2.1),
             ("卡", 2.1, 2.3), ("被", 2.3, 2.4), ("冻结", 2.4, 2.9), ("了", 2.9, 3.0),
             ("狗官", 9.0, 9.5))
    flags = flag(t, load())
    assert [(f.kind, f.category) for f in flags] == [("urgent", "account_frozen"),
                                                    ("abusive", "abuse")]
    assert [m.start for m in flags[1].matches] == [0.5, 9.0]  # every time it was said


def test_an_ordinary_call_raises_no_flag():
    t = said(("我", 0, 0.2), ("想", 0.2, 0.4), ("查询", 0.4, 0.8), ("案件", 0.8, 1.2),
             ("进度", 1.2, 1.6), ("二零二四", 2.0, 3.0), ("年", 3.0, 3.2))
    assert flag(t, load()) == []


def test_the_default_lexicon_has_both_kinds_and_every_category_a_label():
    cats = load()
    assert {c.kind for c in cats} == {"abusive", "urgent"}
    assert all(c.label and c.words for c in cats)


@pytest.mark.parametrize("text, message", [
    ("[x]\nkind = 'rude'\nwords = ['a']", "kind must be one of abusive, urgent, not 'rude'"),
    ("[x]\nkind = 'urgent'\nwords = []", "words must be a non-empty list"),
    ("[x]\nkind = 'urgent'\nwords = ['', 'b']", "words must be a non-empty list"),
    ("x = 1", "expected a table"),
    ("[x\nkind=", "not valid TOML"),
    ("", "no categories"),
])
def test_a_bad_lexicon_file_says_where(tmp_path, text, message):
    path = tmp_path / "court.toml"
    path.write_text(text)
    with pytest.raises(LexiconError, match=message) as err:
        load(path)
    assert "court.toml" in str(err.value)


def test_from_speech_to_a_flag_with_the_real_recogniser(tmp_path):
    """A court's own lexicon, spotted in a call by the recogniser (Korean model and words
    here; the court's would be Chinese): the flag points at the second it was said."""
    lexicon = tmp_path / "ko.toml"
    lexicon.write_text("[urgent_ko]\nkind = 'urgent'\nlabel = '긴급'\n"
                       "words = ['법원', '서울']\n")
    cats = load(lexicon)
    pcm = recogniser_pcm(line(1.0, "안녕하세요", 2.0, "법원", 1.0))
    heard = VoskEngine(KOREAN_MODEL).spot(pcm, [w for c in cats for w in c.words]
                                          + ["안녕하세요", "감사합니다"])
    [f] = flag(heard, cats)
    assert f.kind == "urgent" and [m.phrase for m in f.matches] == ["법원"]
    assert f.matches[0].start > 3.5  # said after the greeting and the pause
