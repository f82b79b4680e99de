"""The access table: every route of the app, and what each kind of visitor gets from it.

Each route handler declares `opt={"access": ...}` and one app-wide guard enforces it (web/guards.py).
This table is the second, independent statement of the same policy: a route missing from it fails
the suite, and every row is requested as an anonymous visitor and as each role.

Add one line per new route. Expectations: OK (status < 400 and not sent to /login), LOGIN (GET →
redirect to /login; other methods 401/403), FORBIDDEN (403), NOT_FOUND (404: where even the
existence of the object must not leak to that visitor), SERVED (the handler answered, whatever its
status: neither refused by the guard nor sent to /login). Parametrised routes give a sample `path`;
POST routes a `form` (sent with its CSRF token); `prepare` makes the rows a request needs.
The table checks access by role; whether a resident may see *this* application (own or someone
else's) belongs in that controller's tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import pytest
from httpx import Response
from litestar import Litestar, get, post
from litestar.testing import AsyncTestClient

from tests.support import post_form, run_db, serve, sign_in_as, sign_out
from web.guards import ROLES, allowed_roles
from web.settings import Settings

OK, LOGIN, FORBIDDEN, NOT_FOUND = "ok", "login", 403, 404
SERVED = "served"  # the handler itself answered (a public form may answer 400 to a sample body)
ANONYMOUS = "anonymous"
IDENTITIES = (ANONYMOUS, *ROLES)


@dataclass(frozen=True)
class Rule:
    """What each identity gets from one route, and how to call it."""

    expect: Mapping[str, object]
    path: str | None = None  # a concrete URL for parametrised routes, e.g. /static/htmx.min.js
    form: Mapping[str, str] = field(default_factory=dict)  # the body of a POST
    # Makes the data the request needs (run on the app's loop); returns values for `path`'s {fields}.
    prepare: Callable[[], Awaitable[Mapping[str, Any] | None]] | None = None


def public(**call: Any) -> Rule:
    return Rule({identity: OK for identity in IDENTITIES}, **call)


def served(**call: Any) -> Rule:
    """A public form: everyone reaches its handler (which may well reject the sample body)."""
    return Rule({identity: SERVED for identity in IDENTITIES}, **call)


def to_login(**call: Any) -> Rule:
    """Everyone is sent to /login: a step that needs state the visitor does not have (or sign-out)."""
    return Rule({identity: LOGIN for identity in IDENTITIES}, **call)


def signed_in(**call: Any) -> Rule:
    return Rule({ANONYMOUS: LOGIN, **{role: OK for role in ROLES}}, **call)


def only(*roles: str, **call: Any) -> Rule:
    """Anonymous visitors are sent to sign in; other roles are refused with 403."""
    return Rule({ANONYMOUS: LOGIN, **{role: OK if role in roles else FORBIDDEN for role in ROLES}}, **call)


def hidden_from_others(*roles: str, **call: Any) -> Rule:
    """Like `only`, but other roles get 404: the object's existence must not leak to them."""
    return Rule({ANONYMOUS: LOGIN, **{role: OK if role in roles else NOT_FOUND for role in ROLES}}, **call)


async def an_sms_sent(mobile: str = "13800138000") -> None:
    from web.models import SmsOutbox

    await SmsOutbox.create(mobile=mobile, purpose="login", body="验证码 246810", code="246810")


async def a_genuine_receipt() -> Mapping[str, Any]:
    from tests.conftest import SECRET_KEY
    from tests.permits import a_submitted_application
    from web.services.receipts import sign_token

    application = await a_submitted_application()
    return {"token": sign_token(application.id, application.acceptance_number or "", secret_key=SECRET_KEY)}


async def a_staff_member() -> Mapping[str, Any]:
    from tests.support import create_account

    return {"account_id": (await create_account("staff", password_hash="x")).id}


def admin_form(**call: Any) -> Rule:
    """An administrator's form: only admins reach the handler (which may reject the sample body)."""
    return Rule({ANONYMOUS: LOGIN, **{role: SERVED if role == "admin" else FORBIDDEN for role in ROLES}}, **call)


STATIC_FILE = "/static/htmx.min.js"

