"""Who uses the web pages: users, passwords, sessions, CSRF tokens (the login pages are in
hotline/web/login.py, the role checks in hotline/web/views.py).

* Users are operators (座席员), supervisors (班长), judges (法官) or administrators
  (管理员), kept in ``users``; the command line adds them (``hotline users``), and binds
  operators to their seat. Passwords are hashed with Argon2id (argon2-cffi); a hash
  made with weaker parameters than today's is replaced at the next login.
* A login lives in Starlette's signed session cookie (HttpOnly, SameSite=Lax, Secure when
  the public URL is https) for one working day at most. The cookie carries the user's
  session generation (``users.session_generation``); logging out, disabling or enabling
  the user and changing the password move it on, so every cookie issued before is
  refused from then on. Each request re-reads the user.
* Repeated failures lock a login out for a while (5 failures → 1 minute, doubling to 15
  minutes); the count is kept in the audit log, so it holds across restarts and
  processes, and every login and failure is on record. The form never says whether the
  login or the password was wrong, and an unknown login costs as much time as a known one.
* Before any password is hashed (Argon2 takes 64 MiB and tens of milliseconds), a
  :class:`LoginGuard` admits the attempt: each client address has a budget of attempts
  per minute (``login_attempts_per_minute``; a success gives its attempt back), at most
  ``login_hash_slots`` hashes run at once in the process, and the attempts on one login
  are checked one after the other, so the lock-out counts every guess, however many are
  sent in parallel.
* The client's address is the socket's peer; ``X-Forwarded-For`` is believed only from a
  proxy named in ``trusted_proxies``.
* Every form post carries the session's CSRF token.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import math
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadData, URLSafeTimedSerializer
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

__all__ = ["LoginBusy", "LoginGuard", "LoginRefused", "UserError", "add_user", "authenticate",
           "check_csrf", "check_csrf_header", "client_address", "csrf_token", "current_user",
           "end_sessions", "find_user", "locked_until", "login_key", "middleware", "remote",
           "safe_next", "set_active", "set_password", "sign_in"]

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
ADDRESSES_KEPT = 10_000  # client addresses the guard remembers (the least recent go first)
TRUSTED_SLOTS = 1  # hashes at once for attempts from trusted devices, beside login_hash_slots
DEVICE_COOKIE = "hotline_device"
DEVICE_MAX_AGE = timedelta(days=90)
DEVICE_ROWS = 500  # recent attempts on a login searched for one device's failures
WAITING_MAX = 64  # attempts waiting for a hash slot, across the process; more are turned away

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
    """A new password; the user's sessions end."""
    user = find_user(session, login)
    user.password_hash = hash_password(password)
    end_sessions(user)
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
    """Disable or enable ``login``; either way the sessions opened before end (enabling a
    user again does not bring back the cookies of before)."""
    user = find_user(session, login)
    user.active = active
    end_sessions(user)
    return user


# ---- logging in ------------------------------------------------------------------------------
class LoginRefused(Exception):
    """The login is refused; ``message`` is what the form says, ``until`` when a locked-out
    login may try again."""

    def __init__(self, message: str, until: datetime | None = None) -> None:
        super().__init__(message)
        self.message, self.until = message, until


def locked_until(session: Session, login: str, now: datetime,
                 device: str | None = None) -> datetime | None:
    """When ``login`` may try again, if it is locked out now. Counts the failures since its
    last success (within the hour) in the audit log; for an attempt from a trusted
    ``device`` (a device cookie), only that device's own: failures from elsewhere — a
    password spray naming this login — do not lock its owner out of their own browser,
    and the owner's sign-in there does not end the strangers' lock-out."""
    q = (select(AuditEntry.action, AuditEntry.at, AuditEntry.detail)
         .where(AuditEntry.actor == login, AuditEntry.action.in_(("login", "login_failed")),
                AuditEntry.at > now - FAILURE_WINDOW)
         .order_by(AuditEntry.id.desc()))
    rows = session.execute(q.limit(DEVICE_ROWS)).all()
    if device is not None:
        rows = [r for r in rows if (r.detail or {}).get("device") == device]
    else:  # the owner signing in from a trusted device does not reopen the door to a spray
        rows = [r for r in rows if r.action == "login_failed" or not (r.detail or {}).get("device")]
    streak = 0
    for action, _at, _detail in rows:
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


def login_key(login: str) -> str:
    """The name an attempt is counted under: the login, or what was typed (cut short)."""
    try:
        return normalise_login(login)
    except UserError:
        return (login or "").strip().lower()[:40] or "?"


