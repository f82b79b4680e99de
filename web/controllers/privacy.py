"""谁查看了我的信息: a resident sees which offices looked at or acted on their personal data."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from web.i18n import gettext as _
from web.services import privacy


def who(viewing: privacy.Viewing) -> str:
    """The office, never the official: staff by their point, unit agents by their unit."""
    if viewing.role == "staff":
        return _("Staff of %(office)s") % {"office": viewing.office} if viewing.office else _("Acceptance-point staff")
    if viewing.role == "unit_agent":
        return _("Agent of %(office)s") % {"office": viewing.office} if viewing.office else _("A unit's agent")
    return _("Administrator")


def what(action: str) -> str:
    """The audit action in words; unknown actions still say that the data was used."""
    known = {
        "account.real_name_lookup": _("Found your account by your ID number at the counter"),
        "account.real_name_verify": _("Authenticated your account (real-name authentication)"),
        "application.view": _("Viewed your residence permit application"),
        "application.submit": _("Submitted a residence permit application for you"),
        "application.accept": _("Accepted your residence permit application"),
        "application.start_review": _("Started to review your residence permit application"),
        "application.approve": _("Approved your residence permit application"),
        "application.reject": _("Did not approve your residence permit application"),
        "application.to_production": _("Sent your residence permit for production"),
        "application.mark_paid": _("Recorded the payment of your fee"),
        "application.ready_for_collection": _("Made your residence permit ready for collection"),
        "application.collect": _("Handed over your residence permit"),
    }
    if action in known:
        return known[action]
    if action.startswith("application."):
        return _("Worked on your residence permit application")
    return _("Used your personal information")


class PrivacyController(Controller):
    path = "/account/views"

    @get("/", name="account_views", opt={"access": "resident"})
    async def list_views(self, request: Request) -> Template:
        person_id = request.state.account.person_id
        rows = await privacy.viewings(person_id) if person_id else []
        return Template("account/views.html", context={
            "rows": [{"at": row.at, "who": who(row), "what": what(row.action)} for row in rows],
            "limit": privacy.VIEWS_SHOWN,
        })
