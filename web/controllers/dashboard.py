"""/me: the signed-in user's home on the platform chosen at login."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from web.i18n import code_options
from web.services import dashboard, my_registrations, rules, staff_queue
from web.services.permit_home import permit_home

# Which home each kind of account sees (residents: the platform chosen at login).
HOMES = {
    ("resident", "permit"): "dashboard/permit.html",  # 我的居住证
    ("resident", "registration"): "dashboard/registration.html",  # 我的居住登记
    ("unit_agent", None): "dashboard/unit.html",
    ("staff", None): "dashboard/staff.html",
    ("admin", None): "dashboard/admin.html",
}


class DashboardController(Controller):
    path = "/me"

    @get("/", name="me", opt={"access": "signed_in"})
    async def show_home(self, request: Request) -> Template:
        account = request.state.account
        platform = request.session.get("platform", "permit") if account.role == "resident" else None
        summary = await dashboard.summary(account)
        context = {"summary": summary, "platform": platform}
        if platform == "registration" and summary.person is not None:
            today = await request.app.state.clock.today()
            context["mine"] = await my_registrations.registrations_of(summary.person.id, today=today)
        if platform == "permit" and summary.person is not None:
            context["home"] = await permit_home(summary.person.id)
            context["states"] = dict(code_options(rules.APPLICATION_STATES))
            context["endorsement_window_days"] = rules.ENDORSEMENT_WINDOW_DAYS
        if account.role == "staff" and summary.point is not None:
            # 受理点工作台: the point's open permit applications by state, overdue ones apart.
            today = await request.app.state.clock.today()
            context["application_counts"] = await staff_queue.counts(summary.point.id, today=today)
        return Template(HOMES[(account.role, platform)], context=context)

    @get("/registrations/{registration_id:int}/receipt", name="registration_receipt", opt={"access": "resident"})
    async def show_registration_receipt(self, request: Request, registration_id: FromPath[int]) -> Template:
        """居住登记回执: the printable receipt of one of the resident's own registrations."""
        person_id = request.state.account.person_id
        receipt = await my_registrations.receipt(person_id, registration_id) if person_id else None
        if receipt is None:
            raise NotFoundException()  # someone else's registration looks like none at all
        return Template("registration_receipt.html", context={
            "receipt": receipt,
            "printed_on": await request.app.state.clock.today(),
            "id_types": dict(code_options(rules.ID_DOCUMENT_TYPES)),
        })
