"""Review by staff of the street's acceptance point (THE SERVICE CONTRACT with the staff screens):
approve or reject declarations, with a system message to the declarant and the occupants."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from web import i18n
from web.models import (
    Account,
    DeclarationKind,
    DeclarationOccupant,
    DeclarationStatus,
    HouseLink,
    Person,
    Registration,
    ResidenceDeclaration,
    Role,
)
from web.services import messages
from web.services.declarations.common import (
    REASON_MAX_LENGTH,
    DeclarationError,
    declaration_number,
    squash,
    without_nul,
)


def point_reviews_street(staff: Account, street_code: str) -> bool:
    """Whether the staff member's acceptance point is the point of this street (one point per street).

    The point must be loaded: `await staff.fetch_related("point")` (the review functions do it).
    """
    if staff.role != Role.STAFF or staff.point_id is None:  # type: ignore[attr-defined]
        return False
    point = staff.point
    if not hasattr(point, "street_id"):
        raise RuntimeError("load the staff member's point first: await staff.fetch_related('point')")
    return point.street_id == street_code


async def load_point(staff: Account) -> None:
    if staff.point_id is not None and not hasattr(staff.point, "street_id"):  # type: ignore[attr-defined]
        await staff.fetch_related("point")


async def _pending_declaration(declaration_id: int, staff: Account) -> ResidenceDeclaration:
    await load_point(staff)
    declaration = await ResidenceDeclaration.get_or_none(id=declaration_id).select_related("house")
    if declaration is None:
        raise DeclarationError("not_found")
    if not point_reviews_street(staff, declaration.street_id):  # type: ignore[attr-defined]
        raise DeclarationError("wrong_point")
    if declaration.status != DeclarationStatus.PENDING:
        raise DeclarationError("not_pending")
    return declaration


async def claim(model: type[ResidenceDeclaration] | type[HouseLink], item_id: int, pending: str, **values: object) -> None:
    """Move a pending item on with a conditional UPDATE: of two reviewers at once, only one wins."""
    if not await model.filter(id=item_id, status=pending).update(**values):
        raise DeclarationError("not_pending")


async def approve_declaration(declaration_id: int, *, staff: Account, now: datetime) -> ResidenceDeclaration:
    """已登记: a move-in starts a registration per occupant, a move-out ends them, a change updates
    the occupants' data. Notifies the declarant and each occupant's account."""
    declaration = await _pending_declaration(declaration_id, staff)
    occupants = await DeclarationOccupant.filter(declaration_id=declaration.id).select_related("person").order_by("id")
    try:
        async with in_transaction():
            await claim(
                ResidenceDeclaration, declaration.id, DeclarationStatus.PENDING,
                status=DeclarationStatus.REGISTERED, reviewed_by_id=staff.id, reviewed_at=now,
            )  # fmt: skip
            if declaration.kind == DeclarationKind.MOVE_IN:
                await _start_registrations(declaration, occupants)
            elif declaration.kind == DeclarationKind.MOVE_OUT:
                await _end_registrations(declaration, occupants)
            else:
                await _update_people(occupants)
    except IntegrityError:
        # The unique active_person_id index: someone was registered elsewhere meanwhile.
        raise DeclarationError("already_registered") from None
    await declaration.refresh_from_db()
    await _notify_review(declaration, [occupant.person for occupant in occupants])
    return declaration


async def _start_registrations(declaration: ResidenceDeclaration, occupants: list[DeclarationOccupant]) -> None:
    # Re-checked at approval: another move-in of the same person may have been approved meanwhile.
    if await Registration.exists(person_id__in=[o.person_id for o in occupants], end_date__isnull=True):  # type: ignore[attr-defined]
        raise DeclarationError("already_registered")
    house = declaration.house
    address = house.address if house is not None else declaration.address_detail
    for occupant in occupants:
        await Registration.create(
            person_id=occupant.person_id,  # type: ignore[attr-defined]
            house=house,
            street_id=declaration.street_id,  # type: ignore[attr-defined]
            address=address,
            start_date=declaration.event_date,
            declaration=declaration,
        )


async def _end_registrations(declaration: ResidenceDeclaration, occupants: list[DeclarationOccupant]) -> None:
    active = await Registration.filter(
        person_id__in=[o.person_id for o in occupants], end_date__isnull=True  # type: ignore[attr-defined]
    )
    by_person = {registration.person_id: registration for registration in active}  # type: ignore[attr-defined]
    for occupant in occupants:
        registration = by_person.get(occupant.person_id)  # type: ignore[attr-defined]
        if registration is None or not _registration_at(registration, declaration):
            raise DeclarationError("not_registered_here")
        if declaration.event_date < registration.start_date:
            raise DeclarationError("move_out_before_move_in")
        registration.end_date = declaration.event_date
        registration.end_declaration = declaration
        await registration.save(update_fields=["end_date", "end_declaration_id"])


def _registration_at(registration: Registration, declaration: ResidenceDeclaration) -> bool:
    if declaration.house_id is not None:  # type: ignore[attr-defined]
        return registration.house_id == declaration.house_id  # type: ignore[attr-defined]
    return (
        registration.house_id is None  # type: ignore[attr-defined]
        and registration.street_id == declaration.street_id  # type: ignore[attr-defined]
        and squash(registration.address) == squash(declaration.address_detail)
    )


async def _update_people(occupants: list[DeclarationOccupant]) -> None:
    """A change of occupant data: the person's record takes the declared workplace."""
    for occupant in occupants:
        if occupant.workplace and occupant.person.workplace != occupant.workplace:
            occupant.person.workplace = occupant.workplace
            await occupant.person.save(update_fields=["workplace"])