# (method, route path as Litestar writes it): who gets what.
ACCESS: dict[tuple[str, str], Rule] = {
    ("GET", "/"): public(),
    ("GET", "/healthz"): public(),
    ("GET", "/points"): public(),
    ("GET", "/static/{file_path:path}"): public(path=STATIC_FILE),
    ("HEAD", "/static/{file_path:path}"): public(path=STATIC_FILE),
    # Test hooks (CONTRACT.md): open to anyone outside production, absent in production.
    ("GET", "/dev/sms"): public(),
    ("GET", "/dev/sms/latest"): public(path="/dev/sms/latest?mobile=13800138000", prepare=an_sms_sent),
    ("GET", "/dev/clock"): public(),
    ("POST", "/dev/clock"): public(form={"today": ""}),
    # --- Sign in and out (web/controllers/auth.py) ---
    ("GET", "/login"): public(),  # signed-in visitors are sent on to /me
    ("POST", "/login"): served(form={"platform": "permit", "username": "nobody", "password": "x"}),
    ("GET", "/login/sms"): to_login(),  # only between a right password and its code
    ("POST", "/login/sms"): to_login(form={"sms_code": "123456"}),
    ("POST", "/login/sms/send"): to_login(),
    ("POST", "/login/forget-device"): to_login(),
    ("POST", "/logout"): to_login(),
    ("POST", "/session/extend"): signed_in(),
    ("POST", "/platform"): only("resident", form={"platform": "permit", "next": "/me"}),
    # --- Home (web/controllers/dashboard.py) ---
    ("GET", "/me"): signed_in(),
    # 居住登记回执 of the resident's own registration: nobody's (or someone else's) is 404.
    ("GET", "/me/registrations/{registration_id:int}/receipt"): Rule(
        {**only("resident").expect, "resident": NOT_FOUND}, path="/me/registrations/999999999/receipt"),
    # --- Registration (web/controllers/register.py) ---
    # Public: registering needs no account. A POST ahead of the draft is sent back to its step (303).
    ("GET", "/register"): public(),
    ("GET", "/register/{slug:str}"): public(path="/register/account-type"),
    ("POST", "/register/{slug:str}"): public(path="/register/account-type", form={"account_type": "personal"}),
    ("POST", "/register/sms"): public(form={"mobile": "13800138000"}),
    ("POST", "/register/check/{field:str}"): public(path="/register/check/username", form={"username": "newcomer"}),
    ("GET", "/register/done"): public(),
    # --- Personal information (web/controllers/account.py) ---
    ("GET", "/account"): signed_in(),
    ("GET", "/account/details"): signed_in(),
    # The table's accounts have no Person: the handler sends them back to the page (303).
    ("POST", "/account/details"): signed_in(form={"name": "张伟"}),
    ("POST", "/account/details/draft"): signed_in(form={"hukou_address": "湖南省长沙市"}),
    ("POST", "/account/details/discard"): signed_in(),
    ("GET", "/account/password"): signed_in(),
    ("POST", "/account/password"): Rule({ANONYMOUS: LOGIN, **dict.fromkeys(ROLES, SERVED)}),  # 400: empty form
    ("GET", "/account/mobile"): signed_in(),
    ("POST", "/account/mobile/sms"): signed_in(form={"mobile": "13712345678"}),
    ("POST", "/account/mobile"): Rule({ANONYMOUS: LOGIN, **dict.fromkeys(ROLES, SERVED)}),  # 400: no code
    ("GET", "/account/sign-ins"): signed_in(),
    ("POST", "/account/sign-out-everywhere"): to_login(),  # signs this browser out too, then /login
    ("POST", "/account/devices/forget"): signed_in(),
    ("GET", "/messages"): signed_in(),
    # Nobody's message (or someone else's: the same answer) is 404 to every account.
    ("POST", "/messages/{message_id:int}/read"): Rule({ANONYMOUS: LOGIN, **dict.fromkeys(ROLES, NOT_FOUND)},
                                                      path="/messages/999999999/read"),
    ("POST", "/messages/read-all"): signed_in(),
    # --- Forgotten password (web/controllers/forgot_password.py) ---
    ("GET", "/forgot-password"): public(),
    ("POST", "/forgot-password/sms"): public(form={"username": "nobody", "id_number": "44030419900307123X"}),
    ("POST", "/forgot-password"): served(form={"username": "nobody", "id_number": "44030419900307123X"}),
    # Without a right code in this browser's session: back to step 1 (303 /forgot-password).
    ("GET", "/forgot-password/new-password"): public(),
    ("POST", "/forgot-password/new-password"): public(form={"password": "x", "password_confirm": "x"}),
    # --- Residence registration platform (web/controllers/registration.py) ---
    ("GET", "/registration"): only("resident"),
    ("GET", "/registration/houses"): only("resident"),
    # An empty form: the resident's handler answers 400 (choose the house).
    ("POST", "/registration/houses"): Rule({ANONYMOUS: LOGIN, "resident": SERVED,
                                            **{role: FORBIDDEN for role in ROLES if role != "resident"}}),
    ("GET", "/registration/finder"): only("resident", path="/registration/finder?district=440304"),
    ("GET", "/registration/finder/search"): only("resident", path="/registration/finder/search?house_search=4403"),
    ("GET", "/registration/declare/{declarant:str}/{kind:str}"): only(
        "resident", path="/registration/declare/landlord/move-in"),
    ("POST", "/registration/declare/{declarant:str}/{kind:str}"): Rule(
        {ANONYMOUS: LOGIN, "resident": SERVED, **{role: FORBIDDEN for role in ROLES if role != "resident"}},
        path="/registration/declare/assisted/move-out", form={"event_date": "2026-01-01"}),
    ("POST", "/registration/declare/{declarant:str}/{kind:str}/occupants"): only(
        "resident", path="/registration/declare/landlord/move-in/occupants", form={"occupants_action": "add"}),
    ("GET", "/registration/declarations"): only("resident"),
    # Nobody's declaration (or another account's: the same answer) is 404 to residents.
    ("GET", "/registration/declarations/{declaration_id:int}"): Rule(
        {ANONYMOUS: LOGIN, "resident": NOT_FOUND, **{role: FORBIDDEN for role in ROLES if role != "resident"}},
        path="/registration/declarations/999999999"),
    # --- Acceptance-point back office (web/controllers/staff.py) ---
    # Only staff; the table's staff belong to no point, so the paged lists send them back to /staff
    # (303) and any item is 404 to them (as another point's is to every staff member).
    ("GET", "/staff"): only("staff"),
    ("GET", "/staff/declarations"): only("staff"),
    ("GET", "/staff/house-links"): only("staff"),
    ("GET", "/staff/declarations/{declaration_id:int}"): Rule(
        {**only("staff").expect, "staff": NOT_FOUND}, path="/staff/declarations/999999999"),
    ("POST", "/staff/declarations/{declaration_id:int}/approve"): Rule(
        {**only("staff").expect, "staff": NOT_FOUND}, path="/staff/declarations/999999999/approve"),
    ("POST", "/staff/declarations/{declaration_id:int}/reject"): Rule(
        {**only("staff").expect, "staff": NOT_FOUND}, path="/staff/declarations/999999999/reject",
        form={"reason_code": "address"}),
    ("GET", "/staff/house-links/{link_id:int}"): Rule(
        {**only("staff").expect, "staff": NOT_FOUND}, path="/staff/house-links/999999999"),
    ("POST", "/staff/house-links/{link_id:int}/approve"): Rule(
        {**only("staff").expect, "staff": NOT_FOUND}, path="/staff/house-links/999999999/approve"),
    ("POST", "/staff/house-links/{link_id:int}/reject"): Rule(
        {**only("staff").expect, "staff": NOT_FOUND}, path="/staff/house-links/999999999/reject",
        form={"reason_code": "documents"}),
    # --- Public queries (web/controllers/public.py) ---
    ("GET", "/query/registration"): public(),
    # 居住登记查询: a POST form (ID numbers stay out of URLs); the sample number fails its check (400).
    ("POST", "/query/registration"): served(form={"name": "李明", "id_type": "resident_id", "id_number": "x"}),
    # --- 办证资格查询 (web/controllers/eligibility.py) ---
    # The table's residents have no Person: the page explains why it cannot check (200).
    ("GET", "/permit/eligibility"): only("resident"),
    # --- 我的申请, progress and receipts (web/controllers/applications.py, public.py) ---
    ("GET", "/me/applications"): only("resident"),
    # Nobody's application (or someone else's: the same answer) is 404 to residents.
    ("GET", "/me/applications/{application_id:int}"): Rule(
        {**only("resident").expect, "resident": NOT_FOUND}, path="/me/applications/999999999?submitted=1"),
    ("GET", "/me/applications/{application_id:int}/receipt"): Rule(
        {**only("resident").expect, "resident": NOT_FOUND}, path="/me/applications/999999999/receipt"),
    ("GET", "/me/applications/{application_id:int}/receipt.pdf"): Rule(
        {**only("resident").expect, "resident": NOT_FOUND}, path="/me/applications/999999999/receipt.pdf"),
    # 办证进度查询: a POST form (ID numbers stay out of URLs); the sample number fails its check (400).
    ("GET", "/progress"): public(),
    ("POST", "/progress"): served(form={"by": "number", "acceptance_number": "x"}),
    # The QR code of a receipt: a genuine token for everyone (a forged one is 404, tested elsewhere).
    ("GET", "/verify/{token:str}"): public(path="/verify/{token}", prepare=a_genuine_receipt),
    # --- Administration (web/controllers/admin.py): administrators only ---
    ("GET", "/admin/points"): only("admin", path="/admin/points?district=440304"),
    ("GET", "/admin/points/{code:str}"): only("admin", path="/admin/points/440304001"),
    ("POST", "/admin/points/{code:str}"): admin_form(path="/admin/points/440304001"),  # 400: empty form
    ("GET", "/admin/staff"): only("admin"),
    ("GET", "/admin/staff/new"): only("admin"),
    ("POST", "/admin/staff"): admin_form(),  # 400: empty form
    ("GET", "/admin/staff/{account_id:int}"): only(
        "admin", path="/admin/staff/{account_id}", prepare=a_staff_member),
    ("POST", "/admin/staff/{account_id:int}/point"): admin_form(
        path="/admin/staff/{account_id}/point", prepare=a_staff_member, form={"point": "440304001"}),
    ("POST", "/admin/staff/{account_id:int}/disable"): only(
        "admin", path="/admin/staff/{account_id}/disable", prepare=a_staff_member),
    ("POST", "/admin/staff/{account_id:int}/enable"): only(
        "admin", path="/admin/staff/{account_id}/enable", prepare=a_staff_member),
    ("POST", "/admin/staff/{account_id:int}/setup-code"): only(
        "admin", path="/admin/staff/{account_id}/setup-code", prepare=a_staff_member),
    ("GET", "/admin/insurance"): only("admin"),
    ("POST", "/admin/insurance"): admin_form(),  # 400: no file in a url-encoded form
    ("GET", "/admin/settings"): only("admin"),
    ("GET", "/admin/audit"): only("admin", path="/admin/audit?action=admin."),
    # --- 居住证申领 wizard (web/controllers/apply.py): residents only ---
    # The table's residents have no Person: the pages explain why they cannot apply yet (200) and
    # the forms send them there (303); with no draft there is no photo to show (404).
    ("GET", "/apply"): only("resident"),
    ("GET", "/apply/{slug:str}"): only("resident", path="/apply/condition"),
    ("POST", "/apply/{slug:str}"): only("resident", path="/apply/condition", form={"condition": "talent"}),
    ("POST", "/apply/family/rows"): only("resident", form={"family_action": "add"}),
    ("GET", "/apply/points"): only("resident", path="/apply/points?lat=22.54&lng=114.05"),
    ("GET", "/apply/photo"): Rule({**only("resident").expect, "resident": NOT_FOUND}),
    ("POST", "/apply/submit"): only("resident", form={"token": "x"}),
    ("POST", "/apply/restart"): only("resident"),
    # --- Permit applications at the acceptance point (web/controllers/staff_applications.py) ---
    # Only staff; the table's staff belong to no point: the queue explains (200), a search goes back
    # to it (303), and any application is 404 to them (as another point's is to every staff member).
    ("GET", "/staff/applications"): only("staff"),
    ("POST", "/staff/applications/search"): only("staff", form={"q": "SZ20260316000001"}),
    ("GET", "/staff/applications/{application_id:int}"): Rule(
        {**only("staff").expect, "staff": NOT_FOUND}, path="/staff/applications/999999999"),
    ("GET", "/staff/applications/{application_id:int}/photo"): Rule(
        {**only("staff").expect, "staff": NOT_FOUND}, path="/staff/applications/999999999/photo"),
    ("POST", "/staff/applications/{application_id:int}/{action:str}"): Rule(
        {**only("staff").expect, "staff": NOT_FOUND}, path="/staff/applications/999999999/accept",
        form={"applicant_present": "1", "identity_checked": "1", "form_signed": "1"}),
    # --- Counter (web/controllers/counter.py), 设置密码 and 谁查看了我的信息 (account_setup.py, privacy.py) ---
    # Only staff. The table's staff belong to no point: the sample ID number fails its check (400), a unit
    # cannot be opened without a point (409), and any unit is 404 to them (as another point's is).
    ("GET", "/staff/counter"): only("staff"),
    ("GET", "/staff/counter/real-name"): only("staff"),
    ("POST", "/staff/counter/real-name"): Rule(
        {ANONYMOUS: LOGIN, **{role: SERVED if role == "staff" else FORBIDDEN for role in ROLES}},
        form={"step": "find", "id_number": "x"}),
    ("GET", "/staff/counter/units/new"): only("staff"),
    ("POST", "/staff/counter/units/new"): Rule(
        {ANONYMOUS: LOGIN, **{role: SERVED if role == "staff" else FORBIDDEN for role in ROLES}}),
    ("GET", "/staff/counter/units/{unit_id:int}"): Rule(
        {**only("staff").expect, "staff": NOT_FOUND}, path="/staff/counter/units/999999999"),
    ("POST", "/staff/counter/units/{unit_id:int}/code"): Rule(
        {**only("staff").expect, "staff": NOT_FOUND}, path="/staff/counter/units/999999999/code",
        form={"agent_id": "1"}),
    # Public: the agent has no password yet. The sample code matches nothing (400).
    ("GET", "/account/setup"): public(),
    ("POST", "/account/setup"): served(form={"username": "nobody", "sms_code": "123456", "password": "x"}),
    ("GET", "/account/views"): only("resident"),
}


