"""The "send code" widget shared by every form that asks for an SMS code (register, login, ...).

Each flow has its own POST route that decides which number and purpose; it calls `send_sms` and
renders its page (or, for htmx, `sms_code_fragment.html`) with the returned state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from litestar import Request

from web.adapters.sms import SmsDeliveryError, build_sms_gateway
from web.i18n import gettext as _
from web.services import sms
from web.services.clock import SHENZHEN


@dataclass(frozen=True)
class SmsState:
    """What the widget shows: where a code went, how long until the next, or why none was sent."""

    masked_mobile: str | None = None
    resend_in: int = 0  # seconds until "send code" works again (the countdown)
    refused: str | None = None  # a translated explanation


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def send_sms(request: Request, *, mobile: str, purpose: str) -> SmsState:
    """Send a code and describe the outcome for the widget; limits become messages, not errors."""
    settings = request.app.state.settings
    now = datetime.now(UTC)
    try:
        sent = await sms.send_code(
            build_sms_gateway(settings),
            mobile=mobile,
            purpose=purpose,
            ip=client_ip(request),
            now=now,
            secret=settings.secret_key,
        )
    except sms.SmsRefused as refused:
        return SmsState(
            refused=refusal_message(refused, now),
            resend_in=max(0, int((refused.retry_at - now).total_seconds()))
            if refused.reason == "resend_wait" else 0,
        )
    except SmsDeliveryError:
        return SmsState(refused=_("The text message could not be sent. Try again in a few minutes."))
    return SmsState(
        masked_mobile=sent.masked_mobile, resend_in=int((sent.resend_at - now).total_seconds())
    )


def refusal_message(refused: sms.SmsRefused, now: datetime) -> str:
    """Which limit was hit and when to try again, in the user's language."""
    if refused.reason == "resend_wait":
        seconds = max(1, int((refused.retry_at - now).total_seconds()))
        return _("A code was sent less than a minute ago. You can ask for a new one in %(seconds)s seconds.") % {
            "seconds": seconds
        }
    at = refused.retry_at.astimezone(SHENZHEN)
    when = at.strftime("%H:%M") if at.date() == now.astimezone(SHENZHEN).date() else at.strftime("%Y-%m-%d %H:%M")
    if refused.reason == "daily_limit":
        return _("This number has had 10 codes today, the most allowed. Try again after %(time)s.") % {"time": when}
    return _("Too many codes were asked for from your network in the last hour. Try again after %(time)s.") % {
        "time": when
    }


def code_error(reason: str) -> str:
    """The message beside the code field when a code is refused (sms.CodeRejected reasons)."""
    return {
        "missing": _("Ask for a code first, then enter the 6 digits from the text message."),
        "expired": _("This code has expired (codes last 5 minutes). Ask for a new one."),
        "too_many_attempts": _("Wrong code entered 5 times: this code no longer works. Ask for a new one."),
        "wrong": _("The code is not right. Check the text message and enter its 6 digits."),
        "format": _("Enter the 6 digits of the code from the text message."),
    }[reason]
