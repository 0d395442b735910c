"""Seats (座席): the phones that answer the queues, as the PBX's configuration, the queues
and the staff pages know them."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workorder.models import Base

__all__ = ["Seat"]


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
