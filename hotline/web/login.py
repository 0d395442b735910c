"""Logging in and out of the staff pages.

* ``GET /login``, ``POST /login`` — the form; Argon2 runs in a worker thread, as every view
  does. Failures are audited and lock a login out for a while (hotline/web/auth.py).
* ``POST /logout`` — ends the session (audited).
* ``GET /`` — who is logged in, and where to go from here.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hotline.web.auth import (
    ROLE_ZH,
    LoginRefused,
    authenticate,
    check_csrf,
    csrf_token,
    current_user,
    remote,
    safe_next,
    sign_in,
)
from hotline.web.views import Web, page, public
from recordings.review import audit

__all__ = ["routes"]


def _form(request: Request, status: int = 200, error: str = "", login: str = "",
          headers: dict | None = None) -> Response:
    response = page("login.html", status, csrf=csrf_token(request), error=error,
                    login=login, next=safe_next(request.query_params.get("next"), ""))
    response.headers.update(headers or {})
    return response


@public()
def login_page(web: Web, request: Request, session) -> Response:
    if current_user(request, session, web.clock()) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), 303)
    return _form(request)


@public(reads="form")
def login_submit(web: Web, request: Request, session, data) -> Response:
    login = str(data.get("login") or "")[:100]
    if not check_csrf(request, data):
        return _form(request, 400, "页面已过期，请重新输入登录名和密码。", login)
    now = web.clock()
    try:
        user = authenticate(session, login, str(data.get("password") or ""), now,
                            remote(request))
    except LoginRefused as refused:  # the failure is kept (committed) with the unit of work
        retry = {"Retry-After": str(int((refused.until - now).total_seconds()) + 1)} \
            if refused.until else None
        return _form(request, 429 if refused.until else 401, refused.message, login, retry)
    sign_in(request, user, now)
    return RedirectResponse(safe_next(str(data.get("next") or "")), 303)


@public(reads="form")
def logout(web: Web, request: Request, session, data) -> Response:
    if not check_csrf(request, data):
        return page("message.html", 400, message="页面已过期，请刷新后再退出。")
    user = current_user(request, session, web.clock())
    if user is not None:
        audit(session, user.login, "logout", None, remote(request), at=web.clock())
    request.session.clear()
    return RedirectResponse("/login", 303)


@public()
def home(web: Web, request: Request, session) -> Response:
    user = current_user(request, session, web.clock())
    if user is None:
        return RedirectResponse("/login", 303)
    return page("home.html", user=user, role=ROLE_ZH.get(user.role, user.role),
                csrf=csrf_token(request))


routes = [
    Route("/", home, methods=["GET"]),
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
