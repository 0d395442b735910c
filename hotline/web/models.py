"""The staff pages' table: who may log in (hotline/web/auth.py manages them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from workorder.models import Base, UTCDateTime

__all__ = ["User"]


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
    # A session cookie is good while it carries this number; logging out, disabling,
    # enabling and a new password move it on (hotline/web/auth.py).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
