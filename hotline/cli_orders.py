"""`hotline orders …`, `sweep`, `callbacks`, `reminders`, `ledger`: the work-order domain
from the command line. Each command is one unit of work: it commits everything or nothing.
"""

from __future__ import annotations

import functools
import getpass
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import select

from hotline import ledger_export
from hotline.cli import Fail, _guard, _local, _platform, _settings, main, orders
from hotline.settings import Settings
from recordings.models import Recording
from workorder import callbacks as callback_tasks
from workorder import ledger as ledger_mod
from workorder.errors import DomainError
from workorder.models import Call, Escalation, OrderCall, Reminder
from workorder.orders import Service
from workorder.rules import Answers, Complaint
from workorder.sweep import sweep as run_sweep
from workorder.types import OrderStatus, OrderType, Role


def _now() -> datetime:
    return datetime.now(UTC)


def _me() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in a container: still say who acted
        return "operator"


def _by(fn):
    return click.option("--by", default=_me, show_default="login name",
                        help="Who does this (kept in the order's history).")(fn)


def _court(fn):
    return click.option("--court", default=None,
                        help="Court of the order (default: the court in the settings).")(fn)


def _answers(fn):
    """The operator's answers that decide the handling (R4)."""
    for opt in reversed([
        click.option("--clues", is_flag=True, help="Complaint with specific clues (R4.6)."),
        click.option("--about", type=click.Choice([c.value for c in Complaint]),
                     help="What a complaint is about (R4.4/R4.5)."),
        click.option("--abusive", is_flag=True, help="The caller abused staff (R4.7)."),
        click.option("--urgent", is_flag=True, help="Extreme or urgent: green channel (R4.8)."),
        click.option("--leadership", is_flag=True,
                     help="Urgent and serious: also the vice president and president (R4.8)."),
        click.option("--unreachable", is_flag=True,
                     help="The caller could not reach the judge (R4.2)."),
    ]):
        fn = opt(fn)
    return fn


def _make_answers(kw: dict) -> Answers:
    return Answers(specific_clues=kw.pop("clues"), complaint=Complaint(kw["about"])
                   if kw.get("about") else None, abusive=kw.pop("abusive"),
                   urgent=kw.pop("urgent"), leadership=kw.pop("leadership"),
                   judge_unreachable=kw.pop("unreachable"))


def _unit(fn):
    """Run ``fn(settings, service, session, ...)`` in one transaction; clear errors."""
    @click.pass_context
    @functools.wraps(fn)
    def wrapper(ctx: click.Context, *args, **kwargs):
        settings = _settings(ctx)
        platform = _platform(ctx)
        try:
            # the texts this unit writes (a dispatch, R5) go once it is committed
            with platform.uow.begin() as session:
                return fn(settings, platform.service, session, *args, **kwargs)
        except DomainError as exc:
            raise Fail(str(exc)) from None
    return _guard(wrapper)


def _emit(data: object, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=1, default=str) if as_json else text)


