"""The operators' messages page (R6): the after-hours messages waiting to be heard.

* ``GET /messages`` — the court's messages whose order is 待听留言 (``message_pending``):
  those the speech batch has done (:func:`recordings.pipeline.queue`) and those it has not
  reached yet (:func:`recordings.pipeline.unprocessed`), urgent first, then the oldest;
  each with its player, what the batch found (transcript, suggested type, case number,
  flags) and the form that confirms it.
* ``GET /messages/{id}/audio`` — a message's file, served and audited as the review's
  audio is (hotline/web/review.py): one row per playback or download, none for HEAD.
  Only messages: a seat call's recording is the supervisors' (R4.7/R4.8 review).
* ``POST /messages/{number}/confirm`` — the operator has listened: the type, case number,
  content and caller's name as heard (``Service.confirm_message``); the order is then
  处理中 and handled like any other (answered, closed or forwarded). The form names the
  version it was made on: an order changed since is refused and nothing is saved; what
  the operator typed is shown again, not lost.

Operators and supervisors only (the panel's roles); anyone else gets a 403 that is in the
audit log. Everything shown from the database is text (Jinja escapes it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hotline.web import review as review_page
from hotline.web.auth import check_csrf
from hotline.web.models import User
from hotline.web.panel import SEATED
from hotline.web.staff import local, render, say
from hotline.web.views import Web, staff
from recordings import catalog, pipeline, review
from recordings.models import Flag, Recording
from workorder import casenumber
from workorder.models import OrderHistory, WorkOrder
from workorder.orders import OrderError, OrderNotFound, StaleOrder
from workorder.text import CONTENT_MAX, NAME_MAX
from workorder.types import OrderStatus, OrderType, UnknownType

__all__ = ["routes"]

# What recordings/pipeline.py (fill_message_order) writes into the order's content
TRANSCRIBED_MARK = "【留言转写，待核听】"
UNHEARD = "【留言未能转写，请听录音】"
STATE_ZH = {"pending": "待转写", "transcribed": "已转写，待核听",
            "unheard": "未能转写，请听录音", "unusable": "录音无法使用，请回拨来电人"}
HISTORY_ZH = {"edited": "修改", "message_confirmed": "确认留言", "message_transcribed": "转写留言",
              "registered": "登记", "closed": "办结", "forwarded": "转办"}

refused = review_page.refusal("留言页面只供座席员和班长使用。"
                              "留言录音含当事人个人信息，本次访问已记入审计日志。")
not_a_message = review_page.refusal("这不是本院的留言录音：座席员在这里只能收听留言。"
                                    "通话录音只有班长可以收听，本次访问已记入审计日志。")


class FormError(OrderError):
    """What the operator typed cannot be saved; the message (Chinese) says why."""


@dataclass
class Row:
    """One message waiting for an operator."""

    order: WorkOrder
    rec: Recording
    flags: list[Flag] = field(default_factory=list)
    note: str = ""  # what the batch found (suggested type's reason, case number, earlier)
    gone: str = ""  # why the file cannot be played

    @property
    def state(self) -> str:
        if self.rec.processed_at is None:
            return "pending"
        if self.rec.status in ("unreadable", "missing", "deleted"):
            return "unusable"
        return "transcribed" if self.rec.transcript_text else "unheard"

    @property
    def urgent(self) -> bool:
        return self.order.urgent or any(f.kind == "urgent" for f in self.flags)

    @property
    def left_at(self):
        return self.rec.started_at or self.rec.created_at

    @property
    def labels(self) -> list[tuple[str, str]]:
        """(kind, Chinese label) of the flags on the message and on its order."""
        out = [(f.kind, f"{review.KIND_ZH.get(f.kind, f.kind)}：{f.label or f.category}")
               for f in self.flags]
        kinds = {f.kind for f in self.flags}
        for kind, on in (("urgent", self.order.urgent), ("abusive", self.order.abusive)):
            if on and kind not in kinds:
                out.append((kind, review.KIND_ZH[kind]))
        return out

    @property
    def content(self) -> str:
        """The order's content, unless it only repeats the transcript shown above it."""
        content = self.order.content or ""
        return "" if content == TRANSCRIBED_MARK + (self.rec.transcript_text or "") else content

    def draft(self) -> dict:
        """The form as the page first shows it: the order as the batch left it, without
        the batch's marks (the operator confirms the words, not the mark)."""
        content = self.order.content or ""
        if content == UNHEARD:
            content = ""
        elif content.startswith(TRANSCRIBED_MARK):
            content = content[len(TRANSCRIBED_MARK):]
        return {"order_type": str(self.order.order_type), "content": content,
                "case_number": self.order.case_number or "",
                "caller_name": self.order.caller_name or ""}


