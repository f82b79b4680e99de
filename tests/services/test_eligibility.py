"""办证资格查询 (条例 Art. 19): insurance months at the window's edges, registration months, the
direct routes, and the day a person will qualify."""

from __future__ import annotations

from datetime import date

import pytest

from tests.housing import FUTIAN, make_house, make_person, make_registration
from tests.support import count_queries
from web.models import Condition, InsuranceMonth, Person
from web.services.dates import add_months
from web.services.eligibility import (
    INSURANCE_MONTHS,
    NO_REGISTRATION,
    REGISTRATION_MONTHS,
    eligibility_of,
    insurance_standing,
)

D = date
TODAY = D(2026, 3, 15)  # this month: 2026-03; the window: 2024-03 … 2026-02


def run(first: date, count: int) -> list[date]:
    """`count` calendar months from the month of `first` on."""
    return [add_months(first, n) for n in range(count)]


# --- insurance months: pure counting ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("months", "consecutive", "in_window", "met", "qualifies_on"),
    [
        pytest.param(run(D(2025, 3, 1), 12), 12, 12, True, None, id="12-consecutive-up-to-last-month"),
        pytest.param(run(D(2025, 4, 1), 11), 11, 11, False, D(2026, 4, 1), id="11-consecutive-one-more-month"),
        pytest.param(run(D(2025, 4, 1), 12), 11, 11, False, D(2026, 4, 1), id="this-month-paid-does-not-count-yet"),
        pytest.param(run(D(2025, 3, 1), 12) + [D(2026, 4, 1)], 12, 12, True, None, id="paid-in-advance-is-ignored"),
        pytest.param(run(D(2025, 2, 1), 12), 0, 12, False, None, id="last-month-unpaid-breaks-the-run-no-date"),
        pytest.param(run(D(2025, 2, 1), 12) + [D(2026, 3, 1)], 0, 12, False, D(2026, 9, 1),
                     id="a-new-run-this-month-reaches-18-in-24"),
        pytest.param(run(D(2024, 3, 1), 9) + run(D(2025, 3, 1), 9), 0, 18, True, None,
                     id="18-within-24-not-consecutive"),
        pytest.param(run(D(2024, 3, 1), 9) + run(D(2025, 3, 1), 8), 0, 17, False, None, id="17-within-24"),
        pytest.param(run(D(2024, 2, 1), 10) + run(D(2025, 3, 1), 8), 0, 17, False, None,
                     id="the-25th-month-back-is-outside-the-window"),
        pytest.param([D(2024, 3, 1)] + run(D(2024, 6, 1), 17), 0, 18, True, None,
                     id="the-24th-month-back-is-inside-the-window"),
        pytest.param(run(D(2024, 10, 1), 7) + run(D(2025, 8, 1), 7), 7, 14, False, D(2026, 7, 1),
                     id="the-window-route-comes-before-the-consecutive-one"),
        pytest.param(run(D(2024, 3, 1), 11) + run(D(2025, 9, 1), 6), 6, 17, False, D(2026, 9, 1),
                     id="old-months-leave-the-window-as-new-ones-come"),
        pytest.param([D(2026, 3, 1)], 0, 0, False, D(2027, 3, 1), id="only-this-month-paid"),
        pytest.param([D(2026, 2, 17), D(2026, 1, 1)], 2, 2, False, D(2027, 1, 1), id="any-day-stands-for-its-month"),
        pytest.param([], 0, 0, False, None, id="never-insured"),
        pytest.param(run(D(2021, 1, 1), 62), 62, 24, True, None, id="a-long-run-counts-whole"),
    ],
)
def test_insurance_standing(
    months: list[date], consecutive: int, in_window: int, met: bool, qualifies_on: date | None
) -> None:
    standing = insurance_standing(months, TODAY)
    assert (standing.consecutive, standing.in_window, standing.met, standing.qualifies_on) == (
        consecutive, in_window, met, qualifies_on,
    )