def order_view(settings: Settings, service: Service, session, o) -> dict:
    now = _now()
    loc = functools.partial(_local, settings=settings)
    calls = [o.call_id] if o.call_id else []
    calls += [c for c in session.scalars(select(OrderCall.call_id)
                                         .where(OrderCall.order_id == o.id))]
    recordings = session.scalars(select(Recording.path).where(Recording.call_id.in_(calls))
                                 ).all() if calls else []
    history = service.caller_history(session, o)
    return {
        "number": o.number, "court": o.court, "version": o.version, "status": o.status,
        "status_label": OrderStatus(o.status).label_zh, "light": service.light(o, now),
        "type": o.order_type, "type_label": OrderType(o.order_type).label_zh,
        "channel": o.channel, "caller_name": o.caller_name, "caller_phone": o.caller_phone,
        "callback_phone": o.callback_phone, "case_number": o.case_number,
        "content": o.content, "flags": [f for f in ("abusive", "urgent", "touches_rights")
                                        if getattr(o, f)],
        "rule": o.rule, "assignee": {"role": o.assignee_role, "name": o.assignee_name,
                                     "mobile": o.assignee_mobile} if o.assignee_role else None,
        "created_at": loc(o.created_at), "dispatch_due_at": loc(o.dispatch_due_at),
        "dispatched_at": loc(o.dispatched_at), "feedback_due_at": loc(o.feedback_due_at),
        "feedback_at": loc(o.feedback_at), "feedback_by": o.feedback_by,
        "feedback": o.feedback_text, "closed_at": loc(o.closed_at), "resolution": o.resolution,
        "overdue_at": loc(o.overdue_at), "overdue_reason": o.overdue_reason,
        "escalation_level": o.escalation_level,
        "calls": [session.get(Call, c).uniqueid for c in calls],
        "recordings": list(recordings),
        "reminders": [{"round": r.round, "to": r.to_name, "due_by": loc(r.due_by),
                       "sent_at": loc(r.sent_at)} for r in session.scalars(
                           select(Reminder).where(Reminder.order_id == o.id))],
        "escalations": [{"level": e.level, "role": e.role, "to": e.to_name, "at": loc(e.at)}
                        for e in session.scalars(select(Escalation)
                                                 .where(Escalation.order_id == o.id)
                                                 .order_by(Escalation.level))],
        "earlier_matters": [{"number": e.number, "type": e.order_type, "status": e.status}
                            for e in service.earlier_matters(session, o)],
        "repeat_of_open_order": history.open_forwarded,
    }


def _show_text(v: dict) -> str:
    lines = [f"{v['number']}  {v['court']}  v{v['version']}  {v['status_label']}"
             + (f"  [{v['light']}]" if v["light"] else ""),
             f"  type      {v['type']} {v['type_label']}   channel {v['channel']}"
             + (f"   flags {','.join(v['flags'])}" if v["flags"] else ""),
             f"  caller    {v['caller_name'] or '-'}  {v['caller_phone'] or '-'}"
             + (f"  callback {v['callback_phone']}" if v["callback_phone"] else ""),
             f"  case      {v['case_number'] or '-'}",
             f"  content   {v['content'] or '-'}",
             f"  created   {v['created_at']}"]
    if v["assignee"]:
        a = v["assignee"]
        lines.append(f"  forwarded {v['rule']} → {Role(a['role']).label_zh} {a['name']} "
                     f"{a['mobile']}")
        lines.append(f"  dispatch  due {v['dispatch_due_at']}  done {v['dispatched_at'] or '-'}")
        lines.append(f"  feedback  due {v['feedback_due_at'] or '-'}  "
                     f"got {v['feedback_at'] or '-'} {v['feedback'] or ''}")
    elif v["rule"]:
        lines.append(f"  rule      {v['rule']}")
    if v["overdue_at"]:
        lines.append(f"  OVERDUE   since {v['overdue_at']} ({v['overdue_reason']}), "
                     f"escalation level {v['escalation_level']}")
    for r in v["reminders"]:
        lines.append(f"  reminder  #{r['round']} to {r['to']} due by {r['due_by']}"
                     f" sent {r['sent_at'] or 'NOT YET'}")
    for e in v["escalations"]:
        lines.append(f"  escalated L{e['level']} {e['role']} {e['to']} at {e['at']}")
    if v["closed_at"]:
        lines.append(f"  closed    {v['closed_at']}: {v['resolution']}")
    if v["earlier_matters"]:
        lines.append("  earlier   " + ", ".join(f"{e['number']} (type {e['type']}, {e['status']})"
                                                for e in v["earlier_matters"]))
    if v["calls"]:
        lines.append(f"  calls     {', '.join(v['calls'])}")
    if v["recordings"]:
        lines.append(f"  recorded  {', '.join(v['recordings'])}")
    return "\n".join(lines)


def _find(settings, service, session, number, court):
    return service.find(session, court or settings.court_name, number)


# ---- orders ---------------------------------------------------------------------------------
@orders.command(name="show")
@click.argument("number")
@_court
@click.option("--json", "as_json", is_flag=True)
@_unit
def orders_show(settings, service, session, number, court, as_json):
    """One order: its state, light, deadlines, reminders, escalations and earlier matters."""
    v = order_view(settings, service, session, _find(settings, service, session, number, court))
    _emit(v, as_json, _show_text(v))


