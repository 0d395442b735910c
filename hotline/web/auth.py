"""Who uses the web pages: users, passwords, sessions, CSRF tokens (the login pages are in
hotline/web/login.py, the role checks in hotline/web/views.py).

* Users are operators (座席员), supervisors (班长), judges (法官) or administrators
  (管理员), kept in ``users``; the command line adds them (``hotline users``), and binds
  operators to their seat. Passwords are hashed with Argon2id (argon2-cffi); a hash
  made with weaker parameters than today's is replaced at the next login.
* A login lives in Starlette's signed session cookie (HttpOnly, SameSite=Lax, Secure when
  the public URL is https) for one working day at most. Each request re-reads the user:
  a disabled user, or one whose password was changed since, is logged out at once.
* Repeated failures lock a login out for a while (5 failures → 1 minute, doubling to 15
  minutes); the count is kept in the audit log, so it holds across restarts and
  processes, and every login and failure is on record. The form never says whether the
  login or the password was wrong, and an unknown login costs as much time as a known one.
* Every form post carries the session's CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request

from hotline.seats import Seat
from hotline.settings import Settings
from hotline.web.links import secret
from hotline.web.models import User
from recordings.models import AuditEntry
from recordings.review import audit
from workorder.errors import DomainError

__all__ = ["LoginRefused", "UserError", "add_user", "authenticate", "check_csrf",
           "check_csrf_header", "csrf_token", "current_user", "find_user", "locked_until",
           "middleware", "remote", "safe_next", "set_active", "set_password", "sign_in"]

ROLES = ("operator", "supervisor", "judge", "admin")
ROLE_ZH = {"operator": "座席员", "supervisor": "班长", "judge": "法官", "admin": "管理员"}
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # hashing a megabyte on every try would be a way to tire the server
LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
NAME_MAX = 32  # users.name
SESSION_COOKIE = "hotline_session"
SESSION_MAX_AGE = timedelta(hours=10)  # a working day with its overtime
MAX_FAILURES = 5
LOCK_FIRST = timedelta(minutes=1)  # after MAX_FAILURES, doubling with each further failure
LOCK_MAX = timedelta(minutes=15)
FAILURE_WINDOW = timedelta(hours=1)  # failures older than this are forgotten

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's (RFC 9106) default parameters
_dummy: list[str] = []


class UserError(DomainError):
    """A user cannot be added or changed as asked; the message says what to fix."""


# ---- users -----------------------------------------------------------------------------------
def normalise_login(login: str) -> str:
    """Logins are lower case ASCII: letters, digits and . _ - (1 to 40 characters)."""
    text = (login or "").strip().lower()
    if not LOGIN_RE.match(text):
        raise UserError(f"login {login!r}: use 1 to 40 letters, digits, '.', '_' or '-', "
                        "starting with a letter or digit")
    return text


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"the password must have at most {MAX_PASSWORD} characters")
    if password.strip() != password:
        raise UserError("the password must not begin or end with spaces")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_password(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_user(session: Session, login: str) -> User:
    user = session.scalar(select(User).where(User.login == normalise_login(login)))
    if user is None:
        raise UserError(f"no user {login!r} (see `hotline users list`)")
    return user


def add_user(session: Session, login: str, role: str, password: str, at: datetime,
             name: str = "") -> User:
    login = normalise_login(login)
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    name = (name or "").strip()
    if len(name) > NAME_MAX:
        raise UserError(f"the name must have at most {NAME_MAX} characters")
    if session.scalar(select(User.id).where(User.login == login)) is not None:
        raise UserError(f"login {login!r} is taken; choose another or change that user's "
                        "password with `hotline users password`")
    user = User(login=login, name=name or login, role=role, password_hash=hash_password(password),
                active=True, created_at=at)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, login: str, password: str) -> User:
    """A new password; the user's sessions end (their fingerprint no longer matches)."""
    user = find_user(session, login)
    user.password_hash = hash_password(password)
    return user


def bind_seat(session: Session, login: str, seat: str | None) -> User:
    """Bind LOGIN to a seat (its panel is then that seat's phone), or unbind with None.
    A seat belongs to one user at a time."""
    user = find_user(session, login)
    if seat is None or not seat.strip():
        user.seat = None
        return user
    name = seat.strip()
    row = session.scalar(select(Seat).where(Seat.name == name))
    if row is None:
        known = "、".join(session.scalars(select(Seat.name).order_by(Seat.name))) or "none"
        raise UserError(f"no seat {name!r}; seats: {known}")
    holder = session.scalar(select(User).where(User.seat == name, User.id != user.id))
    if holder is not None:
        raise UserError(f"seat {name} is bound to {holder.login}; unbind it first "
                        f"(`hotline users seat {holder.login} --none`)")
    if user.role not in ("operator", "supervisor"):
        raise UserError(f"{user.login} is a {user.role}; only operators and supervisors "
                        "answer calls at a seat")
    user.seat = name
    return user


