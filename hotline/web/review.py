"""The supervisor's pages for flagged recordings (R4.7 abusive, R4.8 urgent/extreme).

* ``GET /review`` — the flagged recordings, open first, urgent before abusive.
* ``GET /review/{id}`` — the player, the transcript with the flagged words marked (a click
  on a word plays from there), the flags, and the actions: reviewed; written up for court
  leadership (R4.7); reported at once (R4.8). ``POST /review/{id}/reviewed|write-up|
  escalate`` do them and the page then says who was texted, or why not.
* ``GET /recordings/{id}/audio`` — the file, with HTTP Range (players seek with it);
  ``?download=1`` as an attachment. A file gone from the store is a plain 410.
* ``GET /review/audit`` — the audit log.

Only supervisors see these pages: anyone else logged in gets a 403 that is itself in the
audit log; visitors not logged in are sent to the login page. Recordings hold parties'
personal data: every page view, play, download and action is audited.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from hotline.web.auth import check_csrf, remote
from hotline.web.models import User
from hotline.web.staff import BadRequest, local, query_id, render, say
from hotline.web.views import Refusal, Web, staff
from recordings import review
from recordings.models import Recording
from workorder.types import OrderType

log = logging.getLogger(__name__)
# One audit row per playback, not per request. A browser's player fetches a recording in
# several Range requests: the first (bytes=0-), more as it buffers, and one for every seek
# (a click on a flagged word). Nothing in a request says "this is a new playback" — a
# replay also starts at bytes=0-, a seek can start anywhere — so requests are collapsed in
# time instead: a play (or download) of a recording by the same person within this window
# of the last audited one is the same act of listening and writes no new row; after it, a
# new row. The first row keeps the range that started it.
PLAY_WINDOW = timedelta(minutes=10)
ACTION_ZH = {"view": "查看", "play": "收听", "download": "下载", "refused": "拒绝访问",
             "review": "复核", "report": "书面报告（R4.7）", "escalate": "紧急报告（R4.8）",
             "login": "登录", "login_failed": "登录失败", "logout": "退出",
             "deleted": "删除文件"}
__all__ = ["PLAY_WINDOW", "gone", "refusal", "routes", "send_audio", "transcript_tokens"]

DETAIL_ZH = {"range": "范围", "note": "意见", "rule": "依据", "order": "工单", "to": "报告对象",
             "flags": "标记", "path": "地址", "role": "角色", "reason": "原因"}
AUDIT_PAGE = 200


def describe(detail: dict) -> str:
    """An audit row's details on one line."""
    parts = []
    for key, value in (detail or {}).items():
        if value in ("", None, [], {}):
            continue
        shown = "；".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{DETAIL_ZH.get(key, key)}：{shown}")
    return "　".join(parts)


def transcript_tokens(rec: Recording) -> list[dict]:
    """The words to show: each with its times, whether a flag matched it, and whether a
    space follows (none between Chinese characters, as they are read)."""
    ws = review.words(rec)
    return [{"word": w.word, "start": w.start, "end": w.end, "hit": w.hit,
             "clock": review.clock(w.start), "space": space}
            for w, space in zip(ws, review.spaced(ws), strict=True)]


def refusal(text: str) -> Refusal:
    """A 403 that says ``text`` and is itself in the audit log, naming the recording in the
    path (``{id}``) when there is one."""

    def refused(web: Web, request: Request, session: Session, user: User) -> Response:
        rid = request.path_params.get("id")
        known = rid is not None and session.get(Recording, rid) is not None
        review.audit(session, user.login, "refused", rid if known else None, remote(request),
                     at=web.clock(), path=request.url.path, role=user.role)
        return say(web, request, user, text, 403)

    return refused


refused = refusal("只有班长可以查看和收听被标记的录音。"
                  "录音含当事人个人信息，本次访问已记入审计日志。")


def on_recording(reads: str | None = None) -> Callable:
    """A supervisor's page about the recording in the path; 404 if there is none."""

    def wrap(view: Callable) -> Callable:
        @staff("supervisor", refused, reads=reads)
        @functools.wraps(view)
        def endpoint(web: Web, request: Request, session: Session, user: User,
                     *data) -> Response:
            rec = session.get(Recording, request.path_params["id"])
            if rec is None:
                return say(web, request, user,
                           f"没有编号为 {request.path_params['id']} 的录音。", 404)
            return view(web, request, session, user, rec, *data)

        return endpoint

    return wrap


