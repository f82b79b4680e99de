"""办证流程查询: the timeline, the expected completion date and the public status query."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.housing import YUEHAI, make_person, point_of
from tests.permits import SUBMITTED_AT, a_submitted_application, an_event
from tests.support import count_queries
from web.models import ApplicationEvent, ApplicationKind, ApplicationState, PermitApplication
from web.services import progress
from web.services.progress import CURRENT, DONE, UPCOMING, ExpectedCompletion, build_timeline

S = ApplicationState
TODAY = date(2026, 3, 18)  # a Wednesday
ACCEPTED_AT = datetime(2026, 3, 17, 1, 0, tzinfo=UTC)  # 09:00 on Tuesday 17 March in Shenzhen


def event(to_state: ApplicationState, at: datetime, reason: str = "", id: int = 0) -> ApplicationEvent:
    return ApplicationEvent(id=id, to_state=to_state, at=at, reason=reason, action="x")


def statuses(steps: list[progress.Step]) -> list[tuple[str, str]]:
    return [(step.state.value, step.status) for step in steps]


def test_a_submitted_free_application_lists_every_state_but_payment() -> None:
    steps = build_timeline(S.SUBMITTED, 0, [event(S.SUBMITTED, SUBMITTED_AT)])
    assert statuses(steps) == [
        ("submitted", CURRENT), ("accepted", UPCOMING), ("under_review", UPCOMING), ("approved", UPCOMING),
        ("in_production", UPCOMING), ("ready_for_collection", UPCOMING), ("collected", UPCOMING),
    ]
    assert steps[0].at == SUBMITTED_AT
    assert all(step.at is None for step in steps[1:])


def test_a_paid_application_waits_for_payment_after_approval() -> None:
    steps = build_timeline(S.PENDING_PAYMENT, 20, [])
    assert [state for state, _ in statuses(steps)] == [
        "submitted", "accepted", "under_review", "approved", "pending_payment", "in_production",
        "ready_for_collection", "collected",
    ]
    assert [status for _, status in statuses(steps)] == [DONE] * 4 + [CURRENT] + [UPCOMING] * 3


def test_each_reached_state_has_the_time_of_its_event_whatever_their_order() -> None:
    times = {state: datetime(2026, 3, day, 3, tzinfo=UTC) for day, state in
             [(16, S.SUBMITTED), (17, S.ACCEPTED), (18, S.UNDER_REVIEW)]}
    events = [event(state, at, id=index) for index, (state, at) in enumerate(reversed(times.items()))]
    steps = build_timeline(S.UNDER_REVIEW, 0, events)
    assert [(step.state, step.at) for step in steps[:3]] == list(times.items())
    assert statuses(steps)[:4] == [("submitted", DONE), ("accepted", DONE), ("under_review", CURRENT),
                                   ("approved", UPCOMING)]


def test_a_rejection_ends_the_timeline_with_its_reason() -> None:
    events = [event(S.SUBMITTED, SUBMITTED_AT), event(S.ACCEPTED, ACCEPTED_AT),
              event(S.REJECTED, datetime(2026, 3, 19, tzinfo=UTC), reason="社保缴纳月数不足")]
    steps = build_timeline(S.REJECTED, 0, events)
    # never under review: the rejection came at acceptance
    assert statuses(steps) == [("submitted", DONE), ("accepted", DONE), ("rejected", CURRENT)]
    assert steps[-1].reason == "社保缴纳月数不足"


def test_a_rejection_before_acceptance_does_not_pretend_it_was_accepted() -> None:
    steps = build_timeline(S.REJECTED, 0, [event(S.SUBMITTED, SUBMITTED_AT), event(S.REJECTED, ACCEPTED_AT)])
    assert statuses(steps) == [("submitted", DONE), ("rejected", CURRENT)]


def test_a_collected_application_has_every_step_done_and_the_last_current() -> None:
    steps = build_timeline(S.COLLECTED, 0, [])
    assert [status for _, status in statuses(steps)] == [DONE] * 6 + [CURRENT]


async def test_timeline_by_id_reads_the_events_in_one_query(db: None) -> None:
    application = await a_submitted_application()
    for state, day in [(S.ACCEPTED, 17), (S.UNDER_REVIEW, 18)]:
        await an_event(application, None, state, at=datetime(2026, 3, day, 3, tzinfo=UTC))
    application.state = S.UNDER_REVIEW
    await application.save()
    with count_queries() as queries:
        steps = await progress.timeline(application.id)
    assert queries.count == 2, queries  # the application's state, then all its events
    assert statuses(steps)[2] == ("under_review", CURRENT)
    assert steps[1].at == datetime(2026, 3, 17, 3, tzinfo=UTC)
    assert await progress.timeline(999999) == []


# --- expected completion ---------------------------------------------------------------------------


def application(**values: object) -> PermitApplication:
    fields: dict[str, object] = {"kind": ApplicationKind.FIRST, "state": S.SUBMITTED, "accepted_at": None,
                                 "due_date": None}
    fields.update(values)
    return PermitApplication(**fields)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # only submitted: an estimate, 15 working days from today (Wednesday 18 March)
        ({}, ExpectedCompletion(date(2026, 4, 9), estimated=True)),  # over Qingming (4-6 April)
        ({"kind": ApplicationKind.REPLACEMENT}, ExpectedCompletion(date(2026, 4, 1), estimated=True)),
        # accepted on Tuesday 17 March: 15 working days from then, no estimate
        ({"state": S.UNDER_REVIEW, "accepted_at": ACCEPTED_AT}, ExpectedCompletion(date(2026, 4, 8), False)),
        # the due date staff recorded wins
        ({"state": S.ACCEPTED, "accepted_at": ACCEPTED_AT, "due_date": date(2026, 4, 10)},
         ExpectedCompletion(date(2026, 4, 10), False)),
        # accepted late in the evening UTC is the next morning in Shenzhen
        ({"state": S.ACCEPTED, "accepted_at": datetime(2026, 9, 29, 17, tzinfo=UTC)},  # 30 Sep 01:00
         ExpectedCompletion(date(2026, 10, 27), False)),  # (from the 29th: 26 October)
        ({"state": S.REJECTED}, None),
        ({"state": S.COLLECTED, "accepted_at": ACCEPTED_AT}, None),
    ],
    ids=["estimate", "estimate-10-days", "accepted", "due-date", "shenzhen-day", "rejected", "collected"],
)
def test_expected_completion(values: dict[str, object], expected: ExpectedCompletion | None) -> None:
    assert progress.expected_completion(application(**values), TODAY) == expected


# --- the resident's own applications ------------------------------------------------------------------


async def test_my_applications_are_mine_newest_first_without_drafts(db: None) -> None:
    person = await make_person("李明")
    older = await a_submitted_application(person, state=S.REJECTED)
    newer = await a_submitted_application(person, submitted_at=datetime(2026, 3, 20, tzinfo=UTC))
    await a_submitted_application(await make_person("王芳"))
    await PermitApplication.filter(id=older.id).update(open_person_id=None)
    mine = await progress.applications_of(person.id)
    assert [item.id for item in mine] == [newer.id, older.id]


async def test_progress_of_someone_elses_application_is_none(db: None) -> None:
    mine = await a_submitted_application(await make_person("李明"))
    other = await make_person("王芳")
    assert await progress.application_progress(other.id, mine.id, today=TODAY) is None
    for day in (17, 18):
        await an_event(mine, None, S.ACCEPTED, at=datetime(2026, 3, day, tzinfo=UTC))
    with count_queries() as queries:
        found = await progress.application_progress(mine.person_id, mine.id, today=TODAY)  # type: ignore[attr-defined]
    assert queries.count == 2, queries  # the application with its point, then all its events
    assert found is not None
    assert found.application.point.name  # loaded with its point
    assert found.expected == ExpectedCompletion(date(2026, 4, 9), estimated=True)


# --- the public query ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("SZ20260316000001", ("SZ20260316000001", None)), (" sz 20260316000001 ", ("SZ20260316000001", None)),
     ("", ("", "missing")), ("SZ2026", ("SZ2026", "invalid")), ("XX20260316000001", ("XX20260316000001", "invalid"))],
)
def test_check_acceptance_number(raw: str, expected: tuple[str, str | None]) -> None:
    assert progress.check_acceptance_number(raw) == expected


def test_check_person_query() -> None:
    assert progress.check_person_query("", "", today=TODAY)[2] == {"name": "missing", "id_number": "missing"}
    assert progress.check_person_query("李明", "430102199003070011", today=TODAY)[2] == {"id_number": "checksum"}


async def test_public_status_by_number_tells_state_point_and_date_only(db: None) -> None:
    point = await point_of(YUEHAI)
    found = await a_submitted_application(await make_person("李明"), point)
    status = await progress.public_status(acceptance_number=found.acceptance_number or "", today=TODAY)
    assert status == progress.PublicStatus(
        state=S.SUBMITTED, point_name=point.name, expected=ExpectedCompletion(date(2026, 4, 9), estimated=True))
    assert set(vars(status)) == {"state", "point_name", "expected"}  # nothing personal to leak
    assert await progress.public_status(acceptance_number="SZ20990101000001", today=TODAY) is None


async def test_public_status_by_name_and_id_number_is_the_latest_application(db: None) -> None:
    person = await make_person("李明")
    old = await a_submitted_application(person, state=S.REJECTED)
    await PermitApplication.filter(id=old.id).update(open_person_id=None)
    await a_submitted_application(person, state=S.UNDER_REVIEW, accepted_at=ACCEPTED_AT,
                                  submitted_at=datetime(2026, 3, 17, tzinfo=UTC))
    status = await progress.public_status(name="李 明", id_number=person.id_number, today=TODAY)
    assert status is not None and status.state == S.UNDER_REVIEW
    assert status.expected == ExpectedCompletion(date(2026, 4, 8), estimated=False)
    assert await progress.public_status(name="李四", id_number=person.id_number, today=TODAY) is None
    assert await progress.public_status(name="李明", id_number="110101199003070019", today=TODAY) is None
