"""Words of the residence registration screens: the declaration services' reason codes as messages,
status and kind labels. Each is a function (or a lambda) so that it speaks the request's language."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from web.i18n import gettext as _
from web.models import DeclarantKind, DeclarationKind, DeclarationStatus, Review
from web.services import declarations
from web.services.declarations import OCCUPANT_FIELDS, DeclarationError

# Fields in the order of the form: the error summary lists the problems in that order.
FORM_ORDER = ("declaration-form", "district", "street", "building", "house_code", "address_detail", "event_date",
              "occupants")  # fmt: skip

KIND_TITLES: dict[str, Callable[[], str]] = {
    DeclarationKind.MOVE_IN: lambda: _("Declare moving in"),
    DeclarationKind.CHANGE: lambda: _("Declare a change of occupant details"),
    DeclarationKind.MOVE_OUT: lambda: _("Declare moving out"),
}
DECLARANT_LABELS: dict[str, Callable[[], str]] = {
    DeclarantKind.LANDLORD: lambda: _("As the landlord"),
    DeclarantKind.SELF: lambda: _("For your own home"),
    DeclarantKind.ASSISTED: lambda: _("Assisted declaration"),
    DeclarantKind.UNIT: lambda: _("For a unit dormitory"),
}


def status_label(status: str) -> str:
    """待审核 / 已登记 / 审核不通过 for declarations, and the same words for house links."""
    labels = {
        DeclarationStatus.PENDING: _("Pending review"),
        DeclarationStatus.REGISTERED: _("Registered"),
        DeclarationStatus.REJECTED: _("Not approved"),
        Review.APPROVED: _("Approved"),
    }
    return labels.get(status, status)


def _field_messages() -> dict[tuple[str, str], str]:
    return {
        ("declaration-form", "declarant_not_allowed"): _("Your account cannot make this kind of declaration"),
        ("declaration-form", "kind_invalid"): _("This kind of declaration does not exist"),
        ("district", "district_missing"): _("Select the district"),
        ("street", "street_missing"): _("Select the street"),
        ("street", "street_unknown"): _("Select a street of the district you chose"),
        ("house_code", "house_unknown"): _(
            "There is no house with this house code. Check the code, or find the house by district, street, building and room"
        ),
        ("house_code", "house_required"): _("Choose the house: district, street, building and room"),
        ("house_code", "house_not_linked"): _(
            "You can declare only for a house you let whose link staff have approved. Link the house first under My houses"
        ),
        ("house_code", "house_not_own"): _(
            "This house is not registered as an own home. If you rent it, make an assisted declaration"
        ),
        ("house_code", "house_not_dormitory"): _("This house is not registered as a dormitory"),
        ("house_code", "already_linked"): _("You have already linked this house, or asked to"),
        ("address_detail", "address_missing"): _(
            "Enter the full address, or choose the house by building and room"
        ),
        ("address_detail", "address_invalid"): _(
            "The address must be %(max)s characters or fewer, without control characters"
        ) % {"max": declarations.ADDRESS_MAX_LENGTH},
        ("event_date", "date_missing"): _("Enter the date"),
        ("event_date", "date_invalid"): _("The date must be a real date, for example 2026-03-01"),
        ("event_date", "date_in_future"): _("The date must be today or in the past"),
        ("event_date", "date_too_early"): _("The date must be %(date)s or later") % {
            "date": declarations.EARLIEST_EVENT_DATE.isoformat()},
        ("event_date", "move_out_before_move_in"): _(
            "The move-out date is before the date this person moved in"
        ),
        ("occupants", "too_many_occupants"): _(
            "One declaration covers at most 3 people. Make another declaration for the others"
        ),
    }


def _row_messages() -> dict[str, str]:
    """Messages of one person's fields, by reason code."""
    return {
        "occupants_missing": _("Enter at least one person"),
        "name_missing": _("Enter the name"),
        "name_too_long": _("The name must be 64 characters or fewer"),
        "name_characters": _("The name can only contain letters, spaces and the marks · . - '"),
        "name_mismatch": _("This document number is on record with another name. Check the name and the number"),
        "id_type_invalid": _("Select the type of identity document"),
        "id_number_missing": _("Enter the document number"),
        "id_number_invalid": _("This document number is not valid. Check each character against the document"),
        "duplicate_person": _("This person is already in this declaration"),
        "already_registered": _(
            "This person is still registered at another address. The move-out must be declared there first: "
            "by that landlord, or by the person with an assisted declaration"
        ),
        "already_registered_here": _("This person is already registered at this house"),
        "not_registered_here": _("This person is not registered at this house"),
        "hukou_type_missing": _("Select where the hukou is registered"),
        "hukou_address_missing": _("Enter the hukou address"),
        "hukou_address_too_long": _("The hukou address must be 255 characters or fewer"),
        "hukou_address_characters": _("The hukou address must not contain control characters"),
        "occupation_missing": _("Select the occupation"),
        "workplace_too_long": _("The workplace must be %(max)s characters or fewer") % {
            "max": declarations.WORKPLACE_MAX_LENGTH},
        "reason_missing": _("Select the reason for coming to Shenzhen"),
        "head_too_long": _("The name of the head of household must be %(max)s characters or fewer") % {
            "max": declarations.HEAD_MAX_LENGTH},
        "relation_too_long": _("The relationship must be %(max)s characters or fewer") % {
            "max": declarations.RELATION_MAX_LENGTH},
        "relation_missing": _("Enter the relationship to the head of household"),
        "phone_missing": _("Enter an emergency contact phone number"),
        "phone_invalid": _("Enter a phone number in digits, for example 13800138000 or 0755-12345678"),
    }


def _split_row_field(field: str) -> tuple[str, int] | None:
    name, _sep, row = field.rpartition("_")
    return (name, int(row)) if name in OCCUPANT_FIELDS and row.isdigit() else None


def error_message(field: str, reason: str) -> str:
    if row_field := _split_row_field(field):
        message = _row_messages().get(reason) or _("Check this answer")
        return _("Person %(number)s: %(message)s") % {"number": row_field[1], "message": message}
    return _field_messages().get((field, reason)) or _("Check this answer")


def error_messages(problems: Iterable[DeclarationError]) -> dict[str, str]:
    """Field id -> message in the order of the form; the first problem of a field is the one shown."""

    def position(field: str) -> tuple[int, int, int]:
        if row_field := _split_row_field(field):
            return (len(FORM_ORDER), row_field[1], OCCUPANT_FIELDS.index(row_field[0]))
        return (FORM_ORDER.index(field) if field in FORM_ORDER else 0, 0, 0)

    fields: dict[str, str] = {}
    for problem in problems:
        fields.setdefault(problem.field or "declaration-form", problem.reason)
    return {field: error_message(field, fields[field]) for field in sorted(fields, key=position)}


def link_error_message(reason: str) -> str:
    return _field_messages().get(("house_code", reason)) or _("Choose the house: district, street, building and room")