def is_automatic_options(handler: Any) -> bool:
    """Litestar adds an OPTIONS handler to every route; it only answers with the Allow header."""
    return handler.http_methods == {"OPTIONS"} and handler.fn.__module__.startswith("litestar.")


def route_handlers(app: Litestar) -> Iterator[tuple[str, str, Any]]:
    """(method, path, handler) for every handler the app serves, automatic OPTIONS excepted."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if is_automatic_options(handler):
                continue
            for method in sorted(handler.http_methods):
                yield method, route.path, handler


def test_every_route_is_in_the_access_table(app: Litestar) -> None:
    served = {(method, path) for method, path, _ in route_handlers(app)}
    missing = sorted(served - ACCESS.keys())
    stale = sorted(ACCESS.keys() - served)
    assert not missing, "routes missing from ACCESS in tests/test_access.py:\n" + "\n".join(
        f"    {key!r}: ...," for key in missing
    )
    assert not stale, f"ACCESS lists routes the app does not serve: {stale}"


def test_every_route_declares_a_valid_access_value(app: Litestar) -> None:
    undeclared = [f"{method} {path}" for method, path, handler in route_handlers(app)
                  if "access" not in handler.opt]
    assert not undeclared, f"routes without opt['access']: {undeclared}"
    for method, path, handler in route_handlers(app):
        allowed_roles(handler.opt["access"])  # raises on an unknown value


def is_login_redirect(response: Response) -> bool:
    return response.is_redirect and urlsplit(response.headers["location"]).path == "/login"


def outcome_matches(expected: object, method: str, response: Response) -> bool:
    if expected == OK:
        return response.status_code < 400 and not is_login_redirect(response)
    if expected == SERVED:
        return response.status_code not in (401, 403, 404, 405) and not is_login_redirect(response)
    if expected == LOGIN:
        if method == "GET":
            return is_login_redirect(response)
        return response.status_code in (401, 403) or is_login_redirect(response)
    return response.status_code == expected


async def request_as(
    client: AsyncTestClient, identity: str, method: str, url: str, form: Mapping[str, str]
) -> Response:
    client.cookies.clear()
    if identity != ANONYMOUS:
        # Residents use the platform the page belongs to (the other platform offers a switch, 409).
        sign_in_as(client, identity, platform="registration" if url.startswith("/registration") else "permit")
    if method == "POST":
        return await post_form(client, url, dict(form))
    return await client.request(method, url, follow_redirects=False)


@pytest.mark.parametrize(("method", "path"), sorted(ACCESS), ids=[f"{m} {p}" for m, p in sorted(ACCESS)])
async def test_route_gives_each_identity_what_the_table_says(
    client: AsyncTestClient, method: str, path: str
) -> None:
    rule = ACCESS[(method, path)]
    values = run_db(client, rule.prepare) if rule.prepare else None
    try:
        url = (rule.path or path).format(**(values or {}))
    except KeyError as missing:
        pytest.fail(f"{method} {path}: give the rule a sample path, or have prepare return {missing}")
    wrong = []
    for identity in IDENTITIES:
        response = await request_as(client, identity, method, url, rule.form)
        expected = rule.expect[identity]
        if not outcome_matches(expected, method, response):
            location = response.headers.get("location", "")
            wrong.append(f"{identity}: expected {expected}, got {response.status_code} {location}".rstrip())
    sign_out(client)
    assert not wrong, f"{method} {url}:\n  " + "\n  ".join(wrong)


@get("/undeclared", sync_to_thread=False)
def undeclared_route() -> str:
    return "should never be served"


async def test_a_route_without_an_access_declaration_is_refused(
    app: Litestar, client: AsyncTestClient
) -> None:
    app.register(undeclared_route)
    assert (await client.get("/undeclared")).status_code == 403
    sign_in_as(client, "admin")
    assert (await client.get("/undeclared")).status_code == 403


@get("/probe/signed-in", opt={"access": "signed_in"}, sync_to_thread=False)
def probe_signed_in() -> str:
    return "ok"


@get("/probe/staff", opt={"access": ("staff", "admin")}, sync_to_thread=False)
def probe_staff() -> str:
    return "ok"


@post("/probe/resident", opt={"access": "resident"}, sync_to_thread=False)
def probe_resident() -> str:
    return "ok"


@pytest.mark.parametrize(
    ("handler", "method", "path", "rule"),
    [
        (probe_signed_in, "GET", "/probe/signed-in", signed_in()),
        (probe_staff, "GET", "/probe/staff", only("staff", "admin")),
        (probe_resident, "POST", "/probe/resident", only("resident")),
    ],
    ids=["signed_in", "staff-or-admin", "resident-post"],
)
async def test_guard_gives_each_identity_what_its_access_value_says(
    app: Litestar, client: AsyncTestClient, handler: Any, method: str, path: str, rule: Rule
) -> None:
    # The checks of the table above, run against routes whose policy is known: proves they can fail.
    app.register(handler)
    for identity in IDENTITIES:
        response = await request_as(client, identity, method, path, rule.form)
        assert outcome_matches(rule.expect[identity], method, response), (identity, response.status_code)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/dev/sms"), ("GET", "/dev/sms/latest?mobile=13800138000"), ("GET", "/dev/clock"),
     ("POST", "/dev/clock")],
)
async def test_test_hooks_do_not_exist_in_production(
    make_app: Callable[[Settings], Litestar], app_settings: Settings, method: str, path: str
) -> None:
    settings = replace(app_settings, app_env="production")
    async with serve(make_app(settings), base_url="https://testserver.local") as client:
        form = {"today": "2027-02-01"} if method == "POST" else None
        response = await client.request(method, path, data=form)
    assert response.status_code == 404
