"""Persistent records of the line: calls, their timelines, work orders, the directory.

SQLAlchemy declarative models; Alembic (hotline/migrations) owns the schema. Times are
stored in UTC and always come back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
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
    """工单: what the caller wants and what became of it."""

    __tablename__ = "work_orders"
    __table_args__ = (UniqueConstraint("court", "number"),)

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

    call: Mapped[Call | None] = relationship()


class OrderCounter(Base):
    """The last order number given per court and day: one atomic increment per call, so
    several FastAGI servers on one PostgreSQL never hand out the same number."""

    __tablename__ = "order_counters"

    court: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # YYYYMMDD, court time
    last: Mapped[int] = mapped_column(Integer)


class Recording(Base):
    """A recorded seat call or an after-hours message; the file lives in the store."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # call | message
    path: Mapped[str] = mapped_column(String(255), unique=True)  # relative to the store
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="recording")


class LineState(Base):
    """Small shared switches, e.g. the manual open/closed mode."""

    __tablename__ = "line_state"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class Department(Base):
    """A court department; later issues add heads, liaison officers and the ladder."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("court", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    court: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    head_name: Mapped[str] = mapped_column(String(32), default="")
    head_mobile: Mapped[str] = mapped_column(String(24), default="")


class Judge(Base):
    __tablename__ = "judges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    mobile: Mapped[str] = mapped_column(String(24), default="")


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
