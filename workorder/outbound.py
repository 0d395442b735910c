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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workorder import routing
from workorder.errors import DomainError
from workorder.history import record_history
from workorder.models import CallbackTask, Case, OutboundCall, WorkOrder
from workorder.phone import clip_raw
from workorder.routing import RoutingError, Target
from workorder.types import Role

PURPOSES = ("callback", "dial", "judge")  # judge: brought into a caller's call (R4.2, R4.8)
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
          now: datetime, callback_id: int | None = None,
          uniqueid: str | None = None) -> OutboundCall:
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
        if task.status != "pending":
            raise DialRefused(f"回访 {callback_id} 已{'完成' if task.status == 'done' else '结束'}"
                              "，无需再拨；nothing was dialled")
        busy = live_call(session, callback_id)
        if busy is not None:
            raise DialRefused(f"这条回访正由 {busy.seat or busy.placed_by} 拨打（"
                              f"{busy.number}），不再重复拨打；nothing was dialled")
    call = OutboundCall(uniqueid=uniqueid or f"out-{secrets.token_hex(8)}", order_id=order_id,
                        callback_id=callback_id, purpose=purpose, number=number, seat=seat,
                        placed_by=by, placed_at=now, cause="")
    session.add(call)
    try:
        with session.begin_nested():  # two seats clicking one callback: one call
            session.flush()
    except IntegrityError:
        raise DialRefused("这条回访刚刚已由其他座席拨打，不再重复拨打；nothing was "
                          "dialled") from None
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


def judge_of(session: Session, order: WorkOrder) -> Target:
    """Whom the operator brings into a call about ``order`` (R4.2 contact the judge, R4.8
    urgent): the case's presiding judge, or else the head of its department (the
    directory's numbers). :class:`RoutingError` when the directory knows neither."""
    case = (session.scalar(select(Case).where(Case.number == order.case_number))
            if order.case_number else None)
    judge_id = (case.judge_id if case else None) or order.judge_id
    dept_id = (case.department_id if case else None) or order.department_id
    directory = routing.load(session)
    for role in (Role.JUDGE, Role.DEPARTMENT_HEAD):
        try:
            target = directory.resolve(role, order.court, dept_id, judge_id)
        except RoutingError:
            continue
        if target.mobile:
            return target
    raise RoutingError("没有可接通的法官：工单没有案号（或案号不在案件表中），也没有承办部门；"
                       "请先填写案号")


def live_call(session: Session, callback_id: int) -> OutboundCall | None:
    """The call being made for a callback now, if any."""
    return session.scalar(select(OutboundCall).where(OutboundCall.callback_id == callback_id,
                                                     OutboundCall.outcome.is_(None)))


def abandon_live(session: Session, now: datetime) -> int:
    """The PBX started afresh: every call it was placing is over, and its hang-up never
    came; each is recorded failed (or not placed, if no seat had it yet)."""
    n = 0
    for call in session.scalars(select(OutboundCall).where(OutboundCall.outcome.is_(None))):
        finish(session, call.uniqueid, "failed" if call.seat else "not_placed", now,
               cause="the PBX restarted")
        n += 1
    return n


def calls_of(session: Session, order_id: int) -> list[OutboundCall]:
    return list(session.scalars(select(OutboundCall).where(OutboundCall.order_id == order_id)
                                .order_by(OutboundCall.id)))
