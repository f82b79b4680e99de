"""我的居住证: what the resident's home on the permit platform shows about their applications and card."""

from __future__ import annotations

from dataclasses import dataclass

from web.models import ApplicationState, Permit, PermitApplication


@dataclass(frozen=True)
class PermitHome:
    latest: PermitApplication | None  # the newest submitted application, with its point
    permit: Permit | None  # the card in force (valid or suspended)

    @property
    def may_apply(self) -> bool:
        """A first application is possible while no application is open and no card is in force."""
        return self.permit is None and (self.latest is None or self.latest.open_person_id is None)


async def permit_home(person_id: int) -> PermitHome:
    """Two indexed queries: the newest application and the card in force."""
    latest = await (
        PermitApplication.filter(person_id=person_id)
        .exclude(state=ApplicationState.DRAFT)
        .order_by("-submitted_at", "-id")
        .select_related("point")
        .first()
    )
    permit = await Permit.get_or_none(current_person_id=person_id)
    return PermitHome(latest=latest, permit=permit)