def authenticate(session: Session, login: str, password: str, now: datetime,
                 remote_addr: str = "", device: str | None = None) -> User:
    """The user, if the login and password are right, the login is not locked out and the
    user is active; otherwise :class:`LoginRefused`. Every attempt is in the audit log.
    Attempts on one login must not run in parallel (:class:`LoginGuard` sees to it), or
    several guesses would be checked before the failures that lock the login are read."""
    key = login_key(login)
    seen = {"device": device} if device else {}
    until = locked_until(session, key, now, device)
    if until is not None:
        raise LoginRefused("连续登录失败次数过多，该账号暂时锁定。请于 "
                           f"{int((until - now).total_seconds()) + 1} 秒后再试。", until)
    user = session.scalar(select(User).where(User.login == key))
    # An unknown login is checked against a dummy hash: it takes as long as a known one.
    ok = len(password) <= MAX_PASSWORD and verify_password(
        user.password_hash if user else _dummy_hash(), password)
    if not ok or user is None:
        audit(session, key, "login_failed", None, remote_addr, at=now,
              reason="unknown" if user is None else "password", **seen)
        raise LoginRefused("登录名或密码不正确。")
    if not user.active:
        audit(session, key, "login_failed", None, remote_addr, at=now, reason="disabled",
              **seen)
        raise LoginRefused("该账号已停用，请联系管理员。")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    audit(session, key, "login", None, remote_addr, at=now, **seen)
    return user


class LoginBusy(Exception):
    """An attempt turned away before hashing; ``retry_after`` is in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message, self.retry_after = message, retry_after


class LoginGuard:
    """What an attempt passes before its password is hashed, in one process.

    * :meth:`admit` — a token bucket per client address: ``per_minute`` attempts at once,
      then one more every ``60 / per_minute`` seconds; :meth:`give_back` returns a
      successful attempt's token, so colleagues behind one address do not run it down;
    * :meth:`checking` — the attempts on one login one after the other (at most
      ``MAX_FAILURES`` waiting: more could only be refused by the lock-out), and at most
      ``slots`` hashes at once in the process.

    Used on the event loop only (no thread locks needed); the asyncio primitives are
    made again for a new loop."""

    def __init__(self, per_minute: int, slots: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst, self.rate, self.slots, self.clock = per_minute, per_minute / 60, slots, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._logins: dict[str, list] = {}  # login -> [lock, attempts holding or waiting]
        self._hashing = asyncio.Semaphore(slots)
        self._waiting = 0  # attempts not yet holding a hash slot
        # attempts from a trusted device: a slot of their own, a turn per login of their own
        self._trusted: dict[str, asyncio.Lock] = {}
        self._trusted_hashing = asyncio.Semaphore(TRUSTED_SLOTS)

    def _tokens(self, addr: str, now: float) -> float:
        tokens, at = self._buckets.pop(addr, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def admit(self, addr: str) -> None:
        """Takes one of ``addr``'s attempts, or raises :class:`LoginBusy`."""
        now = self.clock()
        tokens = self._tokens(addr, now)
        if tokens < 1:
            self._buckets[addr] = (tokens, now)
            wait = math.ceil((1 - tokens) / self.rate)
            raise LoginBusy(f"来自该地址的登录尝试过多，请于 {wait} 秒后再试。", wait)
        self._buckets[addr] = (tokens - 1, now)
        while len(self._buckets) > ADDRESSES_KEPT:  # the least recently seen go first
            self._buckets.popitem(last=False)

    def give_back(self, addr: str) -> None:
        now = self.clock()
        self._buckets[addr] = (min(self.burst, self._tokens(addr, now) + 1), now)

    def _on_this_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._logins = loop, {}
            self._hashing, self._waiting = asyncio.Semaphore(self.slots), 0
            self._trusted = {}
            self._trusted_hashing = asyncio.Semaphore(TRUSTED_SLOTS)

    @contextlib.asynccontextmanager
    async def checking_trusted(self, login: str) -> AsyncIterator[None]:
        """Like :meth:`checking`, for an attempt from a device ``login`` signed in from
        before (its device cookie): it waits behind no stranger's attempt — neither the
        shared queue a spray from many addresses fills nor the spray's guesses at this
        login — only behind the other trusted attempts, one hash at a time."""
        self._on_this_loop()
        lock = self._trusted.setdefault(login, asyncio.Lock())
        try:
            async with lock, self._trusted_hashing:
                yield
        finally:
            if not lock.locked() and self._trusted.get(login) is lock:
                del self._trusted[login]

    @contextlib.asynccontextmanager
    async def checking(self, login: str) -> AsyncIterator[None]:
        """Holds ``login``'s turn and a hash slot while the attempt is checked."""
        self._on_this_loop()
        entry = self._logins.setdefault(login, [asyncio.Lock(), 0])
        if entry[1] >= MAX_FAILURES or self._waiting >= WAITING_MAX:
            if entry[1] == 0:
                del self._logins[login]
            raise LoginBusy("登录请求过多，请稍后再试。", 1)
        entry[1] += 1
        self._waiting += 1
        hashing = False
        try:
            async with entry[0], self._hashing:
                self._waiting, hashing = self._waiting - 1, True
                yield
        finally:
            if not hashing:
                self._waiting -= 1
            entry[1] -= 1
            if entry[1] == 0 and self._logins.get(login) is entry:
                del self._logins[login]


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


