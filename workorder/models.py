"""Persistent records of the line: calls, their timelines, work orders, the directory.

SQLAlchemy declarative models; Alembic (hotline/migrations) owns the schema. Times are
stored in UTC and always come back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
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


class OrderCounter(Base):
    """The last order number given per court and day: one atomic increment per call, so
    several FastAGI servers on one PostgreSQL never hand out the same number."""

    __tablename__ = "order_counters"

    court: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # YYYYMMDD, court time
    last: Mapped[int] = mapped_column(Integer)


class Recording(Base):
    """A recorded seat call or an after-hours message; the file lives in the store
    (recordings/store.py names it). What the file holds is measured once, when it is
    checked: a record says what was recorded even after retention deleted the file.

    ``status``: recording (MixMonitor still writing) → complete (file closed) → ready
    (checked, holds speech) | empty (hang-up or silence) | unreadable (not audio, cut,
    too long); missing (the file vanished); deleted (retention)."""

    __tablename__ = "recordings"
    __table_args__ = (Index("ix_recordings_kind_status", "kind", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # call | message
    path: Mapped[str] = mapped_column(String(255), unique=True)  # relative to the store
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="recording")
    caller_phone: Mapped[str | None] = mapped_column(String(24), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the file holds, measured when checked.
    duration_s: Mapped[float | None] = mapped_column(Float)
    speech_s: Mapped[float | None] = mapped_column(Float)
    format: Mapped[str | None] = mapped_column(String(16))  # e.g. wav/8000/1
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    adopted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    error: Mapped[str | None] = mapped_column(String(255))  # why it could not be read
    # Speech (R6, R4.7/R4.8): words with times and confidences, see recordings/transcribe.
    transcript: Mapped[dict | None] = mapped_column(JSON)
    transcript_text: Mapped[str | None] = mapped_column(Text)
    speech_model: Mapped[str | None] = mapped_column(String(64))
    transcribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R6 order filled in
    # Kept past retention while a supervisor needs it (a write-up, an escalation).
    hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    missing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call | None] = relationship()
    flags: Mapped[list[Flag]] = relationship(back_populates="recording", order_by="Flag.id")


class Flag(Base):
    """An abusive (R4.7) or urgent (R4.8) call or message, found by the lexicons in a
    transcript or set by the operator. Matched words carry their times in the audio, so
    the supervisor hears the passage. A flag stays open until a supervisor reviews it."""

    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("recording_id", "source", "category"),
        Index("ix_flags_open", "reviewed_at", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # abusive | urgent
    category: Mapped[str] = mapped_column(String(32))  # lexicon category, or "operator"
    label: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    matches: Mapped[list] = mapped_column(JSON, default=list)  # [{phrase, start, end}]
    source: Mapped[str] = mapped_column(String(12))  # lexicon | operator
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(40), default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str | None] = mapped_column(String(16))  # reviewed | reported | escalated
    note: Mapped[str] = mapped_column(Text, default="")

    recording: Mapped[Recording | None] = relationship(back_populates="flags")


class AuditEntry(Base):
    """Who listened to or downloaded which recording, and what a supervisor did about it.
    Append-only: the database refuses UPDATE and DELETE (triggers in the migration)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_recording", "recording_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(24))  # play | download | review | report | …
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id"))
    remote: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class User(Base):
    """Someone who logs in to the web pages: an operator, a supervisor, a judge or an
    administrator. Operators (and supervisors who answer) are bound to a seat."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(32), default="")
    role: Mapped[str] = mapped_column(String(16))  # operator | supervisor | judge | admin
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seat: Mapped[str | None] = mapped_column(String(32), unique=True)  # seats.name


class Notice(Base):
    """An SMS to send (the outbox): written in the same transaction as the change that
    needs it (a dispatch, R5), so a crash can never leave one without the other. The
    provider's id, once known, makes a resend of the same notice impossible."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("order_id", "kind", "to_mobile"),
        Index("ix_notices_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    kind: Mapped[str] = mapped_column(String(16))  # dispatch | copy | reminder | report
    to_role: Mapped[str] = mapped_column(String(32))
    to_name: Mapped[str] = mapped_column(String(32), default="")
    to_mobile: Mapped[str] = mapped_column(String(24))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)  # quiet hours, back-off
    due_by: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R5: delivered before this
    # pending | sending | sent | delivered | failed | undelivered
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider: Mapped[str | None] = mapped_column(String(16))
    # The provider's id (indexed for delivery receipts); not unique: a mock answers every
    # message with the same id, and uniqueness is the provider's business, not ours.
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    last_error: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # phone the judge instead


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


class Seat(Base):
    """A seat (座席): a softphone endpoint on the PBX. Supervisors form the wider group (R1)."""

    __tablename__ = "seats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)  # PJSIP endpoint name
    display_name: Mapped[str] = mapped_column(String(32), default="")
    role: Mapped[str] = mapped_column(String(12), default="operator")  # operator | supervisor
    secret: Mapped[str] = mapped_column(String(64))
    skills: Mapped[str] = mapped_column(String(16), default="123456")  # type codes it takes
    # A fixed SIP contact (desk phone, test user agent); empty = the phone registers itself.
    contact: Mapped[str] = mapped_column(String(128), default="")
    # webrtc: the softphone in the operator's panel (JsSIP over WebSocket); sip: any SIP phone
    phone: Mapped[str] = mapped_column(String(8), default="sip", server_default="sip")
