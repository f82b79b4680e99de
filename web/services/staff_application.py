"""One permit application as the acceptance point's staff review it: the form, the registry facts, the history.

Reads, plus the audit entry of a view: staff looking at a person's application is recorded with the
person as subject, so the person sees who viewed their data (audit.views_of). The decisions
themselves are application_flow.apply_action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from web.adapters.insurance import InsuranceRegistry
from web.adapters.photos import Photo, PhotoRegistry
from web.models import (
    Account,
    ApplicationEvent,
    ApplicationState,
    CoResident,
    Condition,
    PermitApplication,
)
from web.services import audit
from web.services.application_flow import allowed_actions
from web.services.eligibility import ConditionCheck, Eligibility, eligibility_of
from web.services.identity import mask_id_number
from web.services.staff_queue import TIMED_STATES


@dataclass(frozen=True)
class RegistryFacts:
    """What the registries say today about the condition the applicant chose (条例 Art. 19)."""

    condition: Condition
    check: ConditionCheck  # met, or the reason codes of what is missing
    registered: bool  # a residence registration covers today
    residence_months: int  # whole months of continuous registration
    registered_since: date | None
    registration_address: str
    insurance_consecutive: int
    insurance_in_window: int


@dataclass(frozen=True)
class CoResidentLine:
    name: str
    relation: str
    masked_id_number: str


@dataclass(frozen=True)
class EventLine:
    """One transition of the timeline: who, when, from which state to which, and why."""

    at: datetime
    from_state: ApplicationState | None
    to_state: ApplicationState
    action: str
    actor: str  # the account's username; "" for the system or a deleted account
    actor_role: str
    reason: str


@dataclass(frozen=True)
class ApplicationDetail:
    application: PermitApplication  # with its point loaded
    co_residents: list[CoResidentLine]
    events: list[EventLine]  # oldest first
    facts: RegistryFacts
    actions: tuple[str, ...]  # what the page offers (application_flow.allowed_actions)
    overdue: bool
    corrected: frozenset[str]  # the prefilled fields the applicant changed

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.application.id_number)


def _facts(application: PermitApplication, eligibility: Eligibility) -> RegistryFacts:
    condition = Condition(application.condition)
    registration = eligibility.registration
    return RegistryFacts(
        condition=condition,
        check=eligibility.check(condition),
        registered=eligibility.registered,
        residence_months=eligibility.residence_months,
        registered_since=eligibility.registered_since,
        registration_address=registration.address if registration is not None else "",
        insurance_consecutive=eligibility.insurance_consecutive,
        insurance_in_window=eligibility.insurance_in_window,
    )


async def application_detail(
    point_id: int, application_id: int, *, today: date, insurance: InsuranceRegistry | None = None
) -> ApplicationDetail | None:
    """A submitted application of the point with everything its page shows, or None (another point's,
    a draft, or none at all look the same). Five queries: the application with its point, the
    co-residents, the events with their actors, and the registrations and insurance months."""
    application = await (
        PermitApplication.filter(id=application_id, point_id=point_id)
        .exclude(state=ApplicationState.DRAFT)
        .select_related("point")
        .first()
    )
    if application is None:
        return None
    co_residents = await CoResident.filter(application_id=application.id).order_by("id")
    events = await ApplicationEvent.filter(application_id=application.id).order_by("at", "id").select_related("actor")
    eligibility = await eligibility_of(
        application.person_id, application.id_number, today=today, registry=insurance  # type: ignore[attr-defined]
    )
    state = ApplicationState(application.state)
    return ApplicationDetail(
        application=application,
        co_residents=[
            CoResidentLine(row.name, row.relation, mask_id_number(row.id_number)) for row in co_residents
        ],
        events=[
            EventLine(
                at=event.at,
                from_state=ApplicationState(event.from_state) if event.from_state else None,
                to_state=ApplicationState(event.to_state),
                action=event.action,
                actor=event.actor.username if event.actor_id else "",  # type: ignore[attr-defined]
                actor_role=str(event.actor.role) if event.actor_id else "",  # type: ignore[attr-defined]
                reason=event.reason,
            )
            for event in events
        ],
        facts=_facts(application, eligibility),
        actions=allowed_actions(state, application.fee_yuan),
        overdue=application.due_date is not None and application.due_date < today and state in TIMED_STATES,
        corrected=frozenset(str(name) for name in (application.corrected_fields or [])),
    )


async def record_view(application: PermitApplication, *, viewer: Account, ip: str = "") -> None:
    """谁查看了我的信息: the staff member opened the application of this person."""
    await audit.record(
        actor=viewer, action="application.view", target_type="permit_application", target_id=application.id,
        subject_id=application.person_id,  # type: ignore[attr-defined]
        detail={"acceptance_number": application.acceptance_number or ""}, ip=ip,
    )  # fmt: skip


async def photo_of(point_id: int, application_id: int, registry: PhotoRegistry) -> Photo | None:
    """The photo of the point's application (数码相片图像号 looked up in the registry), or None."""
    number = await (
        PermitApplication.filter(id=application_id, point_id=point_id)
        .exclude(state=ApplicationState.DRAFT)
        .first()
        .values_list("photo_number", flat=True)
    )
    if not number:
        return None
    return await registry.lookup(str(number))
