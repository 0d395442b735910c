"""What every staff page shares: the user's bar, local times, the JSON posts, and the
security headers (a Content-Security-Policy that runs only the page's own scripts)."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response

from hotline.seats import Seat
from hotline.web import MAX_ID_DIGITS
from hotline.web.auth import ROLE_ZH, csrf_token
from hotline.web.models import User
from hotline.web.views import Web, page
from workorder.errors import DomainError


class BadRequest(DomainError):
    """A JSON post that is not a JSON object; the message says so."""


def parse_json(body: bytes) -> dict:
    """The body of the pages' JSON posts (empty = {})."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise BadRequest("the request is not JSON") from None
    except RecursionError:  # nested deeper than the interpreter's stack: no form sends that
        raise BadRequest("the request's JSON is nested too deeply") from None
    if not isinstance(data, dict):
        raise BadRequest("the request is not a JSON object")
    return data


def query_id(request: Request, name: str) -> int | None:
    """A record id from the query string, None if absent; BadRequest if it is not one (a
    number too long for the database included)."""
    raw = request.query_params.get(name, "")
    if not raw:
        return None
    if not (raw.isdigit() and len(raw) <= MAX_ID_DIGITS):
        raise BadRequest(f"{name}={raw[:40]!r} 不是有效的编号")
    return int(raw)


def sip_config(seat: Seat, host: str, ws_url: str) -> dict:
    """What a page's JsSIP needs to register as ``seat`` (the seat's user may have it)."""
    return {"ws": ws_url, "uri": f"sip:{seat.name}@{host}", "user": seat.name,
            "password": seat.secret, "webrtc": seat.phone == "webrtc"}


DATE_TIME = "%Y-%m-%d %H:%M"


def local(dt: datetime | None, tz: ZoneInfo, fmt: str = DATE_TIME) -> str:
    return dt.astimezone(tz).strftime(fmt) if dt else ""


def render(web: Web, request: Request, user: User, name: str, status: int = 200,
           connect_src: str = "", **values: object) -> Response:
    """A staff page: the user's bar, local times, the CSRF token, and headers that let it
    run only its own scripts and reach nothing but this site (and ``connect_src``, the
    PBX's WebSocket for the pages that are a phone)."""
    nonce = secrets.token_urlsafe(16)
    response = page(name, status, user=user, role=ROLE_ZH.get(user.role, user.role),
                    csrf=csrf_token(request), nonce=nonce,
                    local=lambda dt, fmt=DATE_TIME: local(dt, web.tz, fmt), **values)
    secure_headers(response, nonce, connect_src)
    return response


def say(web: Web, request: Request, user: User, text: str, status: int,
        connect_src: str = "") -> Response:
    """A staff page that says one thing."""
    return render(web, request, user, "staff_message.html", status, connect_src,
                  message=text)


def secure_headers(response: Response, nonce: str = "", connect_src: str = "") -> Response:
    script = f"'nonce-{nonce}'" if nonce else "'none'"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src {script}; style-src 'unsafe-inline'; "
        f"img-src 'self' data:; media-src 'self' blob:; connect-src 'self' {connect_src}; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'").replace("  ", " ")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    return response


class DefaultHeaders:
    """ASGI middleware: an HTML page that set no Content-Security-Policy of its own (the
    login, the judges' feedback and department pages, the thanks) gets the staff pages'
    headers with no script at all: not framed, not cached (a feedback page shows a
    complaint), and no Referer (their addresses carry the judge's token)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def start(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)  # edits the message's own list
                if ("content-security-policy" not in headers
                        and headers.get("content-type", "").startswith("text/html")):
                    fresh = secure_headers(Response())
                    for name in ("Content-Security-Policy", "Cache-Control", "X-Frame-Options"):
                        headers[name] = fresh.headers[name]
                    headers["Referrer-Policy"] = "no-referrer"
                    headers["X-Content-Type-Options"] = "nosniff"
            await send(message)

        await self.app(scope, receive, start)

