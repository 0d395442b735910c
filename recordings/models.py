"""The recordings' tables: every recorded seat call and after-hours message, the abusive
and urgent flags found in them, and the append-only audit log of who listened.

The files themselves live in the store (recordings/store.py names them); Alembic
(hotline/migrations) owns the schema.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workorder.models import Base, Call, UTCDateTime

__all__ = ["AuditEntry", "Flag", "Recording"]


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
