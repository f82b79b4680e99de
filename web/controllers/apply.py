"""The residence-permit application wizard (/apply), six steps kept in a server-side draft.

URLs:
  GET  /apply                  the step to continue with, or why the person cannot apply now
  GET  /apply/{slug}           a step, once the steps before it are answered (?return=check: from 核对信息)
  POST /apply/{slug}           answer it: 303 to the next step; with errors the page again (400)
  POST /apply/family/rows      htmx: the co-resident rows after "add" or "remove"
  GET  /apply/points           the acceptance points ranked from ?lat=&lng= (htmx: the list alone)
  GET  /apply/photo            the photo of the number in the draft, never of a number in the URL
  POST /apply/submit           submit once, with the draft's one-time token
  POST /apply/restart          重新填写: discard the draft and start from the records again

Every form is a plain POST that htmx upgrades: htmx gets the step fragment (200 even with errors:
STACK.md trap 8), a browser without JavaScript the page (400 with errors) or a 303. ID numbers only
travel in POST bodies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import ClientRedirect, HTMXTemplate
from litestar.response import Redirect, Response, Template
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST

from web import i18n
from web.adapters.insurance import get_insurance_registry
from web.adapters.photos import PhotoRegistry, get_photo_registry
from web.controllers.apply_messages import error_messages, refusal_title
from web.controllers.apply_pages import RETURN_TO_CHECK, SLUGS, STEP_BY_SLUG, step_context, step_url
from web.guards import requires_platform
from web.services import applications, rules
from web.services.applications import (
    FAMILY_FIELDS,
    STEP_FIELDS,
    STEPS,
    Applicant,
    ApplicationRefused,
    ApplyDraft,
    FamilyRow,
    StepInvalid,
)
from web.services.applications.common import clip
from web.services.nearest_points import suggest_points

RESIDENT = {"access": "resident"}


def photos_of(request: Request) -> PhotoRegistry:
    return get_photo_registry(request.app.state.settings)


async def find_applicant(request: Request) -> Applicant | ApplicationRefused:
    """The signed-in resident as an applicant, or why they cannot apply now."""
    try:
        return await applications.applicant(
            request.state.account,
            today=await request.app.state.clock.today(),
            insurance=get_insurance_registry(request.app.state.settings),
        )
    except ApplicationRefused as refused:
        return refused


def refused_page(request: Request, refused: ApplicationRefused) -> Response:
    """Why the person cannot apply now, and where to go instead."""
    if request.htmx:
        return ClientRedirect(redirect_to="/apply")
    application = refused.application
    states = dict(i18n.code_options(rules.APPLICATION_STATES))
    return Template("apply/refused.html", context={
        "reason": refused.reason,
        "title": refusal_title(refused.reason),
        "application": application,
        "state_label": states.get(application.state, "") if application else "",
    })  # fmt: skip


def to(request: Request, url: str) -> Response:
    """After a POST that ends elsewhere: the browser follows a 303, htmx is told to go there."""
    if request.htmx:
        return ClientRedirect(redirect_to=url)
    return Redirect(path=url, status_code=303)


def form_values(form: FormMultiDict, step: str) -> dict[str, str]:
    return {name: clip(form.get(name, "")) for name in STEP_FIELDS.get(step, ())}


def posted_rows(form: FormMultiDict) -> list[FamilyRow]:
    return applications.family_rows({name: form.getall(name, []) for name in FAMILY_FIELDS})


def apply_row_action(rows: list[FamilyRow], action: str) -> list[FamilyRow]:
    """"add" a row (up to the limit) or "remove-N"; the rows after a removed one move up."""
    if action == "add" and len(rows) < rules.MAX_CO_RESIDENTS:
        return [*rows, FamilyRow(len(rows) + 1)]
    if action.startswith("remove-") and action[7:].isdigit():
        kept = [row for row in rows if row.row != int(action[7:])]
        return [FamilyRow(index, row.name, row.relation, row.id_number) for index, row in enumerate(kept, 1)]
    return rows


def parse_origin(lat: str, lng: str) -> tuple[float, float] | None:
    """The browser's position from the query, or None (then the points stay ranked by address)."""
    try:
        origin = float(lat[:32]), float(lng[:32])
    except ValueError:
        return None
    if not all(math.isfinite(value) for value in origin):
        return None
    return origin if -90 <= origin[0] <= 90 and -180 <= origin[1] <= 180 else None


