"""The monthly ledger page (R9) for supervisors.

* ``GET /console/ledger?month=YYYY-MM`` — the month's ledger: every assessed rate charted
  for the platform and for each court, beside their definitions; the orders by channel,
  by status and by department.
* ``GET /console/ledger.xlsx?month=YYYY-MM`` — the same month as the Excel workbook that
  ``hotline ledger`` writes; audited (``ledger_export``), as the ledger names orders,
  departments and the staff who handle them.

A province's month is tens of thousands of orders: it is computed in a worker thread
(like every view) while the loop goes on pushing screen pops.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hotline import ledger_export
from hotline.web.auth import remote
from hotline.web.console import refused
from hotline.web.models import User
from hotline.web.staff import render, say
from hotline.web.views import Web, staff
from recordings.review import audit
from workorder import ledger as ledger_mod

__all__ = ["routes"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The workbook's tables the page shows too (R9: volumes by channel, handling status and
# department): (the table's id, the sheet's title, the heading on the page).
TABLES = (("by-channel", "按渠道", "按渠道"), ("by-status", "按状态", "按办理状态"),
          ("by-department", "部门排名", "按部门（排名）"))


# ASCII digits only (int() would take "+11", " 11" or other scripts' digits), from a year
# this system could have orders in: the month names the downloaded file.
_MONTH = re.compile(r"[0-9]{4}-[0-9]{1,2}")
FIRST_YEAR = 2000


def _ws(web: Web) -> str:
    return web.settings.ws_url


class _BadMonth(Exception):
    """The month asked for cannot have a ledger; the message is for the user."""


def _month(web: Web, request: Request) -> tuple[str, str]:
    """The month asked for, written YYYY-MM, and the month before it."""
    now, tz = web.clock(), web.tz
    asked = request.query_params.get("month") or now.astimezone(tz).strftime("%Y-%m")
    try:
        if not _MONTH.fullmatch(asked):
            raise ledger_mod.LedgerError(asked)
        start, _end = ledger_mod.month_bounds(asked, tz)
    except ledger_mod.LedgerError:
        raise _BadMonth(f"月份“{asked[:20]}”不是“年-月”的写法，应如 2026-11") from None
    if start.year < FIRST_YEAR:
        raise _BadMonth(f"台账从 {FIRST_YEAR} 年起，没有 {start:%Y-%m} 的")
    if start > now:
        raise _BadMonth(f"{start:%Y-%m} 尚未开始，还没有台账")
    return f"{start:%Y-%m}", f"{start - timedelta(days=1):%Y-%m}"


def _build(web: Web, session: Session, month: str) -> ledger_mod.Ledger:
    return ledger_mod.build(session, month, web.tz, web.clock(),
                            target_s=web.settings.answer_target_s)


def _cell(value: object) -> str:
    return "" if value is None else str(value)  # a rate prints as 91.8% (ledger_export.Pct)


def _chart(rates: dict[str, float | None]) -> list[tuple[str, float | None]]:
    """Every assessed rate, under the name its definition has."""
    return [(name, rates.get(key)) for key, name, _definition in ledger_mod.RATES]


@staff("supervisor", refused)
def ledger_page(web: Web, request: Request, session: Session, user: User) -> Response:
    """The month's ledger (R9)."""
    try:
        month, prev = _month(web, request)
        led = _build(web, session, month)
    except (_BadMonth, ledger_mod.LedgerError) as exc:
        return say(web, request, user, f"无法生成台账：{exc}", 400, _ws(web))
    sheets = {title: (headers, rows) for title, headers, rows in ledger_export.sections(led)}
    tables = [{"id": key, "title": heading, "headers": sheets[sheet][0],
               "rows": [[_cell(v) for v in row] for row in sheets[sheet][1]]}
              for key, sheet, heading in TABLES]
    courts = [{"name": r.name, "orders": r.counts.orders, "rates": r.rates,
               "chart": _chart(r.rates)} for r in led.courts]
    return render(web, request, user, "ledger.html", connect_src=_ws(web), led=led,
                  month=month, prev=prev, courts=courts, by_type=led.by_type, rates=led.rates,
                  definitions={k: (n, d) for k, n, d in ledger_mod.RATES},
                  chart=_chart(led.rates), tables=tables)


@staff("supervisor", refused)
def ledger_xlsx(web: Web, request: Request, session: Session, user: User) -> Response:
    """The month's ledger as the Excel workbook (R9), audited."""
    try:
        month, _prev = _month(web, request)
        led = _build(web, session, month)
    except (_BadMonth, ledger_mod.LedgerError) as exc:
        return say(web, request, user, f"无法生成台账：{exc}", 400, _ws(web))
    body = ledger_export.to_xlsx(led)
    audit(session, user.login, "ledger_export", None, remote(request), at=web.clock(),
          month=month, format="xlsx")
    return Response(body, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="ledger-{month}.xlsx"',
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


routes = [
    Route("/console/ledger", ledger_page, methods=["GET"]),
    Route("/console/ledger.xlsx", ledger_xlsx, methods=["GET"]),
]
