"""The IVR menu (R3): keys 1–6 choose the type; no key or a wrong key replays, then
defaults to 6 (other) so that nobody is stuck in the menu.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from workorder.types import OrderType, UnknownType

MAX_ATTEMPTS = 3  # plays of the menu before the caller is put through as "other"


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
    if attempt < max_attempts:
        return MenuDecision(MenuResult.RETRY, None)
    return MenuDecision(MenuResult.DEFAULTED, OrderType.OTHER)