@orders.command(name="history")
@click.argument("number")
@_court
@click.option("--json", "as_json", is_flag=True)
@_unit
def orders_history(settings, service, session, number, court, as_json):
    """Every change to an order: who, when, what, why (append-only)."""
    o = _find(settings, service, session, number, court)
    rows = [{"at": _local(h.at, settings), "actor": h.actor, "action": h.action,
             "changes": h.changes, "reason": h.reason} for h in service.history(session, o)]
    text = "\n".join(f"{r['at']}  {r['actor']:<10} {r['action']:<11} "
                     + ", ".join(f"{k}: {a} → {b}" for k, (a, b) in r["changes"].items())
                     + (f"  — {r['reason']}" if r["reason"] else "") for r in rows)
    _emit(rows, as_json, text or "no history")


@orders.command(name="new")
@click.option("--channel", required=True, help="hotline, hall, kiosk, web or wechat.")
@click.option("--type", "order_type", required=True, help="1–6 (R3).")
@click.option("--phone", default=None)
@click.option("--name", default="")
@click.option("--content", default="")
@click.option("--case", "case_number", default=None)
@_court
@_by
@_unit
def orders_new(settings, service, session, channel, order_type, phone, name, content,
               case_number, court, by):
    """Register an order from another channel (service hall, kiosk, web, WeChat)."""
    o = service.open_order(session, court or settings.court_name, channel=channel,
                           order_type=order_type, by=by, at=_now(), caller_phone=phone,
                           caller_name=name, content=content, case_number=case_number)
    click.echo(f"{o.number} registered (version {o.version})")


@orders.command(name="edit")
@click.argument("number")
@click.option("--version", type=int, required=True,
              help="The version you read (orders show); refused if someone changed it since.")
@click.option("--name")
@click.option("--phone")
@click.option("--callback-phone")
@click.option("--type", "order_type")
@click.option("--content")
@click.option("--case", "case_number")
@click.option("--abusive/--not-abusive", default=None)
@click.option("--urgent/--not-urgent", default=None)
@click.option("--rights/--no-rights", default=None, help="Touches litigation rights (R10).")
@click.option("--repeat-of", help="The earlier order this call is about (R4.2, R8).")
@click.option("--reason", default="")
@_court
@_by
@_unit
def orders_edit(settings, service, session, number, version, name, phone, callback_phone,
                order_type, content, case_number, abusive, urgent, rights, repeat_of, reason,
                court, by):
    """Change caller, type, content, case number or flags (optimistic lock)."""
    o = _find(settings, service, session, number, court)
    fields = {k: v for k, v in dict(
        caller_name=name, caller_phone=phone, callback_phone=callback_phone,
        order_type=order_type, content=content, case_number=case_number, abusive=abusive,
        urgent=urgent, touches_rights=rights, repeat_of=repeat_of).items() if v is not None}
    if not fields:
        raise Fail("nothing to change; see `hotline orders edit --help`")
    changes = service.edit(session, o, version=version, by=by, at=_now(), reason=reason,
                           **fields)
    click.echo(f"{o.number}: " + (", ".join(f"{k} {a!r} → {b!r}" for k, (a, b)
                                            in changes.items()) or "no change")
               + f" (version {o.version})")


@orders.command(name="propose")
@click.argument("number")
@_answers
@_court
@click.option("--json", "as_json", is_flag=True)
@_unit
def orders_propose(settings, service, session, number, court, as_json, **kw):
    """What R4 prescribes for this order, given your answers."""
    o = _find(settings, service, session, number, court)
    p = service.proposal(session, o, _make_answers(kw))
    target = service.preview_target(session, o, p)
    data = {"forward": p.forward, "rule": p.rule, "rules": list(p.rules),
            "role": p.role.value if p.role else None, "why": p.why, "immediate": p.immediate,
            "report_to": [r.value for r in p.report_to],
            "target": {"name": target.name, "mobile": target.mobile} if target else None}
    unknown = "(who: give the case number, or --judge / --department when forwarding)"
    who = f" → {p.role.label_zh} {target.name if target else unknown}" if p.role else ""
    _emit(data, as_json, f"{'forward' if p.forward else 'close on the call'}{who}  "
                         f"[{', '.join(p.rules)}]\n{p.why}")


