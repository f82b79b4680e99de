"""The acceptance-point back office (受理点): review queues and actions of the point's staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from web import i18n
from web.i18n import gettext as _
from web.models import AcceptancePoint, Account
from web.services import declarations, review, rules
from web.services.declarations import DeclarationError

STAFF = {"access": "staff"}
NOTICE_KEY = "staff_notice"  # a one-time message for the queue after an action
# Reason codes of an action that cannot go ahead (no form field to blame): shown atop the decision.
CONFLICTS = ("not_pending", "already_registered", "not_registered_here", "move_out_before_move_in")


def localized(entries: tuple[rules.Label, ...]) -> dict[str, str]:
    """A code list as code -> name in the visitor's language."""
    return dict(i18n.code_options(entries))


def _conflict_message(reason: str) -> str:
    return {
        "not_pending": _("This has already been reviewed, perhaps by a colleague. Nothing was changed."),
        "already_registered": _(
            "Someone in this declaration is already registered at another address. They must be declared as moved out there first; otherwise reject this declaration."
        ),
        "not_registered_here": _(
            "Someone in this move-out is not registered at this address, so there is no registration to end. Reject the declaration with that reason."
        ),
        "move_out_before_move_in": _(
            "The move-out date is before the start of the registration it would end. Reject the declaration with that reason."
        ),
    }[reason]


def _reason_message(field: str, reason: str) -> str:
    return {
        ("reason_code", "missing"): _("Select a reason for rejecting, or write one"),
        ("reason_detail", "missing"): _("Write the reason for rejecting"),
        ("reason_detail", "too_long"): _("The reason must be %(max)s characters or fewer")
        % {"max": declarations.REASON_MAX_LENGTH},
    }[(field, reason)]


def _refusal(error: DeclarationError, values: dict[str, str] | None) -> tuple[dict[str, str], int]:
    """The errors and status of the page shown again when the service refused an action.

    `values` is the rejection form as sent (None for an approval).
    """
    if error.reason in ("not_found", "wrong_point"):
        raise NotFoundException()  # another point's item looks like none at all
    if error.reason in CONFLICTS:
        return {"decision": _conflict_message(error.reason)}, 409
    if error.reason == "reason_required":
        return {"reason_code": _reason_message("reason_code", "missing")}, 400
    if error.reason == "reason_too_long":
        return {"reason_detail": _reason_message("reason_detail", "too_long")}, 400
    raise error


def _notice_text(notice: dict[str, str] | None) -> str | None:
    if not notice:
        return None
    texts = {
        "declaration_approved": _("Declaration %(number)s approved. The declarant and the people in it have been told."),
        "declaration_rejected": _("Declaration %(number)s rejected. The declarant and the people in it have been told why."),
        "link_approved": _("House link for %(number)s approved. The landlord has been told."),
        "link_rejected": _("House link for %(number)s rejected. The landlord has been told why."),
    }
    text = texts.get(notice.get("kind", ""))
    return text % {"number": notice.get("number", "")} if text else None


async def _point(account: Account) -> AcceptancePoint | None:
    return await AcceptancePoint.get_or_none(id=account.point_id) if account.point_id else None  # type: ignore[attr-defined]


async def _street_code(request: Request) -> str:
    """The street the signed-in staff member reviews; a member without a point reviews nothing."""
    point = await _point(request.state.account)
    if point is None:
        raise NotFoundException()
    return point.street_id  # type: ignore[attr-defined]


def _done(request: Request, kind: str, number: str) -> Redirect:
    request.session[NOTICE_KEY] = {"kind": kind, "number": number}
    return Redirect(path="/staff", status_code=HTTP_303_SEE_OTHER)


def _reason_form(form: Any) -> dict[str, str]:
    return {
        "reason_code": str(form.get("reason_code", ""))[:32],
        "reason_detail": str(form.get("reason_detail", ""))[: declarations.REASON_MAX_LENGTH * 2],
    }


async def _now(request: Request) -> datetime:
    return await request.app.state.clock.now()  # the service's notion of today (moved by /dev/clock)


