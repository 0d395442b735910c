"""Contract tests of the Twilio adapter against Twilio's official API description served by
Stoplight Prism on 127.0.0.1 (R5: the dispatch SMS must get through or say why)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from support.prism import ACCOUNT, TOKEN, PrismServer
from twilio.request_validator import RequestValidator

from hotline.settings import SettingsError
from hotline.sms import SmsError, e164
from hotline.sms.fake import FakeSender
from hotline.sms.twilio import TwilioSender, signature_ok

FROM = "+15005550006"


@pytest.fixture(scope="module")
def prism():
    with PrismServer() as server:
        yield server


def sender(base_url: str, timeout: float = 5.0, prefer: str | None = None) -> TwilioSender:
    s = TwilioSender(ACCOUNT, TOKEN, FROM, base_url=base_url, timeout=timeout)
    if prefer:  # Prism answers the response the request asks for
        real = s._http.request

        def with_prefer(method, url, *args, headers=None, **kwargs):
            headers = dict(headers or {}, Prefer=prefer)
            return real(method, url, *args, headers=headers, **kwargs)

        s._http.request = with_prefer  # type: ignore[method-assign]
    return s


def test_r5_a_message_accepted_by_the_provider_has_its_id(prism):
    sent = sender(prism.url).send("13900000002", "【12368】工单20261124-0001已转您办理",
                                  status_callback="http://127.0.0.1:9/twilio/status")
    assert sent.provider_id.startswith("SM") and len(sent.provider_id) == 34
    assert sent.status == "queued"


def test_a_provider_error_is_transient_and_a_bad_number_is_not(prism):
    with pytest.raises(SmsError) as down:
        sender(prism.url, prefer="code=500").send("13900000002", "x")
    assert (down.value.transient, down.value.code) == (True, 20500)
    with pytest.raises(SmsError) as bad:
        sender(prism.url, prefer="code=400").send("13900000002", "x")
    assert (bad.value.transient, bad.value.code) == (False, 21211)
    assert TOKEN not in str(bad.value) and ACCOUNT not in str(bad.value)


def test_a_rate_limit_says_when_to_try_again(prism):
    with pytest.raises(SmsError) as limited:
        sender(prism.url, prefer="code=429").send("13900000002", "x")
    assert (limited.value.transient, limited.value.retry_after) == (True, 3.0)


def test_an_unreachable_or_silent_provider_is_transient():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    with pytest.raises(SmsError, match="ConnectionError") as refused:
        sender(f"http://127.0.0.1:{closed_port}").send("13900000002", "x")
    assert refused.value.transient
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    try:
        started = time.monotonic()
        with pytest.raises(SmsError, match="Timeout") as slow:
            sender(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.5).send(
                "13900000002", "x")
        assert slow.value.transient and time.monotonic() - started < 3
    finally:
        silent.close()


def test_the_connection_reset_mid_request_is_transient():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def reset_once():
        conn, _ = server.accept()
        conn.recv(1024)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()  # RST instead of an answer

    t = threading.Thread(target=reset_once, daemon=True)
    t.start()
    try:
        with pytest.raises(SmsError) as reset:
            sender(f"http://127.0.0.1:{server.getsockname()[1]}").send("13900000002", "x")
        assert reset.value.transient
    finally:
        t.join(5)
        server.close()


def test_status_callbacks_are_believed_only_with_twilio_s_signature():
    url = "http://127.0.0.1:8368/twilio/status?outbox=17"
    params = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered", "To": "+8613900000002"}
    good = RequestValidator(TOKEN).compute_signature(url, params)
    assert signature_ok(TOKEN, url, params, good)
    assert not signature_ok(TOKEN, url, {**params, "MessageStatus": "failed"}, good)
    assert not signature_ok("another-token", url, params, good)
    assert not signature_ok(TOKEN, url, params, "")


def test_missing_credentials_are_a_clear_settings_error():
    with pytest.raises(SettingsError, match="twilio_account_sid, twilio_auth_token and twilio_from"):
        TwilioSender("", TOKEN, FROM)


def test_the_fake_sender_keeps_messages_and_fails_on_request():
    fake = FakeSender()
    fake.fail_next(SmsError("down", transient=True))
    with pytest.raises(SmsError):
        fake.send("13900000002", "x")
    sent = fake.send("13900000002", "工单")
    assert [m.body for m in fake.sent] == ["工单"] and sent.provider_id == "FAKE00000001"
    assert e164("13900000002") == "+8613900000002" and e164("+15005550006") == "+15005550006"


def test_lookup_reads_twilio_s_pages_back_to_the_time_of_the_text(prism):
    """After a crash the outbox asks Twilio whether it has the text already; a busy
    department head's number has many texts, so the lookup reads page after page."""
    from datetime import UTC, datetime, timedelta

    from support.twilio_record import Record

    with Record(prism.url) as provider:
        s = sender(provider.url)
        start = datetime.now(UTC)
        first = s.send("13900000002", "【12368】工单A").provider_id
        for i in range(230):
            s.send("13900000002", f"【12368】工单B{i}")
        s.send("13900000003", "【12368】工单C")
        assert s.lookup("13900000002", "【12368】工单A", start) == first
        assert s.lookup("13900000002", "【12368】工单D", start) is None
        assert s.lookup("13900000003", "【12368】工单A", start) is None
        # texts older than the one asked about (by more than the clock skew) are not read
        assert s.lookup("13900000002", "【12368】工单A", start + timedelta(hours=1)) is None


def test_credentials_are_never_logged(prism, caplog):
    import logging

    caplog.set_level(logging.INFO)
    s = sender(prism.url)
    s.send("13900000002", "【12368】x")
    with pytest.raises(SmsError):
        sender(prism.url, prefer="code=400").send("13900000002", "x")
    assert ACCOUNT not in caplog.text and TOKEN not in caplog.text
