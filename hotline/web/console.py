"""The supervisor's console: the live wall board, overdue work and the monthly ledger.

* ``GET /console`` — the wall board (refreshed every 2 s from ``/console/board.json``):
  callers waiting and the longest wait, every seat by state, today's figures (answered,
  within 10 s, abandoned, overflowed — R1/R2), overdue orders with their red/yellow
  lights (R8) and the reminders due today, each sent from the page; listen / whisper /
  barge on a seat's call (ChanSpy rings the supervisor's own seat).
* ``POST /console/reminders/{id}`` — send a reminder (R8) by SMS, or record it as phoned.
* ``POST /console/spy`` — listen, whisper or barge; audited.
* The monthly ledger (R9) is hotline/web/ledger_page.py.

Supervisors only: the board shows callers' numbers. Anyone else is refused (audited).
"""

from __future__ import annotations

import re
import time
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hotline import ami, seat_state
from hotline.ami import OVERFLOW_QUEUE
from hotline.seats import Seat
from hotline.web.auth import check_csrf_header, remote
from hotline.web.live import SPY_OPTIONS, SPY_ZH
from hotline.web.models import User
from hotline.web.staff import BadRequest, parse_json, render, say, sip_config
from hotline.web.views import Web, staff, staff_live
from recordings import pipeline
from recordings.models import Flag, Recording
from recordings.review import audit
from workorder.errors import DomainError
from workorder.line import ManualMode, decide_mode
from workorder.models import Call, CallbackTask, LineState, Reminder, WorkOrder
from workorder.orders import Service
from workorder.registration import MODE_KEY
from workorder.stats import day_bounds, line_stats
from workorder.text import ticked
from workorder.types import CallOutcome, OrderStatus, OrderType

__all__ = ["board", "refused", "routes"]
OPEN = (OrderStatus.TO_DISPATCH.value, OrderStatus.DISPATCHED.value)
SHORT_ABANDON_S = 5  # a caller who hangs up this soon in the queue had hardly waited


def _queue_type(queue: str) -> str:
    m = re.fullmatch(r"hotline-([1-6])", queue or "")
    return OrderType(int(m.group(1))).label_zh if m else ("溢出组" if queue else "")


def waiting_rows(session: Session, entries: list[dict], now: datetime) -> list[dict]:
    """Callers in the queues, longest wait first. A caller moved to the overflow group is
    the same caller: the wait counts from the first queue entry (R1) and the type chosen
    in the menu is kept, with the overflow shown beside it."""
    uids = [e.get("Uniqueid", "") for e in entries]
    calls = {c.uniqueid: c for c in session.scalars(select(Call).where(Call.uniqueid.in_(uids)))}
    rows = []
    for e in entries:
        queue = e.get("Queue", "")
        call = calls.get(e.get("Uniqueid", ""))
        wait = int(e.get("Wait") or 0)
        kind = _queue_type(queue)
        if call is not None:
            if call.offered_at is not None:
                wait = max(wait, int((now - call.offered_at).total_seconds()))
            if call.order_type:
                kind = OrderType(call.order_type).label_zh
        rows.append({"caller": e.get("CallerIDNum", ""), "queue": queue, "type": kind,
                     "overflowed": queue == OVERFLOW_QUEUE, "wait_s": wait})
    return sorted(rows, key=lambda w: -w["wait_s"])


def line_row(session: Session, calendar, now: datetime) -> dict:
    """Whether the line is open now, why, and whether someone forced it by hand."""
    state = session.get(LineState, MODE_KEY)
    manual = ManualMode(state.value if state else "auto")
    effective, _why = decide_mode(manual, calendar, now)
    day = now.astimezone(calendar.tz).date()
    if manual is ManualMode.AUTO:
        why = ("工作时间" if effective == "open" else
               ("非工作时间" if calendar.is_working_day(day) else calendar.reason(day)))
        how = "按日历自动"
    else:
        why = "人工" + ("开启" if effective == "open" else "关闭")
        who = state.updated_by if state else ""
        when = state.updated_at.astimezone(calendar.tz).strftime("%m-%d %H:%M") if state else ""
        how = f"{who} {when} 设定"
    return {"open": effective == "open", "manual": manual is not ManualMode.AUTO,
            "label": ("开放" if effective == "open" else "关闭") + f"：{why}", "how": how}