async def render_step(
    request: Request, who: Applicant, draft: ApplyDraft, step: str, *,
    reasons: Mapping[str, str] | None = None, family: list[FamilyRow] | None = None,
    origin: tuple[float, float] | None = None, return_to: str = "", push: bool = False,
    token_error: bool = False,
) -> Response:
    """A step: the whole page, or for htmx the fragment alone (with its <title>)."""
    reasons = dict(reasons or {})
    stale = bool(draft.stale.get(step)) and not reasons
    if stale:
        reasons = dict(draft.stale[step])
    if token_error:
        reasons["token"] = "token"
    suggestion = await suggest_points(who.street_code, origin=origin) if step in ("point", "check") else None
    district = (suggestion.district_en if i18n.current_locale() == "en" else suggestion.district) if suggestion else ""
    errors = error_messages(reasons, district=district)
    index = STEPS.index(step)
    context: dict[str, Any] = {
        "step": step,
        "step_number": index + 1,
        "step_count": len(STEPS),
        "steps": [(name, step_url(name) if draft.can_open(name) and name != step else None) for name in STEPS],
        "action": f"/apply/{SLUGS[step]}",
        "back_url": "/apply/check" if return_to else (step_url(STEPS[index - 1]) if index else "/me"),
        "return_to": return_to if step != "check" else "",
        "form": draft.answers,
        "errors": errors,
        "stale": stale,
        "fragment": bool(request.htmx),
        **await step_context(request, who, draft, step, family=family, suggestion=suggestion,
                             origin=origin, photos=photos_of(request)),
    }
    if request.htmx:
        url = step_url(step, return_to)
        return HTMXTemplate(template_name="apply/_step.html", context=context,
                            push_url=url if push else False, status_code=HTTP_200_OK)
    failed = bool(errors) and request.method == "POST"
    return Template("apply/page.html", context=context, status_code=HTTP_400_BAD_REQUEST if failed else HTTP_200_OK)


async def show(
    request: Request, who: Applicant, draft: ApplyDraft, step: str, *, return_to: str = "", push: bool = False,
    token_error: bool = False,
) -> Response:
    """A step the draft may open (else where it continues); the check page only while every stored
    answer still holds (else the step to answer again, with its reasons)."""
    if not draft.can_open(step):
        step, return_to = draft.current_step(), ""
    if request.method == "POST" and not request.htmx and not token_error:
        return Redirect(path=step_url(step, return_to), status_code=303)  # the GET checks again
    if step == "check":
        today = await request.app.state.clock.today()
        invalid = await applications.recheck(
            draft, person=who.person, locked=applications.locked_fields(who.account, who.person), today=today,
            photos=photos_of(request), suggestion=await suggest_points(who.street_code),
        )
        if invalid is not None:
            draft.reopen(*invalid)
            await applications.save_draft(who.account.id, draft)
            if not request.htmx:
                return Redirect(path=step_url(invalid[0]), status_code=303)
            step, return_to, push, token_error = invalid[0], "", True, False
    return await render_step(request, who, draft, step, return_to=return_to, push=push, token_error=token_error)


