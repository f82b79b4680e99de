"""Residence declarations (居住登记申报, DOMAIN §3): submitting them, staff review, landlords' house links.

Rules answer with reason codes (DeclarationError.reason) and the form field they concern; the
controllers translate them. Callers import from this package; its modules are:
  common  limits, DeclarationError, declaration numbers, house codes
  forms   submit_declaration and the rules over a declaration form
  lists   the declarant's own declarations
  links   landlords' links to houses, and their review
  review  THE SERVICE CONTRACT with the staff screens: approve_declaration, reject_declaration,
          point_reviews_street (approve_house_link and reject_house_link come from links)
"""

from web.services.declarations.common import (
    ADDRESS_MAX_LENGTH,
    EARLIEST_EVENT_DATE,
    HEAD_MAX_LENGTH,
    HOUSE_CODE_MAX_LENGTH,
    ID_NUMBER_MAX_LENGTH,
    MOVE_OUT_FIELDS,
    OCCUPANT_FIELDS,
    REASON_MAX_LENGTH,
    RELATION_MAX_LENGTH,
    WORKPLACE_MAX_LENGTH,
    DeclarationError,
    DeclarationRefused,
    declaration_number,
    house_by_code,
    is_house_code,
    normalize_house_code,
    occupant_field,
    parse_declaration_number,
)
from web.services.declarations.forms import (
    DeclarationInput,
    DeclarationPreview,
    OccupantInput,
    allowed_declarant_kinds,
    check_declaration,
    check_id_number,
    deadline_days,
    dwelling_kind,
    is_late,
    parse_event_date,
    submit_declaration,
)
from web.services.declarations.links import (
    approve_house_link,
    approved_houses,
    link_house,
    my_house_links,
    reject_house_link,
)
from web.services.declarations.lists import DeclarationSummary, my_declaration, my_declarations, occupants_of
from web.services.declarations.review import approve_declaration, point_reviews_street, reject_declaration

__all__ = [
    "ADDRESS_MAX_LENGTH",
    "EARLIEST_EVENT_DATE",
    "HEAD_MAX_LENGTH",
    "HOUSE_CODE_MAX_LENGTH",
    "ID_NUMBER_MAX_LENGTH",
    "MOVE_OUT_FIELDS",
    "OCCUPANT_FIELDS",
    "REASON_MAX_LENGTH",
    "RELATION_MAX_LENGTH",
    "WORKPLACE_MAX_LENGTH",
    "DeclarationError",
    "DeclarationInput",
    "DeclarationPreview",
    "DeclarationRefused",
    "DeclarationSummary",
    "OccupantInput",
    "allowed_declarant_kinds",
    "approve_declaration",
    "approve_house_link",
    "approved_houses",
    "check_declaration",
    "check_id_number",
    "deadline_days",
    "declaration_number",
    "dwelling_kind",
    "house_by_code",
    "is_house_code",
    "is_late",
    "link_house",
    "my_declaration",
    "my_declarations",
    "my_house_links",
    "normalize_house_code",
    "occupant_field",
    "occupants_of",
    "parse_declaration_number",
    "parse_event_date",
    "point_reviews_street",
    "reject_declaration",
    "reject_house_link",
    "submit_declaration",
]
