"""谁查看了我的信息: what officials did with a person's data, as that person may read it.

The person learns the office, not the official: staff appear as their acceptance point, unit
agents as their unit, never by username (the audit log keeps those for administrators).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from web.models import AcceptancePoint, Role, Unit
from web.services import audit

VIEWS_SHOWN = 100


@dataclass(frozen=True)
class Viewing:
    at: datetime
    role: str  # the actor's role at the time: staff, unit_agent, admin
    office: str  # the point's name (staff) or the unit's name (unit agents); "" when not known
    action: str  # the audit action, e.g. "application.accept"


async def viewings(person_id: int, *, limit: int = VIEWS_SHOWN) -> list[Viewing]:
    """The person's audit entries by staff, unit agents and administrators, newest first.

    Decision: the office is the actor's point or unit now (the log does not keep it); an account
    deleted since shows its role alone.
    """
    entries = await audit.views_of(person_id, limit=limit)
    actors = [entry.actor for entry in entries if entry.actor is not None]
    point_ids = {actor.point_id for actor in actors if actor.point_id}
    unit_ids = {actor.unit_id for actor in actors if actor.unit_id}
    points = dict(await AcceptancePoint.filter(id__in=point_ids).values_list("id", "name")) if point_ids else {}
    units = dict(await Unit.filter(id__in=unit_ids).values_list("id", "name")) if unit_ids else {}
    rows = []
    for entry in entries:
        actor = entry.actor
        office = ""
        if actor is not None and entry.actor_role == Role.STAFF:
            office = points.get(actor.point_id, "")
        elif actor is not None and entry.actor_role == Role.UNIT_AGENT:
            office = units.get(actor.unit_id, "")
        rows.append(Viewing(at=entry.at, role=entry.actor_role, office=office, action=entry.action))
    return rows
