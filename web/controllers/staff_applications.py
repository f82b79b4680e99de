"""The acceptance point's permit applications (受理点): the queue, one application, the staff's actions.

Search is a POST form: an ID number must never appear in a URL (nor so in logs and browser
history), and one form for the three kinds of term (acceptance number, ID number, name) keeps the
rule simple. The queue's own links carry only a tab name and a cursor.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Response, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from web import i18n
from web.adapters.insurance import get_insurance_registry
from web.adapters.photos import get_photo_registry
from web.adapters.sms import build_sms_gateway
from web.i18n import gettext as _
from web.models import AcceptancePoint, ApplicationState
from web.services import application_flow, rules, staff_application, staff_queue
from web.services.application_flow import NotFound, TransitionRefused
from web.services.declarations import REASON_MAX_LENGTH

STAFF = {"access": "staff"}
NOTICE_KEY = "staff_application_notice"  # one-time: what the last action did, shown on its page
TERM_MAX_LENGTH = 64
# The form fields each action sends (application_flow: reason_code and reason for "reject", the
# three checkboxes for "accept", the receipt's acceptance number for "collect").
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "accept": application_flow.ACCEPT_CONFIRMATIONS,
    "reject": ("reason_code", "reason"),
    "collect": (application_flow.RECEIPT_CONFIRMATION,),
}


def labels() -> dict[str, Any]:
    """The names of the application's codes in the visitor's language, for the templates."""
    options = i18n.code_options
    return {
        "states": dict(options(rules.APPLICATION_STATES)),
        "kinds": dict(options(rules.APPLICATION_KINDS)),
        "conditions": dict(options(rules.PERMIT_CONDITIONS)),
        "relations": dict(options(rules.FAMILY_RELATIONS)),
        "ethnicities": dict(options(rules.ETHNICITIES)),
        "education": dict(options(rules.EDUCATION_LEVELS)),
        "sexes": {"M": _("Male"), "F": _("Female")},
    }


def _confirmation_message(field: str) -> str:
    if field == application_flow.RECEIPT_CONFIRMATION:
        return _("Enter the acceptance number printed on the applicant's receipt: it must match this application")
    return {
        "applicant_present": _("Confirm that the applicant is here in person"),
        "identity_checked": _("Confirm that you checked the applicant's identity card against the application"),
        "form_signed": _("Confirm that the applicant signed the printed application form"),
    }[field]


def _refusal(refused: TransitionRefused, number: str, states: dict[str, str]) -> tuple[dict[str, str], int]:
    """The errors (by field id) and status of the page shown again when the action was refused."""
    if refused.reason == "not_allowed":
        state = states.get(refused.state or "", "—")
        return {"actions": _(
            "Nothing was changed: application %(number)s is “%(state)s” now, perhaps because a colleague has"
            " just acted on it. Check the page and choose again.") % {"number": number, "state": state}}, 409
    if refused.reason == "reason_required":
        return {"reason_code": _("Select a reason for rejecting, or write one")}, 400
    if refused.reason == "reason_detail_required":
        return {"reason": _("Write the reason for rejecting")}, 400
    if refused.reason == "reason_too_long":
        return {"reason": _("The reason must be %(max)s characters or fewer") % {"max": REASON_MAX_LENGTH}}, 400
    if refused.reason == "confirmation_missing":
        return {field: _confirmation_message(field) for field in refused.fields}, 400
    raise NotFoundException()  # unknown_action: no such page


def _notice_text(notice: dict[str, Any] | None, application_id: int, states: dict[str, str]) -> str | None:
    if not notice or notice.get("id") != application_id:
        return None
    return _("Done: application %(number)s is now “%(state)s”. The applicant has been sent a system message.") % {
        "number": notice.get("number", ""), "state": states.get(notice.get("state", ""), "")}


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def _point(request: Request) -> AcceptancePoint | None:
    point_id = request.state.account.point_id
    return await AcceptancePoint.get_or_none(id=point_id) if point_id else None


def _point_id(request: Request) -> int:
    """The staff member's point; a member without a point has no application to see (404)."""
    point_id = request.state.account.point_id
    if not point_id:
        raise NotFoundException()
    return int(point_id)


