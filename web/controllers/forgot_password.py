"""忘记密码: a forgotten password, reset with the username, the ID number and a code to the bound mobile."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from web.controllers.account import form_values, password_message, pop_notice, redirect_with_notice
from web.controllers.register import error_message
from web.controllers.sms_widget import SmsState, client_ip, code_error, refusal_message, send_sms
from web.i18n import gettext as _
from web.models import Account
from web.services import messages, profile, sms
from web.services.clock import SHENZHEN
from web.sessions import end_session

log = logging.getLogger(__name__)

PUBLIC = {"access": "public"}
RESET_KEY = "reset"  # the forgotten-password progress (web/services/profile.py)


def _now() -> datetime:
    return datetime.now(UTC)  # security timers: the real clock, never /dev/clock


class ForgotPasswordController(Controller):
    path = "/"

    # Step 1 (/forgot-password): username, ID number and a code sent to the bound mobile.
    # Step 2 (/forgot-password/new-password): the new password, within 10 minutes of the right code.

    @get("/forgot-password", name="forgot_password", opt=PUBLIC)
    async def show_forgot_password(self, request: Request) -> Template:
        notice = pop_notice(request)
        return self._forgot_page(request, {"username": "", "id_number": "", "sms_code": ""}, notice=notice)

    @post("/forgot-password/sms", name="forgot_password_sms", opt=PUBLIC)
    async def send_reset_code(self, request: Request) -> Template:
        values = form_values(await request.form(), ("username", "id_number", "sms_code"), max_length=64)
        today = await request.app.state.clock.today()
        reasons = profile.check_reset_identity(values["username"].strip(), values["id_number"], today=today)
        if reasons:
            errors = _reset_errors(reasons)
            if request.htmx:
                return HTMXTemplate(template_name="account/_forgot_form.html", re_target="#forgot-form",
                                    re_swap="outerHTML", context=self._forgot_context(request, values, errors))
            return self._forgot_page(request, values, errors=errors, status_code=400)
        state = await self._request_reset_code(request, values)
        if request.htmx:
            return Template("account/_reset_code.html", context=self._forgot_context(request, values, sms_state=state))
        return self._forgot_page(request, values, sms_state=state)

    async def _request_reset_code(self, request: Request, values: Mapping[str, str]) -> SmsState:
        """Send a code when the details match; answer the same whether or not they do."""
        now = _now()
        previous = request.session.get(RESET_KEY) if request.session else None
        if (retry_at := profile.resend_wait(previous, now=now)) is not None:
            return SmsState(refused=refusal_message(sms.SmsRefused("resend_wait", retry_at), now),
                            resend_in=max(1, int((retry_at - now).total_seconds())))
        refused = await profile.reset_request_refused(
            request.app.stores.get("ratelimit"), username=values["username"], ip=client_ip(request), now=now
        )
        if refused is not None:
            return SmsState(refused=_reset_refusal(refused, now))
        account = await profile.find_reset_account(values["username"], values["id_number"])
        if account is not None:
            sent = await send_sms(request, mobile=account.mobile, purpose="reset_password")
            if sent.refused:  # said to nobody: a message here would tell that the details matched
                log.info("reset code for account %s not sent: %s", account.id, sent.refused)
        secret = request.app.state.settings.secret_key
        request.session[RESET_KEY] = profile.new_reset_request(secret, values["username"], values["id_number"], now)
        return SmsState(resend_in=int(sms.LIMITS.resend_after.total_seconds()))

    @post("/forgot-password", name="forgot_password_submit", opt=PUBLIC)
    async def check_reset_code(self, request: Request) -> Template | Redirect:
        values = form_values(await request.form(), ("username", "id_number", "sms_code"), max_length=64)
        today = await request.app.state.clock.today()
        reasons = profile.check_reset_identity(values["username"].strip(), values["id_number"], today=today)
        state = request.session.get(RESET_KEY) if request.session else None
        account = None
        if not reasons:
            account, code_reason = await profile.verify_reset_code(
                state, username=values["username"], id_number=values["id_number"], raw_code=values["sms_code"],
                now=_now(), secret=request.app.state.settings.secret_key,
            )
            if code_reason:
                reasons["sms_code"] = code_reason
                if state is not None:
                    request.session[RESET_KEY] = state  # keeps the tries counted for unknown details
        elif not profile.normalize_code(values["sms_code"]):
            reasons["sms_code"] = "format"
        if account is None:
            return self._forgot_page(request, values, errors=_reset_errors(reasons), status_code=400)
        request.session[RESET_KEY] = {"account_id": account.id, "verified_at": _now().timestamp()}
        return Redirect(path="/forgot-password/new-password", status_code=HTTP_303_SEE_OTHER)

    @get("/forgot-password/new-password", name="forgot_password_new", opt=PUBLIC)
    async def show_new_password(self, request: Request) -> Template | Redirect:
        if await self._reset_account(request) is None:
            return self._reset_expired(request)
        return Template("account/new_password.html", context={"errors": {}})

    @post("/forgot-password/new-password", name="forgot_password_new_submit", opt=PUBLIC)
    async def set_new_password(self, request: Request) -> Template | Redirect:
        account = await self._reset_account(request)
        if account is None:
            return self._reset_expired(request)
        form = await request.form()
        password = str(form.get("password", ""))[:256]
        reasons = profile.check_new_password(
            password, str(form.get("password_confirm", ""))[:256],
            username=account.username, id_number=await profile.id_number_of(account),
        )
        if reasons:
            errors = {name: password_message(name, reason) for name, reason in reasons.items()}
            return Template("account/new_password.html", context={"errors": errors}, status_code=400)
        now = _now()
        await profile.reset_password(account, password, now=now)
        await messages.notify(
            account.id, _("Your password was reset"),
            _("Your password was reset with a code sent to your mobile on %(time)s. You were signed out everywhere, and remembered devices were forgotten. If you did not do this, contact the service hotline.")
            % {"time": now.astimezone(SHENZHEN).strftime("%Y-%m-%d %H:%M")},
        )
        end_session(request, {"kind": "password_reset"})  # the login page says what happened
        return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)

    async def _reset_account(self, request: Request) -> Account | None:
        state = request.session.get(RESET_KEY) if request.session else None
        account_id = profile.reset_confirmed(state, now=_now())
        return None if account_id is None else await Account.get_or_none(id=account_id, is_active=True)

    def _reset_expired(self, request: Request) -> Redirect:
        request.session.pop(RESET_KEY, None)
        return redirect_with_notice(request, "reset_expired", "/forgot-password")

    def _forgot_context(
        self, request: Request, values: Mapping[str, str], errors: dict[str, str] | None = None,
        sms_state: SmsState | None = None, notice: str | None = None,
    ) -> dict[str, Any]:
        state = request.session.get(RESET_KEY) if request.session else None
        return {"form": values, "errors": errors or {}, "sms": sms_state, "notice": notice,
                "send_url": "/forgot-password/sms", "requested": bool(state and "who" in state)}

    def _forgot_page(
        self, request: Request, values: Mapping[str, str], *, errors: dict[str, str] | None = None,
        sms_state: SmsState | None = None, notice: str | None = None, status_code: int = 200,
    ) -> Template:
        return Template("account/forgot_password.html", status_code=status_code,
                        context=self._forgot_context(request, values, errors, sms_state, notice))


def _reset_errors(reasons: Mapping[str, str]) -> dict[str, str]:
    """Messages in the order of the form (a username can only be missing)."""
    translate = {
        "username": lambda _reason: _("Enter your username."),
        "id_number": lambda reason: error_message("id_number", reason),
        "sms_code": code_error,
    }
    return {name: translate[name](reasons[name]) for name in translate if name in reasons}


def _reset_refusal(refused: sms.SmsRefused, now: datetime) -> str:
    if refused.reason == "account_limit":
        return _("Codes were asked for these details too often. Try again after %(time)s.") % {
            "time": refused.retry_at.astimezone(SHENZHEN).strftime("%H:%M")
        }
    return refusal_message(refused, now)