def gone(web: Web, rec: Recording) -> str:
    """Why the file cannot be played, or "" if it can."""
    if rec.status == "deleted":
        when = f"（{local(rec.deleted_at, web.tz)}）" if rec.deleted_at else ""
        return f"录音文件已按保存期限删除{when}，无法收听。"
    if rec.status == "missing":
        when = f"（{local(rec.missing_at, web.tz)} 发现）" if rec.missing_at else ""
        return f"录音文件已从录音库中丢失{when}，无法收听。"
    root = web.settings.recordings_dir
    path = (root / rec.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return "录音文件不在录音库中，无法收听。"
    return ""


# ---- pages ------------------------------------------------------------------------------------
@staff("supervisor", refused)
def review_list(web: Web, request: Request, session: Session, user: User) -> Response:
    show = "all" if request.query_params.get("status") == "all" else "open"
    items = review.flagged(session, show)
    return render(web, request, user, "review_list.html", items=items, show=show,
                  kind_zh=review.KIND_ZH, outcome_zh=review.OUTCOME_ZH, clock=review.clock)


@on_recording()
def review_detail(web: Web, request: Request, session: Session, user: User,
                  rec: Recording) -> Response:
    review.audit_access(session, user.login, "view", rec.id, remote(request), web.clock(),
                        PLAY_WINDOW)
    order = review.order_of(session, rec)
    item = review.Item(rec, order)
    return render(web, request, user, "review_detail.html", rec=rec, item=item, order=order,
                  order_type=OrderType(order.order_type).label_zh if order else "",
                  tokens=transcript_tokens(rec), gone=gone(web, rec),
                  flash=request.session.pop("flash", None), kind_zh=review.KIND_ZH,
                  outcome_zh=review.OUTCOME_ZH, clock=review.clock)


def action(name: str, audit_as: str, run: Callable) -> Callable:
    """A POST on a recording: CSRF checked, the domain function, an audit row, and the
    outcome kept for the page it redirects to."""

    @staff("supervisor", refused, reads="form")
    def endpoint(web: Web, request: Request, session: Session, user: User, data) -> Response:
        if not check_csrf(request, data):
            return say(web, request, user, "页面已过期或来源不明，操作未执行。请刷新页面后重试。",
                       403)
        rid = request.path_params["id"]
        note = str(data.get("note") or "").strip()[:2000]
        now = web.clock()
        try:
            flash = run(web, session, rid, user, now, note, data)
        except review.ReviewError as exc:
            flash = {"kind": "error", "title": str(exc), "lines": []}
        else:
            review.audit(session, user.login, audit_as, rid, remote(request), at=now,
                         note=note, **flash.pop("detail", {}))
        # R4.7/R4.8 reports are due at once: the unit of work hands them to the job engine
        # as soon as this is committed
        flash.pop("texts", None)
        request.session["flash"] = flash
        return RedirectResponse(f"/review/{rid}", 303)

    endpoint.__name__ = name
    return endpoint


def do_reviewed(web, session, rid, user, now, note, _data) -> dict:
    closed = review.mark_reviewed(session, rid, user.login, now, note)
    return {"kind": "ok", "title": f"已标记为已复核（{len(closed)} 个标记）。", "lines": [],
            "detail": {"flags": [f.id for f in closed]}}


def reported(report: review.Report) -> dict:
    failures = report.failures
    title = (f"工单 {report.order_number} 的{'书面报告' if report.rule == 'R4.7' else '紧急报告'}"
             f"（{report.rule}）已保存，录音已设为长期保存。")
    return {"kind": "warn" if failures or not report.recipients else "ok", "title": title,
            "lines": [r.says for r in report.recipients] or ["没有需要发短信的人。"],
            "failures": len(failures), "texts": report.notice_ids,
            "detail": {"rule": report.rule, "order": report.order_number,
                       "to": [r.says for r in report.recipients]}}


def do_write_up(web, session, rid, user, now, note, _data) -> dict:
    return reported(review.write_up(session, rid, user.login, now, web.tz, note))


def do_escalate(web, session, rid, user, now, note, data) -> dict:
    return reported(review.escalate(session, rid, user.login, now, web.tz,
                                    leadership=data.get("leadership") == "1", note=note))


@on_recording()
def audio(web: Web, request: Request, session: Session, user: User,
          rec: Recording) -> Response:
    return send_audio(web, request, session, user, rec)


def send_audio(web: Web, request: Request, session: Session, user: User,
               rec: Recording) -> Response:
    """The file of ``rec`` to someone allowed to hear it (410 if it is gone), with HTTP
    Range; ``?download=1`` as an attachment. Each playback or download is one audit row
    (:data:`PLAY_WINDOW`); a HEAD request is not audited."""
    why = gone(web, rec)
    if why:
        return say(web, request, user, why, 410)
    download = request.query_params.get("download") == "1"
    if request.method == "GET":  # HEAD only asks what there is
        review.audit_access(session, user.login, "download" if download else "play",
                            rec.id, remote(request), web.clock(), PLAY_WINDOW,
                            range=request.headers.get("range", "")[:100])
    path = web.settings.recordings_dir / rec.path
    media = mimetypes.guess_type(path.name)[0] or "audio/wav"
    headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    if download:
        return FileResponse(path, media_type=media, headers=headers,
                            filename=f"recording-{rec.id}{path.suffix}")
    return FileResponse(path, media_type=media, headers=headers)


@staff("supervisor", refused)
def audit_log(web: Web, request: Request, session: Session, user: User) -> Response:
    try:
        recording, before = query_id(request, "recording"), query_id(request, "before")
    except BadRequest as exc:
        return say(web, request, user, str(exc), 400)
    rows = review.audit_entries(session, recording, before, limit=AUDIT_PAGE)
    return render(web, request, user, "review_audit.html", recording=recording,
                  rows=[(e, describe(e.detail)) for e in rows], action_zh=ACTION_ZH,
                  older=rows[-1].id if len(rows) == AUDIT_PAGE else None)


routes = [
    Route("/review", review_list, methods=["GET"]),
    Route("/review/audit", audit_log, methods=["GET"]),
    Route("/review/{id:id}", review_detail, methods=["GET"]),
    Route("/review/{id:id}/reviewed", action("reviewed", "review", do_reviewed),
          methods=["POST"]),
    Route("/review/{id:id}/write-up", action("write_up", "report", do_write_up),
          methods=["POST"]),
    Route("/review/{id:id}/escalate", action("escalate", "escalate", do_escalate),
          methods=["POST"]),
    Route("/recordings/{id:id}/audio", audio, methods=["GET"]),
]