class StaffController(Controller):
    path = "/staff"

    # --- the queue ------------------------------------------------------------------------------------

    @get("/", name="staff_queue", opt=STAFF)
    async def list_queue(self, request: Request) -> Template:
        point = await _point(request.state.account)
        context: dict[str, Any] = {"point": point, "notice": _notice_text(request.session.pop(NOTICE_KEY, None))}
        if point is not None:
            street = point.street_id  # type: ignore[attr-defined]
            context.update(
                counts=await review.counts(street),
                declarations=await review.pending_declarations(street),
                house_links=await review.pending_house_links(street),
            )
        return Template("staff/queue.html", context=context)

    @get("/declarations", name="staff_declarations", opt=STAFF)
    async def list_declarations(self, request: Request) -> Template | Redirect:
        point = await _point(request.state.account)
        if point is None:  # the queue page explains
            return Redirect(path="/staff", status_code=HTTP_303_SEE_OTHER)
        street = point.street_id  # type: ignore[attr-defined]
        after = review.DeclarationCursor.decode(request.query_params.get("after"))
        page = await review.pending_declarations(street, after=after)
        return Template("staff/declarations.html", context={
            "declarations": page, "counts": await review.counts(street), "first_page": after is None})

    @get("/house-links", name="staff_house_links", opt=STAFF)
    async def list_house_links(self, request: Request) -> Template | Redirect:
        point = await _point(request.state.account)
        if point is None:
            return Redirect(path="/staff", status_code=HTTP_303_SEE_OTHER)
        street = point.street_id  # type: ignore[attr-defined]
        after = review.decode_link_cursor(request.query_params.get("after"))
        page = await review.pending_house_links(street, after=after)
        return Template("staff/house_links.html", context={
            "house_links": page, "counts": await review.counts(street), "first_page": after is None})

    # --- declarations -------------------------------------------------------------------------------

    @get("/declarations/{declaration_id:int}", name="staff_declaration", opt=STAFF)
    async def show_declaration(self, request: Request, declaration_id: FromPath[int]) -> Template:
        return await self._declaration_page(request, declaration_id)

    @post("/declarations/{declaration_id:int}/approve", name="staff_declaration_approve", opt=STAFF)
    async def approve_declaration(self, request: Request, declaration_id: FromPath[int]) -> Template | Redirect:
        try:
            declaration = await declarations.approve_declaration(
                declaration_id, staff=request.state.account, now=await _now(request))
        except DeclarationError as error:
            return await self._declaration_page(request, declaration_id, None, *_refusal(error, None))
        return _done(request, "declaration_approved", declarations.declaration_number(declaration))

    @post("/declarations/{declaration_id:int}/reject", name="staff_declaration_reject", opt=STAFF)
    async def reject_declaration(self, request: Request, declaration_id: FromPath[int]) -> Template | Redirect:
        values = _reason_form(await request.form())
        reason, problems = review.rejection_reason(
            review.DECLARATION_REJECTION_REASONS, values["reason_code"], values["reason_detail"])
        if reason is None:
            errors = {field: _reason_message(field, code) for field, code in problems.items()}
            return await self._declaration_page(request, declaration_id, values, errors, status_code=400)
        try:
            declaration = await declarations.reject_declaration(
                declaration_id, staff=request.state.account, reason=reason, now=await _now(request))
        except DeclarationError as error:
            return await self._declaration_page(request, declaration_id, values, *_refusal(error, values))
        return _done(request, "declaration_rejected", declarations.declaration_number(declaration))

    async def _declaration_page(
        self, request: Request, declaration_id: int, values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None, status_code: int = 200,
    ) -> Template:
        detail = await review.declaration_for_point(declaration_id, await _street_code(request))
        if detail is None:
            raise NotFoundException()
        return Template("staff/declaration.html", status_code=status_code, context={
            "detail": detail,
            "form": values or {"reason_code": "", "reason_detail": ""},
            "errors": errors or {},
            "reasons": list(localized(review.DECLARATION_REJECTION_REASONS).items()),
            "id_types": localized(rules.ID_DOCUMENT_TYPES),
            "occupations": localized(rules.OCCUPATIONS),
            "come_reasons": localized(rules.REASONS),
            "hukou_types": localized(rules.HUKOU_ADDRESS_TYPES),
        })

    # --- house links -----------------------------------------------------------------------------------

    @get("/house-links/{link_id:int}", name="staff_house_link", opt=STAFF)
    async def show_house_link(self, request: Request, link_id: FromPath[int]) -> Template:
        return await self._house_link_page(request, link_id)

    @post("/house-links/{link_id:int}/approve", name="staff_house_link_approve", opt=STAFF)
    async def approve_house_link(self, request: Request, link_id: FromPath[int]) -> Template | Redirect:
        try:
            link = await declarations.approve_house_link(link_id, staff=request.state.account, now=await _now(request))
        except DeclarationError as error:
            return await self._house_link_page(request, link_id, None, *_refusal(error, None))
        return _done(request, "link_approved", link.house.house_code)

    @post("/house-links/{link_id:int}/reject", name="staff_house_link_reject", opt=STAFF)
    async def reject_house_link(self, request: Request, link_id: FromPath[int]) -> Template | Redirect:
        values = _reason_form(await request.form())
        reason, problems = review.rejection_reason(
            review.HOUSE_LINK_REJECTION_REASONS, values["reason_code"], values["reason_detail"])
        if reason is None:
            errors = {field: _reason_message(field, code) for field, code in problems.items()}
            return await self._house_link_page(request, link_id, values, errors, status_code=400)
        try:
            link = await declarations.reject_house_link(
                link_id, staff=request.state.account, reason=reason, now=await _now(request))
        except DeclarationError as error:
            return await self._house_link_page(request, link_id, values, *_refusal(error, values))
        return _done(request, "link_rejected", link.house.house_code)

    async def _house_link_page(
        self, request: Request, link_id: int, values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None, status_code: int = 200,
    ) -> Template:
        detail = await review.house_link_for_point(link_id, await _street_code(request))
        if detail is None:
            raise NotFoundException()
        return Template("staff/house_link.html", status_code=status_code, context={
            "detail": detail,
            "form": values or {"reason_code": "", "reason_detail": ""},
            "errors": errors or {},
            "reasons": list(localized(review.HOUSE_LINK_REJECTION_REASONS).items()),
        })
