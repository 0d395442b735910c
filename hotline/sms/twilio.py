"""Twilio adapter of the SMS port, on Twilio's own client (twilio-python).

``base_url`` points the client at another host that speaks Twilio's API (a mock built from
Twilio's OpenAPI description in the tests, a regional relay in production); twilio-python
has no setting for that, so a small HTTP client rewrites ``https://*.twilio.com``. The
client never retries by itself: the caller's job engine decides, from :class:`SmsError`.
Credentials are never logged or put in error messages.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from hotline.settings import SettingsError
from hotline.sms import Sent, SmsError, e164

_CLOCK_SKEW = timedelta(minutes=5)  # our clock against the provider's
_LOOKUP_LIMIT = 5000  # messages read back at most in a lookup
_TWILIO_HOST = re.compile(r"^https://[a-z0-9.-]*\.twilio\.com")


class _HttpClient(TwilioHttpClient):
    """Rewrites Twilio's hosts to ``base_url`` and keeps each thread's last response (a
    429's Retry-After is only in its headers, which TwilioRestException does not carry)."""

    def __init__(self, base_url: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._base = base_url.rstrip("/") if base_url else None
        self._local = threading.local()

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        if self._base:
            url = _TWILIO_HOST.sub(self._base, url)
        response = super().request(method, url, *args, **kwargs)
        self._local.response = response
        return response

    @property
    def last_headers(self) -> dict:
        response = getattr(self._local, "response", None)
        return dict(response.headers or {}) if response is not None else {}


class TwilioSender:
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, from_number: str, *,
                 base_url: str | None = None, timeout: float = 10.0) -> None:
        if not (account_sid and auth_token and from_number):
            raise SettingsError("Twilio needs twilio_account_sid, twilio_auth_token and "
                                "twilio_from in the settings")
        # twilio-python logs every request at INFO, with the account in each URL: that is
        # a credential's half in the log, and a dozen lines per text
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
        self._http = _HttpClient(base_url, timeout)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        self._from = from_number

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> Sent:
        try:
            msg = self._client.messages.create(to=e164(to), from_=self._from, body=body,
                                               status_callback=status_callback)
        except TwilioRestException as exc:
            retry_after = None
            if exc.status == 429:
                try:
                    retry_after = float(self._http.last_headers.get("Retry-After", ""))
                except ValueError:
                    retry_after = None
            # 429 and 5xx: the provider may take it later; other 4xx: the message itself is
            # wrong (bad number, blocked) and sending it again cannot help.
            transient = exc.status == 429 or exc.status >= 500
            raise SmsError(f"Twilio refused the message: HTTP {exc.status}, code {exc.code}",
                           transient=transient, retry_after=retry_after,
                           code=exc.code) from None
        except requests.RequestException as exc:
            raise SmsError(f"Twilio unreachable: {type(exc).__name__}", transient=True) from None
        return Sent(provider_id=msg.sid, status=msg.status or "queued")

    def lookup(self, to: str, body: str, since) -> str | None:
        """The sid of a message already accepted with this text to this number since
        ``since`` (a send whose answer was lost in a crash), or None. Twilio lists the
        newest first, so the pages are read back to ``since``; a message still queued has
        no DateSent yet, so Twilio's date filter cannot be used."""
        oldest = since - _CLOCK_SKEW if since is not None else None
        try:
            for n, msg in enumerate(self._client.messages.stream(
                    to=e164(to), from_=self._from, page_size=100)):
                created = msg.date_created
                if oldest is not None and created is not None and created < oldest:
                    break
                if msg.body == body:
                    return msg.sid
                if n >= _LOOKUP_LIMIT:
                    break
        except (TwilioRestException, requests.RequestException):
            return None  # unknown: the caller sends again rather than lose the message
        return None


def signature_ok(auth_token: str, url: str, params: dict[str, str], signature: str) -> bool:
    """True when a status callback really comes from Twilio (X-Twilio-Signature over the
    exact callback URL and the form fields)."""
    return bool(signature) and RequestValidator(auth_token).validate(url, params, signature)
