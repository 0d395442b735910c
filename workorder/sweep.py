"""The sweep: recompute from the database alone what is due, and record it exactly once.

Timers and jobs only nudge; the truth is the orders' own timestamps. Each order carries
``next_due_at``, the next instant something may fall due for it (a deadline, a ladder
step); the sweep reads the orders whose instant has passed (a partial index keeps that
read proportional to what is due, not to the million orders on file), derives the
overdue marks, reminders (R8) and escalations from :func:`workorder.deadlines.due_actions`,
and moves ``next_due_at`` on.

Exactly once, however often it runs:

* reminders and escalations have unique keys (order, round) and (order, level), inserted
  with ``ON CONFLICT DO NOTHING``; so does the text telling each level of the ladder that
  an order reached it (order, ``escalate-N``, mobile), written to the outbox in the same
  transaction;
* each batch is one transaction that first takes the sweep's own row in ``line_state``,
  so two sweeps running at once (two workers, a cron job and a manual run) take turns
  batch by batch and the second sees what the first committed;
* a sweep killed half-way has committed whole batches only; the next run carries on.

It also opens the callback tasks (R2, R10) for recent abandoned and unanswered calls.
"""

from __future__ import annotations

import json
import time as _time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, exists, func, insert, select, text, update
from sqlalchemy.orm import Session

from workorder import callbacks, routing
from workorder.calendar import CourtCalendar
from workorder.deadlines import Clock, Policy, due_actions
from workorder.history import history_row
from workorder.models import (
    Call,
    CallbackTask,
    Escalation,
    OrderHistory,
    Reminder,
    UTCDateTime,
    WorkOrder,
)
from workorder.notices import Notice, QuietHours, escalation_row
from workorder.types import CallbackReason, CallOutcome, Role

__all__ = ["SweepReport", "sweep"]

SWEEP_KEY = "sweep"
CALLBACK_SCAN = timedelta(days=7)  # calls older than this were swept before

_CLAIM = text(
    "INSERT INTO line_state (key, value, updated_at, updated_by) "
    "VALUES (:key, :value, :at, 'sweep') "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
).bindparams(bindparam("at", type_=UTCDateTime()))
_DUE = (
    select(WorkOrder.id, WorkOrder.number, WorkOrder.order_type, WorkOrder.court,
           WorkOrder.status,
           WorkOrder.created_at, WorkOrder.dispatch_due_at, WorkOrder.dispatched_at,
           WorkOrder.feedback_due_at, WorkOrder.feedback_at, WorkOrder.overdue_at,
           WorkOrder.escalation_level, WorkOrder.department_id, WorkOrder.judge_id)
    .where(WorkOrder.next_due_at <= bindparam("now"))
    .order_by(WorkOrder.next_due_at, WorkOrder.id)
    .limit(bindparam("limit"))
    # PostgreSQL: feedback committed between this read and the batch's write would be
    # overwritten by a decision made on stale data; the row lock makes it wait (SQLite's
    # database-wide write lock, taken by the claim, already does). Ignored by SQLite.
    .with_for_update()
)
# Not a version bump: these are the sweep's own fields (see WorkOrder). COALESCE keeps the
# first overdue mark and its reason (a repeat call may have set them before the deadline).
_orders = WorkOrder.__table__
_UPDATE = (
    update(_orders).where(_orders.c.id == bindparam("oid"))
    .values(overdue_at=func.coalesce(_orders.c.overdue_at, bindparam("v_overdue_at")),
            overdue_reason=func.coalesce(_orders.c.overdue_reason, bindparam("v_reason")),
            escalation_level=bindparam("v_level"), next_due_at=bindparam("v_next"))
)
_PG_UPDATE = (
    "UPDATE work_orders AS w SET overdue_at = COALESCE(w.overdue_at, v.overdue_at), "
    "overdue_reason = COALESCE(w.overdue_reason, v.reason), escalation_level = v.level, "
    "next_due_at = v.next FROM unnest(%(oid)s::int[], %(v_overdue_at)s::timestamptz[], "
    "%(v_reason)s::varchar[], %(v_level)s::int[], %(v_next)s::timestamptz[]) "
    "AS v(id, overdue_at, reason, level, next) WHERE w.id = v.id"
)


