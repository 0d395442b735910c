"""The pages a text's link opens, for people with no login: the judge's feedback page (R7)
and the department head's list of the department's open orders (R5, R8).

* ``GET /f/{token}`` — the order and a form; ``POST`` records the feedback (it stops the
  clock and schedules the callback, R10). A used, expired or forged link says so plainly.
* ``GET /done/{number}`` — the thanks after a feedback.
* ``GET /d/{token}`` — the department's open forwarded orders with their lights.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from hotline.web.links import LinkError
from hotline.web.views import Web, message, page, public
from workorder.models import Department, WorkOrder
from workorder.orders import OrderError
from workorder.text import FEEDBACK_MAX
from workorder.types import OrderStatus, OrderType

__all__ = ["routes"]
FORGED = "链接无效，请核对短信中的链接。"


def _order_of_link(web: Web, token: str, session) -> WorkOrder | HTMLResponse:
    try:
        order_id = web.platform.links.order_id(token)
    except LinkError as exc:
        if exc.expired:
            return message("链接已过期。如需反馈，请联系12368诉讼服务热线。", 410)
        return message(FORGED, 403)
    order = session.get(WorkOrder, order_id)
    if order is None:
        return message(FORGED, 403)
    if order.feedback_at is not None or order.status == OrderStatus.CLOSED:
        when = (order.feedback_at or order.closed_at or web.clock()).astimezone(web.tz)
        return message(f"工单 {order.number} 已于 {when:%Y-%m-%d %H:%M} 反馈，此链接已失效。"
                       "如需补充，请联系12368诉讼服务热线。", 410)
    return order


def _form(web: Web, order: WorkOrder, status: int = 200, **extra: object) -> HTMLResponse:
    due = order.feedback_due_at
    # Deadlines end at 24:00 (stored as 00:00 of the next day): name the last day.
    last = (due - timedelta(microseconds=1)).astimezone(web.tz) if due else None
    weekday = "一二三四五六日"[last.weekday()] if last else ""
    return page("feedback.html", status, order=order,
                type_label=OrderType(order.order_type).label_zh,
                due=f"{last:%Y-%m-%d}（周{weekday}）24:00 前" if last else "",
                overdue=bool(due and web.clock() >= due), feedback_max=FEEDBACK_MAX, **extra)


@public()
def feedback_page(web: Web, request: Request, session) -> Response:
    found = _order_of_link(web, request.path_params["token"], session)
    return found if isinstance(found, HTMLResponse) else _form(web, found)


@public(reads="form")  # the body is bounded before it is parsed (views.MAX_BODY)
def feedback_submit(web: Web, request: Request, session, data) -> Response:
    """The judge's result (R7). The domain checks it (at most FEEDBACK_MAX characters, no
    control characters); a refusal shows the form again with the judge's words in it."""
    result = str(data.get("result", "")).strip()
    by = str(data.get("by", "")).strip()
    found = _order_of_link(web, request.path_params["token"], session)
    if isinstance(found, HTMLResponse):
        return found
    if not result or not by:
        return _form(web, found, 400, result=result, by=by, error="请填写办理结果和反馈人。")
    try:
        web.service.feedback(session, found, by=by, at=web.clock(), text=result)
    except OrderError as exc:
        return _form(web, found, 400, result=result, by=by, error=str(exc))
    return RedirectResponse(f"/done/{found.number}", status_code=303)


@public()
def done(web: Web, request: Request, session) -> Response:
    return message(f"工单 {request.path_params['number']} 的反馈已收到，谢谢。"
                   "12368 将回访来电人。", 200)


@public()
def department_page(web: Web, request: Request, session) -> Response:
    """The department head's open orders (R5, R8): lights and deadlines."""
    try:
        dept_id = web.platform.links.department_id(request.path_params["token"])
    except LinkError as exc:
        if exc.expired:
            return message("链接已过期。请使用最新短信中的链接。", 410)
        return message(FORGED, 403)
    now = web.clock()
    dept = session.get(Department, dept_id)
    if dept is None:
        return message(FORGED, 403)
    orders = session.scalars(
        select(WorkOrder).where(WorkOrder.department_id == dept_id,
                                WorkOrder.status.in_([OrderStatus.TO_DISPATCH.value,
                                                      OrderStatus.DISPATCHED.value]))
        .order_by(WorkOrder.feedback_due_at)).all()
    rows = []
    for o in orders:
        due = o.feedback_due_at or o.dispatch_due_at
        last = (due - timedelta(microseconds=1)).astimezone(web.tz) if due else None
        rows.append({"number": o.number, "type": OrderType(o.order_type).label_zh,
                     "assignee": o.assignee_name or "",
                     "due": f"{last:%m-%d} 24:00 前" if last else "",
                     "light": web.service.light(o, now) or "green"})
    return page("department.html", department=dept.name, court=dept.court, rows=rows)


routes = [
    Route("/d/{token}", department_page, methods=["GET"]),
    Route("/f/{token}", feedback_page, methods=["GET"]),
    Route("/f/{token}", feedback_submit, methods=["POST"]),
    Route("/done/{number}", done, methods=["GET"]),
]