class StaffApplicationsController(Controller):
    path = "/staff/applications"

    # --- the queue ------------------------------------------------------------------------------------

    @get("/", name="staff_applications", opt=STAFF)
    async def list_queue(
        self, request: Request, tab: Annotated[str, QueryParameter(name="state")] = "", after: FromQuery[str] = ""
    ) -> Template:
        """A tab of the queue (?state=, default: all open, overdue first), one keyset page (?after=)."""
        point = await _point(request)
        view = tab if tab in staff_queue.VIEWS else staff_queue.DEFAULT_VIEW
        context: dict[str, Any] = {"point": point, "view": view, "search": None,
                                   "form": {"q": ""}, "errors": {}, **labels()}
        if point is not None:
            today = await request.app.state.clock.today()
            cursor = staff_queue.Cursor.decode(after or None)
            context.update(
                counts=await staff_queue.counts(point.id, today=today),
                page=await staff_queue.queue_page(point.id, view, today=today, after=cursor),
                first_page=cursor is None,
            )
        return Template("staff/applications.html", context=context)

    @post("/search", name="staff_applications_search", opt=STAFF)
    async def search_applications(self, request: Request) -> Template | Redirect:
        """Find the point's applications by acceptance number, ID number or name (POST: see the module)."""
        point = await _point(request)
        if point is None:  # the queue page explains
            return Redirect(path="/staff/applications", status_code=HTTP_303_SEE_OTHER)
        term = str((await request.form()).get("q", ""))[:TERM_MAX_LENGTH].replace("\x00", "")
        today = await request.app.state.clock.today()
        result = await staff_queue.search(point.id, term, today=today)
        errors = {} if result.term_kind else {"q": _("Enter an acceptance number, an ID number or a name")}
        return Template("staff/applications.html", status_code=400 if errors else 200, context={
            "point": point, "view": None, "search": result, "form": {"q": term},
            "errors": errors, "counts": await staff_queue.counts(point.id, today=today), **labels(),
        })

    # --- one application ------------------------------------------------------------------------------

    @get("/{application_id:int}", name="staff_application", opt=STAFF)
    async def show_application(self, request: Request, application_id: FromPath[int]) -> Template:
        return await self._application_page(request, application_id, record_view=True)

    @get("/{application_id:int}/photo", name="staff_application_photo", opt=STAFF)
    async def show_photo(self, request: Request, application_id: FromPath[int]) -> Response[bytes]:
        """The applicant's photo (数码相片), from the photo registry by the number on the form."""
        registry = get_photo_registry(request.app.state.settings)
        photo = await staff_application.photo_of(_point_id(request), application_id, registry)
        if photo is None:
            raise NotFoundException()
        # A person's photo: not for shared caches. (The app-wide CSP keeps an SVG from running code.)
        return Response(photo.data, media_type=photo.content_type, headers={"cache-control": "private, no-store"})

    @post("/{application_id:int}/{action:str}", name="staff_application_action", opt=STAFF)
    async def act_on_application(
        self, request: Request, application_id: FromPath[int], action: FromPath[str]
    ) -> Template | Redirect:
        """One step of the application (application_flow.ACTIONS), then back to its page (303)."""
        if action not in application_flow.ACTIONS:
            raise NotFoundException()
        point_id = _point_id(request)
        form = await request.form()
        values = {name: str(form.get(name, ""))[:REASON_MAX_LENGTH * 2] for name in ACTION_FIELDS.get(action, ())}
        try:
            application = await application_flow.apply_action(
                application_id, action, actor=request.state.account, point_id=point_id,
                today=await request.app.state.clock.today(), now=await request.app.state.clock.now(),
                sms_gateway=build_sms_gateway(request.app.state.settings),
                reason=values.get("reason", ""), reason_code=values.get("reason_code", ""),
                confirmations=values, ip=_client_ip(request),
            )  # fmt: skip
        except NotFound:
            raise NotFoundException() from None  # another point's application looks like none at all
        except TransitionRefused as refused:
            return await self._application_page(request, application_id, action=action, values=values,
                                                refused=refused)
        request.session[NOTICE_KEY] = {"id": application.id, "number": application.acceptance_number or "",
                                       "state": str(application.state)}
        return Redirect(path=f"/staff/applications/{application.id}", status_code=HTTP_303_SEE_OTHER)

    async def _application_page(
        self, request: Request, application_id: int, *, record_view: bool = False, action: str = "",
        values: dict[str, str] | None = None, refused: TransitionRefused | None = None,
    ) -> Template:
        point_id = _point_id(request)
        today = await request.app.state.clock.today()
        detail = await staff_application.application_detail(
            point_id, application_id, today=today, insurance=get_insurance_registry(request.app.state.settings))
        if detail is None:
            raise NotFoundException()
        names = labels()
        errors: dict[str, str] = {}
        status_code = 200
        if refused is not None:
            errors, status_code = _refusal(refused, detail.application.acceptance_number or "", names["states"])
        if record_view:
            await staff_application.record_view(detail.application, viewer=request.state.account,
                                                ip=_client_ip(request))
        notice = _notice_text(request.session.pop(NOTICE_KEY, None), application_id, names["states"])
        return Template("staff/application.html", status_code=status_code, context={
            "detail": detail,
            "application": detail.application,
            "notice": notice,
            "errors": errors,
            "action": action,  # the form that was sent: it keeps what was typed
            "form": values or {},
            "reasons": i18n.code_options(rules.APPLICATION_REJECTION_REASONS),
            "today": today,
            "working_days": rules.TIME_LIMIT_WORKING_DAYS[detail.application.kind],
            "registration_months": rules.REGISTRATION_MONTHS_REQUIRED,
            "insurance_consecutive": rules.INSURANCE_CONSECUTIVE_MONTHS,
            "insurance_total": rules.INSURANCE_TOTAL_MONTHS,
            "insurance_window": rules.INSURANCE_WINDOW_MONTHS,
            "open_state": detail.application.state not in (ApplicationState.REJECTED, ApplicationState.COLLECTED),
            **names,
        })
