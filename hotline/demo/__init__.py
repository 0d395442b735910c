"""The demo court `make run` starts with: the directory of a demo intermediate court and
two primary courts (``directory/*.csv``, imported like any court's exports) and the seats
(``court.toml``)."""

from __future__ import annotations

import secrets
import tomllib
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.directory_files import read_csv
from hotline.seats import Seat
from workorder.directory import SourceTable, apply
from workorder.models import Department


def demo_tables() -> list[SourceTable]:
    """The demo directory's tables, read from the packaged CSV files."""
    folder = files("hotline.demo").joinpath("directory")
    return [read_csv(f.name, f.read_bytes())
            for f in sorted(folder.iterdir(), key=lambda f: f.name) if f.name.endswith(".csv")]


def load_demo(session: Session) -> bool:
    """Load the demo court into an empty directory; False when there is one already."""
    if session.scalar(select(Department.id).limit(1)) is not None:
        return False
    report = apply(session, demo_tables())
    if not report.ok:  # the shipped files are wrong: say where
        raise ValueError("demo directory: " + "; ".join(str(e) for e in report.errors))
    data = tomllib.loads(files("hotline.demo").joinpath("court.toml").read_text("utf-8"))
    for seat in data["seats"]:
        if session.scalar(select(Seat).where(Seat.name == seat["name"])) is None:
            session.add(Seat(name=seat["name"], display_name=seat["display_name"],
                             role=seat["role"], skills=seat["skills"],
                             phone=seat.get("phone", "sip"), secret=secrets.token_urlsafe(12)))
    return True
