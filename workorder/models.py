"""Persistent records of the work-order domain: calls and their timelines, work orders with
their history, reminders, escalations and callbacks, and the court directory.

SQLAlchemy declarative models on the one :class:`Base` every area's tables share: the
outbox is in workorder/notices.py, recordings, flags and the audit log in
recordings/models.py, seats in hotline/seats.py, the web pages' users in
hotline/web/models.py. Alembic (hotline/migrations) owns the schema. Times are stored in
UTC and always come back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Call(Base):
    """One call to the line (R2: every call leaves a record, answered or not)."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(64), unique=True)  # PBX channel id
    caller_phone: Mapped[str | None] = mapped_column(String(24), index=True)
    caller_raw: Mapped[str] = mapped_column(String(64), default="")
    caller_name: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    mode: Mapped[str] = mapped_column(String(8))  # open | closed, decided at arrival
    mode_reason: Mapped[str] = mapped_column(String(64), default="")
    order_type: Mapped[int | None] = mapped_column(Integer)
    menu_attempts: Mapped[int] = mapped_column(Integer, default=0)
    queue: Mapped[str | None] = mapped_column(String(40))
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seat: Mapped[str | None] = mapped_column(String(40))
    hold_time_s: Mapped[int | None] = mapped_column(Integer)  # AMI HoldTime: seconds waited
    talk_time_s: Mapped[int | None] = mapped_column(Integer)
    overflowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    recording_path: Mapped[str | None] = mapped_column(String(255))

    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", order_by="CallEvent.id", cascade="all, delete-orphan"
    )


