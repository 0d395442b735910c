"""The monthly ledger page (R9) for supervisors.

* ``GET /console/ledger?month=YYYY-MM`` — the month's ledger with charts.

A province's month is tens of thousands of orders: it is computed in a worker thread
(like every view) while the loop goes on pushing screen pops.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hotline.web.console import refused
from hotline.web.models import User
from hotline.web.staff import render, say
from hotline.web.views import Web, staff
from workorder import ledger as ledger_mod

__all__ = ["routes"]
LEDGER_CHART = (("timely_acceptance", "及时受理率"), ("judge_contact", "法官联系率"),
                ("timely_completion", "按期办结率"))


def _ws(web: Web) -> str:
    return web.settings.ws_url


@staff("supervisor", refused)
def ledger_page(web: Web, request: Request, session: Session, user: User) -> Response:
    """The month's ledger (R9)."""
    now, tz = web.clock(), web.tz
    month = request.query_params.get("month") or now.astimezone(tz).strftime("%Y-%m")
    try:
        led = ledger_mod.build(session, month, tz, now, target_s=web.settings.answer_target_s)
    except ledger_mod.LedgerError as exc:
        return say(web, request, user, f"无法生成台账：{exc}", 400, _ws(web))
    prev = (datetime.strptime(month + "-01", "%Y-%m-%d") - timedelta(days=1)).strftime("%Y-%m")
    courts = [{"name": r.name, "orders": r.counts.orders, "rates": r.rates,
               "chart": [(label, r.rates.get(key)) for key, label in LEDGER_CHART]}
              for r in led.courts]
    return render(web, request, user, "ledger.html", connect_src=_ws(web), led=led,
                  month=month, prev=prev, courts=courts, by_type=led.by_type, rates=led.rates,
                  definitions={k: (n, d) for k, n, d in ledger_mod.RATES},
                  chart=[(label, led.rates.get(key)) for key, label in LEDGER_CHART])



routes = [
    Route("/console/ledger", ledger_page, methods=["GET"]),
]