@pytest.mark.parametrize(
    ("today", "months", "consecutive", "qualifies_on"),
    [
        pytest.param(D(2024, 2, 29), run(D(2023, 2, 1), 12), 12, None, id="leap-day-12-months"),
        pytest.param(D(2024, 2, 29), run(D(2023, 3, 1), 11), 11, D(2024, 3, 1), id="leap-day-11-months"),
        pytest.param(D(2026, 3, 1), run(D(2025, 3, 1), 12), 12, None, id="first-day-of-the-month"),
        pytest.param(D(2026, 2, 28), run(D(2025, 3, 1), 12), 11, D(2026, 3, 1), id="last-day-of-the-month"),
        pytest.param(D(2026, 1, 10), run(D(2025, 2, 1), 11), 11, D(2026, 2, 1), id="across-new-year"),
    ],
)
def test_insurance_months_count_once_the_month_is_over(
    today: date, months: list[date], consecutive: int, qualifies_on: date | None
) -> None:
    standing = insurance_standing(months, today)
    assert (standing.consecutive, standing.qualifies_on) == (consecutive, qualifies_on)


# --- eligibility of a person: registrations and insurance from the database ------------------------------

async def insured(person: Person, months: list[date]) -> None:
    await InsuranceMonth.bulk_create([InsuranceMonth(id_number=person.id_number, month=m) for m in months])


TWELVE = run(D(2025, 3, 1), 12)  # 12 consecutive months up to last month


@pytest.mark.parametrize(
    ("start", "insurance", "met", "missing", "qualifies_on"),
    [
        pytest.param(D(2025, 3, 15), TWELVE, True, (), None, id="exactly-12-months-qualifies"),
        pytest.param(D(2025, 3, 16), TWELVE, False, (REGISTRATION_MONTHS,), D(2026, 3, 16), id="one-day-short"),
        pytest.param(D(2025, 4, 10), run(D(2025, 4, 1), 11), False, (REGISTRATION_MONTHS, INSURANCE_MONTHS),
                     D(2026, 4, 10), id="both-short-registration-later"),
        pytest.param(D(2025, 4, 10), run(D(2025, 5, 1), 10), False, (REGISTRATION_MONTHS, INSURANCE_MONTHS),
                     D(2026, 5, 1), id="both-short-insurance-later"),
        pytest.param(D(2024, 1, 1), run(D(2025, 5, 1), 10), False, (INSURANCE_MONTHS,), D(2026, 5, 1),
                     id="registered-long-insurance-short"),
        pytest.param(D(2024, 1, 1), run(D(2025, 1, 1), 12), False, (INSURANCE_MONTHS,), None,
                     id="insurance-stopped-no-date"),
        pytest.param(D(2025, 9, 1), [], False, (REGISTRATION_MONTHS, INSURANCE_MONTHS), None,
                     id="never-insured-no-date"),
    ],
)
async def test_residence_and_insurance(
    db: None, start: date, insurance: list[date], met: bool, missing: tuple[str, ...], qualifies_on: date | None
) -> None:
    person = await make_person()
    await make_registration(person, start=start)
    await insured(person, insurance)

    check = (await eligibility_of(person.id, person.id_number, today=TODAY)).check(Condition.RESIDENCE_AND_INSURANCE)

    assert (check.met, check.missing, check.qualifies_on) == (met, missing, qualifies_on)


@pytest.mark.parametrize(
    ("today", "met", "qualifies_on"),
    [
        pytest.param(D(2025, 2, 28), True, None, id="29-february-reaches-12-months-on-28-february"),
        pytest.param(D(2025, 2, 27), False, D(2025, 2, 28), id="the-day-before"),
    ],
)
async def test_registration_from_a_leap_day(db: None, today: date, met: bool, qualifies_on: date | None) -> None:
    person = await make_person()
    await make_registration(person, start=D(2024, 2, 29))
    await insured(person, run(D(2023, 1, 1), 25))

    eligibility = await eligibility_of(person.id, person.id_number, today=today)

    check = eligibility.check(Condition.RESIDENCE_AND_INSURANCE)
    assert (check.met, check.qualifies_on) == (met, qualifies_on)
    assert eligibility.residence_months == (12 if met else 11)


