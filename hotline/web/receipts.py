"""Delivery receipts from the SMS provider (R5): ``POST /twilio/status``, Twilio's status
callback. A receipt is believed only with Twilio's signature; a text that failed or could
not be delivered is flagged for an operator to phone the recipient instead. The address
does not exist (404) unless Twilio is the provider and its auth token is set: a signature
computed with an empty token is no signature."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from hotline.sms.twilio import signature_ok
from hotline.web.views import Web, public
from workorder.history import record_history
from workorder.notices import Notice

__all__ = ["routes"]
DELIVERY = {"delivered": "delivered", "failed": "failed", "undelivered": "undelivered",
            "sent": "sent"}


@public(reads="form")
def twilio_status(web: Web, request: Request, session, form) -> Response:
    settings = web.settings
    if settings.sms_provider != "twilio" or not settings.twilio_auth_token:
        return PlainTextResponse("not found", status_code=404)
    params = {k: str(v) for k, v in form.items()}
    url = f"{settings.public_url.rstrip('/')}{request.url.path}"
    if request.url.query:
        url += f"?{request.url.query}"
    if not signature_ok(settings.twilio_auth_token, url, params,
                        request.headers.get("X-Twilio-Signature", "")):
        return PlainTextResponse("bad signature", status_code=403)
    state = DELIVERY.get(params.get("MessageStatus", ""))
    sid = params.get("MessageSid", "")
    if state is None or not sid:
        return Response(status_code=204)
    notice = session.scalar(select(Notice).where(Notice.provider_id == sid))
    if notice is not None and notice.status != "delivered":
        notice.status = state
        now = web.clock()
        if state == "delivered":
            notice.delivered_at = now
        elif state in ("failed", "undelivered"):
            notice.flagged_at = notice.flagged_at or now
            notice.last_error = f"{state} (error {params.get('ErrorCode', '?')})"
            if notice.order_id:
                record_history(session, notice.order_id, now, "sms", "sms_failed",
                               reason=f"SMS to {notice.to_name} {state}; phone them (R5)")
    return Response(status_code=204)


routes = [Route("/twilio/status", twilio_status, methods=["POST"])]
