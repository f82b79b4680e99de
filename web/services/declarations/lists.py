"""The declarant's own declarations: the list of 我的申报 and one declaration, in fixed numbers of queries."""

from __future__ import annotations

from dataclasses import dataclass

from web.models import (
    DeclarationOccupant,
    ResidenceDeclaration,
)
from web.services.declarations.common import declaration_number


@dataclass(frozen=True)
class DeclarationSummary:
    declaration: ResidenceDeclaration
    number: str
    occupant_names: tuple[str, ...]


async def my_declarations(account_id: int) -> list[DeclarationSummary]:
    """The account's declarations, newest first, with the occupants' names: two queries."""
    declarations = await (
        ResidenceDeclaration.filter(declarant_id=account_id)
        .select_related("house", "street")
        .order_by("-submitted_at", "-id")
    )
    return await _summaries(declarations)


async def my_declaration(account_id: int, declaration_id: int) -> DeclarationSummary | None:
    """One of the account's own declarations; None for another account's (existence must not leak)."""
    declaration = await ResidenceDeclaration.get_or_none(id=declaration_id, declarant_id=account_id).select_related(
        "house", "street"
    )
    return (await _summaries([declaration]))[0] if declaration else None


async def occupants_of(declaration_id: int) -> list[DeclarationOccupant]:
    """The declaration's occupants with their people, in form order: one query."""
    return await DeclarationOccupant.filter(declaration_id=declaration_id).select_related("person").order_by("id")


async def _summaries(declarations: list[ResidenceDeclaration]) -> list[DeclarationSummary]:
    names: dict[int, list[str]] = {declaration.id: [] for declaration in declarations}
    if names:
        rows = await (
            DeclarationOccupant.filter(declaration_id__in=list(names))
            .order_by("id")
            .values_list("declaration_id", "person__name")
        )
        for declaration_id, name in rows:
            names[declaration_id].append(name)
    return [
        DeclarationSummary(declaration, declaration_number(declaration), tuple(names[declaration.id]))
        for declaration in declarations
    ]