def waiting(web: Web, session: Session) -> list[Row]:
    """The court's messages to hear, urgent first, then the oldest (R6)."""
    court = web.settings.court_name
    pairs = pipeline.queue(session, court) + pipeline.unprocessed(session, court)
    rec_ids = [r.id for _o, r in pairs]
    flags: dict[int, list[Flag]] = {}
    for f in session.scalars(select(Flag).where(Flag.recording_id.in_(rec_ids))
                             .order_by(Flag.id)):
        flags.setdefault(f.recording_id, []).append(f)
    notes = dict(session.execute(
        select(OrderHistory.order_id, OrderHistory.reason)
        .where(OrderHistory.order_id.in_([o.id for o, _r in pairs]),
               OrderHistory.action == "message_transcribed")
        .order_by(OrderHistory.id)).all())  # the last one of an order wins
    rows = [Row(o, r, flags.get(r.id, []), notes.get(o.id, ""), review_page.gone(web, r))
            for o, r in pairs]
    return sorted(rows, key=lambda row: (not row.urgent, row.left_at, row.order.id))


def show(web: Web, request: Request, session: Session, user: User, status: int = 200,
         flash: dict | None = None, typed: dict | None = None) -> Response:
    """The page; ``typed`` is a refused form's values, shown again in its row."""
    return render(web, request, user, "messages.html", status, rows=waiting(web, session),
                  flash=flash, typed=typed or {}, state_zh=STATE_ZH,
                  types=[(str(t.value), t.label_zh) for t in OrderType],
                  type_zh=lambda v: OrderType(v).label_zh, clock=review.clock,
                  content_max=CONTENT_MAX, name_max=NAME_MAX)


@staff(SEATED, refused)
def messages(web: Web, request: Request, session: Session, user: User) -> Response:
    return show(web, request, session, user, flash=request.session.pop("flash", None))


@staff(SEATED, refused)
def audio(web: Web, request: Request, session: Session, user: User) -> Response:
    rid = request.path_params["id"]
    rec = session.get(Recording, rid)
    if rec is None:
        return say(web, request, user, f"没有编号为 {rid} 的留言录音。", 404)
    order = catalog.order_of(session, rec)
    if rec.kind != "message" or (order is not None
                                 and order.court != web.settings.court_name):
        if user.role != "supervisor":
            return not_a_message(web, request, session, user)
        return say(web, request, user, f"录音 {rid} 不是本院的留言录音。"
                   "通话录音请在“标记录音”中收听。", 404)
    return review_page.send_audio(web, request, session, user, rec)


def form_values(data: FormData) -> dict:
    return {key: str(data.get(key) or "").strip()
            for key in ("order_type", "content", "case_number", "caller_name")}


def checked(web: Web, session: Session, order: WorkOrder, typed: dict) -> dict:
    """The fields for ``confirm_message``, each checked with a Chinese answer."""
    try:
        order_type = int(OrderType.from_key(typed["order_type"]))
    except UnknownType:
        raise FormError("请选择工单类型（1–6）。") from None
    if not typed["content"]:
        raise FormError("请填写留言内容：听录音后记下来电人所述的事项（R2）。")
    if len(typed["content"]) > CONTENT_MAX:
        raise FormError(f"留言内容最多 {CONTENT_MAX} 字（现有 {len(typed['content'])} 字）。")
    if len(typed["caller_name"]) > NAME_MAX:
        raise FormError(f"来电人姓名最多 {NAME_MAX} 个字。")
    example = "请填写完整案号，如（2024）京0105民初1234号，或“年份*序号”如 2026*1234。"
    try:
        web.service.parse_case(session, order.court, typed["case_number"])
    except casenumber.CaseNumberError:
        raise FormError(f"案号“{typed['case_number']}”格式不对：{example}") from None
    except OrderError:  # a keyed number the case directory has none or several of
        raise FormError(f"案号“{typed['case_number']}”在案件目录中找不到或对应多个案件："
                        f"{example}") from None
    return {"order_type": order_type, "content": typed["content"],
            "case_number": typed["case_number"], "caller_name": typed["caller_name"]}


