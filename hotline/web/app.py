"""The web application: the judge's feedback page (R7), Twilio's status callback (R5),
and the staff's pages behind a login (the supervisor's review of flagged recordings,
R4.7/R4.8).

* ``GET /f/{token}`` — the order and a form; ``POST`` records the feedback (stops the
  clock, schedules the callback, R10). A used, expired or forged link says so plainly.
* ``POST /twilio/status`` — delivery receipts; believed only with Twilio's signature.
* ``/login``, ``/logout``, ``/`` — users and sessions (hotline/web/auth.py).
* ``/review…``, ``/recordings/{id}/audio`` — supervisors only (hotline/web/review.py).
* ``/panel…`` — the seat operator's softphone, screen pop and order form
  (hotline/web/panel.py); ``/console…`` — the supervisor's wall board, overdue work,
  listen/whisper/barge and the monthly ledger (hotline/web/console.py). Both are live
  through one AMI connection per process (hotline/web/live.py), opened at start-up.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hotline.platform import Platform
from hotline.sms.twilio import signature_ok
from hotline.web import auth, console, panel, review
from hotline.web.links import LinkError
from hotline.web.live import LiveLine
from workorder.history import record_history
from workorder.models import Department, WorkOrder
from workorder.notices import Notice
from workorder.orders import OrderError
from workorder.types import OrderStatus, OrderType

_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                         autoescape=select_autoescape())
DELIVERY = {"delivered": "delivered", "failed": "failed", "undelivered": "undelivered",
            "sent": "sent"}


def _page(name: str, status: int = 200, **values: object) -> HTMLResponse:
    return HTMLResponse(_TEMPLATES.get_template(name).render(**values), status_code=status)


def _message(text: str, status: int) -> HTMLResponse:
    return _page("message.html", status, message=text)


def create_app(platform: Platform, clock: Callable[[], datetime] | None = None) -> Starlette:
    """The pages on ``platform``; ``clock`` (default: the platform's) is what they take as
    now."""
    settings, service, sessions = platform.settings, platform.service, platform.uow
    signer = platform.links
    clock = clock or platform.clock
    tz = service.calendar.tz
    live = LiveLine(settings, panel.PopLoader(sessions, service))

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        await live.start()
        try:
            yield
        finally:
            await live.stop()

    async def jssip(_request: Request) -> Response:
        path = settings.jssip_path
        if not path.is_file():
            return PlainTextResponse(f"JsSIP is not installed at {path}; run `make setup` "
                                     "(scripts/install-jssip.sh)", status_code=404)
        return FileResponse(path, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=3600"})

    def load(token: str, session) -> WorkOrder | HTMLResponse:
        try:
            order_id = signer.order_id(token)
        except LinkError as exc:
            if exc.expired:
                return _message("链接已过期。如需反馈，请联系12368诉讼服务热线。", 410)
            return _message("链接无效，请核对短信中的链接。", 403)
        order = session.get(WorkOrder, order_id)
        if order is None:
            return _message("链接无效，请核对短信中的链接。", 403)
        if order.feedback_at is not None or order.status == OrderStatus.CLOSED:
            when = (order.feedback_at or order.closed_at or clock()).astimezone(tz)
            return _message(f"工单 {order.number} 已于 {when:%Y-%m-%d %H:%M} 反馈，此链接已失效。"
                            "如需补充，请联系12368诉讼服务热线。", 410)
        return order

    def form(order: WorkOrder, status: int = 200, **extra: object) -> HTMLResponse:
        due = order.feedback_due_at
        # Deadlines end at 24:00 (stored as 00:00 of the next day): name the last day.
        last = (due - timedelta(microseconds=1)).astimezone(tz) if due else None
        weekday = "一二三四五六日"[last.weekday()] if last else ""
        return _page("feedback.html", status, order=order,
                     type_label=OrderType(order.order_type).label_zh,
                     due=f"{last:%Y-%m-%d}（周{weekday}）24:00 前" if last else "",
                     overdue=bool(due and clock() >= due), **extra)

    async def feedback_page(request: Request) -> Response:
        with sessions() as session:
            found = load(request.path_params["token"], session)
            return found if isinstance(found, HTMLResponse) else form(found)

    async def feedback_submit(request: Request) -> Response:
        data = await request.form()
        result = str(data.get("result", "")).strip()
        by = str(data.get("by", "")).strip()
        with sessions.begin() as session:
            found = load(request.path_params["token"], session)
            if isinstance(found, HTMLResponse):
                return found
            if not result or not by:
                return form(found, 400, result=result, by=by,
                            error="请填写办理结果和反馈人。")
            try:
                service.feedback(session, found, by=by, at=clock(), text=result)
            except OrderError as exc:
                return form(found, 400, result=result, by=by, error=str(exc))
            number = found.number
        return RedirectResponse(f"/done/{number}", status_code=303)

    async def done(request: Request) -> Response:
        return _message(f"工单 {request.path_params['number']} 的反馈已收到，谢谢。"
                        "12368 将回访来电人。", 200)

    async def twilio_status(request: Request) -> Response:
        params = {k: str(v) for k, v in (await request.form()).items()}
        url = f"{settings.public_url.rstrip('/')}{request.url.path}"
        if request.url.query:
            url += f"?{request.url.query}"
        if not signature_ok(settings.twilio_auth_token, url, params,
                            request.headers.get("X-Twilio-Signature", "")):
            return PlainTextResponse("bad signature", status_code=403)
        state = DELIVERY.get(params.get("MessageStatus", ""))
        sid = params.get("MessageSid", "")
        if state is None or not sid:
            return Response(status_code=204)
        with sessions.begin() as session:
            notice = session.scalar(select(Notice).where(Notice.provider_id == sid))
            if notice is not None and notice.status != "delivered":
                notice.status = state
                now = clock()
                if state == "delivered":
                    notice.delivered_at = now
                elif state in ("failed", "undelivered"):
                    notice.flagged_at = notice.flagged_at or now
                    notice.last_error = f"{state} (error {params.get('ErrorCode', '?')})"
                    if notice.order_id:
                        record_history(session, notice.order_id, now, "sms", "sms_failed",
                                       reason=f"SMS to {notice.to_name} {state}; phone them (R5)")
        return Response(status_code=204)

    async def department_page(request: Request) -> Response:
        """The department head's open orders (R5, R8): lights and deadlines."""
        try:
            dept_id = signer.department_id(request.path_params["token"])
        except LinkError as exc:
            if exc.expired:
                return _message("链接已过期。请使用最新短信中的链接。", 410)
            return _message("链接无效，请核对短信中的链接。", 403)
        now = clock()
        with sessions() as session:
            dept = session.get(Department, dept_id)
            if dept is None:
                return _message("链接无效，请核对短信中的链接。", 403)
            orders = session.scalars(
                select(WorkOrder).where(WorkOrder.department_id == dept_id,
                                        WorkOrder.status.in_([OrderStatus.TO_DISPATCH.value,
                                                              OrderStatus.DISPATCHED.value]))
                .order_by(WorkOrder.feedback_due_at)).all()
            rows = []
            for o in orders:
                due = o.feedback_due_at or o.dispatch_due_at
                last = (due - timedelta(microseconds=1)).astimezone(tz) if due else None
                rows.append({"number": o.number, "type": OrderType(o.order_type).label_zh,
                             "assignee": o.assignee_name or "",
                             "due": f"{last:%m-%d} 24:00 前" if last else "",
                             "light": service.light(o, now) or "green"})
            return _page("department.html", department=dept.name, court=dept.court,
                         rows=rows)

    app = Starlette(routes=[
        Route("/d/{token}", department_page, methods=["GET"]),
        Route("/f/{token}", feedback_page, methods=["GET"]),
        Route("/f/{token}", feedback_submit, methods=["POST"]),
        Route("/done/{number}", done, methods=["GET"]),
        Route("/twilio/status", twilio_status, methods=["POST"]),
        *auth.routes(sessions, clock, _page),
        *review.routes(settings, sessions, clock, _page),
        *panel.routes(settings, sessions, clock, _page, service, live, settings.ws_url),
        *console.routes(settings, sessions, clock, _page, service, live, settings.ws_url),
        Route("/static/vendor/jssip.min.js", jssip, methods=["GET"]),
        Mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static"),
    ], middleware=[auth.middleware(settings)], lifespan=lifespan)
    app.state.live = live
    return app