@orders.command(name="forward")
@click.argument("number")
@click.option("--version", type=int, default=None)
@click.option("--role", type=click.Choice([r.value for r in Role]),
              help="Default: the role R4 proposes.")
@click.option("--department", help="The department concerned (by name).")
@click.option("--judge", help="The judge concerned (by name).")
@click.option("--reason", default="", help="Needed when not following R4.")
@click.option("--hold", is_flag=True, help="Decide now, dispatch later (within 2 hours, R5).")
@_answers
@_court
@_by
@_unit
def orders_forward(settings, service, session, number, version, role, department, judge,
                   reason, hold, court, by, **kw):
    """Forward an order (R4) and dispatch it (R5)."""
    o = _find(settings, service, session, number, court)
    t = service.forward(session, o, version=version, by=by, at=_now(),
                        answers=_make_answers(kw), role=role, department=department,
                        judge=judge, reason=reason, dispatch=not hold)
    when = (f"feedback due {_local(o.feedback_due_at, settings)}" if o.dispatched_at
            else f"dispatch due {_local(o.dispatch_due_at, settings)}")
    click.echo(f"{o.number} → {t.role.label_zh} {t.name} {t.mobile} [{o.rule}]; {when}")


@orders.command(name="dispatch")
@click.argument("number")
@_court
@_by
@_unit
def orders_dispatch(settings, service, session, number, court, by):
    """Dispatch an order decided with --hold (R5)."""
    o = _find(settings, service, session, number, court)
    service.dispatch(session, o, by=by, at=_now())
    click.echo(f"{o.number} dispatched; feedback due {_local(o.feedback_due_at, settings)}")


@orders.command(name="feedback")
@click.argument("number")
@click.option("--text", required=True, help="What was done (R7).")
@_court
@_by
@_unit
def orders_feedback(settings, service, session, number, text, court, by):
    """Record the handler's feedback (R7); a callback is scheduled (R10)."""
    o = _find(settings, service, session, number, court)
    service.feedback(session, o, by=by, at=_now(), text=text)
    click.echo(f"{o.number} fed back; callback scheduled")


@orders.command(name="close")
@click.argument("number")
@click.option("--resolution", required=True, help="How the matter was resolved.")
@click.option("--version", type=int, default=None)
@click.option("--reason", default="", help="Needed when R4 proposes to forward.")
@_answers
@_court
@_by
@_unit
def orders_close(settings, service, session, number, resolution, version, reason, court, by,
                 **kw):
    """Close an order: on the call (R4.1/R4.2) or after feedback."""
    o = _find(settings, service, session, number, court)
    service.close(session, o, version=version, by=by, at=_now(), resolution=resolution,
                  answers=_make_answers(kw), reason=reason)
    click.echo(f"{o.number} closed [{o.rule}]")


# ---- the sweep, reminders, callbacks --------------------------------------------------------
@main.command()
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
              default=None, help="Sweep as of this court-local time (default: now).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def sweep(ctx, at, as_json):
    """Mark overdue orders, open reminders and escalations, callbacks (R8, R10). Safe to run
    any number of times, also concurrently."""
    settings = _settings(ctx)
    service = _platform(ctx).service
    now = at.replace(tzinfo=settings.tz).astimezone(UTC) if at else _now()
    report = run_sweep(_platform(ctx).uow, service.calendar, service.policy, now,
                       quiet=service.quiet)
    d = report.as_dict()
    _emit(d, as_json, f"looked at {d['orders']} due orders: {d['overdue']} newly overdue, "
                      f"{d['reminders']} reminders, {d['escalations']} escalations, "
                      f"{d['callbacks']} callbacks opened ({d['seconds']:.2f} s)")


@main.group()
def reminders() -> None:
    """Reminders (催办, R8) the operators must send."""