def backlog(session: Session, court: str, now: datetime) -> dict:
    """What waits for somebody: messages to hear (R6), callbacks to make (R10, those past
    their deadline apart) and flagged recordings to review (R4.7/R4.8)."""
    messages = len(pipeline.queue(session, court))
    untranscribed = session.scalar(
        select(func.count()).select_from(Recording).join(WorkOrder, WorkOrder.call_id == Recording.call_id)
        .where(Recording.kind == "message", Recording.processed_at.is_(None),
               WorkOrder.status == OrderStatus.MESSAGE_PENDING.value, WorkOrder.court == court))
    pending = CallbackTask.status == "pending"
    callbacks = session.scalar(select(func.count()).select_from(CallbackTask).where(pending))
    late = session.scalar(select(func.count()).select_from(CallbackTask)
                          .where(pending, CallbackTask.due_at < now))
    flags = session.execute(select(Flag.kind, func.count(func.distinct(Flag.recording_id)))
                            .where(Flag.reviewed_at.is_(None)).group_by(Flag.kind)).all()
    return {"messages": messages, "messages_untranscribed": int(untranscribed or 0),
            "callbacks": int(callbacks or 0), "callbacks_late": int(late or 0),
            "flagged": sum(int(n) for _k, n in flags),
            "flagged_urgent": sum(int(n) for k, n in flags if k == "urgent")}


def missed_rows(session: Session, start: datetime, end: datetime) -> dict:
    """Today's calls that missed a person, explained (R1/R2): where the caller hung up
    (in the menu, in the queue after a short or a long wait), and what became of the
    calls that overflowed (answered by the wider group, a callback, a message, gone)."""
    today = and_(Call.received_at >= start, Call.received_at < end)
    abandoned = session.execute(select(Call.offered_at, Call.ended_at).where(
        today, Call.outcome == CallOutcome.ABANDONED.value)).all()
    short = sum(1 for offered, ended in abandoned if offered and ended
                and (ended - offered).total_seconds() <= SHORT_ABANDON_S)
    in_menu = session.scalar(select(func.count()).select_from(Call).where(
        today, Call.outcome == CallOutcome.IVR_HANGUP.value))
    over = dict(session.execute(select(Call.outcome, func.count()).where(
        today, Call.overflowed_at.is_not(None)).group_by(Call.outcome)).all())
    return {"abandoned_short": short, "abandoned_long": len(abandoned) - short,
            "short_s": SHORT_ABANDON_S, "hung_up_in_menu": int(in_menu or 0),
            "overflow_answered": int(over.get(CallOutcome.ANSWERED.value, 0)),
            "overflow_callback": int(over.get(CallOutcome.CALLBACK.value, 0)),
            "overflow_message": int(over.get(CallOutcome.MESSAGE.value, 0)),
            "overflow_gone": int(over.get(CallOutcome.ABANDONED.value, 0)
                                 + over.get(None, 0))}


def seat_rows(session: Session, members: list[dict], start: datetime) -> list[dict]:
    """Every seat with its state on the PBX, who sits at it and its calls today."""
    users = dict(session.execute(select(User.seat, User.name).where(User.seat.is_not(None))).all())
    answered = dict(session.execute(
        select(Call.seat, func.count()).where(Call.answered_at >= start, Call.seat.is_not(None))
        .group_by(Call.seat)).all())
    states = seat_state.by_seat(members)
    out = []
    for seat in session.scalars(select(Seat).order_by(Seat.role.desc(), Seat.name)):
        st = states.get(seat.name, seat_state.OUT)
        reason = seat_state.reason_zh(st.reason) if st.state == "paused" else ""
        out.append({"seat": seat.name, "name": seat.display_name or seat.name,
                    "user": users.get(seat.name, ""), "role": seat.role, "state": st.state,
                    "state_label": st.label_zh, "reason": reason,
                    "queues": len(st.queues), "answered_today": int(answered.get(seat.name, 0))})
    return out


def overdue_rows(session: Session, service: Service, now: datetime, limit: int = 100) -> list[dict]:
    """Forwarded orders whose light is red or yellow (R8), red and most overdue first."""
    tz = service.calendar.tz
    out = []
    for o in session.scalars(select(WorkOrder).where(WorkOrder.status.in_(OPEN))
                             .order_by(WorkOrder.next_due_at).limit(2000)):
        color = service.light(o, now)
        if color not in ("red", "yellow"):
            continue
        due = o.feedback_due_at or o.dispatch_due_at
        out.append({"number": o.number, "court": o.court, "light": color,
                    "type": OrderType(o.order_type).label_zh,
                    "status": OrderStatus(o.status).label_zh,
                    "assignee": o.assignee_name or "", "content": (o.content or "")[:80],
                    "due": due.astimezone(tz).strftime("%m-%d %H:%M") if due else "",
                    "level": o.escalation_level, "_due": due.timestamp() if due else 0})
    out.sort(key=lambda r: (r["light"] != "red", r["_due"]))
    for r in out:
        del r["_due"]
    return out[:limit]


def reminder_rows(session: Session, tz, end: datetime) -> list[dict]:
    """Reminders not yet made whose deadline falls today or earlier (R8)."""
    q = (select(Reminder, WorkOrder.number).join(WorkOrder, WorkOrder.id == Reminder.order_id)
         .where(Reminder.sent_at.is_(None), Reminder.due_by < end,
                WorkOrder.feedback_at.is_(None), WorkOrder.closed_at.is_(None))
         .order_by(Reminder.due_by).limit(200))
    return [{"id": r.id, "order": number, "round": r.round, "to": r.to_name,
             "mobile": r.to_mobile, "due": r.due_by.astimezone(tz).strftime("%m-%d %H:%M")}
            for r, number in session.execute(q)]


