"""Rows of the permit model for tests: submitted applications and their events.

Made directly through the models, as the apply wizard would leave them after submitting (the
wizard is tested on its own); every value that matters to a test is a keyword.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from tests.housing import FUTIAN, make_person, point_of
from web.models import (
    AcceptancePoint,
    Account,
    ApplicationEvent,
    ApplicationKind,
    ApplicationState,
    Condition,
    PermitApplication,
    Person,
)
from web.services import rules

_numbers = itertools.count(1)
SUBMITTED_AT = datetime(2026, 3, 16, 2, 30, tzinfo=UTC)  # 10:30 in Shenzhen, Monday 16 March 2026


def acceptance_number(submitted_at: datetime = SUBMITTED_AT) -> str:
    """"SZ" + the submission date + 6 digits, unique within the test run."""
    return f"SZ{submitted_at:%Y%m%d}{next(_numbers):06d}"


async def _submitter(person: Person) -> Account:
    """The person's own account, or a new one for them."""
    account = await Account.filter(person_id=person.id).first()
    if account is not None:
        return account
    number = next(_numbers)
    return await Account.create(username=f"applicant{number}", password_hash="x", role="resident",
                                mobile=f"136{number:08d}", person=person)


async def a_submitted_application(
    person: Person | None = None, point: AcceptancePoint | None = None, **values: Any
) -> PermitApplication:
    """A first application of `person` at `point` (福田街道 by default), submitted on Monday
    16 March 2026 with its "submit" event. `values` override any field of PermitApplication
    (state, kind, fee_yuan, accepted_at, due_date, submitted_at, acceptance_number, ...).
    Only the fields are set: add the events of later states with `an_event`."""
    person = person or await make_person()
    point = point or await point_of(FUTIAN)
    submitted_at = values.get("submitted_at", SUBMITTED_AT)
    kind = ApplicationKind(values.get("kind", ApplicationKind.FIRST))
    fields: dict[str, Any] = {
        "person": person,
        "submitted_by": await _submitter(person),
        "kind": kind,
        "condition": Condition.RESIDENCE_AND_INSURANCE,
        "state": ApplicationState.SUBMITTED,
        "point": point,
        "photo_number": "PH20260301A1",
        "name": person.name,
        "sex": person.sex or "M",
        "ethnicity": person.ethnicity or "01",
        "birth_date": person.birth_date or date(1990, 3, 7),
        "id_number": person.id_number,
        "hukou_address": "湖南省长沙市芙蓉区五一大道100号",
        "residence_address": "深圳市福田区福田街道测试花园1栋101室",
        "mobile": person.mobile or "13800138000",
        "fee_yuan": rules.FEES_YUAN[kind],
        "acceptance_number": acceptance_number(submitted_at),
        "submitted_at": submitted_at,
    }
    fields.update(values)
    application = PermitApplication(**fields)
    await application.save()
    await an_event(application, None, ApplicationState.SUBMITTED, at=submitted_at, action="submit")
    return application


async def an_event(
    application: PermitApplication, from_state: ApplicationState | None, to_state: ApplicationState, *,
    at: datetime, action: str = "", reason: str = "", actor: Account | None = None,
) -> ApplicationEvent:
    """One transition of the timeline, dated `at` (set after creation: `at` is auto_now_add)."""
    event = await ApplicationEvent.create(application=application, from_state=from_state, to_state=to_state,
                                          action=action or to_state.value, reason=reason, actor=actor)
    await ApplicationEvent.filter(id=event.id).update(at=at)
    event.at = at
    return event
