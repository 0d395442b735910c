"""Run a browser scenario script inside a network namespace that has only `lo`: the
headless browser and the server it talks to cannot reach anything off the machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run_scenario(script: Path, data_dir: Path, out: Path, timeout: float = 240) -> dict:
    """``python script DATA_DIR OUT`` in a fresh network namespace; what it wrote to OUT."""
    proc = subprocess.run(
        ["unshare", "--net", "--", "sh", "-c",
         f'ip link set lo up && exec "{sys.executable}" "{script}" "{data_dir}" "{out}"'],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())
