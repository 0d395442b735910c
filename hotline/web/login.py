"""Logging in and out of the staff pages.

* ``GET /login``, ``POST /login`` — the form. Before a password is hashed the attempt
  passes the application's :class:`~hotline.web.auth.LoginGuard` (the address's budget
  of attempts, one attempt per login at a time, a few hashes at once); turned away, it is
  answered 429 with Retry-After. Argon2 runs in a worker thread, as every view does.
  Failures are audited and lock a login out for a while (hotline/web/auth.py).
* ``POST /logout`` — ends the user's sessions, this one and any other (audited).
* ``GET /`` — who is logged in, and where to go from here.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hotline.web.auth import (
    ROLE_ZH,
    LoginBusy,
    LoginGuard,
    LoginRefused,
    authenticate,
    check_csrf,
    csrf_token,
    current_user,
    device_of,
    end_sessions,
    give_device,
    login_key,
    remote,
    safe_next,
    sign_in,
)
from hotline.web.views import BodyTooLarge, Web, page, public, read_form, too_large, web_of
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


def guard_of(request: Request) -> LoginGuard:
    """The application's guard, made at its first login (on the event loop: no race)."""
    state = request.app.state
    if getattr(state, "login_guard", None) is None:
        settings = web_of(request).settings
        state.login_guard = LoginGuard(settings.login_attempts_per_minute,
                                       settings.login_hash_slots)
    return state.login_guard


def _attempt(session: Session, web: Web, request: Request, login: str, password: str,
             target: str, addr: str, device: str | None) -> tuple[Response, bool]:
    """One checked attempt, in a worker thread; the response, and whether it succeeded."""
    now = web.clock()
    try:
        user = authenticate(session, login, password, now, addr, device)
    except LoginRefused as refused:  # the failure is kept (committed) with the unit of work
        retry = {"Retry-After": str(int((refused.until - now).total_seconds()) + 1)} \
            if refused.until else None
        return _form(request, 429 if refused.until else 401, refused.message, login, retry), False
    sign_in(request, user, now)
    response = RedirectResponse(safe_next(target), 303)
    give_device(response, web.settings, user.login, device)
    return response, True


async def login_submit(request: Request) -> Response:
    web = web_of(request)
    try:
        data = await read_form(request)  # bounded, like every page's post
    except BodyTooLarge:
        return too_large("form")
    login = str(data.get("login") or "")[:100]
    if not check_csrf(request, data):
        return _form(request, 400, "页面已过期，请重新输入登录名和密码。", login)
    guard, addr = guard_of(request), remote(request)
    device = device_of(request, web.settings, login)
    try:
        if device is None:
            guard.admit(addr)
        checking = guard.checking_trusted if device else guard.checking
        async with checking(login_key(login)):
            response, ok = await web.run(_attempt, web, request, login,
                                         str(data.get("password") or ""),
                                         str(data.get("next") or ""), addr, device)
    except LoginBusy as busy:  # turned away before any hashing
        return _form(request, 429, busy.message, login, {"Retry-After": str(busy.retry_after)})
    if ok and device is None:
        guard.give_back(addr)
    return response


@public(reads="form")
def logout(web: Web, request: Request, session, data) -> Response:
    if not check_csrf(request, data):
        return page("message.html", 400, message="页面已过期，请刷新后再退出。")
    user = current_user(request, session, web.clock())
    if user is not None:
        end_sessions(user)  # the cookie, if kept, no longer opens anything
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