async def test_the_facts_behind_the_checks(db: None) -> None:
    person = await make_person()
    house = await make_house(FUTIAN)
    await make_registration(person, start=D(2024, 1, 1), end=D(2025, 1, 31))
    registration = await make_registration(person, house=house, start=D(2025, 2, 1))
    await insured(person, run(D(2024, 3, 1), 9) + run(D(2025, 10, 1), 5))

    eligibility = await eligibility_of(person.id, person.id_number, today=TODAY)

    assert eligibility.today == TODAY
    assert eligibility.registered and eligibility.registration is not None
    assert eligibility.registration.id == registration.id
    assert eligibility.district_adcode == "440304"
    assert eligibility.registered_since == D(2024, 1, 1)  # the move kept the run unbroken
    assert eligibility.residence_months == 26
    assert (eligibility.insurance_consecutive, eligibility.insurance_in_window) == (5, 14)
    assert [check.condition for check in eligibility.checks] == list(Condition)
    assert eligibility.any_met


@pytest.mark.parametrize("condition", [Condition.TALENT, Condition.STUDENT])
async def test_talent_and_students_need_only_a_current_registration(db: None, condition: Condition) -> None:
    person = await make_person()
    await make_registration(person, start=D(2026, 3, 1))  # two weeks, no insurance

    check = (await eligibility_of(person.id, person.id_number, today=TODAY)).check(condition)

    assert (check.met, check.missing, check.qualifies_on) == (True, (), None)


@pytest.mark.parametrize("condition", [Condition.TALENT, Condition.STUDENT])
async def test_talent_and_students_without_a_current_registration(db: None, condition: Condition) -> None:
    person = await make_person()
    await make_registration(person, start=D(2024, 1, 1), end=D(2026, 3, 14))  # moved out yesterday
    await insured(person, TWELVE)

    eligibility = await eligibility_of(person.id, person.id_number, today=TODAY)

    check = eligibility.check(condition)
    assert (check.met, check.missing, check.qualifies_on) == (False, (NO_REGISTRATION,), None)
    assert not eligibility.registered and eligibility.registration is None and eligibility.district_adcode is None
    assert eligibility.check(Condition.RESIDENCE_AND_INSURANCE).missing == (NO_REGISTRATION,)
    assert not eligibility.any_met


async def test_a_registration_ending_today_still_counts(db: None) -> None:
    person = await make_person()
    await make_registration(person, start=D(2025, 3, 1), end=TODAY)
    await insured(person, TWELVE)

    eligibility = await eligibility_of(person.id, person.id_number, today=TODAY)

    assert eligibility.registered and eligibility.check(Condition.RESIDENCE_AND_INSURANCE).met


async def test_nobody_known_has_nothing(db: None) -> None:
    person = await make_person()

    eligibility = await eligibility_of(person.id, person.id_number, today=TODAY)

    check = eligibility.check(Condition.RESIDENCE_AND_INSURANCE)
    assert (check.met, check.missing, check.qualifies_on) == (False, (NO_REGISTRATION, INSURANCE_MONTHS), None)
    assert (eligibility.residence_months, eligibility.insurance_consecutive, eligibility.insurance_in_window) == (0, 0, 0)


async def test_only_the_persons_own_insurance_counts(db: None) -> None:
    person, other = await make_person(), await make_person("王芳")
    await make_registration(person, start=D(2024, 1, 1))
    await insured(other, TWELVE)

    eligibility = await eligibility_of(person.id, person.id_number, today=TODAY)

    assert eligibility.insurance_consecutive == 0
    assert not eligibility.check(Condition.RESIDENCE_AND_INSURANCE).met


async def test_months_come_from_the_registry_given(db: None) -> None:
    class Registry:
        async def months(self, id_number: str) -> set[date]:
            return set(TWELVE)

    person = await make_person()
    await make_registration(person, start=D(2024, 1, 1))

    eligibility = await eligibility_of(person.id, person.id_number, today=TODAY, registry=Registry())

    assert eligibility.check(Condition.RESIDENCE_AND_INSURANCE).met


async def test_eligibility_costs_two_queries(db: None) -> None:
    person = await make_person()
    for year in (2022, 2023):
        await make_registration(person, start=D(year, 1, 1), end=D(year, 12, 31))
    await make_registration(person, start=D(2024, 1, 1))
    await insured(person, TWELVE)

    with count_queries() as queries:
        await eligibility_of(person.id, person.id_number, today=TODAY)

    assert queries.count == 2, queries