class CallEvent(Base):
    """The call timeline: offered, ringing seat, answered, abandoned, overflowed, completed…"""

    __tablename__ = "call_events"
    __table_args__ = (Index("ix_call_events_call_at", "call_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    seat: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    call: Mapped[Call] = relationship(back_populates="events")


class WorkOrder(Base):
    """工单: what the caller wants and what became of it.

    ``version`` is the optimistic lock: an operator's edit names the version it was made
    on, and the update only applies if nobody changed the order in between. The fields the
    sweep maintains (overdue, escalation level, next_due_at) are written without bumping it,
    so a background job never invalidates an operator's open form.
    """

    __tablename__ = "work_orders"
    __table_args__ = (
        UniqueConstraint("court", "number"),
        # The ledger reads one court's month; the sweep reads what is due (see bench/).
        Index("ix_work_orders_court_created", "court", "created_at"),
        Index("ix_work_orders_next_due", "next_due_at",
              sqlite_where=text("next_due_at IS NOT NULL"),
              postgresql_where=text("next_due_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    court: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(32))  # human-readable, per court and day
    channel: Mapped[str] = mapped_column(String(16))
    order_type: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)
    caller_phone: Mapped[str | None] = mapped_column(String(24), index=True)
    caller_name: Mapped[str] = mapped_column(String(64), default="")
    callback_phone: Mapped[str | None] = mapped_column(String(24))
    content: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    case_number: Mapped[str | None] = mapped_column(String(48), index=True)  # canonical form
    registered_by: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Flags the operator sets (R4.7 abusive, R4.8 urgent; R10 litigation rights → priority).
    abusive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    touches_rights: Mapped[bool] = mapped_column(Boolean, default=False,
                                                 server_default=false())
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))

    # The handling decision (R4) and who must act on it.
    rule: Mapped[str | None] = mapped_column(String(8))  # e.g. "R4.4"
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    assignee_role: Mapped[str | None] = mapped_column(String(32))
    assignee_name: Mapped[str | None] = mapped_column(String(32))
    assignee_mobile: Mapped[str | None] = mapped_column(String(24))
    judge_id: Mapped[int | None] = mapped_column(ForeignKey("judges.id"))

    # The clock (R5, R7, R8): all deadlines are instants computed on working time.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatch_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_by: Mapped[str | None] = mapped_column(String(40))
    feedback_text: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)  # how it was closed
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_reason: Mapped[str | None] = mapped_column(String(64))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The next instant the sweep has something to do for this order; NULL = nothing.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class OrderCall(Base):
    """Further calls about an order (the caller phoned again); the first is ``call_id``."""

    __tablename__ = "order_calls"
    __table_args__ = (UniqueConstraint("order_id", "call_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class OrderHistory(Base):
    """Append-only history of every change to an order: who, when, what, why.

    The database refuses UPDATE and DELETE on this table (triggers in the migration)."""

    __tablename__ = "order_history"
    __table_args__ = (Index("ix_order_history_order", "order_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(24))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")


class Reminder(Base):
    """催办 (R8): the operator must remind the department head within 1 working day of the
    order becoming overdue. Created once per order and round by the sweep."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("order_id", "round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    round: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_by: Mapped[datetime] = mapped_column(UTCDateTime)
    to_name: Mapped[str] = mapped_column(String(32), default="")
    to_mobile: Mapped[str] = mapped_column(String(24), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    sent_by: Mapped[str | None] = mapped_column(String(40))


class Escalation(Base):
    """A step of the escalation ladder reached by an order without a reply (R8)."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("order_id", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    level: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    court: Mapped[str] = mapped_column(String(64))
    to_name: Mapped[str] = mapped_column(String(32), default="")
    to_mobile: Mapped[str] = mapped_column(String(24), default="")


class CallbackTask(Base):
    """回访 (R10): call the caller back after feedback, and after every abandoned or
    unanswered call (R2). One task per order and reason."""

    __tablename__ = "callbacks"
    __table_args__ = (
        UniqueConstraint("order_id", "reason"),
        Index("ix_callbacks_open", "status", "priority", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    reason: Mapped[str] = mapped_column(String(16))  # feedback | abandoned | unanswered | ...
    priority: Mapped[int] = mapped_column(Integer)  # 1 = touches litigation rights, 2 = other
    phone: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(16))
    satisfaction: Mapped[str | None] = mapped_column(String(8))  # 满意 / 基本满意 / 不满意
    note: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(40))


class OutboundCall(Base):
    """A call the hotline placed for an order: a callback (R2, R10) or a party the operator
    dialled from the panel. The seat's phone rings first; once it answers, the party is
    dialled through the carrier trunk. ``uniqueid`` is the seat leg's channel id, given
    to the PBX when the call is placed, so the outcome finds its row however it comes
    back (and the PBX refuses a second channel with the same id).

    ``outcome``: answered | busy | no_answer | rejected (the carrier refused: 403, 404) |
    failed (503, congestion, the trunk down) | seat_missed (the seat did not answer) |
    not_placed (the PBX refused the call); None while it goes on."""

    __tablename__ = "outbound_calls"
    __table_args__ = (
        Index("ix_outbound_calls_order", "order_id", "id"),
        # one call at a time for a callback: two seats clicking it, or a seat and virtual
        # hold, make one call
        Index("ux_outbound_calls_live_callback", "callback_id", unique=True,
              sqlite_where=text("outcome IS NULL"), postgresql_where=text("outcome IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(64), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callbacks.id"))
    purpose: Mapped[str] = mapped_column(String(12))  # callback | dial
    number: Mapped[str] = mapped_column(String(24))  # the national number dialled
    seat: Mapped[str] = mapped_column(String(32))
    placed_by: Mapped[str] = mapped_column(String(40))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(String(64), default="")  # the PBX's words for it
    talk_s: Mapped[int | None] = mapped_column(Integer)
    recording: Mapped[str | None] = mapped_column(String(255))  # relative to the store


class AutoCallback(Base):
    """Virtual hold (R1 overflow, R2): a caller who chose a callback keeps their place in
    the queue of their type. During staffed hours a placeholder waits in that queue where
    the caller would stand (by ``arrived_at``, their first entry into a queue); when a
    seat takes it, the seat hears who it is and the party is dialled (an
    :class:`OutboundCall` of purpose callback). ``state``: waiting → queued (one
    placeholder, ``attempt`` the id of its call) → done | waiting again (retried) |
    deferred (the next working day's callback task, R10)."""

    __tablename__ = "auto_callbacks"
    __table_args__ = (Index("ix_auto_callbacks_state", "state", "arrived_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("callbacks.id"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    number: Mapped[str] = mapped_column(String(24))
    order_type: Mapped[int] = mapped_column(Integer)
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(12), default="waiting")
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # dialled and not reached
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempt: Mapped[str | None] = mapped_column(String(64))  # the OutboundCall's uniqueid
    placeholder: Mapped[str | None] = mapped_column(String(64), unique=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    originated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OrderCounter(Base):
    """The last order number given per court and day: one atomic increment per call, so
    several FastAGI servers on one PostgreSQL never hand out the same number."""

    __tablename__ = "order_counters"

    court: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # YYYYMMDD, court time
    last: Mapped[int] = mapped_column(Integer)


class LineState(Base):
    """Small shared switches, e.g. the manual open/closed mode."""

    __tablename__ = "line_state"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class Court(Base):
    """A court of the platform: an intermediate court (中院) and its primary courts (基层法院)."""

    __tablename__ = "courts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    code: Mapped[str | None] = mapped_column(String(16), unique=True)  # 法院代字, e.g. 京0105
    level: Mapped[str] = mapped_column(String(16))  # intermediate | primary
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id"))


class Leader(Base):
    """Court leadership: the president (院长) and deputy presidents (分管副院长)."""

    __tablename__ = "leaders"
    __table_args__ = (UniqueConstraint("court", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    court: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(20))  # president | deputy_president
    mobile: Mapped[str] = mapped_column(String(24), default="")
    portfolio: Mapped[str] = mapped_column(String(255), default="")


class Department(Base):
    """A court department with its head, deputy head and liaison officer (联络员)."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("court", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    court: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    head_name: Mapped[str] = mapped_column(String(32), default="")
    head_mobile: Mapped[str] = mapped_column(String(24), default="")
    # trial | filing | petition | enforcement | enforcement_supervision | discipline | other
    kind: Mapped[str] = mapped_column(String(24), default="trial", server_default="trial")
    deputy_head_name: Mapped[str] = mapped_column(String(32), default="", server_default="")
    deputy_head_mobile: Mapped[str] = mapped_column(String(24), default="", server_default="")
    liaison_name: Mapped[str] = mapped_column(String(32), default="", server_default="")
    liaison_post: Mapped[str] = mapped_column(String(32), default="", server_default="")
    liaison_office_phone: Mapped[str] = mapped_column(String(24), default="", server_default="")
    liaison_mobile: Mapped[str] = mapped_column(String(24), default="", server_default="")
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("leaders.id"))  # 分管副院长


class Judge(Base):
    """A judge (法官); the name is unique within a court, as the directory files key it."""

    __tablename__ = "judges"
    __table_args__ = (UniqueConstraint("court", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    mobile: Mapped[str] = mapped_column(String(24), default="")
    court: Mapped[str] = mapped_column(String(64), default="", server_default="")


class Case(Base):
    """A case and its presiding judge (承办法官), from the trial-management system."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_year_seq", "year", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(48), unique=True)  # canonical form
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    court: Mapped[str] = mapped_column(String(64))
    judge_id: Mapped[int | None] = mapped_column(ForeignKey("judges.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    cause: Mapped[str] = mapped_column(String(64), default="")  # 案由


