"""The demo court `make run` starts with."""

from __future__ import annotations

import secrets
import tomllib
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.orm import Session

from workorder.models import Department, Judge, Seat


def load_demo(session: Session) -> bool:
    """Load the demo court into an empty directory; False when there is one already."""
    if session.scalar(select(Department.id).limit(1)) is not None:
        return False
    data = tomllib.loads(files("hotline.demo").joinpath("court.toml").read_text("utf-8"))
    for dept in data["departments"]:
        row = Department(court=data["court"], name=dept["name"], head_name=dept["head_name"],
                         head_mobile=dept["head_mobile"])
        session.add(row)
        session.flush()
        for name, mobile in dept["judges"]:
            session.add(Judge(name=name, department_id=row.id, mobile=mobile))
    for seat in data["seats"]:
        if session.scalar(select(Seat).where(Seat.name == seat["name"])) is None:
            session.add(Seat(name=seat["name"], display_name=seat["display_name"],
                             role=seat["role"], skills=seat["skills"],
                             secret=secrets.token_urlsafe(12)))
    return True