def _columns(rows: list[dict]) -> dict[str, list]:
    return {k: [r[k] for r in rows] for k in rows[0]}


def _pg_insert(conn, model, rows: list[dict], conflict: list[str] | None) -> int:
    """PostgreSQL: one INSERT … SELECT FROM unnest(arrays) per batch. Row-by-row
    executemany and multi-row VALUES (which psycopg must parse) both cost more than the
    inserts themselves at 10,000 rows."""
    table = model.__table__
    cols = list(rows[0])
    arrays = []
    for c in cols:
        sql_type = table.c[c].type.compile(dialect=conn.dialect)
        arrays.append(f"%({c})s::{sql_type}[]")
    sql = (f"INSERT INTO {table.name} ({', '.join(cols)}) SELECT * FROM unnest("
           f"{', '.join(arrays)})")
    if conflict:
        sql += f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    params = _columns(rows)
    for c in cols:
        if table.c[c].type.__class__.__name__ == "JSON":
            params[c] = [json.dumps(v, ensure_ascii=False) for v in params[c]]
    return conn.exec_driver_sql(sql, params).rowcount


def _insert_once(conn, model, rows: list[dict], key: list[str]) -> int:
    """Insert the rows whose key is new; how many were new (ON CONFLICT DO NOTHING)."""
    if conn.dialect.name == "postgresql":
        return _pg_insert(conn, model, rows, key)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    stmt = sqlite_insert(model.__table__).on_conflict_do_nothing(index_elements=key)
    return conn.execute(stmt, rows).rowcount  # sqlite3 sums executemany's row counts


def _write(conn, updates: list[dict], history: list[dict]) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_PG_UPDATE, _columns(updates))
        if history:
            _pg_insert(conn, OrderHistory, history, None)
        return
    conn.execute(_UPDATE, updates)
    if history:
        conn.execute(insert(OrderHistory), history)


@dataclass
class SweepReport:
    orders: int = 0  # orders looked at
    overdue: int = 0  # newly overdue (R8 red light)
    reminders: int = 0  # reminder tasks opened (R8)
    escalations: int = 0  # ladder steps reached
    callbacks: int = 0  # callback tasks opened for abandoned/unanswered calls (R2, R10)
    texts: int = 0  # escalation texts written to the outbox (R8)
    batches: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def _who(directory: routing.Directory, role: Role, court: str, dept: int | None,
         judge: int | None, memo: dict) -> tuple[str, str]:
    key = (role, court, dept, judge)
    found = memo.get(key)
    if found is None:
        try:
            t = directory.resolve(role, court, dept, judge)
            found = (t.name, t.mobile)
        except routing.RoutingError:
            found = ("", "")  # still recorded: the ledger names orders nobody could be found for
        memo[key] = found
    return found


