"""The counter of an acceptance point (柜台): real-name authentication and opening unit accounts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from web.adapters.sms import build_sms_gateway
from web.controllers.register import error_message
from web.controllers.sms_widget import client_ip
from web.i18n import gettext as _
from web.models import AcceptancePoint, Account
from web.services import counter, password_setup, validators

STAFF = {"access": "staff"}
NOTICE_KEY = "counter_notice"  # a one-time message for the next counter page
REAL_NAME_FIELDS = ("id_number", "account_id", "step", *counter.CONFIRM_FIELDS)


def _now() -> datetime:
    return datetime.now(UTC)  # a record of when it happened at the counter: the real clock


async def _point(account: Account) -> AcceptancePoint | None:
    return await AcceptancePoint.get_or_none(id=account.point_id) if account.point_id else None  # type: ignore[attr-defined]


def _pop_notice(request: Request) -> dict[str, str]:
    notice = request.session.pop(NOTICE_KEY, None) if request.session else None
    return notice if isinstance(notice, dict) else {}


# --- messages for the services' reason codes ------------------------------------------------------


def _id_number_message(reason: str) -> str:
    if reason in ("length", "format"):
        return error_message("id_number", reason)  # registration's words fit the counter too
    return {
        "missing": _("Enter the ID number from the applicant's identity card"),
        "not_found": _("No account is registered with this ID number. Check it against the identity card; if it is right, the applicant first registers a personal account online."),
    }.get(reason) or _("This ID number is not valid. Check each character against the identity card")


def _confirm_message(field: str, reason: str) -> str:
    if field == "id_number":
        return _id_number_message(reason)
    return {
        ("checked_id_card", "missing"): _("Confirm that you checked the applicant's identity card against them"),
        ("checked_mobile", "missing"): _("Confirm that you checked the account's mobile number on the applicant's phone"),
        ("mobile_last4", "format"): _("Enter the last 4 digits of the mobile number, or leave this empty"),
        ("mobile_last4", "mismatch"): _("These are not the last 4 digits of the account's mobile number. Check the number on the applicant's phone"),
    }[(field, reason)]


def _unit_message(field: str, reason: str) -> str:
    ours = {
        ("unit_name", "missing"): _("Enter the unit's name"),
        ("unit_name", "too_long"): _("Unit name must be %(max)s characters or fewer") % {"max": counter.UNIT_NAME_MAX_LENGTH},
        ("unit_name", "characters"): _("Unit name must not contain control characters"),
        ("credit_code", "missing"): _("Enter the unit's unified social credit code"),
        ("credit_code", "length"): _("The unified social credit code must be 18 characters"),
        ("credit_code", "format"): _("The unified social credit code has only digits and capital letters, never I, O, S, V or Z"),
        ("credit_code", "checksum"): _("This unified social credit code is not valid: its last character does not match. Check each character against the business licence"),
        ("credit_code", "taken"): _("A unit with this unified social credit code already has an account"),
        ("address", "missing"): _("Enter the unit's address"),
        ("address", "too_long"): _("Address must be %(max)s characters or fewer") % {"max": counter.ADDRESS_MAX_LENGTH},
        ("address", "characters"): _("Address must not contain control characters"),
        ("contact_name", "missing"): _("Enter the name of the unit's contact person"),
        ("contact_phone", "missing"): _("Enter the contact person's phone number"),
        ("contact_phone", "format"): _("Enter a mobile number, or a landline with its area code, like 0755-83001234"),
        ("agent_username", "missing"): _("Choose a username for the agent"),
        ("agent_name", "missing"): _("Enter the agent's name as it is written on their identity card"),
        ("agent_mobile", "missing"): _("Enter the agent's mobile number"),
        ("documents_checked", "missing"): _("Confirm that you checked the agent's identity card and the unit's authorisation letter"),
    }
    if (field, reason) in ours:
        return ours[(field, reason)]
    # The rest are registration's rules, and its words: name, username and mobile.
    return error_message({"contact_name": "name", "agent_name": "name", "agent_username": "username",
                          "agent_mobile": "mobile"}[field], reason)


def _sms_refusal(reason: str) -> str:
    return {
        "resend_wait": _("A code was sent to this number less than a minute ago. Wait a minute, then send a new one."),
        "daily_limit": _("This number has had 10 codes today, the most allowed. Send a new code tomorrow."),
    }.get(reason) or _("The text message could not be sent. Try again in a few minutes.")


class CounterController(Controller):
    path = "/staff/counter"

    @get("/", name="counter", opt=STAFF)
    async def show_menu(self, request: Request) -> Template:
        point = await _point(request.state.account)
        units = await counter.recent_units(point.id) if point else []
        return Template("counter/menu.html", context={"point": point, "units": units})

    # --- real-name authentication -------------------------------------------------------------------

    @get("/real-name", name="counter_real_name", opt=STAFF)
    async def show_real_name(self, request: Request) -> Template:
        notice = _pop_notice(request)
        return self._real_name_page({"id_number": ""}, done_username=notice.get("username"))

    @post("/real-name", name="counter_real_name_submit", opt=STAFF)
    async def submit_real_name(self, request: Request) -> Template | Redirect:
        """step=find shows the accounts of an ID number; step=confirm authenticates one of them."""
        form = await request.form()
        values = {name: str(form.get(name, "") or "")[:64] for name in REAL_NAME_FIELDS}
        staff: Account = request.state.account
        today = await request.app.state.clock.today()
        if values["step"] != "confirm":
            lookup = await counter.look_up(values["id_number"], staff=staff, today=today, ip=client_ip(request))
            errors = {"id_number": _id_number_message(lookup.reason)} if lookup.reason else {}
            return self._real_name_page(values, lookup=lookup, errors=errors, status_code=400 if errors else 200)
        raw_id = values["account_id"]
        account_id = int(raw_id) if raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 10 else None
        result = await counter.authenticate(values["id_number"], account_id, values, staff=staff, now=_now(),
                                            today=today, ip=client_ip(request))
        if result.done and result.account is not None:
            request.session[NOTICE_KEY] = {"username": result.account.username}
            return Redirect(path="/staff/counter/real-name", status_code=HTTP_303_SEE_OTHER)
        errors = {name: _confirm_message(name, reason) for name, reason in result.errors.items()}
        return self._real_name_page(
            values, lookup=result.lookup, errors=errors, status_code=400 if errors else 200,
            confirming=result.account.id if result.account else None,
            already=result.account if result.already else None,
        )

    def _real_name_page(
        self, values: Mapping[str, str], *, lookup: counter.Lookup | None = None, errors: dict[str, str] | None = None,
        confirming: int | None = None, already: counter.CounterAccount | None = None,
        done_username: str | None = None, status_code: int = 200,
    ) -> Template:
        form = dict(values)
        if lookup is not None:
            form["id_number"] = lookup.id_number
        return Template("counter/real_name.html", status_code=status_code, context={
            "form": form, "lookup": lookup if lookup is not None and lookup.reason is None else None,
            "errors": errors or {}, "confirming": confirming, "already": already, "done_username": done_username,
        })

    # --- unit accounts ----------------------------------------------------------------------------------

    @get("/units/new", name="counter_unit_new", opt=STAFF)
    async def show_unit_form(self, request: Request) -> Template:
        point = await _point(request.state.account)
        return self._unit_form_page(point, counter.unit_form({}))

    @post("/units/new", name="counter_unit_open", opt=STAFF)
    async def open_unit(self, request: Request) -> Template | Redirect:
        staff: Account = request.state.account
        point = await _point(staff)
        values = counter.unit_form(await request.form())
        if point is None:  # the page explains; nothing can be opened without a point
            return self._unit_form_page(None, values, status_code=409)
        settings = request.app.state.settings
        opening = await counter.open_unit_account(
            values, staff=staff, gateway=build_sms_gateway(settings), now=_now(), ip=client_ip(request),
            secret=settings.secret_key,
        )
        if opening.errors or opening.unit is None:
            errors = {name: _unit_message(name, reason) for name, reason in opening.errors.items()}
            return self._unit_form_page(point, values, errors, status_code=400)
        request.session[NOTICE_KEY] = {"kind": "opened", "refused": opening.sms_refused or ""}
        return Redirect(path=f"/staff/counter/units/{opening.unit.id}", status_code=HTTP_303_SEE_OTHER)

    def _unit_form_page(
        self, point: AcceptancePoint | None, values: Mapping[str, str], errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return Template("counter/unit_new.html", status_code=status_code, context={
            "point": point, "form": values, "errors": errors or {},
            "username_hint": _("%(min)s to %(max)s characters: letters a to z, digits and underscores (_), starting with a letter")
            % {"min": validators.USERNAME_MIN_LENGTH, "max": validators.USERNAME_MAX_LENGTH},
        })

    @get("/units/{unit_id:int}", name="counter_unit", opt=STAFF)
    async def show_unit(self, request: Request, unit_id: FromPath[int]) -> Template:
        summary = await counter.unit_summary(unit_id, request.state.account.point_id)
        if summary is None:
            raise NotFoundException()  # another point's unit looks like none at all
        notice = _pop_notice(request)
        refused = notice.get("refused")
        return Template("counter/unit.html", context={
            "summary": summary,
            "opened": notice.get("kind") == "opened",
            "code_sent": notice.get("kind") in ("opened", "code") and not refused,
            "refusal": _sms_refusal(refused) if refused else None,
            "code_hours": password_setup.CODE_TTL_HOURS,
            "setup_path": password_setup.SETUP_PATH,
            "now": _now(),
        })

    @post("/units/{unit_id:int}/code", name="counter_unit_code", opt=STAFF)
    async def resend_setup_code(self, request: Request, unit_id: FromPath[int]) -> Redirect:
        form = await request.form()
        raw_id = str(form.get("agent_id", "") or "")
        if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 10):
            raise NotFoundException()
        settings = request.app.state.settings
        try:
            refused = await counter.resend_setup_code(
                unit_id, int(raw_id), staff=request.state.account, gateway=build_sms_gateway(settings),
                now=_now(), ip=client_ip(request), secret=settings.secret_key,
            )
        except LookupError:
            raise NotFoundException() from None
        request.session[NOTICE_KEY] = {"kind": "code", "refused": refused or ""}
        return Redirect(path=f"/staff/counter/units/{unit_id}", status_code=HTTP_303_SEE_OTHER)
