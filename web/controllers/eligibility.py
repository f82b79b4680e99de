"""办证资格查询: the signed-in resident's eligibility for a residence permit (条例 Art. 19).

URLs:
  GET /permit/eligibility    each condition: met or not, the facts, what is missing and from when
"""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from web.adapters.insurance import get_insurance_registry
from web.guards import requires_platform
from web.i18n import code_options
from web.services import dashboard, rules
from web.services.eligibility import eligibility_of

APPLY_URL = "/apply"  # the application wizard (web/controllers/apply.py)


class EligibilityController(Controller):
    path = "/permit/eligibility"
    guards = [requires_platform("permit")]

    @get("/", name="permit_eligibility", opt={"access": "resident"})
    async def show_eligibility(self, request: Request) -> Template:
        summary = await dashboard.summary(request.state.account)
        person = summary.person
        eligibility = None
        if person is not None:
            registry = get_insurance_registry(request.app.state.settings)
            today = await request.app.state.clock.today()
            eligibility = await eligibility_of(person.id, person.id_number, today=today, registry=registry)
        return Template("permit/eligibility.html", context={
            "eligibility": eligibility,
            "conditions": dict(code_options(rules.PERMIT_CONDITIONS)),
            "apply_url": APPLY_URL,
            "registration_months": rules.REGISTRATION_MONTHS_REQUIRED,
            "insurance_consecutive": rules.INSURANCE_CONSECUTIVE_MONTHS,
            "insurance_total": rules.INSURANCE_TOTAL_MONTHS,
            "insurance_window": rules.INSURANCE_WINDOW_MONTHS,
        })
