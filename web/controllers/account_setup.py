"""设置密码: an account opened for someone (unit agent, staff) gets its password with the texted code."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from web.controllers.register import error_message
from web.controllers.sms_widget import client_ip, code_error
from web.i18n import gettext as _
from web.services import password_setup
from web.services.clock import SHENZHEN
from web.sessions import end_session

PUBLIC = {"access": "public"}


def _message(field: str, reason: str, retry_at: datetime | None) -> str:
    if field == "username":
        return _("Enter your username.")
    if field == "sms_code":
        if reason == "rejected":
            return _("This code does not work with this username. Check both against the text message: a code lasts %(hours)s hours and works once. If it has expired, ask whoever opened the account for a new one.") % {"hours": password_setup.CODE_TTL_HOURS}
        if reason == "rate_limited":
            at = (retry_at or datetime.now(UTC)).astimezone(SHENZHEN).strftime("%H:%M")
            return _("Too many tries from your network. Try again after %(time)s.") % {"time": at}
        return code_error(reason)
    return error_message(field, reason)  # password and password_confirm: registration's policy


class AccountSetupController(Controller):
    path = "/account/setup"

    @get("/", name="account_setup", opt=PUBLIC)
    async def show_form(self) -> Template:
        return self._page({"username": ""})

    @post("/", name="account_setup_submit", opt=PUBLIC)
    async def set_password(self, request: Request) -> Template | Redirect:
        form = await request.form()
        raw = {name: str(form.get(name, "") or "")[:300] for name in password_setup.FIELDS}
        result = await password_setup.set_first_password(
            raw, now=datetime.now(UTC), secret=request.app.state.settings.secret_key,
            store=request.app.stores.get("ratelimit"), ip=client_ip(request),
        )
        if result.errors:
            errors = {name: _message(name, reason, result.retry_at) for name, reason in result.errors.items()}
            shown = {name: raw[name] for name in password_setup.SHOWN_FIELDS}
            return self._page(shown, errors, status_code=429 if result.retry_at else 400)
        # Signed out everywhere (this browser too): the login page says the password was set.
        end_session(request, {"kind": "password_reset"})
        return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)

    def _page(self, values: Mapping[str, str], errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
        return Template("account/setup.html", status_code=status_code,
                        context={"form": values, "errors": errors or {}, "code_hours": password_setup.CODE_TTL_HOURS})
