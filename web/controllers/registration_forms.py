"""Reading the residence registration forms: posted values, and the occupant rows added or removed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from web.services import rules
from web.services.declarations import OCCUPANT_FIELDS, OccupantInput, occupant_field
from web.services.declarations.common import without_nul

MAX_VALUE_LENGTH = 300
# Rows read from a posted form: a fourth person is refused with a message, not silently dropped.
MAX_FORM_ROWS = 9


def form_values(form: Mapping[str, Any]) -> dict[str, str]:
    """Every posted text field, clipped and without NUL bytes: a file, an absurdly long value or a
    byte PostgreSQL refuses cannot reach the services."""
    return {key: without_nul(value[:MAX_VALUE_LENGTH]) for key, value in form.items() if isinstance(value, str)}


def row_count(values: Mapping[str, str]) -> int:
    """How many occupant rows the form had: the highest row number among its fields."""
    rows = [
        row for row in range(1, MAX_FORM_ROWS + 1) if any(occupant_field(name, row) in values for name in OCCUPANT_FIELDS)
    ]
    return max(rows, default=0)


def occupants_from(values: Mapping[str, str], rows: int) -> tuple[OccupantInput, ...]:
    return tuple(
        OccupantInput(row=row, **{name: values.get(occupant_field(name, row), "") for name in OCCUPANT_FIELDS})
        for row in range(1, rows + 1)
    )


def remove_row(values: dict[str, str], removed: int, rows: int) -> dict[str, str]:
    """The form without one person's row, the rows after it moved up (their values with them)."""
    kept = {key: value for key, value in values.items() if not _is_row_field(key)}
    new_row = 0
    for row in range(1, rows + 1):
        if row == removed:
            continue
        new_row += 1
        for name in OCCUPANT_FIELDS:
            if occupant_field(name, row) in values:
                kept[occupant_field(name, new_row)] = values[occupant_field(name, row)]
    return kept


def _is_row_field(key: str) -> bool:
    name, _, row = key.rpartition("_")
    return name in OCCUPANT_FIELDS and row.isdigit()


def apply_row_action(values: dict[str, str], rows: int, action: str) -> tuple[dict[str, str], int]:
    """"add" a row (up to 3) or "remove-N"; anything else changes nothing."""
    if action == "add":
        return values, min(rows + 1, rules.MAX_OCCUPANTS_PER_DECLARATION)
    if action.startswith("remove-") and action[7:].isdigit() and 1 <= int(action[7:]) <= rows and rows > 1:
        return remove_row(values, int(action[7:]), rows), rows - 1
    return values, rows
