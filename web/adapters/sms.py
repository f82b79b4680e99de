"""SMS gateways: `outbox` (stored, read at /dev/sms), `log`, and `http` for a real gateway."""

from __future__ import annotations

import logging
from typing import Protocol
from urllib.parse import quote

import httpx

from web.models import SmsOutbox
from web.settings import Settings

log = logging.getLogger(__name__)


class SmsGateway(Protocol):
    async def send(self, mobile: str, body: str, *, purpose: str, code: str | None) -> None:
        """Deliver one message; raise SmsDeliveryError when the gateway refuses it."""


class SmsDeliveryError(RuntimeError):
    """The gateway could not take the message."""


class OutboxGateway:
    """Keeps every message in the database: the default for development and tests."""

    async def send(self, mobile: str, body: str, *, purpose: str, code: str | None) -> None:
        await SmsOutbox.create(mobile=mobile, body=body, purpose=purpose, code=code)


class LogGateway:
    """Writes messages to the log (a mobile is not an ID number; codes are short-lived)."""

    async def send(self, mobile: str, body: str, *, purpose: str, code: str | None) -> None:
        log.info("SMS to %s (%s): %s", mobile, purpose, body)


class HttpGateway:
    """Calls a real gateway: SMS_HTTP_URL is a template with {mobile} and {text}, sent as GET."""

    def __init__(self, url_template: str, timeout: float = 5.0) -> None:
        self.url_template = url_template
        self.timeout = timeout

    async def send(self, mobile: str, body: str, *, purpose: str, code: str | None) -> None:
        url = self.url_template.format(mobile=quote(mobile), text=quote(body))
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(url)
        except httpx.HTTPError as exc:
            raise SmsDeliveryError(str(exc)) from exc
        if response.status_code >= 400:
            raise SmsDeliveryError(f"gateway answered {response.status_code}")


def build_sms_gateway(settings: Settings) -> SmsGateway:
    if settings.sms_backend == "log":
        return LogGateway()
    if settings.sms_backend == "http":
        assert settings.sms_http_url  # Settings.from_env insists on it
        return HttpGateway(settings.sms_http_url)
    return OutboxGateway()
