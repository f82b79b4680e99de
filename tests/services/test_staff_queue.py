"""The point's queue of permit applications: tabs, overdue first, keyset pages, counts, search."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tests.conftest import DATABASE_URL, is_postgres
from tests.housing import FUTIAN, YUEHAI, make_person, point_of
from tests.permits import a_submitted_application
from tests.support import count_queries
from web.models import AcceptancePoint, ApplicationState, PermitApplication
from web.services import staff_queue
from web.services.staff_queue import Cursor, QueuePage, queue_page

S = ApplicationState
TODAY = date(2026, 4, 20)
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


async def make(
    state: ApplicationState = S.SUBMITTED, *, minute: int = 0, due: date | None = None,
    point: AcceptancePoint | None = None, name: str = "张伟", **values: Any,
) -> PermitApplication:
    """An application of `point` (福田) in `state`, submitted `minute` minutes after START."""
    if due is not None:
        values.setdefault("accepted_at", at(minute) + timedelta(days=1))
    return await a_submitted_application(
        await make_person(name), point or await point_of(FUTIAN), state=state, submitted_at=at(minute),
        due_date=due, **values,
    )


async def every_page(point_id: int, view: str, *, limit: int = 3) -> list[QueuePage]:
    pages = [await queue_page(point_id, view, today=TODAY, limit=limit)]
    while pages[-1].next_after:
        after = Cursor.decode(pages[-1].next_after)
        assert after is not None
        pages.append(await queue_page(point_id, view, today=TODAY, after=after, limit=limit))
        assert len(pages) < 50, "the pages never end"
    return pages


def ids(pages: list[QueuePage]) -> list[int]:
    return [item.id for page in pages for item in page.items]


# --- a state's tab --------------------------------------------------------------------------------


async def test_a_state_tab_lists_the_points_own_applications_oldest_first(db: None) -> None:
    futian = await point_of(FUTIAN)
    newer = await make(minute=5)
    older = await make(minute=1)
    await make(minute=0, point=await point_of(YUEHAI))
    await make(S.ACCEPTED, minute=2, due=date(2026, 5, 1))
    page = await queue_page(futian.id, "submitted", today=TODAY)
    assert [item.id for item in page.items] == [older.id, newer.id]
    assert page.next_after is None
    assert page.items[0].masked_id_number.count("*") == 10  # never the full number in a list


async def test_keyset_pages_cover_every_application_once_in_a_stable_order_even_on_ties(db: None) -> None:
    futian = await point_of(FUTIAN)
    # Three share a submission time: the id decides between them, across a page boundary too.
    made = [await make(minute=minute) for minute in (0, 1, 1, 1, 2, 3, 4)]
    expected = [application.id for application in sorted(made, key=lambda a: (a.submitted_at, a.id))]
    pages = await every_page(futian.id, "submitted", limit=2)
    assert ids(pages) == expected
    assert [len(page.items) for page in pages] == [2, 2, 2, 1]
    again = await every_page(futian.id, "submitted", limit=2)
    assert ids(again) == expected


async def test_the_approved_tab_merges_its_three_states_in_submission_order(db: None) -> None:
    futian = await point_of(FUTIAN)
    made = [
        await make(S.IN_PRODUCTION, minute=0, due=date(2026, 5, 1)),
        await make(S.APPROVED, minute=1, due=date(2026, 5, 1)),
        await make(S.PENDING_PAYMENT, minute=2, due=date(2026, 5, 1), fee_yuan=20),
        await make(S.APPROVED, minute=3, due=date(2026, 5, 1)),
        await make(S.IN_PRODUCTION, minute=4, due=date(2026, 5, 1)),
    ]
    await make(S.READY_FOR_COLLECTION, minute=5, due=date(2026, 5, 1))
    pages = await every_page(futian.id, "approved", limit=2)
    assert ids(pages) == [application.id for application in made]


# --- past their time limit --------------------------------------------------------------------------


async def test_overdue_means_accepted_not_ready_and_due_before_today(db: None) -> None:
    futian = await point_of(FUTIAN)
    late = [
        await make(S.ACCEPTED, minute=0, due=date(2026, 4, 10)),
        await make(S.IN_PRODUCTION, minute=1, due=date(2026, 4, 1)),
        await make(S.PENDING_PAYMENT, minute=2, due=date(2026, 4, 19), fee_yuan=20),
    ]
    await make(S.UNDER_REVIEW, minute=3, due=TODAY)  # due today: not late yet
    await make(S.READY_FOR_COLLECTION, minute=4, due=date(2026, 4, 1))  # the card is ready
    await make(S.COLLECTED, minute=5, due=date(2026, 4, 1))
    await make(S.REJECTED, minute=6, due=date(2026, 4, 1))
    await make(S.ACCEPTED, minute=7, due=date(2026, 4, 1), point=await point_of(YUEHAI))
    page = await queue_page(futian.id, "overdue", today=TODAY)
    assert [item.id for item in page.items] == [application.id for application in late]  # oldest first
    assert all(item.overdue for item in page.items)
    counts = await staff_queue.counts(futian.id, today=TODAY)
    assert counts.overdue == 3


async def test_the_default_view_lists_the_overdue_first_then_every_open_one_once(db: None) -> None:
    futian = await point_of(FUTIAN)
    on_time = [
        await make(S.SUBMITTED, minute=0),
        await make(S.ACCEPTED, minute=1, due=date(2026, 5, 1)),
        await make(S.READY_FOR_COLLECTION, minute=2, due=date(2026, 4, 1)),
        await make(S.UNDER_REVIEW, minute=3, due=TODAY),
        await make(S.SUBMITTED, minute=6),
    ]
    overdue = [
        await make(S.ACCEPTED, minute=4, due=date(2026, 4, 8)),
        await make(S.UNDER_REVIEW, minute=5, due=date(2026, 4, 2)),
        await make(S.APPROVED, minute=7, due=date(2026, 4, 8)),
    ]
    await make(S.COLLECTED, minute=8, due=date(2026, 4, 1))
    await make(S.DRAFT, minute=9, acceptance_number=None)
    expected = [application.id for application in overdue + on_time]
    for limit in (1, 2, 3, 4, 20):  # every position of the boundary between the two parts
        pages = await every_page(futian.id, staff_queue.OPEN, limit=limit)
        assert ids(pages) == expected, f"limit {limit}"
    first = await queue_page(futian.id, today=TODAY)
    assert [item.overdue for item in first.items] == [True] * 3 + [False] * 5


async def test_a_page_costs_at_most_one_query_per_state_and_per_timed_state_for_the_overdue(db: None) -> None:
    futian = await point_of(FUTIAN)
    for minute in range(5):
        await make(S.ACCEPTED, minute=minute, due=date(2026, 4, 1) if minute % 2 else date(2026, 5, 1))
    for view, states in staff_queue.VIEWS.items():
        with count_queries() as queries:
            await queue_page(futian.id, view, today=TODAY, limit=2)
        budget = len(states) + (len(staff_queue.TIMED_STATES) if view == staff_queue.OPEN else 0)
        assert queries.count <= budget, (view, str(queries))
        assert all("OFFSET" not in sql.upper() for sql in queries.statements)


# --- cursors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, "", "x", "s.1.2.3", "s.abc.1", "o.1.x", "q.1.1", "s.1." + "9" * 30, "s.9" + "9" * 19 + ".1"])
def test_a_garbled_cursor_means_the_first_page(raw: str | None) -> None:
    assert Cursor.decode(raw) is None


def test_cursors_survive_the_round_trip_to_the_microsecond() -> None:
    moments = [START, datetime(2026, 3, 2, 1, 0, 0, 123456, tzinfo=UTC)]
    moments += [START + timedelta(microseconds=micros) for micros in range(1, 1_000_000, 7919)]
    for number, moment in enumerate(moments):
        cursor = Cursor(number % 2 == 0, moment, number)
        assert Cursor.decode(cursor.encode()) == cursor


# --- counts -----------------------------------------------------------------------------------------


async def test_counts_are_of_open_applications_of_the_point_by_state(db: None) -> None:
    futian = await point_of(FUTIAN)
    await make(S.SUBMITTED, minute=0)
    await make(S.SUBMITTED, minute=1)
    await make(S.APPROVED, minute=2, due=date(2026, 5, 1))
    await make(S.PENDING_PAYMENT, minute=3, due=date(2026, 4, 1), fee_yuan=20)
    await make(S.COLLECTED, minute=4, due=date(2026, 4, 1))
    await make(S.SUBMITTED, minute=5, point=await point_of(YUEHAI))
    counts = await staff_queue.counts(futian.id, today=TODAY)
    assert counts.by_state[S.SUBMITTED] == 2
    assert counts.by_state[S.ACCEPTED] == 0
    assert S.COLLECTED not in counts.by_state
    assert counts.of_view("approved") == 2
    assert counts.of_view(staff_queue.OPEN) == 4
    assert counts.of_view(staff_queue.OVERDUE) == 1


# --- search -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "kind", "value"),
    [
        ("SZ20260302000001", "acceptance_number", "SZ20260302000001"),
        (" sz 20260302000001 ", "acceptance_number", "SZ20260302000001"),
        ("11010519491231002x", "id_number", "11010519491231002X"),
        ("110105 1949 1231 002X", "id_number", "11010519491231002X"),
        ("张伟", "name", "张伟"),
        ("  John   Smith ", "name", "John Smith"),
        ("12345", "name", "12345"),
        ("   ", "", ""),
    ],
)
def test_what_a_search_term_is(term: str, kind: str, value: str) -> None:
    assert staff_queue.term_kind(term) == (kind, value)


async def test_search_finds_the_points_applications_by_number_id_number_or_name(db: None) -> None:
    futian = await point_of(FUTIAN)
    yuehai = await point_of(YUEHAI)
    wang = await make(S.ACCEPTED, name="王小明", minute=0, due=date(2026, 5, 1))
    closed = await make(S.COLLECTED, name="王小明", minute=1, due=date(2026, 4, 1))
    elsewhere = await make(name="王小明", minute=2, point=yuehai)
    draft = await make(S.DRAFT, name="王小明", minute=3, acceptance_number=None)

    by_name = await staff_queue.search(futian.id, " 王小明 ", today=TODAY)
    assert by_name.term_kind == "name"
    assert [item.id for item in by_name.items] == [closed.id, wang.id]  # newest first, closed ones too
    assert draft.id not in [item.id for item in by_name.items]

    by_number = await staff_queue.search(futian.id, wang.acceptance_number.lower(), today=TODAY)  # type: ignore[union-attr]
    assert [item.id for item in by_number.items] == [wang.id]
    assert (await staff_queue.search(futian.id, elsewhere.acceptance_number or "", today=TODAY)).items == []

    by_id = await staff_queue.search(futian.id, wang.id_number.lower(), today=TODAY)
    assert [item.id for item in by_id.items] == [wang.id]
    assert (await staff_queue.search(futian.id, elsewhere.id_number, today=TODAY)).items == []


async def test_a_common_name_shows_the_newest_and_says_there_are_more(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staff_queue, "SEARCH_LIMIT", 2)
    futian = await point_of(FUTIAN)
    made = [await make(name="李娜", minute=minute) for minute in range(3)]
    result = await staff_queue.search(futian.id, "李娜", today=TODAY)
    assert [item.id for item in result.items] == [made[2].id, made[1].id]
    assert result.truncated


# --- at volume, on PostgreSQL (bench/queue_plan.py does the same with 100,000 rows) ----------------


@pytest.mark.skipif(not is_postgres(DATABASE_URL), reason="PostgreSQL: its planner decides the plans")
async def test_every_queue_statement_reads_the_table_through_an_index_at_volume(db: None, database_url: str) -> None:
    from bench.queue_plan import load, measure

    connection = await asyncpg.connect(database_url)
    try:
        dataset = await load(connection, 20_000, today=TODAY)
        plans = await measure(connection, dataset, depth=10_000, verbose=False)
    finally:
        await connection.close()
    assert len(plans) >= 30, [plan.label for plan in plans]
    refused = {plan.label: plan.text for plan in plans if plan.seq_scan or not plan.index_scan}
    assert not refused, refused
    deep = next(plan for plan in plans if plan.label.startswith("submitted, deep page"))
    assert deep.indexes == ["idx_applications_queue"], deep.text
    assert "OFFSET" not in deep.sql.upper()
    by_name = next(plan for plan in plans if plan.label.startswith("name search"))
    assert by_name.indexes == ["idx_applications_point_name"], by_name.text