def board(session: Session, service: Service, snapshot: dict | None, now: datetime,
          target_s: int, court: str) -> dict:
    tz = service.calendar.tz
    start, end = day_bounds(tz, now)
    waiting = waiting_rows(session, (snapshot or {}).get("entries", []), now)
    return {
        "pbx": snapshot is not None,
        "at": now.astimezone(tz).strftime("%H:%M:%S"),
        "line": line_row(session, service.calendar, now),
        "backlog": backlog(session, court, now),
        "missed": missed_rows(session, start, end),
        "waiting": waiting,
        "longest_wait_s": waiting[0]["wait_s"] if waiting else 0,
        "seats": seat_rows(session, (snapshot or {}).get("members", []), start),
        "today": line_stats(session, start, end, target_s).as_dict(),
        "overdue": overdue_rows(session, service, now),
        "reminders": reminder_rows(session, tz, end),
    }


def _ws(web: Web) -> str:
    return web.settings.ws_url  # the console is a phone too (listen-in rings it)


def refused(web: Web, request: Request, session: Session, user: User) -> Response:
    audit(session, user.login, "refused", None, remote(request), at=web.clock(),
          path=request.url.path, role=user.role)
    if request.url.path.endswith(".json") or request.method == "POST":
        return JSONResponse({"error": "只有班长可以使用班长台"}, status_code=403)
    return say(web, request, user, "只有班长可以使用班长台。本次访问已记入审计日志。", 403,
               _ws(web))


@staff("supervisor", refused)
def console(web: Web, request: Request, session: Session, user: User) -> Response:
    seat = session.scalar(select(Seat).where(Seat.name == user.seat)) if user.seat else None
    sip = sip_config(seat, web.settings.bind_host, _ws(web)) if seat else None
    return render(web, request, user, "console.html", connect_src=_ws(web), sip=sip,
                  target_s=web.settings.answer_target_s, spy=SPY_ZH)


@staff_live("supervisor", refused)
async def board_json(web: Web, request: Request, user: User) -> Response:
    """The wall board: the PBX's snapshot (awaited with no transaction open), then the
    figures from the database in a worker thread."""
    started = time.perf_counter()
    try:
        snap = await web.live.snapshot()
    except (TimeoutError, ami.AmiError):
        snap = None
    data = await web.run(board, web.service, snap, web.clock(), web.settings.answer_target_s,
                         web.settings.court_name)
    data["cost_ms"] = round(1000 * (time.perf_counter() - started), 1)
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


@staff("supervisor", refused, reads="body")
def remind(web: Web, request: Request, session: Session, user: User, body: bytes) -> Response:
    """A reminder (R8) sent from the board: texted to the department head and the assignee
    once it is committed, or recorded as made by phone."""
    if not check_csrf_header(request):
        return JSONResponse({"error": "页面已过期，请刷新"}, status_code=403)
    try:
        data = parse_json(body)
        texts = web.service.remind(session, int(request.path_params["id"]), by=user.login,
                                   at=web.clock(), phoned=ticked(data, "phoned"))
    except DomainError as exc:
        session.rollback()
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"ok": True, "texts": texts})


@staff_live("supervisor", refused, reads="body")
async def spy(web: Web, request: Request, user: User, body: bytes) -> Response:
    """Listen, whisper or barge: ring the supervisor's own seat into the call (audited)."""
    if not check_csrf_header(request):
        return JSONResponse({"error": "页面已过期，请刷新"}, status_code=403)
    try:
        data = parse_json(body)
    except BadRequest as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    target, mode = str(data.get("seat") or ""), str(data.get("mode") or "")
    if mode not in SPY_OPTIONS:
        return JSONResponse({"error": "mode: listen, whisper or barge"}, status_code=400)
    if not user.seat:
        return JSONResponse({"error": "您的账号未绑定座席：监听需要班长自己的话机"},
                            status_code=409)

    def known_and_audited(session: Session) -> bool:
        if session.scalar(select(Seat.id).where(Seat.name == target)) is None \
                or target == user.seat:
            return False
        audit(session, user.login, f"spy_{mode}", None, remote(request), at=web.clock(),
              seat=target)
        return True

    if not await web.run(known_and_audited):
        return JSONResponse({"error": f"没有座席 {target!r}"}, status_code=400)
    try:
        await web.live.spy(user.seat, target, mode)
    except (TimeoutError, ami.AmiError) as exc:
        return JSONResponse({"error": str(exc) or "电话系统无响应"}, status_code=503)
    return JSONResponse({"ok": True, "mode": mode, "seat": target})


routes = [
    Route("/console", console, methods=["GET"]),
    Route("/console/board.json", board_json, methods=["GET"]),
    Route("/console/reminders/{id:id}", remind, methods=["POST"]),
    Route("/console/spy", spy, methods=["POST"]),
]
