"""How a page is served: off the event loop, in one unit of work, behind a login and a role.

The event loop of the web process also pushes every seat's screen pop (R1): nothing that
waits on the database or computes a month of figures may run on it. So a view is a plain
function, run in a worker thread inside one unit of work (:meth:`Web.run`); the loop only
reads the request's body before and sends the response after. A view that talks to the PBX
(a seat's state, listen-in, the wall board's snapshot) is a coroutine instead, and is given
no transaction: it awaits the PBX with none open, and asks :meth:`Web.run` for each short
unit of work it needs.

* :func:`public` — pages anyone may open (the judge's feedback link, a provider's receipt);
* :func:`staff` — pages behind a login and a role: anonymous visitors go to the login page
  (and come back after it), a user without the role gets the page's ``refused`` answer
  (which audits it);
* :func:`staff_live` — the same for the coroutines that await the PBX.

Views find what they need — the platform, the clock, the live line — on :class:`Web`, the
one object the application keeps in ``app.state.web``.

A view's form or body is read whole before the view runs, so it is read only up to
:data:`MAX_BODY` bytes (:func:`read_body`): a larger post is answered 413 and never parsed,
whatever its Content-Length says or whether it sends one at all.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from hotline.platform import Platform
from hotline.web.auth import current_user
from hotline.web.live import LiveLine
from hotline.web.models import User

__all__ = ["MAX_BODY", "BodyTooLarge", "Web", "message", "page", "public", "read_body",
           "read_form", "staff", "staff_live", "too_large"]

T = TypeVar("T")
Reads = Literal["form", "body"] | None
# The largest post a page takes: the biggest form (an order's content, 4,000 characters,
# and its resolution, each up to 9 bytes a character once URL-encoded) fits with room to
# spare; a post past it is no one's typing.
MAX_BODY = 128 * 1024
TOO_LARGE = "提交的内容过长（超过 128 KB），未保存。请精简后重新提交。"
_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                         autoescape=select_autoescape())


def page(name: str, status: int = 200, **values: object) -> HTMLResponse:
    return HTMLResponse(_TEMPLATES.get_template(name).render(**values), status_code=status)


def message(text: str, status: int) -> HTMLResponse:
    """A page that says one thing (to someone not logged in)."""
    return page("message.html", status, message=text)


class Web:
    """What the pages share: the platform, the clock they take as now, the live line."""

    def __init__(self, platform: Platform, clock: Callable[[], datetime], live: LiveLine) -> None:
        self.platform, self.clock, self.live = platform, clock, live
        self.settings, self.service = platform.settings, platform.service
        self.tz = platform.calendar.tz

    def in_unit(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(session, *args)`` in one unit of work, on this thread."""
        with self.platform.uow.begin() as session:
            return fn(session, *args)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(session, *args)`` in one unit of work, on a worker thread."""
        return await run_in_threadpool(self.in_unit, fn, *args)


def web_of(request: Request) -> Web:
    return request.app.state.web


class BodyTooLarge(Exception):
    """A post past :data:`MAX_BODY`; nothing of it is parsed."""


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request's body, read chunk by chunk up to ``limit`` bytes: past it (or if the
    Content-Length says it will go past it) :class:`BodyTooLarge`, and nothing more is
    read. ``request.body()`` would hold any size in memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(declared)
    chunks, size = [], 0
    async with contextlib.aclosing(request.stream()) as stream:
        async for chunk in stream:
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(size)
            chunks.append(chunk)
    return b"".join(chunks)


async def read_form(request: Request, limit: int = MAX_BODY) -> FormData:
    """The request's form, parsed from a body read by :func:`read_body`."""
    body = await read_body(request, limit)

    async def replay() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    return await Request(request.scope, replay).form()


def too_large(reads: Reads) -> Response:
    """The answer to a post past the bound: a page for a form, JSON for the pages' posts."""
    if reads == "body":
        return JSONResponse({"error": TOO_LARGE}, status_code=413)
    return message(TOO_LARGE, 413)


async def _read(request: Request, reads: Reads) -> tuple:
    if reads == "form":
        return (await read_form(request),)
    if reads == "body":
        return (await read_body(request),)
    return ()


def public(reads: Reads = None) -> Callable:
    """``view(web, request, session[, form or body])``, in a worker thread and one unit
    of work."""

    def wrap(view: Callable[..., Response]) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(view)
        async def endpoint(request: Request) -> Response:
            web = web_of(request)
            try:
                extra = await _read(request, reads)
            except BodyTooLarge:
                return too_large(reads)
            return await web.run(lambda session: view(web, request, session, *extra))

        return endpoint

    return wrap


Refusal = Callable[[Web, Request, Session, User], Response]


def _login_first(request: Request) -> Response:
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(back, safe='')}", 303)


def _gate(web: Web, request: Request, session: Session, allowed: tuple[str, ...],
          refused: Refusal) -> User | Response:
    """The user, if logged in with one of the roles; else the answer to give."""
    user = current_user(request, session, web.clock())
    if user is None:
        return _login_first(request)
    if user.role not in allowed:
        return refused(web, request, session, user)
    return user


def staff(role: str | tuple[str, ...], refused: Refusal, reads: Reads = None) -> Callable:
    """``view(web, request, session, user[, form or body])`` for users with ``role``, in a
    worker thread and one unit of work."""
    allowed = (role,) if isinstance(role, str) else role

    def wrap(view: Callable[..., Response]) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(view)
        async def endpoint(request: Request) -> Response:
            web = web_of(request)
            try:
                extra = await _read(request, reads)
            except BodyTooLarge:
                return too_large(reads)

            def gated(session: Session) -> Response:
                user = _gate(web, request, session, allowed, refused)
                if isinstance(user, Response):
                    return user
                return view(web, request, session, user, *extra)

            return await web.run(gated)

        return endpoint

    return wrap


def staff_live(role: str | tuple[str, ...], refused: Refusal, reads: Reads = None) -> Callable:
    """``async view(web, request, user[, form or body])`` for users with ``role``: the user
    is read in a short unit of work of its own; the view awaits the PBX with no
    transaction open and runs each change it makes with :meth:`Web.run`."""
    allowed = (role,) if isinstance(role, str) else role

    def wrap(view: Callable[..., Awaitable[Response]]) -> Callable[[Request],
                                                                    Awaitable[Response]]:
        @functools.wraps(view)
        async def endpoint(request: Request) -> Response:
            web = web_of(request)
            try:
                extra = await _read(request, reads)
            except BodyTooLarge:
                return too_large(reads)
            user = await web.run(lambda session: _gate(web, request, session, allowed,
                                                       refused))
            if isinstance(user, Response):
                return user
            return await view(web, request, user, *extra)

        return endpoint

    return wrap
