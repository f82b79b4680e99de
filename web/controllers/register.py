"""Online registration of a personal account (/register), multi-step.

URLs: GET /register shows the step to continue with; GET /register/<step> goes back to an earlier
one; POST /register/<step> checks it and moves on; POST /register/sms sends the code of step 3;
POST /register/check/<field> answers the inline check of one field on change; GET /register/done.
Every form is a plain POST that htmx upgrades: htmx gets the step fragment (status 200, even with
errors: STACK.md trap 8), a browser without JavaScript gets the page (400 with errors) or a 303.
The draft lives in the server-side session under "register" (web.services.registration).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, SerializationException
from litestar.params import FromPath
from litestar.plugins.htmx import ClientRedirect, HTMXTemplate
from litestar.response import Redirect, Response, Template
from litestar.serialization import decode_json
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST

from web import i18n
from web.controllers.sms_widget import SmsState, client_ip, code_error, send_sms
from web.i18n import gettext as _
from web.services import account_lookup, identity, ratelimit, registration, rules, sms, validators
from web.services.clock import SHENZHEN
from web.services.registration import STEP_FIELDS, STEPS, RegistrationDraft, StepInvalid

PUBLIC = {"access": "public"}
# The session cookie and store of web/app.py, for the one route that reads the session without
# the session middleware (see read_only_draft).
SESSION_COOKIE = "juzhu_session"
SESSION_STORE = "sessions"
DRAFT_KEY = "register"
REGISTERED_KEY = "registered"  # the username just created, for the confirmation page
# Step names in URLs.
SLUGS = {
    "account_type": "account-type",
    "basic": "basic-information",
    "identity": "identity",
    "credentials": "username-password",
    "agreement": "agreement",
}
STEP_BY_SLUG = {slug: step for step, slug in SLUGS.items()}
SEND_URL = "/register/sms"
# Fields with an inline check; the password ones answer into a status line, so the swap never
# empties what was typed (a password is never sent back in a page).
CHECKED_FIELDS = ("name", "birth_date", "id_number", "hukou_address", "mobile", "username",
                  "password", "password_confirm")
STATUS_FIELDS = ("password", "password_confirm")
IDENTITY_FIELDS = STEP_FIELDS["identity"]


def step_url(step: str) -> str:
    return f"/register/{SLUGS[step]}"


def error_message(field: str, reason: str, retry_at: datetime | None = None) -> str:
    """The message beside a field for a registration reason code, in the visitor's language."""
    if field == "sms_code":
        return code_error(reason)
    if reason == "rate_limited":
        at = (retry_at or datetime.now(UTC)).astimezone(SHENZHEN).strftime("%H:%M")
        return _("Too many checks from your network. Try again after %(time)s.") % {"time": at}
    messages: dict[tuple[str, str], str] = {
        ("account_type", "missing"): _("Select the type of account you want to register"),
        ("account_type", "unit"): _("A unit account cannot be registered online. Ask for one at an acceptance point."),
        ("name", "missing"): _("Enter your name as it is written on your identity card"),
        ("name", "too_long"): _("Name must be %(max)s characters or fewer") % {"max": validators.NAME_MAX_LENGTH},
        ("name", "characters"): _("Name can only contain letters, spaces and the marks · . - '"),
        ("sex", "missing"): _("Select your sex"),
        ("ethnicity", "missing"): _("Select your ethnic group"),
        ("birth_date", "missing"): _("Enter your date of birth"),
        ("birth_date", "format"): _("Date of birth must be a real date, for example 1990-03-27"),
        ("birth_date", "future"): _("Date of birth must be today or in the past"),
        ("birth_date", "too_early"): _("Date of birth must be 1900-01-01 or later"),
        ("id_number", "missing"): _("Enter your ID number"),
        ("id_number", "length"): _("ID number must be 18 characters"),
        ("id_number", "format"): _("ID number must be 17 digits followed by a digit or the letter X"),
        ("id_number", "province"): _(
            "The first 2 digits of this ID number are not a province code. Check the number on your identity card"
        ),
        ("id_number", "birth_date"): _(
            "Digits 7 to 14 of this ID number are not a real date of birth. Check the number on your identity card"
        ),
        ("id_number", "checksum"): _("This ID number is not valid. Check each character against your identity card"),
        ("id_number", "birth_date_mismatch"): _(
            "The date of birth in this ID number is not the date of birth you entered. Check the number, or go back and correct your date of birth"
        ),
        ("id_number", "sex_mismatch"): _(
            "This ID number does not match the sex you entered. Check the number, or go back and correct your sex"
        ),
        ("id_number", "taken"): _("This ID number already has an account: sign in or reset your password"),
        ("id_number", "name_mismatch"): _(
            "This ID number is on record with a different name. Check your name and ID number, or ask at an acceptance point"
        ),
        ("hukou_address", "missing"): _("Enter your hukou address"),
        ("hukou_address", "too_long"): _(
            "Hukou address must be %(max)s characters or fewer"
        ) % {"max": validators.HUKOU_ADDRESS_MAX_LENGTH},
        ("hukou_address", "characters"): _("Hukou address must not contain control characters"),
        ("mobile", "missing"): _("Enter your mobile number"),
        ("mobile", "format"): _("Enter an 11-digit mainland China mobile number, like 13800138000"),
        ("mobile", "taken"): _("This mobile number already has an account: sign in or reset your password"),
        ("username", "missing"): _("Choose a username"),
        ("username", "length"): _("Username must be %(min)s to %(max)s characters") % {
            "min": validators.USERNAME_MIN_LENGTH, "max": validators.USERNAME_MAX_LENGTH},
        ("username", "start"): _("Username must start with a letter"),
        ("username", "characters"): _("Username can only contain letters a to z, digits and underscores (_)"),
        ("username", "taken"): _("This username is taken. Choose another one"),
        ("password", "missing"): _("Enter a password"),
        ("password", "too_short"): _(
            "Password must be at least %(min)s characters"
        ) % {"min": rules.PASSWORD_MIN_LENGTH},
        ("password", "too_long"): _(
            "Password must be %(max)s characters or fewer"
        ) % {"max": validators.PASSWORD_MAX_LENGTH},
        ("password", "contains_username"): _("Password must not contain your username"),
        ("password", "contains_id_number"): _("Password must not contain your ID number"),
        ("password", "common"): _(
            "This password is one of the most common passwords and easy to guess. Choose another one"
        ),
        ("password", "reenter"): _("You changed your username or ID number: enter your password again"),
        ("password_confirm", "missing"): _("Enter your password again to confirm it"),
        ("password_confirm", "mismatch"): _("The passwords do not match"),
        ("agree", "missing"): _("To register, agree to the user agreement and the privacy notice"),
    }
    return messages[(field, reason)]


