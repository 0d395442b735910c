"""`hotline orders …`: work orders (工单) from the command line — list, show, history,
register from another channel, edit, what R4 proposes, forward and dispatch (R5), feedback
(R7), close. Each command that changes an order is one unit of work: it commits everything
or nothing, and the texts it writes go once it has committed."""

from __future__ import annotations

import functools

import click
from sqlalchemy import select

from hotline.cli.common import (
    Fail,
    answers,
    answers_options,
    by_option,
    court_option,
    echo,
    emit,
    json_text,
    local,
    now_utc,
    order_summary,
    pass_platform,
    phone_number,
    unit,
)
from hotline.platform import Platform
from hotline.settings import Settings
from recordings.models import Recording
from workorder.models import Call, Escalation, OrderCall, Reminder, WorkOrder
from workorder.orders import Service
from workorder.types import OrderStatus, OrderType, Role


@click.group(name="orders")
def command() -> None:
    """Work orders (工单)."""


@command.command(name="list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.option("--status", help="Only orders in this status (e.g. dispatched).")
@click.option("--overdue", is_flag=True, help="Only overdue orders (red light, R8).")
@click.option("--json", "as_json", is_flag=True)
@pass_platform
def list_(platform: Platform, limit: int, status: str | None, overdue: bool,
          as_json: bool) -> None:
    """The newest orders first, with their light (green / yellow / red)."""
    settings, service = platform.settings, platform.service
    at = now_utc()
    q = select(WorkOrder).order_by(WorkOrder.id.desc()).limit(limit)
    if status:
        q = q.where(WorkOrder.status == status)
    if overdue:
        q = q.where(WorkOrder.overdue_at.is_not(None), WorkOrder.feedback_at.is_(None),
                    WorkOrder.status != "closed")
    with platform.uow() as session:
        items = [{**order_summary(o, settings), "light": service.light(o, at)}
                 for o in session.scalars(q)]
    if as_json:
        click.echo(json_text(items))
        return
    if not items:
        click.echo("no orders")
    for o in items:
        echo(f"{o['id']:>6}  {o['number']}  {o['created_at']}  {o['caller_phone'] or '-':<14}"
                   f"  {o['type']} {o['type_label']:<4}  {o['channel']:<7}  {o['status']:<16}"
                   f"  {o['light'] or ''}")


def order_view(settings: Settings, service: Service, session, o) -> dict:
    at = now_utc()
    loc = functools.partial(local, settings=settings)
    calls = [o.call_id] if o.call_id else []
    calls += [c for c in session.scalars(select(OrderCall.call_id)
                                         .where(OrderCall.order_id == o.id))]
    recordings = session.scalars(select(Recording.path).where(Recording.call_id.in_(calls))
                                 ).all() if calls else []
    history = service.caller_history(session, o)
    return {
        "number": o.number, "court": o.court, "version": o.version, "status": o.status,
        "status_label": OrderStatus(o.status).label_zh, "light": service.light(o, at),
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


def _find(platform: Platform, session, number: str, court: str | None):
    return platform.service.find(session, court or platform.settings.court_name, number)


@command.command(name="show")
@click.argument("number")
@court_option
@click.option("--json", "as_json", is_flag=True)
@unit
def show(platform, session, number, court, as_json):
    """One order: its state, light, deadlines, reminders, escalations and earlier matters."""
    settings, service = platform.settings, platform.service
    v = order_view(settings, service, session, _find(platform, session, number, court))
    emit(v, as_json, _show_text(v))


@command.command(name="history")
@click.argument("number")
@court_option
@click.option("--json", "as_json", is_flag=True)
@unit
def history(platform, session, number, court, as_json):
    """Every change to an order: who, when, what, why (append-only)."""
    settings, service = platform.settings, platform.service
    o = _find(platform, session, number, court)
    rows = [{"at": local(h.at, settings), "actor": h.actor, "action": h.action,
             "changes": h.changes, "reason": h.reason} for h in service.history(session, o)]
    text = "\n".join(f"{r['at']}  {r['actor']:<10} {r['action']:<11} "
                     + ", ".join(f"{k}: {a} → {b}" for k, (a, b) in r["changes"].items())
                     + (f"  — {r['reason']}" if r["reason"] else "") for r in rows)
    emit(rows, as_json, text or "no history")


@command.command(name="new")
@click.option("--channel", required=True, help="hotline, hall, kiosk, web or wechat.")
@click.option("--type", "order_type", required=True, help="1–6 (R3).")
@click.option("--phone", default=None, callback=phone_number,
              help="The caller's number (empty or - when withheld).")
@click.option("--name", default="")
@click.option("--content", default="")
@click.option("--case", "case_number", default=None)
@court_option
@by_option
@unit
def new(platform, session, channel, order_type, phone, name, content,
               case_number, court, by):
    """Register an order from another channel (service hall, kiosk, web, WeChat)."""
    settings, service = platform.settings, platform.service
    o = service.open_order(session, court or settings.court_name, channel=channel,
                           order_type=order_type, by=by, at=now_utc(), caller_phone=phone,
                           caller_name=name, content=content, case_number=case_number)
    click.echo(f"{o.number} registered (version {o.version})")


@command.command(name="edit")
@click.argument("number")
@click.option("--version", type=int, required=True,
              help="The version you read (orders show); refused if someone changed it since.")
@click.option("--name")
@click.option("--phone", callback=phone_number,
              help="The caller's number (empty or - to clear it).")
@click.option("--callback-phone", callback=phone_number,
              help="The number to call back (empty or - to clear it).")
@click.option("--type", "order_type")
@click.option("--content")
@click.option("--case", "case_number")
@click.option("--abusive/--not-abusive", default=None)
@click.option("--urgent/--not-urgent", default=None)
@click.option("--rights/--no-rights", default=None, help="Touches litigation rights (R10).")
@click.option("--repeat-of", help="The earlier order this call is about (R4.2, R8).")
@click.option("--reason", default="")
@court_option
@by_option
@unit
def edit(platform, session, number, version, name, phone, callback_phone,
                order_type, content, case_number, abusive, urgent, rights, repeat_of, reason,
                court, by):
    """Change caller, type, content, case number or flags (optimistic lock)."""
    service = platform.service
    o = _find(platform, session, number, court)
    fields = {k: v for k, v in dict(
        caller_name=name, caller_phone=phone, callback_phone=callback_phone,
        order_type=order_type, content=content, case_number=case_number, abusive=abusive,
        urgent=urgent, touches_rights=rights, repeat_of=repeat_of).items() if v is not None}
    if not fields:
        raise Fail("nothing to change; see `hotline orders edit --help`")
    changes = service.edit(session, o, version=version, by=by, at=now_utc(), reason=reason,
                           **fields)
    echo(f"{o.number}: " + (", ".join(f"{k} {a!r} → {b!r}" for k, (a, b)
                                            in changes.items()) or "no change")
               + f" (version {o.version})")


@command.command(name="propose")
@click.argument("number")
@answers_options
@court_option
@click.option("--json", "as_json", is_flag=True)
@unit
def propose(platform, session, number, court, as_json, **kw):
    """What R4 prescribes for this order, given your answers."""
    service = platform.service
    o = _find(platform, session, number, court)
    p = service.proposal(session, o, answers(kw))
    target = service.preview_target(session, o, p)
    data = {"forward": p.forward, "rule": p.rule, "rules": list(p.rules),
            "role": p.role.value if p.role else None, "why": p.why, "immediate": p.immediate,
            "report_to": [r.value for r in p.report_to],
            "target": {"name": target.name, "mobile": target.mobile} if target else None}
    unknown = "(who: give the case number, or --judge / --department when forwarding)"
    who = f" → {p.role.label_zh} {target.name if target else unknown}" if p.role else ""
    emit(data, as_json, f"{'forward' if p.forward else 'close on the call'}{who}  "
                         f"[{', '.join(p.rules)}]\n{p.why}")


@command.command(name="forward")
@click.argument("number")
@click.option("--version", type=int, default=None)
@click.option("--role", type=click.Choice([r.value for r in Role]),
              help="Default: the role R4 proposes.")
@click.option("--department", help="The department concerned (by name).")
@click.option("--judge", help="The judge concerned (by name).")
@click.option("--reason", default="", help="Needed when not following R4.")
@click.option("--hold", is_flag=True, help="Decide now, dispatch later (within 2 hours, R5).")
@answers_options
@court_option
@by_option
@unit
def forward(platform, session, number, version, role, department, judge,
                   reason, hold, court, by, **kw):
    """Forward an order (R4) and dispatch it (R5)."""
    settings, service = platform.settings, platform.service
    o = _find(platform, session, number, court)
    t = service.forward(session, o, version=version, by=by, at=now_utc(),
                        answers=answers(kw), role=role, department=department,
                        judge=judge, reason=reason, dispatch=not hold)
    when = (f"feedback due {local(o.feedback_due_at, settings)}" if o.dispatched_at
            else f"dispatch due {local(o.dispatch_due_at, settings)}")
    echo(f"{o.number} → {t.role.label_zh} {t.name} {t.mobile} [{o.rule}]; {when}")


@command.command(name="dispatch")
@click.argument("number")
@court_option
@by_option
@unit
def dispatch(platform, session, number, court, by):
    """Dispatch an order decided with --hold (R5)."""
    settings, service = platform.settings, platform.service
    o = _find(platform, session, number, court)
    service.dispatch(session, o, by=by, at=now_utc())
    click.echo(f"{o.number} dispatched; feedback due {local(o.feedback_due_at, settings)}")


@command.command(name="feedback")
@click.argument("number")
@click.option("--text", required=True, help="What was done (R7).")
@court_option
@by_option
@unit
def feedback(platform, session, number, text, court, by):
    """Record the handler's feedback (R7); a callback is scheduled (R10)."""
    service = platform.service
    o = _find(platform, session, number, court)
    service.feedback(session, o, by=by, at=now_utc(), text=text)
    click.echo(f"{o.number} fed back; callback scheduled")


@command.command(name="close")
@click.argument("number")
@click.option("--resolution", required=True, help="How the matter was resolved.")
@click.option("--version", type=int, default=None)
@click.option("--reason", default="", help="Needed when R4 proposes to forward.")
@answers_options
@court_option
@by_option
@unit
def close(platform, session, number, resolution, version, reason, court, by,
                 **kw):
    """Close an order: on the call (R4.1/R4.2) or after feedback."""
    service = platform.service
    o = _find(platform, session, number, court)
    service.close(session, o, version=version, by=by, at=now_utc(), resolution=resolution,
                  answers=answers(kw), reason=reason)
    click.echo(f"{o.number} closed [{o.rule}]")