class ApplyController(Controller):
    path = "/apply"
    guards = [requires_platform("permit")]

    @get("/", name="apply", opt=RESIDENT)
    async def show_current_step(self, request: Request) -> Response:
        who = await find_applicant(request)
        if isinstance(who, ApplicationRefused):
            return refused_page(request, who)
        draft = await applications.start_or_resume(who)
        return await show(request, who, draft, draft.current_step())

    @get("/{slug:str}", name="apply_step", opt=RESIDENT)
    async def show_step(self, request: Request, slug: FromPath[str]) -> Response:
        step = STEP_BY_SLUG.get(slug)
        if step is None:
            raise NotFoundException()
        who = await find_applicant(request)
        if isinstance(who, ApplicationRefused):
            return refused_page(request, who)
        draft = await applications.start_or_resume(who)
        if not draft.can_open(step):
            return Redirect(path="/apply", status_code=303)
        back_to = RETURN_TO_CHECK if request.query_params.get("return") == RETURN_TO_CHECK else ""
        return await show(request, who, draft, step, return_to=back_to)

    @post("/{slug:str}", name="apply_answer", opt=RESIDENT, status_code=HTTP_200_OK)
    async def answer_step(self, request: Request, slug: FromPath[str]) -> Response:
        step = STEP_BY_SLUG.get(slug)
        if step is None or step == "check":
            raise NotFoundException()
        who = await find_applicant(request)
        if isinstance(who, ApplicationRefused):
            return to(request, "/apply")
        draft = await applications.start_or_resume(who)
        if not draft.can_open(step):
            return await show(request, who, draft, draft.current_step(), push=True)
        form = await request.form()
        return_to = RETURN_TO_CHECK if form.get("return") == RETURN_TO_CHECK else ""
        action = form.get("action", "next")
        rows = posted_rows(form) if step == "family" else []
        if step == "family" and (row_action := clip(form.get("family_action", ""))):
            rows = apply_row_action(rows, row_action)
            await applications.keep_family_rows(who, draft, rows)
            return await render_step(request, who, draft, step, family=rows, return_to=return_to)
        result = await applications.answer_step(
            who, draft, step, form_values(form, step), family=rows,
            today=await request.app.state.clock.today(), photos=photos_of(request),
        )
        index = STEPS.index(step)
        if action == "back" and index > 0:  # 上一步 keeps what was typed, right or not
            return await show(request, who, draft, STEPS[index - 1], return_to=return_to, push=True)
        if not result.ok:
            return await render_step(request, who, draft, step, reasons=result.reasons, family=result.family,
                                     return_to=return_to)
        if step == "photo" and action == "lookup":  # 查询相片: show the photo before going on
            return await render_step(request, who, draft, step, return_to=return_to)
        following = "check" if return_to else STEPS[index + 1]
        return await show(request, who, draft, following, return_to=return_to, push=True)

    @post("/family/rows", name="apply_family_rows", opt=RESIDENT, status_code=HTTP_200_OK)
    async def change_family_rows(self, request: Request) -> Response:
        """htmx: the rows after "Add a family member" or "Remove"; saved in the draft at once."""
        who = await find_applicant(request)
        if isinstance(who, ApplicationRefused):
            return to(request, "/apply")
        draft = await applications.start_or_resume(who)
        form = await request.form()
        rows = apply_row_action(posted_rows(form), clip(form.get("family_action", "")))
        await applications.keep_family_rows(who, draft, rows)
        context = await step_context(request, who, draft, "family", family=rows, suggestion=None, origin=None,
                                     photos=photos_of(request))
        return Template("apply/_family_rows.html", context={**context, "errors": {}})

    @get("/points", name="apply_points", opt=RESIDENT)
    async def rank_points(self, request: Request, lat: FromQuery[str] = "", lng: FromQuery[str] = "") -> Response:
        """使用我的位置: the district's points ranked from the browser's position (htmx: the list)."""
        who = await find_applicant(request)
        if isinstance(who, ApplicationRefused):
            return refused_page(request, who)
        draft = await applications.start_or_resume(who)
        if not draft.can_open("point"):
            return to(request, "/apply")
        origin = parse_origin(lat, lng)
        if not request.htmx:
            return await render_step(request, who, draft, "point", origin=origin)
        suggestion = await suggest_points(who.street_code, origin=origin)
        context = await step_context(request, who, draft, "point", family=None, suggestion=suggestion,
                                     origin=origin, photos=photos_of(request))
        return Template("apply/_point_list.html", context={**context, "errors": {}})

    @get("/photo", name="apply_photo", opt=RESIDENT)
    async def show_photo(self, request: Request) -> Response:
        photo = await applications.photo_of_draft(request.state.account.id, photos_of(request))
        if photo is None or not photo.content_type.startswith("image/"):
            raise NotFoundException()
        # Personal data: never kept by shared caches, and fetched again after the number changes.
        return Response(photo.data, media_type=photo.content_type, headers={"cache-control": "private, no-store"})

    @post("/submit", name="apply_submit", opt=RESIDENT, status_code=HTTP_200_OK)
    async def submit_application(self, request: Request) -> Response:
        form = await request.form()
        account = request.state.account
        try:
            submission = await applications.submit(
                account, clip(form.get("token", "")),
                today=await request.app.state.clock.today(), now=await request.app.state.clock.now(),
                insurance=get_insurance_registry(request.app.state.settings), photos=photos_of(request),
            )
        except StepInvalid as invalid:
            who = await find_applicant(request)
            draft = await applications.load_draft(account.id)
            if isinstance(who, ApplicationRefused) or draft is None:
                return to(request, "/apply")
            return await show(request, who, draft, invalid.step, push=True)
        except ApplicationRefused as refused:
            if refused.reason != "token":
                return to(request, "/apply")
            who = await find_applicant(request)
            draft = await applications.load_draft(account.id)
            if isinstance(who, ApplicationRefused) or draft is None:
                return to(request, "/apply")
            return await show(request, who, draft, "check", token_error=True)
        return to(request, f"/me/applications/{submission.application.id}?submitted=1")

    @post("/restart", name="apply_restart", opt=RESIDENT)
    async def restart(self, request: Request) -> Response:
        """重新填写: every answer goes; the form starts again from the records."""
        await applications.discard_draft(request.state.account.id)
        return to(request, "/apply")
