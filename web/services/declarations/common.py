"""What every part of the declaration services shares: limits, the error type, numbers, house codes."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date

from web.models import House, ResidenceDeclaration
from web.services import rules

# The SEZ was founded in 1980: a move-in before it is a typing error, not a late declaration.
EARLIEST_EVENT_DATE = date(1980, 1, 1)
ADDRESS_MAX_LENGTH = 255  # ResidenceDeclaration.address_detail, Registration.address
WORKPLACE_MAX_LENGTH = 128  # DeclarationOccupant.workplace
HEAD_MAX_LENGTH = 64  # DeclarationOccupant.head_of_household
RELATION_MAX_LENGTH = 32  # DeclarationOccupant.relation
REASON_MAX_LENGTH = 500  # a rejection reason, read by the declarant in a system message
ID_NUMBER_MAX_LENGTH = 32  # Person.id_number
HOUSE_CODE_MAX_LENGTH = House._meta.fields_map["house_code"].max_length  # type: ignore[attr-defined]
STREET_CODE_LENGTH = 9  # Street.code: the official 9-digit division code

OCCUPANT_FIELDS = (
    "name", "id_type", "id_number", "hukou_address_type", "hukou_address", "occupation",
    "workplace", "reason", "head_of_household", "relation", "emergency_phone",
)  # fmt: skip
# A move-out names the person only (DOMAIN §3).
MOVE_OUT_FIELDS = ("name", "id_type", "id_number")
ID_TYPES = frozenset(entry.code for entry in rules.ID_DOCUMENT_TYPES)
HUKOU_TYPES = frozenset(entry.code for entry in rules.HUKOU_ADDRESS_TYPES)
OCCUPATIONS = frozenset(entry.code for entry in rules.OCCUPATIONS)
REASONS = frozenset(entry.code for entry in rules.REASONS)


class DeclarationError(Exception):
    """A rule refused the request: `reason` is a code, `field` the form field it concerns (or None)."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason if field is None else f"{field}: {reason}")
        self.reason = reason
        self.field = field


class DeclarationRefused(DeclarationError):
    """Several problems with one form at once; `reason` and `field` are the first of `errors`."""

    def __init__(self, errors: Sequence[DeclarationError]) -> None:
        super().__init__(errors[0].reason, errors[0].field)
        self.errors = list(errors)


def occupant_field(name: str, row: int) -> str:
    """The form field (and element id) of one occupant's value: name_1, id_number_2 ..."""
    return f"{name}_{row}"


def normalize_house_code(raw: str) -> str:
    """The house code as stored: ASCII, no spaces, upper case. A longer value than a code can be
    (the ORM refuses it in a query) comes back cut to one character over, so it matches nothing."""
    return "".join(unicodedata.normalize("NFKC", raw[:200]).split()).upper()[: HOUSE_CODE_MAX_LENGTH + 1]


def is_house_code(code: str) -> bool:
    """Whether a normalized value can be a house code at all (letters and digits): only then is it
    looked up, so a NUL byte or an overlong value never reaches the database, which refuses them."""
    return 0 < len(code) <= HOUSE_CODE_MAX_LENGTH and code.isascii() and code.isalnum()


def is_street_code(code: str) -> bool:
    return len(code) == STREET_CODE_LENGTH and code.isascii() and code.isdigit()


def without_nul(text: str) -> str:
    """PostgreSQL text cannot hold NUL bytes: a query with one fails, so they are dropped first."""
    return text.replace("\x00", "")


async def house_by_code(code: str) -> House | None:
    return await House.get_or_none(house_code=code) if is_house_code(code) else None


def squash(raw: str) -> str:
    """Surrounding and repeated whitespace removed."""
    return " ".join(raw.split())


def declaration_number(declaration: ResidenceDeclaration) -> str:
    """The reference shown to the declarant and staff (申报编号): JD and the zero-padded id."""
    return f"JD{declaration.id:08d}"


def parse_declaration_number(raw: str) -> int | None:
    text = normalize_house_code(raw)
    if text.startswith("JD"):
        text = text[2:]
    return int(text) if text.isdigit() and len(text) <= 10 else None
