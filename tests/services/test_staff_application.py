"""One application as staff review it: the point's only, the registry facts, the history, the audited view."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.housing import FUTIAN, YUEHAI, make_person, make_registration, point_of
from tests.permits import a_submitted_application, an_event
from tests.support import create_account
from web.adapters.photos import LocalPhotoRegistry
from web.models import ApplicationState, AuditEntry, CoResident, Condition, InsuranceMonth
from web.services import audit
from web.services.staff_application import application_detail, photo_of, record_view

S = ApplicationState
TODAY = date(2026, 3, 20)


async def test_another_points_application_or_a_draft_is_not_found(db: None) -> None:
    futian, yuehai = await point_of(FUTIAN), await point_of(YUEHAI)
    application = await a_submitted_application(point=yuehai)
    draft = await a_submitted_application(point=futian, state=S.DRAFT, acceptance_number=None)
    assert await application_detail(futian.id, application.id, today=TODAY) is None
    assert await application_detail(futian.id, draft.id, today=TODAY) is None
    assert await application_detail(futian.id, 999_999, today=TODAY) is None
    assert await photo_of(futian.id, application.id, LocalPhotoRegistry()) is None


async def test_the_detail_has_the_form_the_family_the_history_and_the_actions(db: None) -> None:
    futian = await point_of(FUTIAN)
    application = await a_submitted_application(point=futian, corrected_fields=["hukou_address", "mobile"])
    await CoResident.create(application=application, name="李小红", relation="spouse", id_number="11010519491231002X")
    staff = await create_account("staff", password_hash="x", point_id=futian.id)
    await an_event(application, S.SUBMITTED, S.ACCEPTED, at=datetime(2026, 3, 17, 2, tzinfo=UTC), actor=staff)
    detail = await application_detail(futian.id, application.id, today=TODAY)
    assert detail is not None
    assert detail.application.point.name == futian.name
    assert detail.corrected == {"hukou_address", "mobile"}
    assert [(row.name, row.masked_id_number) for row in detail.co_residents] == [("李小红", "1101**********002X")]
    assert [(event.to_state, event.actor_role) for event in detail.events] == [(S.SUBMITTED, ""), (S.ACCEPTED, "staff")]
    assert detail.events[1].actor == staff.username
    assert detail.actions == ("accept", "reject")
    assert not detail.overdue


async def test_the_registry_facts_are_of_the_chosen_condition_today(db: None) -> None:
    futian = await point_of(FUTIAN)
    person = await make_person("赵敏")
    await make_registration(person, start=date(2025, 1, 10))
    # 2025-03 ... 2026-02: the 12 months before March 2026, paid in a row.
    for month in [date(2025, number, 1) for number in range(3, 13)] + [date(2026, 1, 1), date(2026, 2, 1)]:
        await InsuranceMonth.create(id_number=person.id_number, month=month, insurer="深圳市社会保险基金管理局")
    application = await a_submitted_application(person, futian, condition=Condition.RESIDENCE_AND_INSURANCE)
    detail = await application_detail(futian.id, application.id, today=TODAY)
    assert detail is not None
    facts = detail.facts
    assert facts.condition == Condition.RESIDENCE_AND_INSURANCE
    assert facts.registered and facts.residence_months == 14
    assert facts.registered_since == date(2025, 1, 10)
    assert facts.insurance_consecutive == 12
    assert facts.check.met


async def test_facts_say_what_is_missing(db: None) -> None:
    futian = await point_of(FUTIAN)
    application = await a_submitted_application(point=futian)  # nobody registered, no insurance
    detail = await application_detail(futian.id, application.id, today=TODAY)
    assert detail is not None
    assert not detail.facts.check.met
    assert "no_registration" in detail.facts.check.missing
    assert detail.facts.registration_address == ""


async def test_a_view_is_audited_with_the_person_as_subject(db: None) -> None:
    futian = await point_of(FUTIAN)
    application = await a_submitted_application(point=futian)
    staff = await create_account("staff", password_hash="x", point_id=futian.id)
    await record_view(application, viewer=staff, ip="203.0.113.7")
    entry = await AuditEntry.get(action="application.view")
    assert (entry.actor_id, entry.subject_id, entry.target_id) == (staff.id, application.person_id, str(application.id))  # type: ignore[attr-defined]
    assert [view.id for view in await audit.views_of(application.person_id)] == [entry.id]  # type: ignore[attr-defined]


async def test_the_photo_comes_from_the_registry_by_the_number_on_the_form(db: None) -> None:
    futian = await point_of(FUTIAN)
    application = await a_submitted_application(point=futian, photo_number="PH20260301A1")
    photo = await photo_of(futian.id, application.id, LocalPhotoRegistry())
    assert photo is not None and b"PH20260301A1" in photo.data