async def reject_declaration(
    declaration_id: int, *, staff: Account, reason: str, now: datetime
) -> ResidenceDeclaration:
    """审核不通过, always with a reason, which the declarant and the occupants receive."""
    reason = check_reason(reason)
    declaration = await _pending_declaration(declaration_id, staff)
    await claim(
        ResidenceDeclaration, declaration.id, DeclarationStatus.PENDING,
        status=DeclarationStatus.REJECTED, reason=reason, reviewed_by_id=staff.id, reviewed_at=now,
    )  # fmt: skip
    await declaration.refresh_from_db()
    people = [o.person for o in await DeclarationOccupant.filter(declaration_id=declaration.id).select_related("person")]
    await _notify_review(declaration, people)
    return declaration


def check_reason(reason: str) -> str:
    reason = without_nul(reason or "").strip()
    if not reason:
        raise DeclarationError("reason_required", "reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise DeclarationError("reason_too_long", "reason")
    return reason


# --- notices -----------------------------------------------------------------------------------------
# The recipients are not the staff member acting, so the notices are written in the service's
# default language (Simplified Chinese), not in the reviewer's.


def N_(message: str) -> str:  # noqa: N802 - the conventional name pybabel extracts
    return message


def in_default_language(message: str) -> str:
    return i18n.translations(i18n.DEFAULT_LOCALE).gettext(message)


DECLARATION_REGISTERED_TITLE = N_("Residence declaration %(number)s registered")
DECLARATION_REGISTERED_BODY = N_("The declaration for %(names)s at %(address)s has been approved. Date: %(date)s.")
DECLARATION_REJECTED_TITLE = N_("Residence declaration %(number)s not approved")
DECLARATION_REJECTED_BODY = N_("The declaration for %(names)s at %(address)s was not approved. Reason: %(reason)s")
HOUSE_LINK_APPROVED_TITLE = N_("House link approved")
HOUSE_LINK_APPROVED_BODY = N_("You may now declare the occupants of %(address)s.")
HOUSE_LINK_REJECTED_TITLE = N_("House link not approved")
HOUSE_LINK_REJECTED_BODY = N_("Your link to %(address)s was not approved. Reason: %(reason)s")


async def _notify_review(declaration: ResidenceDeclaration, people: Iterable[Person]) -> None:
    people = list(people)
    registered = declaration.status == DeclarationStatus.REGISTERED
    values = {
        "number": declaration_number(declaration),
        "names": "、".join(person.name for person in people),
        "address": declaration.house.address if declaration.house else declaration.address_detail,
        "date": declaration.event_date.isoformat(),
        "reason": declaration.reason,
    }
    title = in_default_language(DECLARATION_REGISTERED_TITLE if registered else DECLARATION_REJECTED_TITLE) % values
    body = in_default_language(DECLARATION_REGISTERED_BODY if registered else DECLARATION_REJECTED_BODY) % values
    recipients = {declaration.declarant_id}  # type: ignore[attr-defined]
    if people:
        recipients.update(
            await Account.filter(person_id__in=[person.id for person in people], is_active=True).values_list("id", flat=True)
        )
    for account_id in sorted(recipients):
        await messages.notify(account_id, title, body)