def set_active(session: Session, login: str, active: bool) -> User:
    user = find_user(session, login)
    user.active = active
    return user


# ---- logging in ------------------------------------------------------------------------------
class LoginRefused(Exception):
    """The login is refused; ``message`` is what the form says, ``until`` when a locked-out
    login may try again."""

    def __init__(self, message: str, until: datetime | None = None) -> None:
        super().__init__(message)
        self.message, self.until = message, until


def locked_until(session: Session, login: str, now: datetime) -> datetime | None:
    """When ``login`` may try again, if it is locked out now. Counts the failures since its
    last success (within the hour) in the audit log."""
    rows = session.execute(
        select(AuditEntry.action, AuditEntry.at)
        .where(AuditEntry.actor == login, AuditEntry.action.in_(("login", "login_failed")),
               AuditEntry.at > now - FAILURE_WINDOW)
        .order_by(AuditEntry.id.desc()).limit(MAX_FAILURES + 8)).all()
    streak = 0
    for action, _at in rows:
        if action != "login_failed":
            break
        streak += 1
    if streak < MAX_FAILURES:
        return None
    wait = min(LOCK_MAX, LOCK_FIRST * 2 ** (streak - MAX_FAILURES))
    until = rows[0].at + wait
    return until if until > now else None


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_urlsafe(16)))
    return _dummy[0]


def authenticate(session: Session, login: str, password: str, now: datetime,
                 remote_addr: str = "") -> User:
    """The user, if the login and password are right, the login is not locked out and the
    user is active; otherwise :class:`LoginRefused`. Every attempt is in the audit log."""
    try:
        key = normalise_login(login)
    except UserError:
        key = (login or "").strip().lower()[:40] or "?"
    until = locked_until(session, key, now)
    if until is not None:
        raise LoginRefused("连续登录失败次数过多，该账号暂时锁定。请于 "
                           f"{int((until - now).total_seconds()) + 1} 秒后再试。", until)
    user = session.scalar(select(User).where(User.login == key))
    # An unknown login is checked against a dummy hash: it takes as long as a known one.
    ok = len(password) <= MAX_PASSWORD and verify_password(
        user.password_hash if user else _dummy_hash(), password)
    if not ok or user is None:
        audit(session, key, "login_failed", None, remote_addr, at=now,
              reason="unknown" if user is None else "password")
        raise LoginRefused("登录名或密码不正确。")
    if not user.active:
        audit(session, key, "login_failed", None, remote_addr, at=now, reason="disabled")
        raise LoginRefused("该账号已停用，请联系管理员。")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    audit(session, key, "login", None, remote_addr, at=now)
    return user


# ---- the session -----------------------------------------------------------------------------
def session_key(settings: Settings) -> str:
    """The session cookie's signing key: derived from the links' key for this purpose only,
    so a session cookie can never pass for a text's link, nor a link for a cookie."""
    return hmac.new(secret(settings.data_dir).encode(), b"hotline web session",
                    hashlib.sha256).hexdigest()


def middleware(settings: Settings) -> Middleware:
    return Middleware(SessionMiddleware, secret_key=session_key(settings),
                      session_cookie=SESSION_COOKIE,
                      max_age=int(SESSION_MAX_AGE.total_seconds()), same_site="lax",
                      # Secure cookies only where the pages are served over https: on the
                      # loopback default (http://127.0.0.1) a Secure cookie would never return.
                      https_only=settings.public_url.lower().startswith("https://"))


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def sign_in(request: Request, user: User, now: datetime) -> None:
    """A fresh session for ``user`` (nothing of the anonymous one survives: no fixation)."""
    request.session.clear()
    request.session.update(uid=user.id, fp=_fingerprint(user), since=now.timestamp(),
                           csrf=secrets.token_urlsafe(32))


def current_user(request: Request, session: Session, now: datetime) -> User | None:
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return None
    user = session.get(User, uid)
    since = request.session.get("since")
    if (user is None or not user.active or request.session.get("fp") != _fingerprint(user)
            or not isinstance(since, int | float)
            or now.timestamp() - since > SESSION_MAX_AGE.total_seconds()):
        return None
    return user


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, form: FormData) -> bool:
    expected = request.session.get("csrf") or ""
    given = str(form.get("csrf") or "")
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def check_csrf_header(request: Request) -> bool:
    """The JSON posts of the panel and the console carry the token in X-CSRF-Token."""
    expected = request.session.get("csrf") or ""
    given = request.headers.get("x-csrf-token", "")
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def remote(request: Request) -> str:
    return request.client.host if request.client else ""


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never another host (//evil, /\\evil, https://…)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
