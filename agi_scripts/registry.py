"""Handler registry: a handler is registered under the name of its file; registering a
name twice is an error, so two files can never silently fight over one AGI path."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agi_scripts.server import AgiCall

Handler = Callable[["AgiCall"], Awaitable[None]]
_HANDLERS: dict[str, Handler] = {}
_INFRASTRUCTURE = {"registry", "server", "testing", "variables", "waiting"}


def handler(fn: Handler) -> Handler:
    name = fn.__module__.rsplit(".", 1)[-1]
    if name in _HANDLERS and _HANDLERS[name] is not fn:
        raise ValueError(f"AGI handler {name!r} registered twice")
    _HANDLERS[name] = fn
    return fn


def all_handlers() -> dict[str, Handler]:
    """Import every handler module of this package and return name → handler."""
    import agi_scripts

    for info in pkgutil.iter_modules(agi_scripts.__path__):
        if info.name not in _INFRASTRUCTURE:
            importlib.import_module(f"agi_scripts.{info.name}")
    return dict(_HANDLERS)
