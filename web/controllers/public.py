"""Public pages: the start page, the list of acceptance points, 居住登记查询, the progress query
(办证进度查询), the receipt check behind the QR code and the health check."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Response, Template
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from web.controllers.register import error_message
from web.controllers.sms_widget import client_ip
from web.i18n import code_options
from web.i18n import gettext as _
from web.services import health, my_registrations, points, progress, ratelimit, receipts, rules
from web.services.clock import SHENZHEN

QUERY_FIELDS = ("name", "id_type", "id_number")
# The progress query's two forms: `by` says which one was sent ("number" or "person").
PROGRESS_FIELDS = ("by", "acceptance_number", "name", "id_number")


def _query_message(field: str, reason: str) -> str:
    """The message beside a field of the registration query (identity-card checks: registration's)."""
    ours = {
        ("name", "missing"): _("Enter the name as it is written on the identity document"),
        ("id_type", "missing"): _("Select the type of identity document"),
        ("id_number", "missing"): _("Enter the number of the identity document"),
        ("id_number", "invalid"): _("The document number must be 5 to 32 letters, digits or hyphens"),
    }
    return ours.get((field, reason)) or error_message(field, reason)


def _query_page(
    values: Mapping[str, str], *, errors: dict[str, str] | None = None, refused: str | None = None,
    registered: bool | None = None, status_code: int = 200,
) -> Template:
    return Template("public/registration_query.html", status_code=status_code, context={
        "form": values,
        "errors": errors or {},
        "refused": refused,
        "registered": registered,
        "id_types": code_options(rules.ID_DOCUMENT_TYPES),
        "queries_per_ip": my_registrations.QUERIES_PER_IP,
        "window_minutes": my_registrations.QUERY_WINDOW_SECONDS // 60,
    })


def _progress_message(field: str, reason: str) -> str:
    ours = {
        ("acceptance_number", "missing"): _("Enter the acceptance number printed on your receipt"),
        ("acceptance_number", "invalid"): _(
            "The acceptance number is SZ followed by 14 digits, for example SZ20260316000123"),
        ("name", "missing"): _("Enter the name as it is written on the identity document"),
    }
    return ours.get((field, reason)) or error_message(field, reason)


def _progress_page(
    values: Mapping[str, str], *, errors: dict[str, str] | None = None, refused: str | None = None,
    result: progress.PublicStatus | None = None, searched: bool = False, status_code: int = 200,
) -> Template:
    return Template("public/progress.html", status_code=status_code, context={
        "form": values,
        "errors": errors or {},
        "refused": refused,
        "result": result,
        "searched": searched,
        "states": dict(code_options(rules.APPLICATION_STATES)),
        "queries_per_ip": progress.QUERIES_PER_IP,
        "window_minutes": progress.QUERY_WINDOW_SECONDS // 60,
    })


async def _too_many_queries(request: Request, kind: str, *, limit: int, window_seconds: int) -> str | None:
    """The refusal when this network address has asked `kind` too often, else None. Public queries
    answer about other people, so they are counted per address (a security limit: the real clock)."""
    retry_at = await ratelimit.hit(
        request.app.stores.get("ratelimit"), f"{kind}:{client_ip(request)}",
        limit=limit, window_seconds=window_seconds, now=datetime.now(UTC),
    )
    if retry_at is None:
        return None
    return _("Too many queries from your network. Try again after %(time)s.") % {
        "time": retry_at.astimezone(SHENZHEN).strftime("%H:%M")}


class PublicController(Controller):
    path = "/"

    @get("/", name="start", opt={"access": "public"})
    async def show_start(self) -> Template:
        return Template("public/start.html")

    @get("/points", name="points", opt={"access": "public"})
    async def list_points(self) -> Template:
        return Template("public/points.html", context={"districts": await points.points_by_district()})

    # --- 居住登记查询: does this person have a current registration? (yes or no, never the address) ---
    # A POST form: ID numbers never travel in URLs (nor in logs of them).

    @get("/query/registration", name="registration_query", opt={"access": "public"})
    async def show_registration_query(self) -> Template:
        return _query_page({"name": "", "id_type": "resident_id", "id_number": ""})

    @post("/query/registration", name="registration_query_submit", opt={"access": "public"})
    async def query_registration(self, request: Request) -> Template:
        form = await request.form()
        values = {name: str(form.get(name, ""))[:100] for name in QUERY_FIELDS}
        today = await request.app.state.clock.today()
        query = my_registrations.check_query(values["name"], values["id_type"], values["id_number"], today=today)
        if query.errors or query.id_type is None:
            errors = {name: _query_message(name, query.errors[name]) for name in QUERY_FIELDS
                      if query.errors and name in query.errors}
            return _query_page(values, errors=errors, status_code=400)
        refused = await _too_many_queries(request, "registration-query", limit=my_registrations.QUERIES_PER_IP,
                                          window_seconds=my_registrations.QUERY_WINDOW_SECONDS)
        if refused:
            return _query_page(values, refused=refused, status_code=429)
        registered = await my_registrations.has_current_registration(
            name=query.name, id_type=query.id_type, id_number=query.id_number)
        return _query_page(values, registered=registered)

    # --- 办证进度查询: the state of an application, by acceptance number or by name + ID number ---
    # Only the state, the acceptance point and the expected date: never personal data.

    @get("/progress", name="progress_query", opt={"access": "public"})
    async def show_progress_query(self) -> Template:
        return _progress_page(dict.fromkeys(PROGRESS_FIELDS, ""))

    @post("/progress", name="progress_query_submit", opt={"access": "public"})
    async def query_progress(self, request: Request) -> Template:
        form = await request.form()
        values = {name: str(form.get(name, ""))[:100] for name in PROGRESS_FIELDS}
        if values["by"] not in ("number", "person"):
            values["by"] = "person" if values["name"] or values["id_number"] else "number"
        today = await request.app.state.clock.today()
        if values["by"] == "number":
            number, reason = progress.check_acceptance_number(values["acceptance_number"])
            query, reasons = {"acceptance_number": number}, {"acceptance_number": reason} if reason else {}
        else:
            name, id_number, reasons = progress.check_person_query(values["name"], values["id_number"], today=today)
            query = {"name": name, "id_number": id_number}
        if reasons:
            errors = {field: _progress_message(field, reason) for field, reason in reasons.items()}
            return _progress_page(values, errors=errors, status_code=400)
        refused = await _too_many_queries(request, "progress-query", limit=progress.QUERIES_PER_IP,
                                          window_seconds=progress.QUERY_WINDOW_SECONDS)
        if refused:
            return _progress_page(values, refused=refused, status_code=429)
        result = await progress.public_status(**query, today=today)
        return _progress_page(values, result=result, searched=True)

    @get("/verify/{token:str}", name="verify_receipt", opt={"access": "public"})
    async def verify_receipt(self, request: Request, token: FromPath[str]) -> Template:
        """What a receipt's QR code opens: genuine (and what it says), or 404 "not genuine"."""
        found = await receipts.verified_receipt(token, secret_key=request.app.state.settings.secret_key)
        return Template("public/verify.html", status_code=200 if found else 404, context={
            "found": found, "states": dict(code_options(rules.APPLICATION_STATES))})

    @get("/healthz", name="healthz", opt={"access": "public", "skip_session": True}, cache=False)
    async def check_health(self, request: Request) -> Response[dict[str, str]]:
        report = await health.check(request.app.stores.get("sessions"))
        status = HTTP_200_OK if report["status"] == "ok" else HTTP_503_SERVICE_UNAVAILABLE
        return Response(report, status_code=status)
