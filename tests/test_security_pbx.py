"""What a court's IT office checks on the PBX itself, against a real Asterisk 22."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import time
from pathlib import Path

import pytest
from support.sip_probe import SipProbe, challenge_of

from hotline import ami

pytestmark = pytest.mark.asterisk
SDP = ("v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n")


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


def wait_for_the_listener(line, timeout: float = 30) -> None:
    """`hotline serve` logs this once its AMI listeners (the SIP guard's too) are on."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "Ctrl-C stops" in (line.data_dir / "serve.log").read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise AssertionError("serve did not attach to AMI: "
                         + (line.data_dir / "serve.log").read_text()[-2000:])


def test_the_self_test_endpoint_takes_no_call_in(line):
    """Issue 16: a request naming `selftest` as its sender was matched to that endpoint
    (identified by user name) without any password, and ran its context."""
    with SipProbe("127.0.0.3", line.settings.sip_port) as probe:
        probe.request("INVITE", "selftest", body=SDP.format(ip="127.0.0.3"),
                      uri=f"sip:12368@127.0.0.1:{line.settings.sip_port}")
        got = probe.answers(within=4)
    codes = [a.code for a in got]
    assert codes and codes[-1] == 401, codes  # challenged: a password nobody holds
    assert not any(100 < c < 200 or c == 200 for c in codes), codes  # never rang, never answered


def test_repeated_wrong_digests_ban_the_address_and_nothing_else(line):
    """Issue 16: 30 wrong REGISTER digests in a second were all answered; now the address
    is refused (403 from the PBX's ACL) after sip_ban_failures (10) of them, while other
    addresses and the line itself go on working."""
    wait_for_the_listener(line)
    port = line.settings.sip_port
    with SipProbe("127.0.0.2", port) as attacker:
        first = attacker.register("seat1003")
        assert first is not None and first.code == 401  # an ordinary challenge to begin with
        codes = []
        for i in range(30):  # bounded: 30 guesses in about a second, as the review's probe
            time.sleep(0.03)
            answer = attacker.register("seat1003", f"guess-{i}", challenge_of(first))
            codes.append(answer.code if answer else None)
            if answer is not None and answer.code == 401:
                first = answer  # the next guess answers the fresh nonce
            if answer is not None and answer.code == 403:
                break
        assert 401 in codes and codes[-1] == 403, codes
        # banned at the 10th failure; a few more are answered while Asterisk reloads
        assert 10 <= len(codes) <= 16, codes
        time.sleep(0.5)
        again = attacker.register("seat1003")
        assert again is not None and again.code == 403  # refused before any password
    with SipProbe("127.0.0.4", port) as bystander:  # another address is still challenged
        answer = bystander.register("seat1003")
        assert answer is not None and answer.code == 401
    rules = (line.settings.runtime_dir / "etc" / "pjsip_bans.conf").read_text()
    assert "deny = 127.0.0.2/32" in rules and "127.0.0.4" not in rules
    log = (line.data_dir / "serve.log").read_text()
    assert "SIP: 127.0.0.2 refused for 30 min after 10 failed authentications" in log
    # the trunk (127.0.0.1 here) is never banned and the line still answers
    done = line.cli("call", "--caller", "13800001111", "--keys", "1", "--via", "sip",
                    "--stay", "3", "--json")
    assert json.loads(done.stdout)["order"], done.stdout  # it reached the hotline: an order


def test_the_guard_lifts_a_ban_when_its_time_is_up_and_never_bans_the_trunk(tmp_path):
    from hotline.settings import Settings
    from hotline.sip_guard import SipGuard, remote_address

    now = [1000.0]
    pushed: list[list[str]] = []

    async def apply(addresses: list[str]) -> None:
        pushed.append(addresses)

    settings = Settings(data_dir=tmp_path, sip_ban_failures=3, sip_ban_window_s=10,
                        sip_ban_minutes=1, trunk_ip="203.0.113.9", sip_ban_exempt="198.51.100.0/24")
    guard = SipGuard(settings, apply=apply, clock=lambda: now[0])

    async def scenario() -> None:
        assert remote_address("IPV4/UDP/192.0.2.7/5060") == "192.0.2.7"
        assert remote_address("IPV6/UDP/[2001:db8::7]/5060") == "2001:db8::7"
        assert remote_address("garbage") is None
        for _ in range(2):
            assert not await guard.failed("192.0.2.7")
        now[0] += 11  # the window slides: the two early failures no longer count
        assert not await guard.failed("192.0.2.7")
        assert not await guard.failed("192.0.2.7")
        assert await guard.failed("192.0.2.7")
        assert pushed == [["192.0.2.7"]]
        for _ in range(20):  # neither the trunk nor an exempt network is ever banned
            assert not await guard.failed("203.0.113.9")
            assert not await guard.failed("198.51.100.20")
        now[0] += 30
        assert await guard.expire() == []
        now[0] += 31
        assert await guard.expire() == ["192.0.2.7"]
        assert pushed[-1] == [] and guard.banned == {}

    asyncio.run(scenario())


def test_the_ban_list_is_a_pjsip_acl_of_single_addresses(tmp_path):
    from hotline import pbx
    from hotline.settings import Settings

    settings = Settings(data_dir=tmp_path)
    (settings.runtime_dir / "etc").mkdir(parents=True)
    path = pbx.write_bans(settings, ["192.0.2.7", "2001:db8::7"])
    assert path.read_text().splitlines()[1:] == [
        "[hotline-bans]", "type = acl", "deny = 192.0.2.7/32", "deny = 2001:db8::7/128"]
    assert "deny" not in pbx.write_bans(settings, []).read_text()
    with pytest.raises(ValueError):
        pbx.write_bans(settings, ["192.0.2.7\n[evil]"])  # only addresses reach the file


def sockets_of(pid: int) -> list[tuple[str, str]]:
    """(protocol, local address) of every TCP/UDP socket the process holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for proto in ("tcp", "udp", "tcp6", "udp6"):
        for row in Path(f"/proc/net/{proto}").read_text().splitlines()[1:]:
            cols = row.split()
            if cols[9] not in inodes:
                continue
            hexaddr, hexport = cols[1].split(":")
            raw = bytes.fromhex(hexaddr)
            # /proc/net shows each 32-bit word in the host's (little-endian) order
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            found.append((proto, f"{ipaddress.ip_address(raw)}:{int(hexport, 16)}"))
    return found


def test_every_socket_of_the_pbx_is_on_loopback(line):
    """Issue 16: Asterisk held two UDP sockets on the wildcard addresses (pjproject's DNS
    resolver, created by res_pjsip with no setting for its address); the bind shim keeps
    them on loopback with everything else."""
    pid = int((line.settings.runtime_dir / "run" / "asterisk.pid").read_text())
    found = sockets_of(pid)
    ports = {addr for _p, addr in found}
    assert f"127.0.0.1:{line.settings.sip_port}" in ports  # the listing works: SIP is there
    assert f"127.0.0.1:{line.settings.ami_port}" in ports
    udp = [addr for proto, addr in found if proto.startswith("udp")]
    assert len(udp) >= 3, found  # SIP and the resolver's two query sockets
    outside = [(p, a) for p, a in found
               if not ipaddress.ip_address(a.rsplit(":", 1)[0]).is_loopback]
    assert outside == [], outside
