"""Seats (座席): the phones that answer the queues, as the PBX's configuration, the queues
and the staff pages know them."""

from __future__ import annotations

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.ami import seat_queues
from hotline.pbx import SeatConf
from workorder.models import Base

__all__ = ["Seat", "seat_confs"]


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


def seat_confs(session: Session) -> list[tuple[SeatConf, list[str]]]:
    """Every seat as the PBX's configuration renders it, with the queues it answers."""
    seats = session.scalars(select(Seat).order_by(Seat.name)).all()
    return [(SeatConf(s.name, s.secret, s.display_name, s.contact, webrtc=s.phone == "webrtc"),
             seat_queues(s.role, s.skills)) for s in seats]
