"""我的申请: the resident's permit applications, each with its timeline (办证流程查询) and receipt (回执)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Response, Template

from web.guards import requires_platform
from web.i18n import code_options
from web.services import progress, receipts, rules


def labels() -> dict[str, dict[str, str]]:
    """The names of the application's codes in the visitor's language, for the templates."""
    return {
        "states": dict(code_options(rules.APPLICATION_STATES)),
        "kinds": dict(code_options(rules.APPLICATION_KINDS)),
        "conditions": dict(code_options(rules.PERMIT_CONDITIONS)),
    }


def verify_url(request: Request, receipt: receipts.Receipt) -> str:
    """The absolute address the receipt's QR code opens: a phone scans it from paper."""
    token = receipts.sign_token(
        receipt.application_id, receipt.acceptance_number, secret_key=request.app.state.settings.secret_key
    )
    return str(request.url_for("verify_receipt", token=token))


async def own_receipt(request: Request, application_id: int) -> receipts.Receipt:
    person_id = request.state.account.person_id
    receipt = await receipts.receipt_of(person_id, application_id) if person_id else None
    if receipt is None:
        raise NotFoundException()  # someone else's application looks like none at all
    return receipt


class ApplicationsController(Controller):
    path = "/me/applications"
    guards = [requires_platform("permit")]

    @get("/", name="my_applications", opt={"access": "resident"})
    async def list_applications(self, request: Request) -> Template:
        person_id = request.state.account.person_id
        applications = await progress.applications_of(person_id) if person_id else []
        return Template("applications/list.html", context={"applications": applications, **labels()})

    @get("/{application_id:int}", name="my_application", opt={"access": "resident"})
    async def show_application(
        self, request: Request, application_id: FromPath[int], submitted: FromQuery[str] = ""
    ) -> Template:
        """The application's progress; `?submitted=1` (the wizard's redirect) adds the confirmation."""
        person_id = request.state.account.person_id
        today = await request.app.state.clock.today()
        found = await progress.application_progress(person_id, application_id, today=today) if person_id else None
        if found is None:
            raise NotFoundException()
        return Template("applications/detail.html", context={
            "progress": found,
            "application": found.application,
            "just_submitted": submitted == "1",
            "working_days": rules.TIME_LIMIT_WORKING_DAYS[found.application.kind],
            **labels(),
        })

    @get("/{application_id:int}/receipt", name="my_application_receipt", opt={"access": "resident"})
    async def show_receipt(self, request: Request, application_id: FromPath[int]) -> Template:
        """回执: printable (the print stylesheet drops the page's chrome), with the QR code inline."""
        receipt = await own_receipt(request, application_id)
        url = verify_url(request, receipt)
        side, path = receipts.qr_svg_path(url)
        return Template("applications/receipt.html", context={
            "receipt": receipt,
            "verify_url": url,
            "qr": {"side": side, "path": path},
            "fee": receipts.fee_text(receipt),
            "time_limit": receipts.time_limit_text(receipt),
            "bring": receipts.bring_text(),
            **labels(),
        })

    @get("/{application_id:int}/receipt.pdf", name="my_application_receipt_pdf", opt={"access": "resident"})
    async def download_receipt(self, request: Request, application_id: FromPath[int]) -> Response[bytes]:
        receipt = await own_receipt(request, application_id)
        pdf = receipts.render_pdf(receipt, verify_url(request, receipt))
        return Response(pdf, media_type="application/pdf", headers={
            # The acceptance number is letters and digits only: no quoting trouble in the header.
            "content-disposition": f'attachment; filename="receipt-{receipt.acceptance_number}.pdf"',
            "cache-control": "no-store",  # personal data: not for shared caches
        })
