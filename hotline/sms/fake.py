"""An in-process SMS sender for tests and demos: keeps what it was given, and fails on
request (script the next outcomes with :meth:`FakeSender.fail_next`)."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass

from hotline.sms import Sent, SmsError


@dataclass(frozen=True)
class Message:
    to: str
    body: str
    status_callback: str | None
    provider_id: str


class FakeSender:
    name = "fake"

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self._failures: deque[SmsError] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def fail_next(self, *errors: SmsError) -> None:
        """The next sends raise these, in order; then sending works again."""
        with self._lock:
            self._failures.extend(errors)

    def lookup(self, to: str, body: str, since: object = None) -> str | None:
        """The id of a message already sent with this text to this number, if any."""
        with self._lock:
            for m in self.sent:
                if m.to == to and m.body == body:
                    return m.provider_id
        return None

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> Sent:
        with self._lock:
            if self._failures:
                raise self._failures.popleft()
            message = Message(to, body, status_callback, f"FAKE{next(self._ids):08d}")
            self.sent.append(message)
        return Sent(message.provider_id, "queued")
