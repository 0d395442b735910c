"""The SMS port (R5 dispatch notices, R8 reminders, R4.8 urgent reports).

A sender takes one message and either returns the provider's id for it or raises
:class:`SmsError`, which says whether trying again can help and after how long. Adapters:
:mod:`hotline.sms.twilio` (Twilio's REST API), :mod:`hotline.sms.fake` (in-process, for
tests and demos). Chinese courts' carrier gateways (Aliyun, Tencent Cloud, SMPP) fit the
same port.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Sent:
    provider_id: str  # the provider's message id: kept so a message is never sent twice
    status: str  # the provider's first status, e.g. queued / accepted


class SmsError(Exception):
    """A message was not accepted. ``transient``: a later attempt may succeed (time-out,
    provider down, rate limit); ``retry_after``: seconds the provider asked us to wait."""

    def __init__(self, message: str, *, transient: bool, retry_after: float | None = None,
                 code: int | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after
        self.code = code


class SmsSender(Protocol):
    name: str

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> Sent:
        """Hand one message to the provider; raise SmsError when it was not accepted."""
        ...


def e164(mobile: str) -> str:
    """A Chinese mobile number as the providers want it (+86…); others unchanged."""
    digits = mobile.strip()
    if digits.startswith("+"):
        return digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+86" + digits
    return digits