def error_messages(reasons: Mapping[str, str], retry_at: datetime | None = None) -> dict[str, str]:
    """Field id -> message, in the order of the form (the error summary lists them so)."""
    order = [name for step in STEPS for name in STEP_FIELDS[step]]
    return {name: error_message(name, reasons[name], retry_at) for name in order if name in reasons}


def load_draft(request: Request) -> RegistrationDraft:
    session = request.scope.get("session")
    return RegistrationDraft.load(session.get(DRAFT_KEY) if isinstance(session, dict) else None)


async def read_only_draft(request: Request) -> RegistrationDraft:
    """The draft as the session store holds it, for a route that never writes the session.

    The session middleware writes a session back at the end of every request that has one: an
    inline check still running when its step is submitted would put the older draft back over the
    one the step just saved (a lost update). So the checks skip the middleware and only read.
    """
    session_id = request.cookies.get(SESSION_COOKIE)
    raw = await request.app.stores.get(SESSION_STORE).get(session_id) if session_id else None
    try:
        data = decode_json(raw) if raw else {}
    except SerializationException:  # an unreadable entry is no draft; the check needs none
        data = {}
    return RegistrationDraft.load(data.get(DRAFT_KEY) if isinstance(data, dict) else None)


def save_draft(request: Request, draft: RegistrationDraft | None) -> None:
    session = request.scope.get("session")
    if not isinstance(session, dict):
        session = {}
        request.set_session(session)
    if draft is None:
        session.pop(DRAFT_KEY, None)
    else:
        session[DRAFT_KEY] = draft.dump()


