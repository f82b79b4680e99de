"""What a home page (/me) shows about the signed-in account."""

from __future__ import annotations

from dataclasses import dataclass

from web.models import Account, AcceptancePoint, Person, Unit


@dataclass(frozen=True)
class Summary:
    account: Account
    person: Person | None
    unit: Unit | None
    point: AcceptancePoint | None
    authenticated: bool  # 实名认证


async def summary(account: Account) -> Summary:
    """The account with the person, unit or point it belongs to (one query each, only if set)."""
    await account.fetch_related(*[name for name in ("person", "unit", "point")
                                  if getattr(account, f"{name}_id")])
    return Summary(
        account=account,
        person=account.person if account.person_id else None,
        unit=account.unit if account.unit_id else None,
        point=account.point if account.point_id else None,
        authenticated=account.real_name_verified_at is not None,
    )
