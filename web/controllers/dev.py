"""Test hooks of CONTRACT.md: the SMS outbox and the settable clock. Never mounted in production."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from web.models import SmsOutbox

HOOK = {"access": "public"}


class DevController(Controller):
    path = "/dev"

    @get("/sms", name="dev_sms", opt=HOOK)
    async def list_sms(self) -> Template:
        messages = await SmsOutbox.all().limit(50)
        return Template("dev/sms.html", context={"messages": messages})

    @get("/sms/latest", name="dev_sms_latest", opt=HOOK)
    async def latest_sms(self, mobile: FromQuery[str]) -> dict[str, Any]:
        message = await SmsOutbox.filter(mobile=mobile, code__isnull=False).first()
        if message is None:
            raise NotFoundException()
        return {
            "mobile": message.mobile,
            "code": message.code,
            "purpose": message.purpose,
            "sent_at": message.sent_at.isoformat(),
        }

    @get("/clock", name="dev_clock", opt=HOOK)
    async def show_clock(self, request: Request) -> Template:
        clock = request.app.state.clock
        return Template(
            "dev/clock.html",
            context={"today": await clock.today(), "override": await clock.override(), "error": None},
        )

    @post("/clock", name="dev_clock_set", opt=HOOK)
    async def set_clock(
        self,
        request: Request,
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        clock = request.app.state.clock
        raw = (data.get("today") or "").strip()
        try:
            day = date.fromisoformat(raw) if raw else None
        except ValueError:
            return Template(
                "dev/clock.html",
                context={"today": await clock.today(), "override": await clock.override(),
                         "error": raw},
                status_code=400,
            )
        await clock.set_today(day)
        return Redirect(path="/dev/clock", status_code=303)
