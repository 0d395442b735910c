"""The work-order service: what operators, judges and supervisors do to an order.

Each function takes a SQLAlchemy session and does not commit (the caller's unit of work
decides), checks its input completely before it changes anything, and appends every change
to the order's history (who, when, what, why). Operator edits name the version they were
made on (optimistic lock): two people never overwrite each other silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from workorder import callbacks, casenumber, notices, phone, routing, text
from workorder.calendar import CourtCalendar
from workorder.deadlines import Clock, Policy, due_actions, end_of_working_day, light
from workorder.errors import DomainError
from workorder.history import record_history
from workorder.models import (
    Case,
    Court,
    Department,
    Judge,
    OrderCall,
    OrderHistory,
    Reminder,
    WorkOrder,
)
from workorder.registration import next_order_number
from workorder.rules import Answers, History, Proposal, propose
from workorder.text import FEEDBACK_MAX
from workorder.types import CallbackReason, Channel, OrderStatus, OrderType, Role, UnknownType

__all__ = [
    "OrderError", "OrderNotFound", "Service", "StaleOrder",
]


class OrderError(DomainError):
    """A request the order cannot take; the message says why and what to do."""


class OrderNotFound(OrderError):
    pass


class StaleOrder(OrderError):
    """Someone else changed the order since the operator opened it."""


# Statuses in which the operator still handles the matter on the line.
_ON_LINE = {OrderStatus.REGISTERED, OrderStatus.IN_PROGRESS, OrderStatus.CALLBACK_PENDING,
            OrderStatus.MESSAGE_PENDING}
_FORWARDED = {OrderStatus.TO_DISPATCH, OrderStatus.DISPATCHED}
_EDITABLE = ("caller_name", "caller_phone", "callback_phone", "order_type", "content",
             "case_number", "abusive", "urgent", "touches_rights")


ACTOR_MAX = 40  # order_history.actor, registered_by, feedback_by


def free_text(value: object, field: str, *, limit: int | None = None,
              one_line: bool | None = None) -> str:
    """:func:`workorder.text.clean` for a field of an order: what is refused is an
    :class:`OrderError` like any other refusal of the order (every entry point shows it)."""
    try:
        return text.clean(value, field, limit=limit, one_line=one_line)
    except text.TextError as exc:
        raise OrderError(str(exc)) from None


def check_actor(actor: str) -> str:
    """Who acts: a seat, a login or a judge's name, as it is stored (no control or
    bidirectional characters); too long is refused, not truncated."""
    who = free_text(actor, "by")
    if not who or len(who) > ACTOR_MAX:
        raise OrderError(f"who acts (--by) must be 1 to {ACTOR_MAX} characters, "
                         f"got {str(actor)[:50]!r}")
    return who


@dataclass
class Service:
    """Binds the court's calendar and deadline policy; one per process is enough."""

    calendar: CourtCalendar
    policy: Policy
    quiet: notices.QuietHours = field(default_factory=notices.QuietHours)

    # ---- reading ----------------------------------------------------------------------
    def find(self, session: Session, court: str, number: str) -> WorkOrder:
        number = (number or "").strip()
        order = session.scalar(select(WorkOrder).where(WorkOrder.court == court,
                                                       WorkOrder.number == number))
        if order is None:
            raise OrderNotFound(f"no work order {number!r} in {court} "
                                "(numbers look like 20261124-0001; see `hotline orders list`)")
        return order

    def history(self, session: Session, order: WorkOrder) -> list[OrderHistory]:
        return list(session.scalars(select(OrderHistory).where(OrderHistory.order_id == order.id)
                                    .order_by(OrderHistory.id)))

    def clock(self, order: WorkOrder, primary_court: bool = False) -> Clock:
        return Clock(order.status, order.created_at, order.dispatch_due_at, order.dispatched_at,
                     order.feedback_due_at, order.feedback_at, order.overdue_at,
                     order.escalation_level, primary_court)

    def light(self, order: WorkOrder, now: datetime) -> str | None:
        lit = light(self.clock(order), now, self.policy)
        return lit.value if lit else None

    def earlier_matters(self, session: Session, order: WorkOrder) -> list[WorkOrder]:
        """The caller's other orders in the repeat window: same case number anywhere on the
        platform, or same phone in the same court; newest first."""
        conds = []
        if order.case_number:
            conds.append(WorkOrder.case_number == order.case_number)
        if order.caller_phone:
            conds.append((WorkOrder.caller_phone == order.caller_phone)
                         & (WorkOrder.court == order.court))
        if not conds:
            return []
        since = order.created_at - timedelta(days=self.policy.repeat_window_days)
        return list(session.scalars(
            select(WorkOrder).where(or_(*conds), WorkOrder.id != order.id,
                                    WorkOrder.created_at >= since,
                                    WorkOrder.created_at <= order.created_at)
            .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(20)))

    def caller_history(self, session: Session, order: WorkOrder) -> History:
        earlier = self.earlier_matters(session, order)
        contact = next((o.number for o in earlier
                        if o.order_type == OrderType.CONTACT_JUDGE), None)
        open_fwd = None
        if order.repeat_of_id:
            first = session.get(WorkOrder, order.repeat_of_id)
            if first is not None and self._awaits_feedback(first):
                open_fwd = first.number
        if open_fwd is None:
            open_fwd = next((o.number for o in earlier if self._awaits_feedback(o)), None)
        return History(earlier_contact_judge=contact, open_forwarded=open_fwd)

    @staticmethod
    def _awaits_feedback(o: WorkOrder) -> bool:
        return o.status in _FORWARDED and o.feedback_at is None

    # ---- history and locking -------------------------------------------------------------
    def _log(self, session: Session, order: WorkOrder, at: datetime, actor: str, action: str,
             changes: dict | None = None, reason: str = "") -> None:
        record_history(session, order.id, at, check_actor(actor), action, changes, reason)

    def _check_version(self, session: Session, order: WorkOrder, version: int | None) -> None:
        if version is None:
            return
        # Read the stored version, not the loaded object's: it may have been loaded before
        # someone else saved.
        current = session.scalar(select(WorkOrder.version).where(WorkOrder.id == order.id))
        if version == current:
            return
        last = session.scalar(select(OrderHistory).where(OrderHistory.order_id == order.id)
                              .order_by(OrderHistory.id.desc()).limit(1))
        who = f" by {last.actor} ({last.action}, {last.at:%Y-%m-%d %H:%M:%S} UTC)" if last else ""
        raise StaleOrder(f"order {order.number} was changed{who} after you opened it "
                         f"(your version {version}, now {current}); reload it and "
                         "apply your change again — nothing was saved")

    def _flush(self, session: Session, order: WorkOrder) -> None:
        try:
            session.flush()
        except StaleDataError:
            session.rollback()
            raise StaleOrder(f"order {order.number} was changed by someone else at the same "
                             "moment; reload it and apply your change again — nothing was "
                             "saved") from None

    # ---- input --------------------------------------------------------------------------
    def parse_case(self, session: Session, court: str, text: str | None) -> Case | str | None:
        """An official case number (canonical), or a keyed year*number looked up in the
        directory's case table; None for an empty input."""
        if text is None or not text.strip():
            return None
        parsed = casenumber.parse_any(text)
        if isinstance(parsed, casenumber.CaseNumber):
            case = session.scalar(select(Case).where(Case.number == parsed.canonical))
            return case or parsed.canonical
        rows = list(session.scalars(select(Case).where(Case.year == parsed.year,
                                                       Case.seq == parsed.seq)))
        here = [c for c in rows if c.court == court] or rows
        if len(here) == 1:
            return here[0]
        if not here:
            raise OrderError(f"no case {parsed} in the directory; give the full case number "
                             "such as （2024）京0105民初1234号")
        raise OrderError(f"{parsed} matches {len(here)} cases ("
                         + "、".join(c.number for c in here[:5])
                         + "); give the full case number")

    def check_court(self, session: Session, court: str) -> str:
        """A court of the directory (R2: an order counts in its court's ledger, R9); an
        unknown name is refused with the courts there are."""
        name = (court or "").strip()
        if session.scalar(select(Court.id).where(Court.name == name)) is None:
            known = session.scalars(select(Court.name).order_by(Court.id)).all()
            raise OrderError(f"无此法院 {name[:64]!r}（unknown court）；known: "
                             + ("、".join(known) or "none — import the directory first")
                             + "; see `hotline directory list`")
        return name

    def _department(self, session: Session, court: str, name: str) -> Department:
        dept = session.scalar(select(Department).where(Department.court == court,
                                                       Department.name == name.strip()))
        if dept is None:
            known = session.scalars(select(Department.name).where(Department.court == court)
                                    .order_by(Department.name)).all()
            raise OrderError(f"unknown department {name!r} in {court}; known: "
                             + ("、".join(known) or "none — import the directory first"))
        return dept

    def _judge(self, session: Session, court: str, name: str) -> Judge:
        judge = session.scalar(select(Judge).where(Judge.court == court,
                                                   Judge.name == name.strip()))
        if judge is None:
            raise OrderError(f"unknown judge {name!r} in {court}; check the directory "
                             "(`hotline directory list`)")
        return judge

    def _validated(self, session: Session, order: WorkOrder, fields: dict) -> dict:
        unknown = set(fields) - set(_EDITABLE) - {"repeat_of"}
        if unknown:
            raise OrderError(f"cannot edit {', '.join(sorted(unknown))}; editable: "
                             + ", ".join(_EDITABLE))
        out: dict = {}
        for key, value in fields.items():
            if key in ("caller_phone", "callback_phone"):
                if value in (None, ""):
                    out[key] = None
                    continue
                number = phone.normalize(str(value))
                if number is None:
                    raise OrderError(f"{key}: {str(value)[:30]!r} is not a phone number")
                out[key] = number
            elif key == "caller_name":
                out[key] = free_text(value, key, limit=text.NAME_MAX)
            elif key == "order_type":
                try:
                    out[key] = int(OrderType.from_key(value))
                except UnknownType as exc:
                    raise OrderError(str(exc)) from None
            elif key == "content":  # the one cap of every entry point (R2)
                out[key] = free_text(value, key, limit=text.CONTENT_MAX)
            elif key == "case_number":
                try:
                    case = self.parse_case(session, order.court, value)
                except casenumber.CaseNumberError as exc:
                    raise OrderError(str(exc)) from None
                out[key] = case.number if isinstance(case, Case) else case
            elif key == "repeat_of":
                earlier = self.find(session, order.court, str(value))
                if earlier.id == order.id:
                    raise OrderError("an order cannot repeat itself")
                out[key] = earlier
            else:  # a flag: true or false, never a guess ("no" is not true)
                try:
                    out[key] = text.flag(value, key)
                except text.TextError as exc:
                    raise OrderError(str(exc)) from None
        return out

    # ---- operator actions ----------------------------------------------------------------
    def open_order(self, session: Session, court: str, *, channel: str, order_type: int,
                   by: str, at: datetime, caller_phone: str | None = None,
                   caller_name: str = "", content: str = "",
                   case_number: str | None = None) -> WorkOrder:
        """An order from another channel (hall, kiosk, web, WeChat), registered by hand,
        in a court of the directory."""
        by = check_actor(by)
        court = self.check_court(session, court)
        try:
            ch = Channel(channel)
        except ValueError:
            raise OrderError(f"unknown channel {channel!r}; one of "
                             + ", ".join(c.value for c in Channel)) from None
        probe = WorkOrder(court=court, created_at=at)
        fields = self._validated(session, probe, {
            "order_type": order_type, "caller_phone": caller_phone, "caller_name": caller_name,
            "content": content, "case_number": case_number})
        day = at.astimezone(self.calendar.tz).strftime("%Y%m%d")
        order = WorkOrder(court=court, number=next_order_number(session, court, day),
                          channel=ch.value, status=OrderStatus.IN_PROGRESS.value,
                          created_at=at, updated_at=at, registered_by=by, **fields)
        session.add(order)
        session.flush()
        self._log(session, order, at, by, "registered",
                  {k: (None, v) for k, v in fields.items() if v not in (None, "")})
        self._recognise_repeat(session, order, by, at, by_case_only=True)
        return order

    def edit(self, session: Session, order: WorkOrder, *, version: int | None, by: str,
             at: datetime, reason: str = "", **fields: object) -> dict:
        """Change what the operator may change; returns {field: (old, new)}."""
        check_actor(by)
        self._check_version(session, order, version)
        reason = free_text(reason, "reason", limit=text.NOTE_MAX)
        values = self._validated(session, order, fields)
        earlier = values.pop("repeat_of", None)
        changes = {k: (getattr(order, k), v) for k, v in values.items()
                   if getattr(order, k) != v}
        if not changes and earlier is None:
            return {}
        for key, (_old, new) in changes.items():
            setattr(order, key, new)
        if changes:
            order.updated_at = at
            if order.status == OrderStatus.REGISTERED:
                order.status = OrderStatus.IN_PROGRESS.value
            self._flush(session, order)
            self._log(session, order, at, by, "edited", changes, reason)
        if earlier is not None:
            self.mark_repeat(session, order, earlier, by, at)
        elif "case_number" in changes or "caller_phone" in changes:
            self._recognise_repeat(session, order, by, at, by_case_only=True)
        return changes

    def confirm_message(self, session: Session, order: WorkOrder, *, version: int | None,
                        by: str, at: datetime, **fields: object) -> dict:
        """R6: the operator has listened to the message and confirms (or corrects) what the
        transcription suggested; the order is then handled like any other (answered,
        closed or forwarded)."""
        if order.status != OrderStatus.MESSAGE_PENDING:
            raise OrderError(f"order {order.number} is not a message waiting to be heard "
                             f"(it is {OrderStatus(order.status).label_zh})")
        changes = self.edit(session, order, version=version, by=by, at=at,
                            reason="listened to the message (R6)", **fields)
        order.status = OrderStatus.IN_PROGRESS.value
        order.updated_at = at
        self._flush(session, order)
        self._log(session, order, at, by, "message_confirmed",
                  {"status": (OrderStatus.MESSAGE_PENDING.value, order.status)},
                  "listened to the message (R6)")
        return changes

    def _recognise_repeat(self, session: Session, order: WorkOrder, by: str, at: datetime,
                          by_case_only: bool) -> None:
        """The same caller with the same case number about a forwarded order not yet fed
        back is the same matter: that order becomes overdue (R8). Anything less (the same
        phone only, or another party to the case) is only suggested; the operator
        confirms with repeat_of."""
        for o in self.earlier_matters(session, order):
            # The other party to the same case may phone too: the same case number counts
            # as the same matter only from the same caller (phone or name).
            same_caller = bool((order.caller_phone and o.caller_phone == order.caller_phone)
                               or (order.caller_name and o.caller_name == order.caller_name))
            same_case = bool(order.case_number and o.case_number == order.case_number
                             and same_caller)
            if self._awaits_feedback(o) and (same_case or not by_case_only):
                self.mark_repeat(session, order, o, by, at)
                return

    def mark_repeat(self, session: Session, order: WorkOrder, earlier: WorkOrder, by: str,
                    at: datetime) -> None:
        """``order`` is the caller phoning again about ``earlier`` (R4.2, R8)."""
        if order.repeat_of_id != earlier.id:
            self._log(session, order, at, by, "repeat_of",
                      {"repeat_of": (None, earlier.number)})
            order.repeat_of_id = earlier.id
        if order.call_id is not None and session.scalar(
                select(OrderCall.id).where(OrderCall.order_id == earlier.id,
                                           OrderCall.call_id == order.call_id)) is None:
            session.add(OrderCall(order_id=earlier.id, call_id=order.call_id, at=at))
        if self._awaits_feedback(earlier) and earlier.overdue_at is None:
            # R8: a forwarded matter the caller has to phone about again is overdue now;
            # the sweep sends it up the reminder path (next_due_at = now).
            earlier.overdue_at, earlier.overdue_reason = at, "repeat_call"
            earlier.next_due_at = at
            self._log(session, earlier, at, by, "overdue",
                      {"overdue_at": (None, at)}, f"caller phoned again ({order.number}) (R8)")
        elif self._awaits_feedback(earlier):
            self._log(session, earlier, at, by, "repeat_call", {},
                      f"caller phoned again ({order.number})")
        self._flush(session, earlier)

    def proposal(self, session: Session, order: WorkOrder, answers: Answers) -> Proposal:
        """R4 for this order: the operator's answers plus the flags already on the order."""
        answers = replace(answers, abusive=answers.abusive or order.abusive,
                          urgent=answers.urgent or order.urgent)
        return propose(OrderType(order.order_type), answers, self.caller_history(session, order))

    def _report(self, session: Session, order: WorkOrder, p: Proposal, by: str, at: datetime,
                department_id: int | None, judge_id: int | None,
                directory: routing.Directory | None = None) -> None:
        """R4.7/R4.8: who the matter is reported to, resolved and kept in the history (the
        SMS port sends it)."""
        if not p.report_to:
            return
        directory = directory or routing.load(session)
        reports = []
        for report_role in p.report_to:
            try:
                t = directory.resolve(report_role, order.court, department_id, judge_id)
                reports.append(f"{t.role.label_zh} {t.name} {t.mobile}")
                notices.report_notice(session, order, t.role, t.name, t.mobile,
                                      "R4.8" if "R4.8" in p.rules else "R4.7", at)
            except routing.RoutingError as exc:
                reports.append(f"{report_role.value}: {exc}")
        self._log(session, order, at, by, "reported", {"to": (None, reports)},
                  f"{'/'.join(r for r in p.also if r in ('R4.7', 'R4.8')) or p.rule} "
                  "report to leadership")

    def _case_links(self, session: Session, order: WorkOrder) -> tuple[int | None, int | None]:
        if not order.case_number:
            return None, None
        case = session.scalar(select(Case).where(Case.number == order.case_number))
        return (case.judge_id, case.department_id) if case else (None, None)

    def preview_target(self, session: Session, order: WorkOrder, p: Proposal,
                       directory: routing.Directory | None = None) -> routing.Target | None:
        """Who the proposal would reach, or None (also when the directory lacks them)."""
        if not p.forward or p.role is None:
            return None
        judge_id, dept_id = self._case_links(session, order)
        directory = directory or routing.load(session)
        try:
            return directory.resolve(p.role, order.court, dept_id or order.department_id,
                                     judge_id or order.judge_id)
        except routing.RoutingError:
            return None

    def _override(self, p: Proposal, forward: bool, role: Role | None, reason: str) -> str:
        """'' when the operator follows R4; else the override, which needs a reason."""
        if forward == p.forward and (not forward or role in (None, p.role)):
            return ""
        proposed = f"forward to {p.role.value}" if p.forward and p.role else "close on the call"
        if not reason.strip():
            raise OrderError(f"{p.rule} proposes to {proposed}; to do otherwise give a "
                             "reason (--reason), which is kept in the history")
        return f"override of {p.rule} ({proposed}): {reason.strip()}"

    def close(self, session: Session, order: WorkOrder, *, version: int | None, by: str,
              at: datetime, resolution: str, answers: Answers | None = None,
              reason: str = "") -> None:
        """Close the order: on the call (R4.1/R4.2), or after feedback and callback."""
        check_actor(by)
        self._check_version(session, order, version)
        if order.status == OrderStatus.CLOSED:
            raise OrderError(f"order {order.number} is already closed")
        resolution = free_text(resolution, "resolution", limit=text.CONTENT_MAX)
        reason = free_text(reason, "reason", limit=text.NOTE_MAX)
        if not resolution:
            raise OrderError("say how the matter was resolved (--resolution)")
        note = ""
        p = None
        if order.status in _ON_LINE:
            p = self.proposal(session, order, answers or Answers())
            note = self._override(p, False, None, reason)
            order.rule = order.rule or p.rule
            # Accepted in time (R9) = closed within the same 2 working hours as a dispatch.
            order.decided_at = at
            order.dispatch_due_at = order.dispatch_due_at or self.calendar.add_working_hours(
                order.created_at, self.policy.dispatch_hours)
        elif order.status in _FORWARDED and not reason.strip():
            raise OrderError(f"order {order.number} is forwarded and has no feedback yet; "
                             "closing it now needs a reason (--reason), e.g. the caller "
                             "withdrew")
        before = order.status
        order.status, order.closed_at, order.updated_at = OrderStatus.CLOSED.value, at, at
        order.resolution, order.next_due_at = resolution, None
        if answers is not None:  # flags are only ever added, never cleared by a close
            order.abusive = order.abusive or answers.abusive
            order.urgent = order.urgent or answers.urgent
        self._flush(session, order)
        self._log(session, order, at, by, "closed", {"status": (before, order.status)},
                  note or reason)
        notices.cancel_obsolete(session, order, at)  # a request to feed back no longer applies
        if p is not None:
            judge_id, dept_id = self._case_links(session, order)
            self._report(session, order, p, by, at, dept_id or order.department_id,
                         judge_id or order.judge_id)

    def forward(self, session: Session, order: WorkOrder, *, version: int | None, by: str,
                at: datetime, answers: Answers | None = None, role: Role | str | None = None,
                department: str | None = None, judge: str | None = None, reason: str = "",
                dispatch: bool = True) -> routing.Target:
        """Decide to forward (R4) and, unless ``dispatch`` is False, dispatch at once (R5)."""
        check_actor(by)
        self._check_version(session, order, version)
        if order.status not in _ON_LINE:
            raise OrderError(f"order {order.number} is {order.status}; only an order still "
                             "on the line can be forwarded")
        reason = free_text(reason, "reason", limit=text.NOTE_MAX)
        answers = answers or Answers()
        p = self.proposal(session, order, answers)
        # --judge and --department say who the matter is about (the presiding judge, the
        # judge complained about, the department); only the role says who receives it.
        try:
            chosen = Role(role) if role else (
                p.role or (Role.JUDGE if judge and not department else Role.DEPARTMENT_HEAD))
        except ValueError:
            raise OrderError(f"unknown role {role!r}; one of "
                             + ", ".join(r.value for r in Role)) from None
        note = self._override(p, True, chosen, reason)
        judge_id, dept_id = self._case_links(session, order)
        if judge:
            judge_row = self._judge(session, order.court, judge)
            judge_id, dept_id = judge_row.id, judge_row.department_id
        if department:
            dept_id = self._department(session, order.court, department).id
        directory = routing.load(session)
        try:
            target = directory.resolve(chosen, order.court, dept_id, judge_id)
        except routing.RoutingError as exc:
            raise OrderError(str(exc)) from None
        before = order.status
        order.rule = p.rule
        order.abusive = order.abusive or answers.abusive
        order.urgent = order.urgent or answers.urgent
        order.assignee_role, order.assignee_name = target.role.value, target.name
        order.assignee_mobile = target.mobile
        order.department_id, order.judge_id = target.department_id, target.judge_id
        order.decided_at = at
        # R4.8 green channel: at once, at any hour; otherwise 2 working hours from
        # registration (R5).
        order.dispatch_due_at = at if p.immediate else self.calendar.add_working_hours(
            order.created_at, self.policy.dispatch_hours)
        order.status, order.updated_at = OrderStatus.TO_DISPATCH.value, at
        order.next_due_at = order.dispatch_due_at
        self._flush(session, order)
        self._log(session, order, at, by, "forwarded", {
            "status": (before, order.status),
            "assignee": (None, f"{target.role.label_zh} {target.name}"),
            "rules": (None, ",".join(p.rules))}, note or p.why)
        self._report(session, order, p, by, at, target.department_id, judge_id, directory)
        if dispatch:
            self.dispatch(session, order, by=by, at=at)
        return target

    def dispatch(self, session: Session, order: WorkOrder, *, by: str, at: datetime) -> None:
        """The electronic work order reaches the assignee (R5); the feedback clock starts."""
        check_actor(by)
        if order.status != OrderStatus.TO_DISPATCH:
            raise OrderError(f"order {order.number} is {order.status}, not waiting for dispatch")
        order.dispatched_at = at
        order.feedback_due_at = end_of_working_day(self.calendar, at, self.policy.feedback_days)
        order.status, order.updated_at = OrderStatus.DISPATCHED.value, at
        late = order.dispatch_due_at is not None and at > order.dispatch_due_at
        if late and order.overdue_at is None:  # R5/R8, even if no sweep ran in between
            order.overdue_at, order.overdue_reason = order.dispatch_due_at, "not_dispatched"
        plan = due_actions(self.clock(order), at, self.policy, self.calendar)
        # Something already due (a late dispatch's reminder): the next sweep records it.
        order.next_due_at = at if plan.actions else plan.next_due_at
        dept = session.get(Department, order.department_id) if order.department_id else None
        head = (dept.head_name, dept.head_mobile) if dept is not None else None
        notices.dispatch_notices(session, order, head, at, self.calendar.tz, self.quiet)
        self._flush(session, order)
        self._log(session, order, at, by, "dispatched", {
            "status": (OrderStatus.TO_DISPATCH.value, order.status),
            "feedback_due_at": (None, order.feedback_due_at)},
            "dispatched after the 2-hour limit (R5)" if late else "")

    def remind(self, session: Session, reminder_id: int, *, by: str, at: datetime,
               phoned: bool = False) -> int:
        """The operator's reminder (催办, R8): texted to the department head and the
        assignee through the outbox, or recorded as made by phone. Returns the texts
        written."""
        check_actor(by)
        r = session.get(Reminder, reminder_id)
        if r is None:
            raise OrderError(f"no reminder {reminder_id} (`reminders list` shows them)")
        if r.sent_at is not None:
            raise OrderError(f"reminder {reminder_id} was sent already at "
                             f"{r.sent_at.astimezone(self.calendar.tz):%Y-%m-%d %H:%M} "
                             f"by {r.sent_by}")
        order = session.get(WorkOrder, r.order_id)
        if order.feedback_at is not None or order.closed_at is not None:
            raise OrderError(f"order {order.number} has been answered or closed since; "
                             "no reminder is needed")
        texts = 0
        if not phoned:
            if not r.to_mobile:
                raise OrderError(f"no mobile number on file for {r.to_name or 'the head'} of "
                                 f"order {order.number}; phone them and record it as phoned")
            texts = notices.reminder_notices(session, order, r.round, (r.to_name, r.to_mobile),
                                             at, r.due_by, self.calendar.tz, self.quiet)
        r.sent_at, r.sent_by = at, by
        how = "by phone" if phoned else f"by SMS ({texts} text{'s' if texts != 1 else ''})"
        self._log(session, order, at, by, "reminded", {},
                  f"reminder #{r.round} to {r.to_name or '?'} {how} (R8)")
        return texts

    def feedback(self, session: Session, order: WorkOrder, *, by: str, at: datetime,
                 text: str) -> None:
        """The handler's result (R7): stops the clock and schedules the callback (R10).
        The text is checked like every free text, at most FEEDBACK_MAX characters."""
        by = check_actor(by)
        if order.status != OrderStatus.DISPATCHED:
            raise OrderError(f"order {order.number} is {order.status}; feedback is for a "
                             "dispatched order")
        text = free_text(text, "feedback", limit=FEEDBACK_MAX)
        if not text:
            raise OrderError("the feedback text is empty; say what was done")
        late = order.feedback_due_at is not None and at > order.feedback_due_at
        if late and order.overdue_at is None:  # R8, even if no sweep ran in between
            order.overdue_at, order.overdue_reason = order.feedback_due_at, "no_feedback"
        order.feedback_at, order.feedback_by, order.feedback_text = at, by, text
        order.status, order.updated_at, order.next_due_at = (OrderStatus.FED_BACK.value, at,
                                                             None)
        self._flush(session, order)
        self._log(session, order, at, by, "feedback", {"status": (OrderStatus.DISPATCHED.value,
                                                                   order.status)},
                  "after the deadline (R7)" if late else "")
        notices.cancel_obsolete(session, order, at)  # e.g. the request still in quiet hours
        callbacks.create(session, self.calendar, self.policy, order, CallbackReason.FEEDBACK,
                         at)