def end_sessions(user: User) -> None:
    """Every session ``user`` has open ends (the cookies keep the generation before)."""
    user.session_generation = (user.session_generation or 0) + 1


# ---- device cookies -----------------------------------------------------------------------------
# A browser a user signed in from carries a signed cookie naming that login (OWASP's
# "device cookie"). Its attempts at that login skip the per-address budget and the shared
# queue, and only its own failures lock it out: a password spray from many addresses, which
# no address budget stops and which fills the queue, no longer keeps staff out.
def _devices(settings: Settings) -> URLSafeTimedSerializer:
    key = hmac.new(secret(settings.data_dir).encode(), b"hotline device cookie",
                   hashlib.sha256).hexdigest()
    return URLSafeTimedSerializer(key, salt="device")


def device_of(request: Request, settings: Settings, login: str) -> str | None:
    """The device id in the request's device cookie, if the cookie is ours, not expired,
    and was given to ``login``."""
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        data = _devices(settings).loads(value, max_age=int(DEVICE_MAX_AGE.total_seconds()))
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("l") != login_key(login):
        return None
    device = data.get("d")
    return device if isinstance(device, str) and device else None


def give_device(response, settings: Settings, login: str, device: str | None) -> None:
    """Set (or renew) the device cookie after a successful login."""
    value = _devices(settings).dumps({"l": login_key(login),
                                      "d": device or secrets.token_urlsafe(12)})
    response.set_cookie(DEVICE_COOKIE, value, max_age=int(DEVICE_MAX_AGE.total_seconds()),
                        path="/login", httponly=True, samesite="strict",
                        secure=settings.public_url.lower().startswith("https://"))


def sign_in(request: Request, user: User, now: datetime) -> None:
    """A fresh session for ``user`` (nothing of the anonymous one survives: no fixation)."""
    request.session.clear()
    request.session.update(uid=user.id, gen=user.session_generation or 0,
                           since=now.timestamp(), csrf=secrets.token_urlsafe(32))


def current_user(request: Request, session: Session, now: datetime) -> User | None:
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return None
    user = session.get(User, uid)
    since = request.session.get("since")
    gen = request.session.get("gen")
    if (user is None or not user.active or not isinstance(gen, int)
            or gen != (user.session_generation or 0) or not isinstance(since, int | float)
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


@lru_cache(maxsize=8)
def _networks(trusted: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False)
                 for item in trusted.split(",") if item.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(peer: str, forwarded: list[str], trusted: str) -> str:
    """Who is asking: ``peer`` (the socket's), unless it is one of the ``trusted`` proxies
    (comma-separated addresses or networks); then the right-most ``X-Forwarded-For`` hop
    that is not a trusted proxy itself (each proxy appends the address it was reached
    from; what a client wrote before that is its own say-so)."""
    networks = _networks(trusted)

    def is_proxy(text: str) -> bool:
        addr = _address(text)
        return addr is not None and any(addr in net for net in networks)

    if not networks or not is_proxy(peer):
        return peer
    hops = [hop.strip() for value in forwarded for hop in value.split(",")][-32:]
    for hop in reversed(hops):
        if not is_proxy(hop):
            return hop if _address(hop) is not None else peer
    return peer


def remote(request: Request) -> str:
    """The client's address, as audited and rate-limited (see :func:`client_address`)."""
    peer = request.client.host if request.client else ""
    web = getattr(request.app.state, "web", None)
    trusted = web.settings.trusted_proxies if web is not None else ""
    return client_address(peer, request.headers.getlist("x-forwarded-for"), trusted)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never another host (//evil, /\\evil, https://…)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
