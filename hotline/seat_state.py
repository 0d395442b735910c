"""A seat's state, read once from what the PBX says of its queue memberships.

The console's seat table, the operator's panel and ``hotline seats list`` all show a
seat through :func:`read`, so a seat is never "ready" in one place and "not ready" in
another. What counts is what decides whether a call rings the seat:

* ``out`` — in no queue (logged out): no call rings it;
* ``unregistered`` — in its queues, but its phone is not registered: no call rings it;
* ``paused`` (with the reason) and ``wrapup`` — paused: no call rings it;
* ``ready`` — in its queues, registered and not paused: calls ring it;
* ``ringing`` and ``on_call`` — busy with a call (whatever its pause says).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["LABELS", "OUT", "REASON_ZH", "SeatState", "WRAPUP", "by_seat", "read", "reason_zh"]

WRAPUP = "话后整理"  # the pause reason the panel's wrap-up sets
# QueueMember Status is the seat's device state (Asterisk's ast_device_state)
DEVICE = {"0": "unknown", "1": "ready", "2": "on_call", "3": "on_call", "4": "unregistered",
          "5": "unregistered", "6": "ringing", "7": "on_call", "8": "on_call"}
# state: (Chinese for the pages, English for the command line)
LABELS = {"ready": ("就绪", "ready"), "paused": ("示忙", "paused"),
          "wrapup": ("话后整理", "wrap-up"), "ringing": ("振铃", "ringing"),
          "on_call": ("通话中", "on a call"), "unregistered": ("未注册", "phone not registered"),
          "out": ("已下线", "logged out"), "unknown": ("状态未知", "state unknown")}
# app_queue's reasons for a pause, as a supervisor reads them
REASON_ZH = {"Auto-Pause": "未接听，自动示忙", WRAPUP: WRAPUP}


def reason_zh(reason: str) -> str:
    return REASON_ZH.get(reason, reason)


@dataclass(frozen=True)
class SeatState:
    state: str
    reason: str = ""  # why it is paused, as the PBX has it
    queues: tuple[str, ...] = ()

    @property
    def rings(self) -> bool:
        """Would a queue call ring this seat now."""
        return self.state in ("ready", "unknown")  # app_queue rings an unknown device

    @property
    def label_zh(self) -> str:
        return LABELS[self.state][0]

    @property
    def text_zh(self) -> str:
        why = reason_zh(self.reason) if self.state == "paused" and self.reason else ""
        return f"{self.label_zh}（{why}）" if why else self.label_zh

    @property
    def text_en(self) -> str:
        english = LABELS[self.state][1]
        return f"{english} ({self.reason})" if self.state == "paused" and self.reason else english

    def as_json(self) -> dict:
        return {"state": self.state, "label": self.text_zh, "reason": reason_zh(self.reason),
                "rings": self.rings}


OUT = SeatState("out")  # a seat QueueStatus does not list


def read(rows: Iterable[dict]) -> SeatState:
    """The state of one seat from its QueueMember rows (one per queue; QueueMemberStatus
    and QueueMemberPause events carry the same fields)."""
    rows = list(rows)
    if not rows:
        return OUT
    queues = tuple(sorted(r.get("Queue", "") for r in rows))
    device = DEVICE.get(str(rows[0].get("Status", "")), "unknown")
    paused = [r for r in rows if str(r.get("Paused", "")) == "1"]
    reason = next((r.get("PausedReason") or r.get("Reason") or "" for r in paused), "")
    if device in ("on_call", "ringing", "unregistered"):
        return SeatState(device, reason, queues)
    if paused:
        return SeatState("wrapup" if reason == WRAPUP else "paused", reason, queues)
    return SeatState(device, "", queues)


def by_seat(members: Iterable[dict]) -> dict[str, SeatState]:
    """Every seat QueueStatus lists, by name; a seat not listed is ``out``."""
    rows: dict[str, list[dict]] = {}
    for m in members:
        rows.setdefault(m.get("Name") or m.get("MemberName") or "", []).append(m)
    return {name: read(r) for name, r in rows.items()}