@reminders.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Also those already sent.")
@click.option("--json", "as_json", is_flag=True)
@_unit
def reminders_list(settings, service, session, show_all, as_json):
    from workorder.models import WorkOrder

    q = (select(Reminder, WorkOrder.number, WorkOrder.court)
         .join(WorkOrder, WorkOrder.id == Reminder.order_id).order_by(Reminder.due_by))
    if not show_all:
        q = q.where(Reminder.sent_at.is_(None))
    rows = [{"id": r.id, "order": n, "court": c, "to": r.to_name, "mobile": r.to_mobile,
             "due_by": _local(r.due_by, settings), "sent_at": _local(r.sent_at, settings)}
            for r, n, c in session.execute(q.limit(500))]
    _emit(rows, as_json, "\n".join(
        f"{r['id']:>6}  {r['order']}  to {r['to'] or '?'} {r['mobile']}  due by {r['due_by']}"
        + (f"  sent {r['sent_at']}" if r["sent_at"] else "") for r in rows) or "no reminders")


@reminders.command(name="send")
@click.argument("reminder_id", type=int)
@click.option("--phoned", is_flag=True,
              help="The reminder was made by phone: record it, send no text.")
@_by
@_unit
def reminders_send(settings, service, session, reminder_id, phoned, by):
    """Send a reminder (催办, R8): a text to the department head and the assignee through
    the outbox (or record one made by phone)."""
    texts = service.remind(session, reminder_id, by=by, at=_now(), phoned=phoned)
    click.echo(f"reminder {reminder_id} recorded as made by phone" if phoned else
               f"reminder {reminder_id}: {texts} text{'s' if texts != 1 else ''} queued")


@main.group()
def callbacks() -> None:
    """Callbacks (回访, R10)."""


@callbacks.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Also done and failed ones.")
@_court
@click.option("--json", "as_json", is_flag=True)
@_unit
def callbacks_list(settings, service, session, show_all, court, as_json):
    """Pending callbacks, litigation-rights matters first (R10)."""
    rows = [{"id": t.id, "order": o.number, "reason": t.reason, "priority": t.priority,
             "phone": t.phone, "due_at": _local(t.due_at, settings), "status": t.status,
             "attempts": t.attempts, "satisfaction": t.satisfaction}
            for t, o in callback_tasks.open_tasks(session, court, include_done=show_all)]
    _emit(rows, as_json, "\n".join(
        f"{r['id']:>6}  P{r['priority']}  {r['order']}  {r['reason']:<10} {r['phone']:<13} "
        f"due {r['due_at']}  {r['status']}"
        + (f" {r['satisfaction']}" if r["satisfaction"] else "") for r in rows)
        or "no callbacks to make")


@callbacks.command(name="done")
@click.argument("task_id", type=int)
@click.option("--outcome", required=True, type=click.Choice(callback_tasks.OUTCOMES))
@click.option("--satisfaction", help="满意 / 基本满意 / 不满意")
@click.option("--note", default="")
@_by
@_unit
def callbacks_done(settings, service, session, task_id, outcome, satisfaction, note, by):
    """Record a callback attempt; reaching the caller after feedback closes the order."""
    t = callback_tasks.record(session, service.calendar, service.policy, task_id, by=by,
                              at=_now(), outcome=outcome, satisfaction=satisfaction, note=note)
    click.echo(f"callback {t.id}: {t.status}" + (f", {t.satisfaction}" if t.satisfaction else ""))


# ---- the ledger -----------------------------------------------------------------------------
@main.command()
@click.option("--month", required=True, help="YYYY-MM")
@_court
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "json"]), default="xlsx",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Default: ledger-YYYY-MM.<format> in the current folder ('-' = stdout "
                   "for csv/json).")
@_unit
def ledger(settings, service, session, month, court, fmt, output):
    """The monthly ledger (台账, R9): volumes, rates with definitions, rankings, laggards."""
    data = ledger_mod.build(session, month, settings.tz, _now(), court=court,
                            target_s=settings.answer_target_s)
    if output is None:
        output = Path(f"ledger-{month}{'-' + court if court else ''}.{fmt}")
    if str(output) == "-":
        if fmt == "xlsx":
            raise Fail("xlsx cannot go to stdout; give --output FILE")
        sys.stdout.write(ledger_export.render_text(data, fmt))
        return
    try:
        ledger_export.write(data, fmt, output)
    except OSError as exc:
        raise Fail(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"ledger {month} ({court or 'all courts'}): {data.totals.orders} orders → {output}")
