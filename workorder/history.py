"""The order's history (工单流转记录): who did what to an order, when and why.

Every row of ``order_history`` is built here, whether it is added to a session one at a
time (:func:`record_history`) or inserted by the thousand in one statement (the sweep,
:func:`history_row`), so the rows all have one shape: ``changes`` is ``{field: [old,
new]}`` with times as ISO text. The table is append-only: the database refuses UPDATE and
DELETE on it (triggers in the migration).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from workorder.models import OrderHistory

__all__ = ["history_row", "record_history"]


def _text(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def history_row(order_id: int, at: datetime, actor: str, action: str,
                changes: dict | None = None, reason: str = "") -> dict:
    """The values of one history row; ``changes`` is {field: (old, new)}."""
    return {"order_id": order_id, "at": at, "actor": actor or "?", "action": action,
            "changes": {k: [_text(a), _text(b)] for k, (a, b) in (changes or {}).items()},
            "reason": reason or ""}


def record_history(session: Session, order_id: int, at: datetime, actor: str, action: str,
                   changes: dict | None = None, reason: str = "") -> None:
    """Append one row to the order's history in ``session``'s transaction."""
    session.add(OrderHistory(**history_row(order_id, at, actor, action, changes, reason)))
