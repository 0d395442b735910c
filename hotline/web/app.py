"""The web application: one Starlette app on the platform, its routes gathered from the
area that owns them.

* hotline/web/feedback.py — the pages a text's link opens: the judge's feedback (R7), the
  department head's open orders (R5, R8);
* hotline/web/receipts.py — the SMS provider's delivery receipts (R5);
* hotline/web/login.py — logging in and out (users, sessions: hotline/web/auth.py);
* hotline/web/review.py — the supervisor's review of flagged recordings (R4.7/R4.8);
* hotline/web/panel.py — the seat operator's softphone, screen pop and order form;
* hotline/web/messages_page.py — the after-hours messages to hear and confirm (R6);
* hotline/web/console.py — the supervisor's wall board, listen-in, reminders;
* hotline/web/ledger_page.py — the monthly ledger.

Every view runs off the event loop in one unit of work (hotline/web/views.py); the panel
and the console are live through one AMI connection per process (hotline/web/live.py),
opened at start-up. A view that fails answers 500, and its trace is logged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hotline.platform import Platform
from hotline.web import (
    auth,
    console,
    feedback,
    ledger_page,
    login,
    messages_page,
    panel,
    receipts,
    review,
    staff,
)
from hotline.web.live import LiveLine
from hotline.web.views import Web

__all__ = ["create_app"]


async def jssip(request: Request) -> Response:
    path = request.app.state.web.settings.jssip_path
    if not path.is_file():
        return PlainTextResponse(f"JsSIP is not installed at {path}; run `make setup` "
                                 "(scripts/install-jssip.sh)", status_code=404)
    return FileResponse(path, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=3600"})


def create_app(platform: Platform, clock: Callable[[], datetime] | None = None) -> Starlette:
    """The pages on ``platform``; ``clock`` (default: the platform's) is what they take as
    now."""
    live = LiveLine(platform.settings, panel.PopLoader(platform.uow, platform.service))
    web = Web(platform, clock or platform.clock, live)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        await live.start()
        try:
            yield
        finally:
            await live.stop()

    app = Starlette(routes=[
        *feedback.routes, *receipts.routes, *login.routes, *review.routes, *panel.routes,
        *console.routes, *ledger_page.routes, *messages_page.routes,
        Route("/static/vendor/jssip.min.js", jssip, methods=["GET"]),
        Mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static"),
    ], middleware=[auth.middleware(platform.settings), Middleware(staff.DefaultHeaders)],
        lifespan=lifespan)
    app.state.web = web
    app.state.live = live
    return app
