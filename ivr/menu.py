"""The IVR menu (R3): keys 1–6 choose the type. A caller who presses nothing after one
play is put through at once as 6 (other): the 10-second answer target (R1) only starts at
the queue, so every second in the menu is a second the figures do not show. A wrong key
replays the menu (after "invalid", which a key can cut short) up to MAX_ATTEMPTS plays.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from workorder.types import OrderType, UnknownType

MAX_ATTEMPTS = 3  # plays of the menu (wrong keys) before the caller is put through as "other"


class MenuResult(StrEnum):
    CHOSEN = "chosen"
    RETRY = "retry"
    DEFAULTED = "defaulted"


@dataclass(frozen=True)
class MenuDecision:
    result: MenuResult
    order_type: OrderType | None  # None only when the menu is replayed


def decide(key: str | None, attempt: int, max_attempts: int = MAX_ATTEMPTS) -> MenuDecision:
    """What to do with the digit(s) the caller pressed on the ``attempt``-th play."""
    try:
        return MenuDecision(MenuResult.CHOSEN, OrderType.from_key(key or ""))
    except UnknownType:
        pass
    if key and attempt < max_attempts:  # a wrong key: the caller is trying, play it again
        return MenuDecision(MenuResult.RETRY, None)
    return MenuDecision(MenuResult.DEFAULTED, OrderType.OTHER)
