"""Run a browser scenario script inside a network namespace that has only `lo`: the
headless browser and the server it talks to cannot reach anything off the machine.

For audio, the namespace also gets a pair of virtual Ethernet ends joined to each other
(a veth pair, both ends inside it; this kernel has no dummy interfaces) carrying one
documentation address (RFC 5737): Asterisk lists it as an interface and, through the
``ice_host_candidates`` mapping, offers 127.0.0.1 in its place. No packet can leave the
namespace: it has no link to anywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MEDIA_ADDRESS = "192.0.2.1"  # TEST-NET-1, on the namespace's own veth pair
ICE_MAPPING = f"{MEDIA_ADDRESS}=>127.0.0.1"

_VETH = (f"ip link add hl0 type veth peer name hl1 && "
         f"ip link set dev hl0 addrgenmode none && ip link set dev hl1 addrgenmode none && "
         f"ip addr add {MEDIA_ADDRESS}/32 dev hl0 && ip link set hl1 up && ip link set hl0 up && ")


def run_scenario(script: Path, data_dir: Path, out: Path, timeout: float = 240,
                 media: bool = False) -> dict:
    """``python script DATA_DIR OUT`` in a fresh network namespace; what it wrote to OUT.
    ``media``: with the veth pair for ICE (above)."""
    setup = "ip link set lo up && " + (_VETH if media else "")
    proc = subprocess.run(
        ["unshare", "--net", "--", "sh", "-c",
         f'{setup}exec "{sys.executable}" "{script}" "{data_dir}" "{out}"'],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())
