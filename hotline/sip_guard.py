"""Brute force on the SIP port: an address that keeps failing to authenticate is refused.

Asterisk reports each failed authentication as an AMI security event (a wrong digest, an
unknown account); Asterisk itself never stops answering. The guard counts them per
address over a sliding window (``sip_ban_failures`` within ``sip_ban_window_s``) and
bans the address for ``sip_ban_minutes``: a pjsip ACL (``pjsip_bans.conf``, included by
pjsip.conf) written into the runtime folder, then ``module reload res_pjsip.so`` on
Asterisk's console, so the PBX answers 403 from then on, before any password is tried.
Bans lapse on their own; the trunk, the PBX's own address and ``sip_ban_exempt`` are
never banned (refusing the carrier would close the line). A restart of the PBX forgets
the bans (the file is rendered empty), which fail2ban does too.
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable

from hotline import pbx
from hotline.settings import Settings

log = logging.getLogger(__name__)
# the security events that mean "someone tried a name or a password and it was wrong"
FAILURES = ("ChallengeResponseFailed", "InvalidPassword", "InvalidAccountID")


def remote_address(field: str) -> str | None:
    """The address in a security event's RemoteAddress (``IPV4/UDP/198.51.100.7/5060``)."""
    parts = field.split("/")
    if len(parts) < 3:
        return None
    try:
        return str(ipaddress.ip_address(parts[2].strip("[]")))
    except ValueError:
        return None


class SipGuard:
    """Counts failures per address and keeps the PBX's ban list; ``apply`` is called with
    the addresses to refuse each time the list changes."""

    def __init__(self, settings: Settings,
                 apply: Callable[[list[str]], Awaitable[None]] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = settings.sip_ban_failures
        self.window = float(settings.sip_ban_window_s)
        self.ban_for = settings.sip_ban_minutes * 60.0
        self.exempt = settings.sip_ban_exempt_networks
        self.apply = apply or self._reload_pbx(settings)
        self.clock = clock
        self.failures: dict[str, collections.deque[float]] = {}
        self.banned: dict[str, float] = {}  # address → when the ban lapses
        self._lock = asyncio.Lock()

    @staticmethod
    def _reload_pbx(settings: Settings) -> Callable[[list[str]], Awaitable[None]]:
        async def apply(addresses: list[str]) -> None:
            pbx.write_bans(settings, addresses)
            await asyncio.to_thread(pbx.console, settings, "module reload res_pjsip.so")
        return apply

    def attach(self, manager) -> None:
        for name in FAILURES:
            manager.register_event(name, self.on_event)

    async def on_event(self, _manager, event) -> None:
        if event.get("Event") not in FAILURES:
            return  # panoramisk matches event names by prefix
        address = remote_address(str(event.get("RemoteAddress", "")))
        if address is not None:
            await self.failed(address, str(event.get("AccountID", "")))

    def exempted(self, address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return any(ip in net for net in self.exempt if net.version == ip.version)

    async def failed(self, address: str, account: str = "") -> bool:
        """One failed authentication from ``address``; True when it earned a ban."""
        if self.limit == 0 or self.exempted(address) or address in self.banned:
            return False
        now = self.clock()
        seen = self.failures.setdefault(address, collections.deque())
        seen.append(now)
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) < self.limit:
            return False
        del self.failures[address]
        self.banned[address] = now + self.ban_for
        log.warning("SIP: %s refused for %d min after %d failed authentications in %d s "
                    "(last account %r)", address, self.ban_for // 60, self.limit,
                    self.window, account[:40])
        await self._push()
        return True

    async def expire(self) -> list[str]:
        """Lift the bans whose time is up; the addresses lifted."""
        now = self.clock()
        lapsed = [a for a, until in self.banned.items() if until <= now]
        for address in lapsed:
            del self.banned[address]
            log.info("SIP: ban on %s lapsed", address)
        # forget counts that have aged out, so a slow trickle cannot grow the table
        for address in [a for a, seen in self.failures.items()
                        if not seen or seen[-1] <= now - self.window]:
            del self.failures[address]
        if lapsed:
            await self._push()
        return lapsed

    async def _push(self) -> None:
        async with self._lock:
            started = time.monotonic()
            try:
                await self.apply(sorted(self.banned))
            except pbx.PbxError as exc:
                log.error("SIP: could not update the PBX's ban list: %s", exc)
                return
            log.info("SIP: the PBX refuses %d address(es) (updated in %.0f ms)",
                     len(self.banned), (time.monotonic() - started) * 1000)

    async def run(self, every_s: float = 15.0) -> None:
        """Lift lapsed bans until cancelled."""
        while True:
            await asyncio.sleep(every_s)
            await self.expire()
