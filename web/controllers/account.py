"""个人信息: personal information, password, mobile, system messages, sign-ins (forgot_password.py: the reset)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Redirect, Response, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from web.controllers.register import error_message, ethnicity_options
from web.controllers.sms_widget import SmsState, code_error, send_sms
from web.i18n import gettext as _
from web.models import Account, Person
from web.services import auth, dashboard, drafts, messages, profile
from web.services.clock import SHENZHEN
from web.services.identity import mask_id_number, mask_mobile
from web.sessions import end_session, rotate_session_id

SIGNED_IN = {"access": "signed_in"}
NOTICE_KEY = "account_notice"  # a one-time success message for the next page of this area


# --- Messages for the services' reason codes --------------------------------------------------------
# The fields shared with registration keep registration's messages; only what differs here is ours.


def _details_message(field: str, reason: str) -> str:
    if (field, reason) == ("id_number", "taken"):  # registration's says "already has an account"
        return _("This ID number is already used by another person. If it is yours, visit an acceptance point with your identity card")
    return error_message(field, reason)


def password_message(field: str, reason: str, retry_at: datetime | None = None) -> str:
    if (field, reason) == ("current_password", "too_many") and retry_at is not None:
        return _("Too many tries of your current password. Try again after %(time)s") % {
            "time": retry_at.astimezone(SHENZHEN).strftime("%H:%M")
        }
    ours = {
        ("current_password", "missing"): _("Enter your current password"),
        ("current_password", "wrong"): _("Your current password is not right"),
        ("password", "missing"): _("Enter a new password"),
        ("password", "same"): _("Your new password must be different from your current one"),
    }
    return ours.get((field, reason)) or error_message(field, reason)


def _mobile_message(reason: str) -> str:
    ours = {
        "missing": _("Enter your new mobile number"),
        "same": _("This is already your mobile number"),
        "taken": _("This mobile number belongs to another account"),
    }
    return ours.get(reason) or error_message("mobile", reason)


def _notice_text(kind: str | None) -> str | None:
    return {
        "details_saved": _("Your basic information has been saved."),
        "password_changed": _("Your password has been changed. You have been signed out on every other device."),
        "mobile_changed": _("Your mobile number has been changed. Your next sign-in asks for a code sent to it."),
        "devices_forgotten": _("Remembered devices have been forgotten. They will need your password again."),
        "reset_expired": _("That page has expired. Start again."),
    }.get(kind or "")


DETAILS_DRAFT = "account_details"  # the server-side draft of the basic-information form


def _now() -> datetime:
    return datetime.now(UTC)  # security timers: the real clock, never /dev/clock


def form_values(form: Any, names: tuple[str, ...], max_length: int = 300) -> dict[str, str]:
    """The typed values to show back (never passwords): cut to a sane length, all strings."""
    return {name: str(form.get(name, ""))[:max_length] for name in names}


def pop_notice(request: Request) -> str | None:
    return _notice_text(request.session.pop(NOTICE_KEY, None)) if request.session else None


def redirect_with_notice(request: Request, kind: str, path: str = "/account") -> Redirect:
    request.session[NOTICE_KEY] = kind
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


class AccountController(Controller):
    path = "/"

    # --- Overview ---------------------------------------------------------------------------------

    @get("/account", name="account", opt=SIGNED_IN)
    async def show_overview(self, request: Request) -> Template:
        account: Account = request.state.account
        summary = await dashboard.summary(account)
        return Template("account/overview.html", context={
            "summary": summary,
            "masked_id_number": mask_id_number(summary.person.id_number) if summary.person else "",
            "masked_mobile": mask_mobile(account.mobile),
            "ethnicities": dict(ethnicity_options()),
            "unread": await messages.unread_count(account.id),
            "notice": pop_notice(request),
        })

    # --- Basic information ------------------------------------------------------------------------

    @get("/account/details", name="account_details", opt=SIGNED_IN)
    async def show_details(self, request: Request) -> Template:
        account: Account = request.state.account
        person = await _person(account)
        form = profile.details_form(person)
        # What was typed and not yet saved comes back, even after being signed out (a login elsewhere).
        draft = await drafts.load(account.id, DETAILS_DRAFT) if person else None
        if draft:
            form = {**form, **{name: draft[name] for name in profile.DETAIL_FIELDS if name in draft}}
        return self._details_page(account, person, form, restored=bool(draft))

    @post("/account/details/draft", name="account_details_draft", opt=SIGNED_IN)
    async def save_details_draft(self, request: Request) -> Response[None] | Redirect:
        """htmx saves the form as it is typed (on change); without JavaScript, 保存 does it."""
        account: Account = request.state.account
        form = await request.form()
        await drafts.save(account.id, DETAILS_DRAFT, form_values(form, profile.DETAIL_FIELDS))
        if request.htmx:
            return Response(None, status_code=204)
        return Redirect(path="/account/details", status_code=HTTP_303_SEE_OTHER)

    @post("/account/details/discard", name="account_details_discard", opt=SIGNED_IN)
    async def discard_details_draft(self, request: Request) -> Redirect:
        await drafts.discard(request.state.account.id, DETAILS_DRAFT)
        return Redirect(path="/account/details", status_code=HTTP_303_SEE_OTHER)

    @post("/account/details", name="account_details_submit", opt=SIGNED_IN)
    async def submit_details(self, request: Request) -> Template | Redirect:
        account: Account = request.state.account
        person = await _person(account)
        if person is None:  # staff and administrators: nothing of theirs to edit here
            return Redirect(path="/account/details", status_code=HTTP_303_SEE_OTHER)
        form = await request.form()
        values = form_values(form, profile.DETAIL_FIELDS)
        today = await request.app.state.clock.today()
        reasons = await profile.update_details(account, person, values, today=today)
        if reasons:
            await drafts.save(account.id, DETAILS_DRAFT, values)
            errors = {name: _details_message(name, reason) for name, reason in reasons.items()}
            shown = {**profile.details_form(person), **values}
            return self._details_page(account, person, shown, errors=errors, status_code=400)
        await drafts.discard(account.id, DETAILS_DRAFT)
        return redirect_with_notice(request, "details_saved")

    def _details_page(
        self, account: Account, person: Person | None, form: Mapping[str, str], *,
        errors: dict[str, str] | None = None, status_code: int = 200, restored: bool = False,
    ) -> Template:
        return Template("account/details.html", status_code=status_code, context={
            "restored": restored,
            "person": person,
            "masked_id_number": mask_id_number(person.id_number) if person else "",
            "locked": profile.locked_fields(account),
            "form": form,
            "errors": errors or {},
            "ethnicities": ethnicity_options(),
        })

    # --- Password ---------------------------------------------------------------------------------

    @get("/account/password", name="account_password", opt=SIGNED_IN)
    async def show_password_form(self) -> Template:
        return Template("account/password.html", context={"errors": {}})

    @post("/account/password", name="account_password_submit", opt=SIGNED_IN)
    async def change_password(self, request: Request) -> Template | Redirect:
        account: Account = request.state.account
        form = await request.form()
        now = _now()
        check = await profile.check_password_change(
            account,
            current=str(form.get("current_password", ""))[:256],
            password=str(form.get("password", ""))[:256],
            confirm=str(form.get("password_confirm", ""))[:256],
            id_number=await profile.id_number_of(account),
            store=request.app.stores.get("ratelimit"),
            now=now,
        )
        if check.errors:
            errors = {name: password_message(name, reason, check.retry_at) for name, reason in check.errors.items()}
            status = 429 if check.retry_at else 400
            return Template("account/password.html", context={"errors": errors}, status_code=status)
        # Ends every other session and forgets remembered devices; this browser stays signed in.
        request.session["login_id"] = await auth.change_password(account, str(form.get("password")), now=now)
        rotate_session_id(request)
        await messages.notify(
            account.id, _("Your password was changed"),
            _("Your password was changed on %(time)s. You were signed out on every other device, and remembered devices were forgotten. If you did not do this, reset your password now and contact the service hotline.")
            % {"time": now.astimezone(SHENZHEN).strftime("%Y-%m-%d %H:%M")},
        )
        return redirect_with_notice(request, "password_changed")

    # --- Mobile -----------------------------------------------------------------------------------

    @get("/account/mobile", name="account_mobile", opt=SIGNED_IN)
    async def show_mobile_form(self, request: Request) -> Template:
        return self._mobile_page(request.state.account, {"mobile": "", "sms_code": ""})

    @post("/account/mobile/sms", name="account_mobile_sms", opt=SIGNED_IN)
    async def send_mobile_code(self, request: Request) -> Template:
        """The widget's "Send code": a code to the NEW number, after checking it may be used."""
        account: Account = request.state.account
        values = form_values(await request.form(), ("mobile", "sms_code"))
        mobile, reason = await profile.check_new_mobile(account, values["mobile"])
        if reason or mobile is None:
            errors = {"mobile": _mobile_message(reason or "format")}
            if request.htmx:  # the error belongs beside the number: swap the whole form
                return HTMXTemplate(template_name="account/_mobile_form.html", re_target="#mobile-form",
                                    re_swap="outerHTML", context=self._mobile_context(account, values, errors))
            return self._mobile_page(account, values, errors=errors, status_code=400)
        state = await send_sms(request, mobile=mobile, purpose="change_mobile")
        if request.htmx:
            return Template("sms_code_fragment.html", context={
                "send_url": "/account/mobile/sms", "sms": state, "form": values, "errors": {}})
        return self._mobile_page(account, values, sms_state=state)

    @post("/account/mobile", name="account_mobile_submit", opt=SIGNED_IN)
    async def change_mobile(self, request: Request) -> Template | Redirect:
        account: Account = request.state.account
        values = form_values(await request.form(), ("mobile", "sms_code"))
        old_mobile = account.mobile
        mobile, reasons = await profile.change_mobile(
            account, raw_mobile=values["mobile"], raw_code=values["sms_code"],
            now=_now(), secret=request.app.state.settings.secret_key,
        )
        if mobile is None:
            errors = {"mobile": _mobile_message(reasons["mobile"])} if "mobile" in reasons else {}
            if "sms_code" in reasons:
                errors["sms_code"] = code_error(reasons["sms_code"])
            return self._mobile_page(account, values, errors=errors, status_code=400)
        await messages.notify(
            account.id, _("Your mobile number was changed"),
            _("The mobile number of your account changed from %(old)s to %(new)s. Your next sign-in asks for a code sent to the new number. If you did not do this, contact the service hotline.")
            % {"old": mask_mobile(old_mobile), "new": mask_mobile(mobile)},
        )
        return redirect_with_notice(request, "mobile_changed")

    def _mobile_context(
        self, account: Account, values: Mapping[str, str], errors: dict[str, str] | None = None,
        sms_state: SmsState | None = None,
    ) -> dict[str, Any]:
        return {"form": values, "errors": errors or {}, "sms": sms_state,
                "send_url": "/account/mobile/sms", "current_mobile": mask_mobile(account.mobile)}

    def _mobile_page(
        self, account: Account, values: Mapping[str, str], *, errors: dict[str, str] | None = None,
        sms_state: SmsState | None = None, status_code: int = 200,
    ) -> Template:
        return Template("account/mobile.html", status_code=status_code,
                        context=self._mobile_context(account, values, errors, sms_state))

    # --- Sign-ins and devices -----------------------------------------------------------------------

    @get("/account/sign-ins", name="account_sign_ins", opt=SIGNED_IN)
    async def list_sign_ins(self, request: Request) -> Template:
        sign_ins = await profile.recent_sign_ins(request.state.account.id)
        return Template("account/sign_ins.html", context={"sign_ins": sign_ins})

    @post("/account/sign-out-everywhere", name="account_sign_out_everywhere", opt=SIGNED_IN)
    async def sign_out_everywhere(self, request: Request) -> Redirect:
        account: Account = request.state.account
        await auth.end_sessions(account)
        await auth.revoke_device_tokens(account, now=_now())
        end_session(request, {"kind": "signed_out"})  # this browser too
        return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)

    @post("/account/devices/forget", name="account_forget_devices", opt=SIGNED_IN)
    async def forget_devices(self, request: Request) -> Redirect:
        await auth.revoke_device_tokens(request.state.account, now=_now())
        return redirect_with_notice(request, "devices_forgotten")

    # --- System messages ----------------------------------------------------------------------------

    @get("/messages", name="messages", opt=SIGNED_IN)
    async def list_messages(self, request: Request) -> Template:
        inbox = await messages.inbox(request.state.account.id)
        unread = sum(1 for message in inbox if message.read_at is None)
        return Template("account/messages.html", context={"messages": inbox, "unread": unread})

    @post("/messages/{message_id:int}/read", name="message_read", opt=SIGNED_IN)
    async def mark_message_read(self, request: Request, message_id: FromPath[int]) -> Redirect:
        if not await messages.mark_read(request.state.account.id, message_id, now=_now()):
            raise NotFoundException()  # someone else's message looks like none at all
        return Redirect(path=f"/messages#message-{message_id}", status_code=HTTP_303_SEE_OTHER)

    @post("/messages/read-all", name="messages_read_all", opt=SIGNED_IN)
    async def mark_all_messages_read(self, request: Request) -> Redirect:
        await messages.mark_all_read(request.state.account.id, now=_now())
        return Redirect(path="/messages", status_code=HTTP_303_SEE_OTHER)


async def _person(account: Account) -> Person | None:
    return await Person.get_or_none(id=account.person_id) if account.person_id else None
