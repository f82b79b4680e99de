"""/me: the signed-in user's home on the platform chosen at login."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from web.services import dashboard

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
        return Template(HOMES[(account.role, platform)], context={"summary": summary, "platform": platform})
