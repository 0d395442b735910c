"""Calls the hotline places for an order (R2 callbacks of abandoned and unanswered calls,
R10 callbacks after feedback, a party the operator dials): which numbers may be dialled,
the record of each call placed, and what became of it.

A court hotline dials Chinese mobiles and landlines with their area code; international,
premium and short numbers are refused unless the court lists them (toll fraud: a
compromised seat or a forged request must not call abroad at the court's cost). The PBX
checks the same patterns again before it dials (dialplans/extensions.conf, hotline-out).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workorder.errors import DomainError
from workorder.history import record_history
from workorder.models import CallbackTask, OutboundCall, WorkOrder
from workorder.phone import clip_raw

PURPOSES = ("callback", "dial")
OUTCOMES = ("answered", "busy", "no_answer", "rejected", "failed", "seat_missed",
            "not_placed")
OUTCOME_ZH = {"answered": "已接通", "busy": "对方忙", "no_answer": "无人接听",
              "rejected": "运营商拒绝（号码不存在或被禁止）", "failed": "呼叫失败（线路或运营商故障）",
              "seat_missed": "座席未接起", "not_placed": "电话系统未受理"}
_SEPARATORS = re.compile(r"[ \-()\u3000]")  # what people type between digits


class DialRefused(DomainError):
    """A number the hotline will not dial; the message says why. Nothing was dialled."""


def dialable(raw: str, allow: Sequence[re.Pattern]) -> str:
    """The national number to dial for ``raw`` (a typed or stored number), or
    :class:`DialRefused`: not a number, an international one, or none of ``allow``."""
    text = _SEPARATORS.sub("", raw or "")
    shown = clip_raw(raw)[:30]
    if not re.fullmatch(r"\+?[0-9]{3,20}", text):
        raise DialRefused(f"{shown!r} is not a phone number: nothing was dialled")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith(("+", "00")):
        raise DialRefused(f"{shown} is an international number: the hotline does not dial "
                          "abroad (toll fraud); nothing was dialled")
    if not any(p.fullmatch(text) for p in allow):
        raise DialRefused(
            f"{text} is not a number the hotline dials: a mobile (11 digits, 13…–19…) or a "
            "landline with its area code (0…); premium and short numbers are refused unless "
            "dial_allow lists them; nothing was dialled")
    return text


def place(session: Session, order_id: int, number: str, seat: str, purpose: str, by: str,
          now: datetime, callback_id: int | None = None) -> OutboundCall:
    """Record a call about to be placed (``number`` already :func:`dialable`); its
    ``uniqueid`` is the one the PBX is to give the seat's leg."""
    if purpose not in PURPOSES:
        raise DomainError(f"unknown purpose {purpose!r}")
    order = session.get(WorkOrder, order_id)
    if order is None:
        raise DomainError(f"no order {order_id}")
    if callback_id is not None:
        task = session.get(CallbackTask, callback_id)
        if task is None or task.order_id != order_id:
            raise DomainError(f"callback {callback_id} is not one of order {order.number}")
    call = OutboundCall(uniqueid=f"out-{secrets.token_hex(8)}", order_id=order_id,
                        callback_id=callback_id, purpose=purpose, number=number, seat=seat,
                        placed_by=by, placed_at=now, cause="")
    session.add(call)
    session.flush()
    record_history(session, order_id, now, by, "dial", {"number": (None, number)},
                   f"{seat or by} 拨打 {number}")
    return call


def outcome_of(dial_status: str, cause: int | None) -> str:
    """Our outcome for Asterisk's DIALSTATUS and the Q.850 cause of the party's leg."""
    status = dial_status.upper()
    if status == "ANSWER":
        return "answered"
    if status == "BUSY" or cause == 17:
        return "busy"
    if status in ("NOANSWER", "CANCEL") or cause in (18, 19):
        return "no_answer"
    if cause in (1, 21, 22, 28):  # unallocated number, call rejected, moved, bad number
        return "rejected"
    return "failed"  # congestion, 503, no route (the trunk down), anything else


def finish(session: Session, uniqueid: str, outcome: str, now: datetime, cause: str = "",
           talk_s: int | None = None, recording: str | None = None) -> OutboundCall | None:
    """What became of a call placed; the first word is kept (the hang-up handler and the
    placing side may both report). None for an id the hotline never placed."""
    if outcome not in OUTCOMES:
        raise DomainError(f"unknown outcome {outcome!r}")
    call = session.scalar(select(OutboundCall).where(OutboundCall.uniqueid == uniqueid)
                          .with_for_update())
    if call is None or call.outcome is not None:
        return None
    call.outcome, call.ended_at = outcome, now
    call.cause = clip_raw(cause)[:64]
    call.talk_s = talk_s if outcome == "answered" else None
    call.recording = recording if outcome == "answered" else None
    talked = f"，通话 {talk_s} 秒" if outcome == "answered" and talk_s is not None else ""
    record_history(session, call.order_id, now, call.placed_by, "dialled",
                   {"outcome": (None, outcome)},
                   f"{call.number}：{OUTCOME_ZH[outcome]}{talked}")
    return call


def calls_of(session: Session, order_id: int) -> list[OutboundCall]:
    return list(session.scalars(select(OutboundCall).where(OutboundCall.order_id == order_id)
                                .order_by(OutboundCall.id)))
