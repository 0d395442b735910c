"""Speech to text: the transcription port and its Vosk engine.

A :class:`Transcript` keeps every word with its start, end and confidence, so a flag can
point at the second of the recording where a word was said. The Vosk model is loaded once
per process and shared by every recogniser (loading a model takes seconds and hundreds of
megabytes; a recogniser is cheap).

Besides the free transcript, :meth:`VoskEngine.spot` listens for a given list of words
only (Vosk's runtime grammar, for models built with a dynamic graph): words the free
transcript misses — names, the lexicon of abusive or urgent words — are found more often
when the recogniser is told to expect them.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from recordings.audio import RECOGNISER_RATE
from recordings.speech_models import is_model

_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff]) (?=[\u3400-\u9fff\uf900-\ufaff])")
_CHUNK = 8000  # bytes of PCM per call into the recogniser: 0.25 s


@dataclass(frozen=True)
class Word:
    word: str
    start: float  # seconds from the start of the recording
    end: float
    conf: float


@dataclass
class Transcript:
    words: list[Word] = field(default_factory=list)
    engine: str = ""
    model: str = ""

    @property
    def text(self) -> str:
        """The words as read: Chinese without the recogniser's spaces between characters."""
        return _CJK_GAP.sub("", " ".join(w.word for w in self.words))

    def as_dict(self) -> dict:
        return {"text": self.text, "engine": self.engine, "model": self.model,
                "words": [[w.word, round(w.start, 2), round(w.end, 2), round(w.conf, 3)]
                          for w in self.words]}


class Transcriber(Protocol):
    name: str

    def transcribe(self, pcm: bytes) -> Transcript: ...


class ModelError(RuntimeError):
    """No usable model where the settings say."""


_models: dict[Path, object] = {}
_models_lock = threading.Lock()


def _model(path: Path):
    from vosk import Model, SetLogLevel

    path = path.resolve()
    with _models_lock:
        model = _models.get(path)
        if model is None:
            if not is_model(path):
                raise ModelError(f"no Vosk model in {path}; install one with "
                                 "`hotline models install vosk-model-small-cn-0.22`")
            SetLogLevel(-1)
            try:
                model = Model(str(path))
            except Exception as exc:  # vosk raises a bare Exception on a broken model
                raise ModelError(f"the Vosk model in {path} cannot be loaded: {exc}") from None
            _models[path] = model
        return model


class VoskEngine:
    name = "vosk"

    def __init__(self, model_dir: Path | str) -> None:
        self.model_dir = Path(model_dir)
        self._model = _model(self.model_dir)

    def _run(self, recogniser, pcm: bytes) -> list[Word]:
        recogniser.SetWords(True)
        words: list[Word] = []

        def take(result: str) -> None:
            for w in json.loads(result).get("result", []):
                if w["word"] != "[unk]":
                    words.append(Word(w["word"], w["start"], w["end"], w.get("conf", 1.0)))

        for i in range(0, len(pcm), _CHUNK):
            if recogniser.AcceptWaveform(pcm[i:i + _CHUNK]):
                take(recogniser.Result())
        take(recogniser.FinalResult())
        return words

    def transcribe(self, pcm: bytes) -> Transcript:
        from vosk import KaldiRecognizer

        rec = KaldiRecognizer(self._model, RECOGNISER_RATE)
        return Transcript(self._run(rec, pcm), self.name, self.model_dir.name)

    def spot(self, pcm: bytes, phrases: list[str]) -> Transcript:
        """Only the given words and phrases (and silence for the rest); the model must
        have a dynamic graph (the small models do). Phrases the model's vocabulary lacks
        are left out by Vosk."""
        from vosk import KaldiRecognizer

        grammar = json.dumps([*phrases, "[unk]"], ensure_ascii=False)
        rec = KaldiRecognizer(self._model, RECOGNISER_RATE, grammar)
        return Transcript(self._run(rec, pcm), self.name + "-spot", self.model_dir.name)
