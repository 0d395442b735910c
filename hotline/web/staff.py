"""What every staff page shares: the user's bar, local times, and the security headers
(a Content-Security-Policy that runs only the page's own scripts)."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from hotline.seats import Seat
from hotline.web.auth import ROLE_ZH, Page, csrf_token
from hotline.web.models import User
from workorder.errors import DomainError


class BadRequest(DomainError):
    """A JSON post that is not a JSON object; the message says so."""


async def read_json(request: Request) -> dict:
    """The body of the pages' JSON posts (empty = {})."""
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        raise BadRequest("the request is not JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("the request is not a JSON object")
    return data


def sip_config(seat: Seat, host: str, ws_url: str) -> dict:
    """What a page's JsSIP needs to register as ``seat`` (the seat's user may have it)."""
    return {"ws": ws_url, "uri": f"sip:{seat.name}@{host}", "user": seat.name,
            "password": seat.secret, "webrtc": seat.phone == "webrtc"}


class StaffPages:
    def __init__(self, page: Page, tz: ZoneInfo, connect_src: str = "") -> None:
        self.page, self.tz = page, tz
        # where the pages' scripts may connect beyond this site (the PBX's WebSocket)
        self.connect_src = connect_src

    def local(self, dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return dt.astimezone(self.tz).strftime(fmt) if dt else ""

    def view(self, request: Request, user: User, name: str, status: int = 200,
             **values: object) -> Response:
        nonce = secrets.token_urlsafe(16)
        response = self.page(name, status, user=user, role=ROLE_ZH.get(user.role, user.role),
                             csrf=csrf_token(request), nonce=nonce, local=self.local, **values)
        secure_headers(response, nonce, self.connect_src)
        return response

    def message(self, request: Request, user: User, text: str, status: int) -> Response:
        return self.view(request, user, "staff_message.html", status, message=text)


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

