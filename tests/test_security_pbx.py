"""What a court's IT office checks on the PBX itself, against a real Asterisk 22."""

from __future__ import annotations

import asyncio
import time

import pytest

from hotline import ami

pytestmark = pytest.mark.asterisk


def test_the_hotline_s_ami_account_can_do_only_what_the_hotline_does(line):
    """With the AMI secret one could once run CLI commands and shell out; now the account
    has agent and originate rights only (and reads agent and call events)."""

    pwned = line.data_dir / "pwned"

    async def probe() -> dict[str, dict]:
        async with ami.connect(line.settings) as m:
            async def ask(**fields: str) -> dict:
                return dict(await asyncio.wait_for(m.send_action(fields, as_list=False), 15))

            return {
                "status": await ask(Action="QueueStatus", Queue="hotline-overflow"),
                "command": await ask(Action="Command", Command="core show version"),
                "config": await ask(Action="GetConfig", Filename="manager.conf"),
                "shell": await ask(Action="Originate", Channel="Local/s@hotline-caller",
                                   Application="System", Data=f"touch {pwned}",
                                   Async="true"),
                "reload": await ask(Action="Reload"),
                "pause": await ask(Action="QueuePause", Interface="PJSIP/seat1003",
                                   Paused="false"),
            }

    got = asyncio.run(probe())
    assert got["status"]["Response"] == "Success"
    for refused in ("command", "config", "reload"):
        assert got[refused]["Response"] == "Error", got[refused]
        assert "Permission denied" in got[refused].get("Message", ""), got[refused]
    assert got["shell"]["Response"] == "Error"
    assert "Forbidden" in got["shell"].get("Message", ""), got["shell"]
    time.sleep(1)
    assert not pwned.exists()
    # an agent right it has: the answer is about the seat (not in a queue), not the right
    assert "Permission denied" not in got["pause"].get("Message", ""), got["pause"]
