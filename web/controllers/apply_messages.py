"""Words of the application wizard: the services' reason codes as messages, in the request's language."""

from __future__ import annotations

from collections.abc import Mapping

from web.controllers.register import error_message as registration_message
from web.i18n import gettext as _
from web.services import rules
from web.services.applications import STEP_FIELDS
from web.services.applications.common import WORKPLACE_MAX_LENGTH
from web.services.validators import NAME_MAX_LENGTH

# Where each error goes in the summary: the order of the form.
_ORDER = (*STEP_FIELDS["condition"], *STEP_FIELDS["personal"], *STEP_FIELDS["photo"], "family",
          *STEP_FIELDS["point"], "token")  # fmt: skip


def error_message(field: str, reason: str, *, district: str = "") -> str:
    """The message beside `field` (an element id: family_name-2 ...) for a reason code."""
    name = field.rpartition("-")[0] if field.startswith("family_") else field
    if name.startswith("family"):
        return _family_message(name, reason)
    ours: dict[tuple[str, str], str] = {
        ("condition", "missing"): _("Select the condition you apply under"),
        ("id_number", "taken"): _(
            "This ID number belongs to another person in our records. If it is yours, visit an acceptance point with your identity card"
        ),
        ("education", "missing"): _("Select your education"),
        ("workplace", "missing"): _("Enter your workplace, or your school if you study"),
        ("workplace", "too_long"): _("Workplace must be %(max)s characters or fewer") % {"max": WORKPLACE_MAX_LENGTH},
        ("workplace", "characters"): _("Workplace must not contain control characters"),
        ("photo_number", "required"): _("Enter the photo image number printed on your photo receipt"),
        ("photo_number", "format"): _(
            "The photo image number is %(min)s to %(max)s letters or digits, as printed on the photo receipt"
        ) % {"min": rules.PHOTO_NUMBER_MIN_LENGTH, "max": rules.PHOTO_NUMBER_MAX_LENGTH},
        ("photo_number", "not_found"): _(
            "No photo was found for this number. Check the number on the receipt, or have a new photo taken at an approved studio"
        ),
        ("acceptance_point", "missing"): _("Select the acceptance point where you will hand in and collect your permit"),
        ("acceptance_point", "not_allowed"): _(
            "You can only apply at an acceptance point in the district of your residence registration (%(district)s). Choose one of the points listed"
        ) % {"district": district},
        ("token", "token"): _(
            "This form was already sent, or it is out of date. Nothing was lost: check your answers and submit them again"
        ),
    }
    if (field, reason) in ours:
        return ours[(field, reason)]
    return registration_message(field, reason)


def _family_message(name: str, reason: str) -> str:
    messages: dict[tuple[str, str], str] = {
        ("family", "too_many"): _("You can list up to %(max)s family members") % {"max": rules.MAX_CO_RESIDENTS},
        ("family_name", "missing"): _("Enter the family member's name"),
        ("family_name", "too_long"): _("Name must be %(max)s characters or fewer") % {"max": NAME_MAX_LENGTH},
        ("family_name", "characters"): _("Name can only contain letters, spaces and the marks · . - '"),
        ("family_relation", "missing"): _("Select how this family member is related to you"),
        ("family_id_number", "missing"): _("Enter the family member's ID number"),
        ("family_id_number", "invalid"): _("This is not a valid ID number. Check each of its 18 characters"),
        ("family_id_number", "own"): _("This is your own ID number. List only the family members who live with you"),
        ("family_id_number", "duplicate"): _("This ID number is already listed"),
    }
    return messages[(name, reason)]


def error_messages(reasons: Mapping[str, str], *, district: str = "") -> dict[str, str]:
    """Element id -> message, in the order of the form (the error summary lists them so)."""

    def position(field: str) -> tuple[int, int, int]:
        if field.startswith("family_") and "-" in field:
            name, _sep, row = field.rpartition("-")
            column = STEP_FIELDS["family"].index(name) if name in STEP_FIELDS["family"] else 0
            return _ORDER.index("family"), int(row) if row.isdigit() else 0, column + 1
        return (_ORDER.index(field) if field in _ORDER else len(_ORDER)), 0, 0

    return {field: error_message(field, reasons[field], district=district) for field in sorted(reasons, key=position)}


def refusal_title(reason: str) -> str:
    """The heading of the page that explains why the person cannot apply now."""
    return {
        "no_person": _("We do not have your personal details yet"),
        "no_registration": _("You need a residence registration first"),
        "open_application": _("You already have an application in progress"),
        "authentication_required": _("Real-name authentication needed"),
        "not_first": _("You have had a residence permit before"),
    }.get(reason, _("You cannot apply online now"))