def last_change(web: Web, session: Session, number: str) -> str:
    """Who changed the order last, and when (court time), in a few words."""
    h = session.scalar(select(OrderHistory).join(WorkOrder, WorkOrder.id == OrderHistory.order_id)
                       .where(WorkOrder.court == web.settings.court_name,
                              WorkOrder.number == number)
                       .order_by(OrderHistory.id.desc()).limit(1))
    if h is None:
        return ""
    return f"{h.actor} 于 {local(h.at, web.tz)}（{HISTORY_ZH.get(h.action, h.action)}）"


def kept(typed: dict) -> list[str]:
    """What the operator typed, to copy back in after a refusal."""
    names = {"order_type": "类型", "case_number": "案号", "caller_name": "来电人",
             "content": "内容"}
    out = []
    for key, name in names.items():
        value = typed.get(key, "")
        if key == "order_type" and value.isdigit() and 1 <= int(value) <= 6:
            value = OrderType(int(value)).label_zh
        if value:
            out.append(f"{name}：{value}")
    return out


@staff(SEATED, refused, reads="form")
def confirm(web: Web, request: Request, session: Session, user: User,
            data: FormData) -> Response:
    if not check_csrf(request, data):
        return say(web, request, user, "页面已过期或来源不明，留言未确认。请刷新页面后重试。", 403)
    number, user_id = request.path_params["number"], user.id
    typed = form_values(data)

    def refuse(status: int, title: str | Callable[[Session], str], lines: list[str],
               again: dict | None) -> Response:
        """Nothing of a refused confirmation is kept; the page is read afresh, with the
        operator's words in the form (``again``) or in the notice."""
        session.rollback()

        def page(fresh: Session) -> Response:
            said = title(fresh) if callable(title) else title
            return show(web, request, fresh, fresh.get(User, user_id), status,
                        {"kind": "error", "title": said, "lines": lines, "order": number},
                        {number: again} if again else None)

        return web.in_unit(page)

    try:
        order = web.service.find(session, web.settings.court_name, number)
    except OrderNotFound:
        return refuse(404, f"本院没有编号为 {number} 的工单，留言未确认。", [], None)
    if order.status != OrderStatus.MESSAGE_PENDING:
        state = OrderStatus(order.status).label_zh
        return refuse(409, lambda s: f"工单 {number} 已不是待听留言（现为“{state}”），"
                      f"无需再次确认；最后操作：{last_change(web, s, number)}。",
                      ["您填写的内容未保存：", *kept(typed)], None)
    version = str(data.get("version") or "")
    if not version.isdigit():
        return refuse(400, "表单缺少工单版本号，留言未确认。请刷新页面后重试。", [], typed)
    try:
        fields = checked(web, session, order, typed)
        web.service.confirm_message(session, order, version=int(version), by=user.login,
                                    at=web.clock(), **fields)
        session.flush()
    except StaleOrder:
        return refuse(409, lambda s: f"工单 {number} 在您打开页面后已被修改（"
                      f"{last_change(web, s, number)}），本次未保存任何内容。"
                      "下面是工单现在的内容，请核对后重新确认。",
                      ["您填写的内容（未保存）：", *kept(typed)], None)
    except FormError as exc:
        return refuse(400, f"{exc}留言未确认，您填写的内容仍在表单中。", [], typed)
    except OrderError as exc:
        return refuse(400, f"留言未确认：{exc}", [], typed)
    phone = order.callback_phone or order.caller_phone or "（号码未知）"
    request.session["flash"] = {
        "kind": "ok", "order": number,
        "title": f"工单 {number} 已确认（{OrderType(order.order_type).label_zh}），"
                 "状态转为“处理中”。",
        "lines": [f"请回拨来电人 {phone} 答复；能当场答复的办结，需要转办的按 R4 转办。"]}
    return RedirectResponse("/messages", 303)


routes = [
    Route("/messages", messages, methods=["GET"]),
    Route("/messages/{id:id}/audio", audio, methods=["GET"]),
    Route("/messages/{number}/confirm", confirm, methods=["POST"]),
]
