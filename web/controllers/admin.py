"""The administrator's area (系统管理): acceptance points, staff accounts, 社保数据导入, settings, 审计日志."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, NamedTuple
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from tortoise.exceptions import IntegrityError

from web import i18n
from web.adapters.sms import build_sms_gateway
from web.controllers.register import error_message
from web.controllers.sms_widget import client_ip, refusal_message
from web.i18n import gettext as _
from web.models import Account
from web.services import (
    admin_audit,
    admin_points,
    admin_settings,
    insurance_import,
    password_setup,
    sms,
    staff_accounts,
)
from web.services.identity import make_id_number, mask_mobile

ADMIN = {"access": "admin"}
NOTICE_KEY = "admin_notice"  # a one-time message for the page after an action
# Where and how long staff set their password with a texted code (the unit agents' flow).
SETUP = {"setup_path": password_setup.SETUP_PATH, "code_hours": password_setup.CODE_TTL_HOURS}


# --- Messages for the services' reason codes --------------------------------------------------------


def _point_message(field: str, reason: str) -> str:
    if reason == "out_of_bounds":
        low, high = admin_points.LAT_RANGE if field == "lat" else admin_points.LNG_RANGE
        text = _("Latitude must be between %(min)s and %(max)s, inside Shenzhen") if field == "lat" else _(
            "Longitude must be between %(min)s and %(max)s, inside Shenzhen")
        return text % {"min": low, "max": high}
    return {
        ("name", "missing"): _("Enter the name of the acceptance point"),
        ("name", "too_long"): _("Point name must be %(max)s characters or fewer") % {"max": admin_points.NAME_MAX_LENGTH},
        ("address", "missing"): _("Enter the address"),
        ("address", "too_long"): _("Address must be %(max)s characters or fewer") % {"max": admin_points.ADDRESS_MAX_LENGTH},
        ("hours", "missing"): _("Enter the opening hours"),
        ("hours", "too_long"): _("Opening hours must be %(max)s characters or fewer") % {"max": admin_points.HOURS_MAX_LENGTH},
        ("lat", "missing"): _("Enter the latitude"),
        ("lat", "format"): _("Latitude must be a number, like 22.5431"),
        ("lng", "missing"): _("Enter the longitude"),
        ("lng", "format"): _("Longitude must be a number, like 114.0579"),
        ("daily_capacity", "missing"): _("Enter the daily capacity"),
        ("daily_capacity", "format"): _("Daily capacity must be a whole number, like 200"),
        ("daily_capacity", "range"): _("Daily capacity must be between %(min)s and %(max)s")
        % {"min": admin_points.DAILY_CAPACITY_MIN, "max": admin_points.DAILY_CAPACITY_MAX},
    }[(field, reason)]


def _staff_message(field: str, reason: str) -> str:
    if field == "point":
        return _("Choose the acceptance point the staff member works at")
    if (field, reason) == ("mobile", "missing"):
        return _("Enter the staff member's mobile number")
    return error_message(field, reason)  # registration's words for usernames and mobile numbers


def _file_message(reason: str) -> str:
    return {
        "missing": _("Choose a CSV file to import"),
        "too_large": _("The file must be %(size)s MB or smaller") % {"size": insurance_import.MAX_BYTES // (1024 * 1024)},
        "not_utf8": _("The file is not UTF-8 text. Save it as “CSV UTF-8” and choose it again"),
        "empty": _("The file is empty"),
        "header": _("The first row must name the columns id_number, month and insurer"),
        "no_rows": _("The file has a header row but no data rows"),
    }[reason]


def row_message(reason: str) -> str:
    """Why one row of an insurance file was not imported, in words."""
    return {
        "id_length": _("The ID number must be 18 characters"),
        "id_format": _("The ID number must be 17 digits followed by a digit or the letter X"),
        "id_province": _("The ID number does not start with a province code"),
        "id_birth_date": _("Digits 7 to 14 of the ID number are not a real date of birth"),
        "id_checksum": _("The check digit of the ID number is wrong"),
        "bad_month": _("The month must be a real month written YYYY-MM, like 2026-03"),
        "future_month": _("The month is in the future"),
        "duplicate": _("The same ID number and month are in an earlier row of this file"),
        "insurer_too_long": _("The insurer must be %(max)s characters or fewer") % {"max": insurance_import.INSURER_MAX_LENGTH},
        "columns": _("The row must have exactly 3 values: id_number, month and insurer"),
    }[reason]


def _audit_message(field: str, reason: str) -> str:
    if reason == "before_from":
        return _("The end date must be the same as or after the start date")
    return _("Enter a real date, like 2026-03-27")


class Notice(NamedTuple):
    text: str
    success: bool  # False: the action went only part of the way (a text message was not sent)


UNFINISHED = ("staff_created_unsent", "code_unsent")


def _notice_text(notice: dict[str, str] | None) -> Notice | None:
    if not notice:
        return None
    kind = notice.get("kind", "")
    texts = {
        "point_saved": _("Acceptance point %(name)s saved."),
        "staff_created": _("Staff account %(name)s created. A code to set the password was texted to %(mobile)s: the staff member opens %(path)s and sets a password with the username and the code within %(hours)s hours. The first sign-in also asks for a code sent to that number."),
        "staff_created_unsent": _("Staff account %(name)s created, but the code to set the password could not be texted: %(reason)s Use “Send a new code” below."),
        "staff_assigned": _("%(name)s now works at %(point)s."),
        "staff_disabled": _("%(name)s is disabled and was signed out. The account cannot sign in until it is enabled again."),
        "staff_enabled": _("%(name)s is enabled and can sign in again."),
        "code_sent": _("A new code to set the password was texted to %(mobile)s. It works once, within %(hours)s hours, at %(path)s. The current password works until a new one is set."),
        "code_unsent": _("The code could not be texted: %(reason)s"),
    }
    text = texts.get(kind)
    if text is None:
        return None
    values = {"hours": password_setup.CODE_TTL_HOURS, "path": password_setup.SETUP_PATH}
    text %= {**values, **{name: notice.get(name, "") for name in ("name", "mobile", "point", "reason")}}
    return Notice(text, success=kind not in UNFINISHED)


def _refusal(sent: staff_accounts.CodeSent) -> str:
    """Why a set-password code was not texted, in words."""
    if sent.refused == "delivery" or sent.retry_at is None:
        return _("The text message could not be sent. Try again in a few minutes.")
    return refusal_message(sms.SmsRefused(sent.refused or "", sent.retry_at), _now())


def _done(request: Request, path: str, kind: str, **values: str) -> Redirect:
    request.session[NOTICE_KEY] = {"kind": kind, **values}
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


def _notice(request: Request) -> Notice | None:
    return _notice_text(request.session.pop(NOTICE_KEY, None)) if request.session else None


def _insurance_context(**values: Any) -> dict[str, Any]:
    return {
        "errors": {}, "report": None, "row_message": row_message,
        "max_megabytes": insurance_import.MAX_BYTES // (1024 * 1024),
        # A made-up number with a right check digit, for the example row.
        "example_id": make_id_number("440304", date(1990, 3, 7), 123),
        **values,
    }


def _now() -> datetime:
    return datetime.now(UTC)  # security records: the real clock, never /dev/clock


class AdminController(Controller):
    path = "/admin"

    # --- Acceptance points ------------------------------------------------------------------------

    @get("/points", name="admin_points", opt=ADMIN)
    async def list_points(self, request: Request) -> Template:
        districts = await admin_points.districts()
        chosen = request.query_params.get("district", "")
        district = next((d for d in districts if d.adcode == chosen), None)
        english = i18n.current_locale() == "en"
        return Template("admin/points.html", context={
            "district_options": [(d.adcode, d.name_en if english else d.name) for d in districts],
            "district": district,
            "points": await admin_points.list_points(district.adcode if district else None),
            "notice": _notice(request),
        })

    @get("/points/{code:str}", name="admin_point", opt=ADMIN)
    async def show_point(self, code: FromPath[str]) -> Template:
        point = await admin_points.get_point(code)
        if point is None:
            raise NotFoundException()
        return self._point_page(point, admin_points.point_form(point))

    @post("/points/{code:str}", name="admin_point_submit", opt=ADMIN)
    async def update_point(self, request: Request, code: FromPath[str]) -> Template | Redirect:
        point = await admin_points.get_point(code)
        if point is None:
            raise NotFoundException()
        values = admin_points.form_values(await request.form())
        check = admin_points.check_point(values)
        if check.errors:
            errors = {name: _point_message(name, reason) for name, reason in check.errors.items()}
            return self._point_page(point, values, errors, status_code=400)
        saved = await admin_points.update_point(code, check.values, actor=request.state.account, ip=client_ip(request))
        if saved is None:
            raise NotFoundException()
        district = point.street.district_adcode  # type: ignore[attr-defined]
        return _done(request, f"/admin/points?district={district}", "point_saved", name=saved.name)

    def _point_page(
        self, point: Any, form: dict[str, str], errors: dict[str, str] | None = None, status_code: int = 200
    ) -> Template:
        return Template("admin/point.html", status_code=status_code, context={
            "point": point, "form": form, "errors": errors or {},
            "lat_range": admin_points.LAT_RANGE, "lng_range": admin_points.LNG_RANGE,
            "capacity_range": (admin_points.DAILY_CAPACITY_MIN, admin_points.DAILY_CAPACITY_MAX),
        })

    # --- Staff accounts -----------------------------------------------------------------------------

    @get("/staff", name="admin_staff", opt=ADMIN)
    async def list_staff(self, request: Request) -> Template:
        points = await staff_accounts.point_choices()
        chosen = request.query_params.get("point", "")
        point_code = chosen if any(code == chosen for code, _name in points) else ""
        after = request.query_params.get("after") or None
        page = await staff_accounts.list_staff(point_code=point_code or None, after=after)
        return Template("admin/staff_list.html", context={
            "page": page, "points": points, "point_code": point_code, "first_page": after is None,
            "notice": _notice(request),
        })

    @get("/staff/new", name="admin_staff_new", opt=ADMIN)
    async def show_new_staff(self) -> Template:
        return await self._new_staff_page({"username": "", "mobile": "", "point": ""})

    @post("/staff", name="admin_staff_create", opt=ADMIN)
    async def create_staff(self, request: Request) -> Template | Redirect:
        values = staff_accounts.form_values(await request.form())
        check = await staff_accounts.check_new_staff(values)
        if not check.errors:
            try:
                sent = await staff_accounts.create_staff(
                    check.values, actor=request.state.account, ip=client_ip(request), now=_now(),
                    gateway=build_sms_gateway(request.app.state.settings),
                    secret=request.app.state.settings.secret_key,
                )
            except IntegrityError:  # the username was taken since the check
                check.errors["username"] = "taken"
            else:
                account = sent.account
                if sent.refused:
                    return _done(request, f"/admin/staff/{account.id}", "staff_created_unsent",
                                 name=account.username, reason=_refusal(sent))
                return _done(request, f"/admin/staff/{account.id}", "staff_created", name=account.username,
                             mobile=mask_mobile(account.mobile))
        errors = {name: _staff_message(name, reason) for name, reason in check.errors.items()}
        return await self._new_staff_page(values, errors, status_code=400)

    async def _new_staff_page(
        self, form: dict[str, str], errors: dict[str, str] | None = None, status_code: int = 200
    ) -> Template:
        return Template("admin/staff_new.html", status_code=status_code, context={
            "form": form, "errors": errors or {}, "points": await staff_accounts.point_choices(), **SETUP,
        })

    @get("/staff/{account_id:int}", name="admin_staff_member", opt=ADMIN)
    async def show_staff(self, request: Request, account_id: FromPath[int]) -> Template:
        return await self._staff_page(await self._staff(account_id), notice=_notice(request))

    @post("/staff/{account_id:int}/point", name="admin_staff_assign", opt=ADMIN)
    async def assign_staff(self, request: Request, account_id: FromPath[int]) -> Template | Redirect:
        account = await self._staff(account_id)
        code = str((await request.form()).get("point", ""))[:16]
        reason = await staff_accounts.assign_point(account, code, actor=request.state.account, ip=client_ip(request))
        if reason:
            errors = {"point": _staff_message("point", reason)}
            return await self._staff_page(account, errors=errors, chosen=code, status_code=400)
        return _done(request, f"/admin/staff/{account.id}", "staff_assigned", name=account.username,
                     point=account.point.name)  # type: ignore[union-attr]

    @post("/staff/{account_id:int}/disable", name="admin_staff_disable", opt=ADMIN)
    async def disable_staff(self, request: Request, account_id: FromPath[int]) -> Redirect:
        account = await self._staff(account_id)
        await staff_accounts.set_active(account, False, actor=request.state.account, now=_now(), ip=client_ip(request))
        return _done(request, f"/admin/staff/{account.id}", "staff_disabled", name=account.username)

    @post("/staff/{account_id:int}/enable", name="admin_staff_enable", opt=ADMIN)
    async def enable_staff(self, request: Request, account_id: FromPath[int]) -> Redirect:
        account = await self._staff(account_id)
        await staff_accounts.set_active(account, True, actor=request.state.account, now=_now(), ip=client_ip(request))
        return _done(request, f"/admin/staff/{account.id}", "staff_enabled", name=account.username)

    @post("/staff/{account_id:int}/setup-code", name="admin_staff_setup_code", opt=ADMIN)
    async def send_setup_code(self, request: Request, account_id: FromPath[int]) -> Redirect:
        account = await self._staff(account_id)
        sent = await staff_accounts.send_setup_code(
            account, actor=request.state.account, now=_now(), ip=client_ip(request),
            gateway=build_sms_gateway(request.app.state.settings), secret=request.app.state.settings.secret_key,
        )
        if sent.refused:
            return _done(request, f"/admin/staff/{account.id}", "code_unsent", reason=_refusal(sent))
        return _done(request, f"/admin/staff/{account.id}", "code_sent", mobile=mask_mobile(account.mobile))

    async def _staff(self, account_id: int) -> Account:
        account = await staff_accounts.get_staff(account_id)
        if account is None:
            raise NotFoundException()  # another role's account looks like none at all
        return account

    async def _staff_page(
        self, account: Account, *, errors: dict[str, str] | None = None, chosen: str | None = None,
        notice: Notice | None = None, status_code: int = 200,
    ) -> Template:
        current = account.point.code if account.point else ""  # type: ignore[union-attr]
        return Template("admin/staff_member.html", status_code=status_code, context={
            "member": account, "points": await staff_accounts.point_choices(), "errors": errors or {},
            "form": {"point": current if chosen is None else chosen}, "notice": notice, **SETUP,
        })

    # --- 社保数据导入 -------------------------------------------------------------------------------

    @get("/insurance", name="admin_insurance", opt=ADMIN)
    async def show_insurance_import(self) -> Template:
        return Template("admin/insurance.html", context=_insurance_context())

    @post("/insurance", name="admin_insurance_import", opt=ADMIN)
    async def import_insurance(self, request: Request) -> Template:
        upload = (await request.form()).get("csv_file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return self._insurance_error("missing")
        # One byte over the limit is enough to know it is too large; the rest is never read.
        data = await upload.read(insurance_import.MAX_BYTES + 1)
        report = await insurance_import.import_file(
            data, today=await request.app.state.clock.today(), actor=request.state.account,
            filename=upload.filename, ip=client_ip(request),
        )
        if report.problem:
            return self._insurance_error(report.problem)
        return Template("admin/insurance.html", context=_insurance_context(report=report, filename=upload.filename))

    def _insurance_error(self, reason: str) -> Template:
        return Template("admin/insurance.html", status_code=400,
                        context=_insurance_context(errors={"csv_file": _file_message(reason)}))

    # --- Settings (read only) -----------------------------------------------------------------------

    @get("/settings", name="admin_settings", opt=ADMIN)
    async def show_settings(self, request: Request) -> Template:
        return Template("admin/settings.html", context={
            "config": admin_settings.configuration(request.app.state.settings),
            "constants": admin_settings.domain_constants(),
        })

    # --- 审计日志 ------------------------------------------------------------------------------------

    @get("/audit", name="admin_audit", opt=ADMIN)
    async def list_audit(self, request: Request) -> Template:
        filters = admin_audit.check_filters(request.query_params)
        if filters.errors:
            errors = {name: _audit_message(name, reason) for name, reason in filters.errors.items()}
            return Template("admin/audit.html", status_code=400,
                            context={"form": filters.form, "errors": errors, "page": None})
        page = await admin_audit.find(filters)
        return Template("admin/audit.html", context={
            "form": filters.form, "errors": {}, "page": page, "first_page": filters.before_id is None,
            "filter_query": urlencode({name: value for name, value in filters.form.items() if value}),
        })