def shown_values(form: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    """What a re-rendered form shows: everything typed except the secrets (passwords, the code)."""
    return {
        name: validators.clip(form.get(name, "")) for name in names if name not in registration.SECRET_FIELDS
    }


def ethnicity_options() -> list[tuple[str, str]]:
    return i18n.code_options(rules.ETHNICITIES)


async def lookup_allowed(request: Request) -> datetime | None:
    """Count one availability lookup for this network; when over the limit, when to retry."""
    return await ratelimit.hit(
        request.app.stores.get("ratelimit"),
        f"register-lookup:{client_ip(request)}",
        limit=account_lookup.LOOKUPS_PER_IP,
        window_seconds=account_lookup.LOOKUP_WINDOW_SECONDS,
        now=datetime.now(UTC),
    )


async def render_step(
    request: Request,
    draft: RegistrationDraft,
    step: str,
    *,
    values: Mapping[str, str] | None = None,
    reasons: Mapping[str, str] | None = None,
    retry_at: datetime | None = None,
    sms_state: SmsState | None = None,
    push: bool = False,
) -> Response:
    """A step: the whole page, or for htmx the fragment alone (with its <title>)."""
    reasons = dict(reasons or {})
    form = dict.fromkeys(registration.FIELD_STEP, "")
    form.update(draft.answers)
    form.update(values or {})
    errors = error_messages(reasons, retry_at)
    index = STEPS.index(step)
    verified = draft.verified_mobile and draft.verified_mobile == identity.normalize_mobile(form.get("mobile", ""))
    context = {
        "step": step,
        "step_number": index + 1,
        "step_count": len(STEPS),
        "action": step_url(step),
        "back_url": step_url(STEPS[index - 1]) if index else "/",
        "form": form,
        "errors": errors,
        "reasons": reasons,
        "sms": sms_state,
        "send_url": SEND_URL,
        "verified_mobile": identity.mask_mobile(draft.verified_mobile) if verified and draft.verified_mobile else None,
        "today": await request.app.state.clock.today(),
        "earliest_birth_date": validators.EARLIEST_BIRTH_DATE,
        "ethnicities": ethnicity_options(),
        "step_urls": {name: step_url(name) for name in STEPS},
    }
    if request.htmx:
        return HTMXTemplate(
            template_name="register/_step.html",
            context={**context, "fragment": True},
            push_url=step_url(step) if push else False,
            status_code=HTTP_200_OK,
        )
    status = HTTP_400_BAD_REQUEST if errors and request.method == "POST" else HTTP_200_OK
    return Template("register/page.html", context=context, status_code=status)


async def go_to(request: Request, draft: RegistrationDraft, step: str) -> Response:
    """After a POST: the browser follows a 303; htmx swaps in that step and updates the address."""
    if request.htmx:
        return await render_step(request, draft, step, reasons=draft.stale.get(step), push=True)
    return Redirect(path=step_url(step), status_code=303)


class RegisterController(Controller):
    path = "/register"

    @get("/", name="register", opt=PUBLIC)
    async def show_current_step(self, request: Request) -> Response:
        draft = load_draft(request)
        step = draft.current_step()
        return await render_step(request, draft, step, reasons=draft.stale.get(step))

    @get("/{slug:str}", name="register_step", opt=PUBLIC)
    async def show_step(self, request: Request, slug: FromPath[str]) -> Response:
        step = STEP_BY_SLUG.get(slug)
        if step is None:
            raise NotFoundException()
        draft = load_draft(request)
        if not draft.can_open(step):
            return Redirect(path="/register", status_code=303)
        return await render_step(request, draft, step, reasons=draft.stale.get(step))

    @post("/{slug:str}", name="register_submit", opt=PUBLIC, status_code=HTTP_200_OK)
    async def submit_step(self, request: Request, slug: FromPath[str]) -> Response:
        step = STEP_BY_SLUG.get(slug)
        if step is None:
            raise NotFoundException()
        draft = load_draft(request)
        if not draft.can_open(step):
            # Steps are answered in order: a POST ahead of the draft (an old tab) goes to where it is.
            if step == "agreement" and not draft.answers and REGISTERED_KEY in request.session:
                return self._to_done(request)  # the second click of "register", after the first one
            return await go_to(request, draft, draft.current_step())
        form = await request.form()
        if step == "agreement":
            return await self._register(request, draft, form)
        lookup_field = {"identity": "id_number", "credentials": "username"}.get(step)
        if lookup_field and (retry_at := await lookup_allowed(request)):
            draft.keep_typed(step, form)
            save_draft(request, draft)
            return await render_step(request, draft, step, values=shown_values(form, STEP_FIELDS[step]),
                                     reasons={lookup_field: "rate_limited"}, retry_at=retry_at)
        settings = request.app.state.settings

        async def verify_code(mobile: str, code: str) -> None:
            await sms.verify_code(mobile=mobile, purpose="register", code=code,
                                  now=datetime.now(UTC), secret=settings.secret_key)

        result = await registration.submit_step(
            draft, step, form, today=await request.app.state.clock.today(), verify_code=verify_code
        )
        save_draft(request, draft)
        if not result.ok:
            return await render_step(request, draft, step, values=shown_values(form, STEP_FIELDS[step]),
                                     reasons=result.reasons)
        return await go_to(request, draft, draft.current_step())

    async def _register(self, request: Request, draft: RegistrationDraft, form: Any) -> Response:
        try:
            account = await registration.register(draft, form, today=await request.app.state.clock.today())
        except StepInvalid as invalid:
            if invalid.step == "agreement":
                return await render_step(request, draft, "agreement", reasons=invalid.reasons)
            draft.reopen(invalid.step, invalid.reasons)
            save_draft(request, draft)
            return await go_to(request, draft, invalid.step)
        save_draft(request, None)
        request.session[REGISTERED_KEY] = account.username
        return self._to_done(request)

    @staticmethod
    def _to_done(request: Request) -> Response:
        if request.htmx:
            return ClientRedirect(redirect_to="/register/done")
        return Redirect(path="/register/done", status_code=303)

    @post("/sms", name="register_sms", opt=PUBLIC, status_code=HTTP_200_OK)
    async def send_code(self, request: Request) -> Response:
        """"Send code" of step 3: the whole form comes along, so the page keeps what was typed."""
        draft = load_draft(request)
        if not draft.can_open("identity"):
            return await go_to(request, draft, draft.current_step())
        form = await request.form()
        draft.keep_typed("identity", form)
        save_draft(request, draft)
        mobile, reason = validators.check_mobile(validators.text(form, "mobile"))
        retry_at = None
        if reason is None and (retry_at := await lookup_allowed(request)):
            reason = "rate_limited"
        if reason is None:
            reason = await account_lookup.mobile_reason(mobile)
        if reason is not None:
            # The message belongs beside the mobile field: htmx swaps the whole step, not the widget.
            response = await render_step(request, draft, "identity", values=shown_values(form, IDENTITY_FIELDS),
                                         reasons={"mobile": reason}, retry_at=retry_at)
            if request.htmx:
                response.headers.update({"HX-Retarget": "#register-step", "HX-Reswap": "outerHTML"})
            return response
        state = await send_sms(request, mobile=mobile, purpose="register")
        if request.htmx:
            return Template("sms_code_fragment.html", context={
                "send_url": SEND_URL, "sms": state, "form": {}, "errors": {}})
        return await render_step(request, draft, "identity", values=shown_values(form, IDENTITY_FIELDS),
                                 sms_state=state)

    @post("/check/{field:str}", name="register_check", opt={**PUBLIC, "skip_session": True},
          status_code=HTTP_200_OK)
    async def check_field(self, request: Request, field: FromPath[str]) -> Template:
        """The inline check of one field on change: its form group again, with its message."""
        if field not in CHECKED_FIELDS:
            raise NotFoundException()
        form = await request.form()
        retry_at = None
        if field in account_lookup.LOOKUP_FIELDS and (retry_at := await lookup_allowed(request)):
            reason: str | None = "rate_limited"
        else:
            reason = await registration.check_field(
                field, form, await read_only_draft(request), today=await request.app.state.clock.today()
            )
        message = error_message(field, reason, retry_at) if reason else None
        if field in STATUS_FIELDS:
            return Template("register/_check_status.html", context={"message": message})
        return Template("register/_check.html", context={
            "field": field,
            "form": {**dict.fromkeys(registration.FIELD_STEP, ""), **shown_values(form, (field,))},
            "errors": {field: message} if message else {},
            "reasons": {field: reason} if reason else {},
            "today": await request.app.state.clock.today(),
            "earliest_birth_date": validators.EARLIEST_BIRTH_DATE,
        })

    @get("/done", name="register_done", opt=PUBLIC)
    async def show_done(self, request: Request) -> Response:
        username = request.session.get(REGISTERED_KEY)
        if not isinstance(username, str):
            return Redirect(path="/register", status_code=303)
        return Template("register/done.html", context={"username": username})