def _batch(session: Session, directory: routing.Directory, cal: CourtCalendar,
           policy: Policy, quiet: QuietHours, now: datetime, limit: int,
           report: SweepReport) -> int:
    conn = session.connection()
    conn.execute(_CLAIM, {"key": SWEEP_KEY, "value": now.isoformat()[:64], "at": now})
    rows = conn.execute(_DUE, {"now": now, "limit": limit}).all()
    if not rows:
        return 0
    updates, reminders, escalations, texts, history = [], [], [], [], []
    memo: dict = {}
    for r in rows:
        clock = Clock(r.status, r.created_at, r.dispatch_due_at, r.dispatched_at,
                      r.feedback_due_at, r.feedback_at, r.overdue_at, r.escalation_level,
                      directory.is_primary(r.court))
        plan = due_actions(clock, now, policy, cal)
        overdue_at, reason, level = None, None, r.escalation_level
        notes = []
        for a in plan.actions:
            if a.kind == "overdue":
                overdue_at, reason = a.at, a.reason
                report.overdue += 1
                notes.append(f"overdue ({a.reason})")
            elif a.kind == "remind":
                name, mobile = _who(directory, Role.DEPARTMENT_HEAD, r.court, r.department_id,
                                    r.judge_id, memo)
                reminders.append({"order_id": r.id, "round": a.level, "created_at": now,
                                  "due_by": a.due_by, "to_name": name, "to_mobile": mobile})
                notes.append(f"reminder to {name or '?'} due by {a.due_by:%Y-%m-%d %H:%M}")
            else:
                assert a.role is not None
                name, mobile = _who(directory, a.role, r.court, r.department_id, r.judge_id,
                                    memo)
                escalations.append({"order_id": r.id, "level": a.level, "role": a.role.value,
                                    "at": a.at, "court": r.court, "to_name": name,
                                    "to_mobile": mobile})
                if mobile:
                    texts.append(escalation_row(r.id, r.number, r.order_type, a.level, a.role,
                                                name, mobile, now, cal.tz, quiet))
                level = max(level, a.level)
                notes.append(f"escalated to {a.role.label_zh} {name or '?'}")
        updates.append({"oid": r.id, "v_overdue_at": overdue_at, "v_reason": reason,
                        "v_level": level, "v_next": plan.next_due_at})
        if notes:
            history.append(history_row(r.id, now, "sweep", "sweep",
                                       {"escalation_level": (r.escalation_level, level)},
                                       "; ".join(notes) + " (R8)"))
    _write(conn, updates, history)
    if reminders:
        report.reminders += _insert_once(conn, Reminder, reminders, ["order_id", "round"])
    if escalations:
        report.escalations += _insert_once(conn, Escalation, escalations, ["order_id", "level"])
    if texts:  # in the same transaction as the escalation: the outbox (R8)
        report.texts += _insert_once(conn, Notice, texts, ["order_id", "kind", "to_mobile"])
    report.orders += len(rows)
    report.batches += 1
    return len(rows)


def _abandoned_calls(session: Session, cal: CourtCalendar, policy: Policy,
                     now: datetime) -> int:
    """R2/R10: every recent abandoned or unanswered call gets one callback task — unless
    the same number got through to a seat afterwards."""
    reasons = {CallOutcome.ABANDONED.value: CallbackReason.ABANDONED,
               CallOutcome.CALLBACK.value: CallbackReason.UNANSWERED}
    q = (select(WorkOrder, Call.outcome, Call.received_at)
         .join(Call, Call.id == WorkOrder.call_id)
         .where(Call.received_at >= now - CALLBACK_SCAN, Call.received_at <= now,
                Call.outcome.in_(list(reasons)),
                ~exists().where(CallbackTask.order_id == WorkOrder.id)))
    made = 0
    for order, outcome, received in session.execute(q).all():
        if outcome == CallOutcome.ABANDONED.value and order.caller_phone and session.scalar(
                select(Call.id).where(Call.caller_phone == order.caller_phone,
                                      Call.received_at > received,
                                      Call.answered_at.is_not(None)).limit(1)):
            continue  # they called again and were answered: nothing to call back about
        if callbacks.create(session, cal, policy, order, reasons[outcome], now) is not None:
            made += 1
    return made


def sweep(sessions: Callable[[], Session], cal: CourtCalendar, policy: Policy,
          now: datetime, batch: int = 5000, quiet: QuietHours | None = None) -> SweepReport:
    """Run the sweep at ``now``; ``sessions`` makes a new session (a sessionmaker)."""
    started = _time.perf_counter()
    report = SweepReport()
    with sessions() as session:
        directory = routing.load(session)  # a snapshot: closing detaches, nothing expires
    while True:
        with sessions() as session, session.begin():
            n = _batch(session, directory, cal, policy, quiet or QuietHours(), now, batch,
                       report)
        if n < batch:
            break
    with sessions() as session, session.begin():
        session.execute(_CLAIM, {"key": SWEEP_KEY, "value": now.isoformat()[:64], "at": now})
        report.callbacks = _abandoned_calls(session, cal, policy, now)
    report.seconds = _time.perf_counter() - started
    return report
