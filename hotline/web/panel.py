"""The seat operator's panel: the page is also the seat's telephone.

* ``GET /panel`` — the softphone (JsSIP registers as the user's seat over the PBX's
  WebSocket), the seat's state buttons, the screen pop and the order form.
* ``GET /panel/events`` — server-sent events for the user's seat: the screen pop the
  moment the seat rings (R1's 10-second clock runs from the call's entry into the queue),
  then answered / gone / ended, and the seat's queue state.
* ``GET /panel/pop/{uid}`` — the same pop, on demand (a page reloaded during a call).
* ``POST /panel/state`` — ready, pause (with a reason), wrap-up, offline: queue-member
  actions on Asterisk (QueueAdd / QueuePause / QueueRemove).
* ``POST /panel/orders/{number}/guidance`` — what R4 prescribes for the form as it stands.
* ``POST /panel/orders/{number}`` — save the form, during the call; optionally close it on
  the call or forward it. The order was opened when the call arrived (R2), so the call and
  its recording are linked to it already. An edit made on an older version is refused,
  and nothing is saved.
* ``GET /panel/callbacks`` — the callbacks to make (R10, R2), priority first;
  ``POST /panel/callbacks/{id}`` — the outcome of one (and satisfaction, R10).
* ``POST /panel/orders/{number}/judge`` — whom 接通法官 reaches (R4.2, R4.8): the page
  then calls ``judge-<order id>``, consults and hands the caller over (attended
  transfer), and ``…/judge/transferred`` keeps that in the order's history.
* ``POST /panel/dial`` — click to call: the seat's own phone rings (the page answers it),
  then the party of a callback or an order is dialled through the trunk
  (hotline/dialout.py); one call for a callback however many seats click it.

JSON posts carry the session's CSRF token in ``X-CSRF-Token``. Operators see only their
own seat; supervisors may answer at a seat too.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sse_starlette.sse import EventSourceResponse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hotline import ami, dialout, seat_state
from hotline.seats import Seat
from hotline.unit_of_work import UnitOfWork
from hotline.web.auth import check_csrf_header, remote
from hotline.web.models import User
from hotline.web.staff import BadRequest, parse_json, render, say, sip_config
from hotline.web.views import Web, staff, staff_live
from recordings.models import Recording
from recordings.review import audit
from workorder import callbacks as callback_tasks
from workorder import outbound
from workorder.errors import DomainError
from workorder.history import record_history
from workorder.models import Call, CallbackTask, CallEvent, OutboundCall, WorkOrder
from workorder.orders import OrderError, Service, StaleOrder
from workorder.rules import Answers, Complaint, propose
from workorder.text import CONTENT_MAX, ticked
from workorder.types import CallbackReason, CallOutcome, OrderStatus, OrderType, Role

log = logging.getLogger(__name__)
PAUSE_REASONS = ("休息", "会议", "培训", "回访", "其他")
STATES = ("ready", "pause", "wrapup", "offline")
OUTCOME_ZH = {CallOutcome.ANSWERED: "已接听", CallOutcome.ABANDONED: "未接通（放弃）",
              CallOutcome.CALLBACK: "预约回拨", CallOutcome.MESSAGE: "留言",
              CallOutcome.IVR_HANGUP: "菜单中挂机"}
__all__ = ["PopLoader", "routes"]


def _epoch(dt: datetime | None) -> float | None:
    return dt.timestamp() if dt else None


class PopLoader:
    """What the database knows when a call rings a seat; one read per call."""

    def __init__(self, sessions: UnitOfWork, service: Service) -> None:
        self.sessions, self.service = sessions, service
        self.tz = service.calendar.tz

    def local(self, dt: datetime | None) -> str:
        return dt.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if dt else ""

    def __call__(self, uid: str) -> dict:
        with self.sessions() as session:
            call = session.scalar(select(Call).where(Call.uniqueid == uid))
            if call is None:
                return {"error": "来电尚未登记（工单稍后生成），请先记录来电人所述"}
            order = session.scalar(select(WorkOrder).where(WorkOrder.call_id == call.id))
            return self.of(session, call, order)

    def of(self, session: Session, call: Call, order: WorkOrder | None) -> dict:
        now = datetime.now(UTC)
        data: dict = {"caller": call.caller_phone or call.caller_raw or "",
                      "caller_name": call.caller_name or "", "call_id": call.id,
                      "received_at": _epoch(call.received_at),
                      "queued_at_db": _epoch(call.offered_at),
                      "order_type": call.order_type,
                      "type_label": OrderType(call.order_type).label_zh
                      if call.order_type else "未选择（按 0 或超时）"}
        earlier_calls = session.scalars(
            select(Call).where(Call.caller_phone == call.caller_phone, Call.id != call.id,
                               Call.received_at < call.received_at)
            .order_by(Call.received_at.desc()).limit(10)).all() if call.caller_phone else []
        data["earlier_calls"] = [
            {"at": self.local(c.received_at),
             "type": OrderType(c.order_type).label_zh if c.order_type else "",
             "outcome": OUTCOME_ZH.get(CallOutcome(c.outcome), c.outcome)
             if c.outcome else "进行中", "seat": c.seat or ""} for c in earlier_calls]
        if order is None:
            data["earlier_orders"] = []
            return data
        data["order"] = order_json(order)
        data["earlier_orders"] = [
            {"number": o.number, "created": self.local(o.created_at),
             "type": OrderType(o.order_type).label_zh, "status": OrderStatus(o.status).label_zh,
             "content": (o.content or "")[:120], "case_number": o.case_number or "",
             "assignee": o.assignee_name or "", "light": self.service.light(o, now) or ""}
            for o in self.service.earlier_matters(session, order)]
        data["guidance"] = guidance(session, self.service, order, Answers())
        data["transfer"] = transfer_targets(session, order)
        # every call a seat answers is recorded from the queue on (MixMonitor, R4.7)
        data["recording"] = call.mode == "open" or session.scalar(
            select(Recording.id).where(Recording.call_id == call.id)) is not None
        return data


def order_json(order: WorkOrder) -> dict:
    return {"number": order.number, "version": order.version, "order_type": order.order_type,
            "status": order.status, "status_label": OrderStatus(order.status).label_zh,
            "content": order.content or "", "case_number": order.case_number or "",
            "caller_name": order.caller_name or "", "caller_phone": order.caller_phone or "",
            "callback_phone": order.callback_phone or "", "abusive": order.abusive,
            "urgent": order.urgent, "touches_rights": order.touches_rights,
            "rule": order.rule or "", "assignee": order.assignee_name or ""}


def guidance(session: Session, service: Service, order: WorkOrder, answers: Answers,
             order_type: int | None = None) -> dict:
    """R4's proposal for the order (as the form stands: ``order_type`` may differ from the
    stored one), in the words the operator reads out."""
    answers = replace(answers, abusive=answers.abusive or order.abusive,
                      urgent=answers.urgent or order.urgent)
    p = propose(OrderType(order_type or order.order_type), answers,
                service.caller_history(session, order))
    target = service.preview_target(session, order, p)
    return {"rule": p.rule, "rules": list(p.rules), "why": p.why, "forward": p.forward,
            "role": p.role.value if p.role else "",
            "role_label": p.role.label_zh if p.role else "",
            "target": f"{target.name}（{target.role.label_zh}）" if target else "",
            "immediate": p.immediate,
            "report_to": [r.label_zh for r in p.report_to]}


def transfer_targets(session: Session, order: WorkOrder) -> list[dict]:
    """Where the operator may transfer the call blind: the supervisors' seats. (The judge
    is brought in with 接通法官: a consultation, then an attended transfer.)"""
    return [{"label": f"班长 {s.display_name or s.name}", "target": s.name}
            for s in session.scalars(select(Seat).where(Seat.role == "supervisor")
                                     .order_by(Seat.name))]


def answers_of(data: dict) -> Answers:
    complaint = str(data.get("complaint") or "")
    try:
        about = Complaint(complaint) if complaint else None
    except ValueError:
        raise OrderError(f"unknown complaint kind {complaint!r}") from None
    return Answers(specific_clues=ticked(data, "specific_clues"), complaint=about,
                   abusive=ticked(data, "abusive"), urgent=ticked(data, "urgent"),
                   leadership=ticked(data, "leadership"),
                   judge_unreachable=ticked(data, "judge_unreachable"))


def form_fields(data: dict) -> dict:
    """The order fields the form sends, checked for type; the domain checks the rest
    (the content's size, control characters, flags: workorder/text.py)."""
    fields: dict = {}
    for key in ("order_type", "caller_name", "callback_phone", "case_number", "content"):
        if key in data:
            value = data[key]
            if value is not None and not isinstance(value, str | int):
                raise OrderError(f"{key}: a text is expected")
            fields[key] = value
    if "touches_rights" in data:
        fields["touches_rights"] = data["touches_rights"]  # the domain takes true/false only
    return fields


class NotYours(DomainError):
    """An operator asked for the order of a call another seat answered."""


def _json_error(text: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": text}, status_code=status)


def _ws(web: Web) -> str:
    return web.settings.ws_url  # the page is a phone: it may reach the PBX's WebSocket


def refused(web: Web, request: Request, session: Session, user: User) -> Response:
    audit(session, user.login, "refused", None, remote(request), at=web.clock(),
          path=request.url.path, role=user.role)
    return say(web, request, user, "座席面板只供座席员和班长使用。", 403, _ws(web))


SEATED = ("operator", "supervisor")


def _no_seat(web: Web, request: Request, user: User) -> Response:
    return say(web, request, user, "您的账号尚未绑定座席，无法接听电话。请联系管理员"
               "（hotline users seat 登录名 座席）。", 409, _ws(web))


@staff(SEATED, refused)
def panel(web: Web, request: Request, session: Session, user: User) -> Response:
    seat = session.scalar(select(Seat).where(Seat.name == user.seat)) if user.seat else None
    if seat is None:
        return _no_seat(web, request, user)
    return render(web, request, user, "panel.html", connect_src=_ws(web), seat=seat,
                  sip=sip_config(seat, web.settings.bind_host, _ws(web)),
                  types=[(t.value, t.label_zh) for t in OrderType],
                  reasons=PAUSE_REASONS, target_s=web.settings.answer_target_s,
                  content_max=CONTENT_MAX, callback_outcomes=CALLBACK_OUTCOMES_ZH,
                  roles=[(r.value, r.label_zh) for r in Role],
                  states={k: zh for k, (zh, _en) in seat_state.LABELS.items()})


@staff_live(SEATED, refused)
async def events(web: Web, request: Request, user: User) -> Response:
    """The seat's news, pushed: the screen pop, answered / gone / ended, its queue state."""
    if not user.seat:
        return _json_error("no seat", 409)
    seat, live = user.seat, web.live
    queue = live.subscribe(seat)

    async def stream():
        try:
            now = await live.state_of(seat) if live.connected else None
            yield {"event": "hello", "data": json.dumps(
                {"seat": seat, "connected": live.connected,
                 "seat_state": now.as_json() if now else None}, ensure_ascii=False)}
            while True:
                news = await queue.get()
                yield {"event": news["type"], "data": json.dumps(news, ensure_ascii=False)}
        finally:
            live.unsubscribe(seat, queue)

    return EventSourceResponse(stream(), ping=15, headers={"Cache-Control": "no-store"})


@staff(SEATED, refused)
def pop(web: Web, request: Request, session: Session, user: User) -> Response:
    call = session.scalar(select(Call).where(Call.uniqueid == request.path_params["uid"]))
    if call is None or (user.role == "operator" and not rang_the_seat(session, call, user)):
        # an operator learns nothing of calls that never reached the seat: not even
        # whether the uniqueid exists (pops carry the caller's number and history)
        return _json_error("no such call", 404)
    if user.role == "operator" and call.seat not in (None, user.seat):
        return _json_error("这通电话由其他座席接听", 403)
    order = session.scalar(select(WorkOrder).where(WorkOrder.call_id == call.id))
    return JSONResponse(PopLoader(web.platform.uow, web.service).of(session, call, order))


@staff_live(SEATED, refused, reads="body")
async def state(web: Web, request: Request, user: User, body: bytes) -> Response:
    """Ready, pause (with a reason), wrap-up, offline: the seat's queue membership on the
    PBX. No transaction is open while the PBX answers."""
    if not check_csrf_header(request):
        return _json_error("页面已过期，请刷新", 403)
    if not user.seat:
        return _json_error("no seat", 409)
    try:
        data = parse_json(body)
    except BadRequest as exc:
        return _json_error(str(exc))
    what, reason = str(data.get("state") or ""), str(data.get("reason") or "").strip()
    if what not in STATES:
        return _json_error(f"state must be one of {', '.join(STATES)}")
    if what == "pause" and not reason:
        return _json_error("示忙需要选择原因")
    seat = await web.run(lambda s: s.scalar(select(Seat).where(Seat.name == user.seat)))
    queues = ami.seat_queues(seat.role, seat.skills)
    try:
        await web.live.seat_state(seat.name, queues, what, reason[:40])
    except (TimeoutError, ami.AmiError) as exc:
        return _json_error(str(exc) or "电话系统无响应", 503)
    await web.run(lambda s: audit(s, user.login, f"seat_{what}", None, remote(request),
                                  at=web.clock(), seat=seat.name, reason=reason))
    now = await web.live.state_of(seat.name)  # what the PBX made of it, not what was asked
    return JSONResponse({"ok": True, "state": what, "reason": reason,
                         "seat_state": now.as_json() if now else None})


def rang_the_seat(session: Session, call: Call, user: User) -> bool:
    """The call was answered at the user's seat, or rang it (the live line records each
    ring, hotline/ami.py): the calls whose pop the operator may have been shown."""
    if not user.seat:
        return False
    if call.seat == user.seat:
        return True
    return session.scalar(select(CallEvent.id).where(
        CallEvent.call_id == call.id, CallEvent.kind == "ringing",
        CallEvent.seat == user.seat).limit(1)) is not None


# ---- callbacks and calls out -------------------------------------------------------------
CALLBACK_OUTCOMES_ZH = [("reached", "已联系上"), ("no_answer", "无人接听"), ("busy", "占线"),
                        ("wrong_number", "号码错误"), ("refused", "拒绝回访")]
REASON_ZH = {CallbackReason.FEEDBACK: "反馈后回访", CallbackReason.ABANDONED: "放弃来电",
             CallbackReason.UNANSWERED: "预约回电", CallbackReason.IVR_HANGUP: "菜单中挂机"}


@staff(SEATED, refused)
def callback_list(web: Web, request: Request, session: Session, user: User) -> Response:
    """The court's callbacks to make (R10 after feedback, R2 abandoned and unanswered),
    litigation rights first, then the oldest due; with the call being made, if any."""
    settings = web.settings
    rows = []
    for task, order in callback_tasks.open_tasks(session, settings.court_name):
        live = outbound.live_call(session, task.id)
        last = session.scalar(select(OutboundCall).where(
            OutboundCall.callback_id == task.id, OutboundCall.outcome.is_not(None))
            .order_by(OutboundCall.id.desc()).limit(1))
        rows.append({
            "id": task.id, "order": order.number, "reason": task.reason,
            "reason_zh": REASON_ZH.get(CallbackReason(task.reason), task.reason),
            "priority": task.priority, "phone": task.phone or "",
            "due": task.due_at.astimezone(settings.tz).strftime("%m-%d %H:%M"),
            "attempts": task.attempts, "feedback": task.reason == CallbackReason.FEEDBACK,
            "calling": (live.seat or "自动回电") if live else None,
            "last": outbound.OUTCOME_ZH.get(last.outcome, "") if last else ""})
    return JSONResponse({"callbacks": rows, "outcomes": list(callback_tasks.OUTCOMES),
                         "trunk": bool(settings.trunk_port)})


@staff_live(SEATED, refused, reads="body")
async def dial(web: Web, request: Request, user: User, body: bytes) -> Response:
    """Ring the operator's own seat, then dial: a callback task (``task_id``) or a party
    of an order (``order`` and ``number``). Nothing is dialled for a number outside the
    rules, or for a callback another seat is already making."""
    if not check_csrf_header(request):
        return _json_error("页面已过期，请刷新", 403)
    if not user.seat:
        return _json_error("no seat", 409)
    try:
        data = parse_json(body)
    except BadRequest as exc:
        return _json_error(str(exc))

    def target(session: Session) -> tuple[int, str, int | None]:
        if data.get("task_id") is not None:
            task = session.get(CallbackTask, int(data["task_id"]))
            if task is None:
                raise OrderError("没有这条回访")
            return task.order_id, task.phone or "", task.id
        order = own_order(web, session, user, str(data.get("order") or ""))
        return order.id, str(data.get("number") or order.callback_phone
                             or order.caller_phone or ""), None

    try:
        order_id, number, task_id = await web.run(target)
        placed = await dialout.place_call(
            web.platform, order_id, number, user.seat,
            "callback" if task_id is not None else "dial", user.name or user.login,
            callback_id=task_id, db=web.run, send=web.live.action)
    except NotYours as exc:
        return _json_error(str(exc), 403)
    except (DomainError, ValueError) as exc:  # a number refused, a callback being made
        return _json_error(str(exc), 409 if isinstance(exc, outbound.DialRefused) else 400)
    await web.run(lambda s: audit(s, user.login, "dial", None, remote(request),
                                  at=web.clock(), seat=user.seat, number=placed.number,
                                  order=placed.order_number))
    said = (f"正在拨打 {placed.number}（工单 {placed.order_number}）" if placed.outcome is None
            else f"未拨出：{outbound.OUTCOME_ZH[placed.outcome]}")
    return JSONResponse({"ok": placed.outcome is None, "uniqueid": placed.uniqueid,
                         "number": placed.number, "order": placed.order_number,
                         "outcome": placed.outcome, "said": said})


@staff(SEATED, refused, reads="body")
def callback_done(web: Web, request: Request, session: Session, user: User,
                  body: bytes) -> Response:
    """The outcome of a callback (and the caller's satisfaction after feedback, R10)."""
    if not check_csrf_header(request):
        return _json_error("页面已过期，请刷新", 403)
    try:
        data = parse_json(body)
        task = callback_tasks.record(
            session, web.service.calendar, web.service.policy,
            int(request.path_params["task"]), by=user.name or user.login, at=web.clock(),
            outcome=str(data.get("outcome") or ""),
            satisfaction=str(data.get("satisfaction") or "") or None,
            note=str(data.get("note") or ""))
    except (DomainError, ValueError) as exc:
        return _json_error(str(exc))
    order = session.get(WorkOrder, task.order_id)
    return JSONResponse({"ok": True, "status": task.status, "order": order.number,
                         "order_status": order.status})


@staff(SEATED, refused, reads="body")
def judge(web: Web, request: Request, session: Session, user: User, body: bytes) -> Response:
    """Whom 接通法官 brings into the call about this order (R4.2, R4.8): the case's
    presiding judge, or its department's head; the page then calls judge-<order id> and
    the PBX dials the number the hotline decides (agi_scripts/consult.py)."""
    if not check_csrf_header(request):
        return _json_error("页面已过期，请刷新", 403)
    try:
        order = own_order(web, session, user, request.path_params["number"])
        call = session.get(Call, order.call_id) if order.call_id else None
        if call is None or call.seat != user.seat or call.ended_at is not None:
            return _json_error("只能在与来电人通话时接通法官", 409)
        if not web.settings.trunk_port:
            return _json_error("未配置外呼线路，无法接通法官", 409)
        target = outbound.judge_of(session, order)
        number = outbound.dialable(target.mobile, web.settings.dial_patterns)
    except NotYours as exc:
        return _json_error(str(exc), 403)
    except DomainError as exc:
        return _json_error(str(exc), 409)
    return JSONResponse({"order_id": order.id, "name": target.name,
                         "role": target.role.label_zh, "number": number})


@staff(SEATED, refused, reads="body")
def judge_transferred(web: Web, request: Request, session: Session, user: User,
                      body: bytes) -> Response:
    """The operator handed the caller over to the judge: kept in the order's history."""
    if not check_csrf_header(request):
        return _json_error("页面已过期，请刷新", 403)
    try:
        order = own_order(web, session, user, request.path_params["number"])
        target = outbound.judge_of(session, order)
    except NotYours as exc:
        return _json_error(str(exc), 403)
    except DomainError as exc:
        return _json_error(str(exc), 409)
    record_history(session, order.id, web.clock(), user.name or user.login, "transfer",
                   {"to": (None, target.name)},
                   f"来电已转接至{target.role.label_zh}{target.name}（{user.seat}，通话录音）")
    return JSONResponse({"ok": True})


# once forwarded, an order is the receiver's matter: operators no longer change it
SUPERVISORS_ONLY = (OrderStatus.DISPATCHED, OrderStatus.FED_BACK, OrderStatus.CLOSED)


def own_order(web: Web, session: Session, user: User, number: str) -> WorkOrder:
    order = web.service.find(session, web.settings.court_name, number)
    if user.role == "operator" and order.call_id is not None:
        seat = session.scalar(select(Call.seat).where(Call.id == order.call_id))
        if seat not in (None, user.seat):
            raise NotYours("这张工单属于其他座席接听的电话")
    return order


@staff(SEATED, refused, reads="body")
def order_guidance(web: Web, request: Request, session: Session, user: User,
                   body: bytes) -> Response:
    if not check_csrf_header(request):
        return _json_error("页面已过期，请刷新", 403)
    try:
        data = parse_json(body)
        order = own_order(web, session, user, request.path_params["number"])
        chosen = int(OrderType.from_key(data.get("order_type") or order.order_type))
        result = guidance(session, web.service, order, answers_of(data), chosen)
    except NotYours as exc:
        return _json_error(str(exc), 403)
    except DomainError as exc:  # a refused order, a bad request, an unknown type
        return _json_error(str(exc))
    return JSONResponse(result)


@staff(SEATED, refused, reads="body")
def order_save(web: Web, request: Request, session: Session, user: User,
               body: bytes) -> Response:
    """Save the form during the call; close it on the call or forward it. Refused as a
    whole (nothing saved) if anything is wrong; the texts a forward writes go once it is
    committed (R5, R4.8)."""
    if not check_csrf_header(request):
        return _json_error("页面已过期，请刷新后重新保存（内容未保存）", 403)
    service, now = web.service, web.clock()
    try:
        data = parse_json(body)
        order = own_order(web, session, user, request.path_params["number"])
        if user.role == "operator" and order.status in SUPERVISORS_ONLY:
            raise NotYours(f"工单{order.number}{OrderStatus(order.status).label_zh}，"
                           "只有班长可以修改")
        version = data.get("version")
        if not isinstance(version, int):
            raise OrderError("version missing: reload the order")
        fields = form_fields(data)
        action = str(data.get("action") or "save")
        if order.status == OrderStatus.MESSAGE_PENDING and action == "save":
            changes = service.confirm_message(session, order, version=version,
                                              by=user.login, at=now, **fields)
        else:
            changes = service.edit(session, order, version=version, by=user.login, at=now,
                                   **fields)
        if changes:
            version = order.version
        result: dict = {"saved": sorted(changes)}
        if action == "close":
            service.close(session, order, version=version, by=user.login, at=now,
                          resolution=str(data.get("resolution") or ""),
                          answers=answers_of(data), reason=str(data.get("reason") or ""))
        elif action == "forward":
            target = service.forward(session, order, version=version, by=user.login, at=now,
                                     answers=answers_of(data),
                                     role=str(data.get("role") or "") or None,
                                     reason=str(data.get("reason") or ""))
            result["forwarded_to"] = f"{target.name}（{target.role.label_zh}）"
        elif action != "save":
            raise OrderError("action must be save, close or forward")
        session.flush()
        result["order"] = order_json(order)
    except NotYours as exc:
        session.rollback()
        return _json_error(str(exc), 403)
    except DomainError as exc:
        session.rollback()  # nothing of a refused save is kept
        return _json_error(str(exc), 409 if isinstance(exc, StaleOrder) else 400)
    return JSONResponse(result)


routes = [
    Route("/panel", panel, methods=["GET"]),
    Route("/panel/events", events, methods=["GET"]),
    Route("/panel/pop/{uid}", pop, methods=["GET"]),
    Route("/panel/state", state, methods=["POST"]),
    Route("/panel/orders/{number}/guidance", order_guidance, methods=["POST"]),
    Route("/panel/orders/{number}/judge", judge, methods=["POST"]),
    Route("/panel/orders/{number}/judge/transferred", judge_transferred, methods=["POST"]),
    Route("/panel/orders/{number}", order_save, methods=["POST"]),
    Route("/panel/callbacks", callback_list, methods=["GET"]),
    Route("/panel/callbacks/{task:int}", callback_done, methods=["POST"]),
    Route("/panel/dial", dial, methods=["POST"]),
]
