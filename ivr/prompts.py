"""Chinese IVR prompts, generated at set-up from ivr/prompts.txt.

Debian has no Mandarin Asterisk prompts; espeak-ng speaks Mandarin (voice ``cmn``) and
sox converts to what Asterisk plays best (8 kHz, 16-bit, mono WAV). A court's recorded
files of the same names win over the synthetic ones. Generation is skipped for prompts
whose text and source have not changed, so set-up is fast the second time.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PROMPTS_FILE = Path(__file__).with_name("prompts.txt")
# espeak-ng counts a Chinese character as a word: 220 is close to a calm speaking pace.
VOICE = ["-v", "cmn", "-s", "220"]
# Prompts read out one after another (a callback's type, number and order, heard by the
# seat before the party is dialled): spoken brisker, and espeak-ng's silence before and
# after each cut, leaving 80 ms between them — a digit took 0.57 s, now 0.3–0.37 s, and
# the whole announcement about 9 s instead of 14.6. The welcome and the menu keep their
# pace and silences: callers' keys are timed against them.
READ_OUT = ("digit-", "type-", "vhold-")
READ_OUT_VOICE = ["-v", "cmn", "-s", "300"]  # brisker: staff hear these, many times a day
TRIM = ["silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse",
        "pad", "0", "0.08"]


class PromptError(Exception):
    pass


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str


def read_prompts(path: Path = PROMPTS_FILE) -> list[Prompt]:
    prompts: list[Prompt] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, text = (part.strip() for part in line.partition("|"))
        if not sep or not name or not text or "/" in name:
            raise PromptError(f"{path}:{n}: expected 'name | text'")
        prompts.append(Prompt(name, text))
    return prompts


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise PromptError(f"{name} is not installed; run `make setup` (Debian package {name})")
    return found


def generate(out_dir: Path, override_dir: Path | None = None, force: bool = False) -> list[Path]:
    """Write every prompt to ``out_dir/hotline/<name>.wav`` and a hold tune to
    ``out_dir/moh``; returns the prompt files."""
    target = out_dir / "hotline"
    target.mkdir(parents=True, exist_ok=True)
    sox = _tool("sox")
    written = []
    for prompt in read_prompts():
        wav = target / f"{prompt.name}.wav"
        recorded = override_dir / f"{prompt.name}.wav" if override_dir else None
        if recorded is not None and recorded.exists():
            source_key = f"file:{recorded.stat().st_size}:{recorded.stat().st_mtime_ns}"
        else:
            voice = READ_OUT_VOICE if prompt.name.startswith(READ_OUT) else VOICE
            recorded, source_key = None, f"tts:{voice}:{TRIM if voice is READ_OUT_VOICE else ''}:{prompt.text}"
        stamp = wav.with_suffix(".src")
        digest = hashlib.sha256(source_key.encode()).hexdigest()
        if not force and wav.exists() and stamp.exists() and stamp.read_text() == digest:
            written.append(wav)
            continue
        tmp = wav.with_suffix(".tmp.wav")
        if recorded is None:
            raw = wav.with_suffix(".raw.wav")
            voice = READ_OUT_VOICE if prompt.name.startswith(READ_OUT) else VOICE
            _run([_tool("espeak-ng"), *voice, "-w", str(raw), prompt.text])
            source = raw
        else:
            source = recorded
        effects = TRIM if recorded is None and prompt.name.startswith(READ_OUT) else []
        _run([sox, str(source), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
              str(tmp), *effects])
        tmp.replace(wav)
        if recorded is None:
            raw.unlink(missing_ok=True)
        stamp.write_text(digest)
        written.append(wav)
    _hold_tune(out_dir / "moh", sox)
    return written


def _hold_tune(moh: Path, sox: str) -> None:
    """A soft, steady tone for the wait in the queue (no spoken announcement, R1); a court
    replaces it with its own music in the same folder."""
    moh.mkdir(parents=True, exist_ok=True)
    tune = moh / "hold.wav"
    if tune.exists():
        return
    tmp = moh / "hold.tmp.wav"
    _run([sox, "-n", "-r", "8000", "-c", "1", "-b", "16", str(tmp),
          "synth", "8", "sine", "523", "vol", "0.15"])
    tmp.replace(tune)


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise PromptError(f"{Path(cmd[0]).name} failed: {proc.stderr.strip()[:300]}")
