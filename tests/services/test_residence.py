"""Continuous months of residence registration: moves, gaps, partial months, leap years."""

from __future__ import annotations

from datetime import date

import pytest

from web.services.dates import add_months, whole_months_between
from web.services.residence import Period, continuous_registration

D = date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 11, 28), 12, D(2026, 11, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year: clamped to 29 February
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
        (D(2026, 1, 15), -13, D(2024, 12, 15)),
    ],
)
def test_add_months_clamps_to_the_end_of_shorter_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (D(2025, 11, 28), D(2026, 11, 28), 12),  # exactly 12 months
        (D(2025, 11, 28), D(2026, 11, 27), 11),  # one day short
        (D(2025, 11, 1), D(2025, 11, 30), 0),  # a partial month counts nothing
        (D(2024, 1, 31), D(2024, 2, 29), 1),
        (D(2024, 2, 29), D(2025, 2, 28), 12),
        (D(2026, 5, 1), D(2026, 4, 1), 0),
    ],
)
def test_whole_months_between(start: date, end: date, months: int) -> None:
    assert whole_months_between(start, end) == months


ON = D(2026, 11, 28)


@pytest.mark.parametrize(
    ("periods", "since", "months"),
    [
        pytest.param([Period(D(2025, 11, 28), None)], D(2025, 11, 28), 12, id="exactly-12-months"),
        pytest.param([Period(D(2025, 11, 29), None)], D(2025, 11, 29), 11, id="one-day-short"),
        pytest.param(
            [Period(D(2025, 3, 10), D(2026, 2, 10)), Period(D(2026, 2, 10), None)],
            D(2025, 3, 10), 20, id="move-on-the-same-day-stays-continuous",
        ),
        pytest.param(
            [Period(D(2025, 3, 10), D(2026, 2, 10)), Period(D(2026, 2, 11), None)],
            D(2025, 3, 10), 20, id="move-in-the-next-day-stays-continuous",
        ),
        pytest.param(
            [Period(D(2025, 3, 10), D(2026, 2, 10)), Period(D(2026, 2, 12), None)],
            D(2026, 2, 12), 9, id="a-one-day-gap-breaks-it",
        ),
        pytest.param(
            [Period(D(2024, 1, 5), D(2024, 9, 1)), Period(D(2024, 9, 2), D(2025, 6, 30)),
             Period(D(2025, 7, 1), None)],
            D(2024, 1, 5), 34, id="three-houses-in-a-row",
        ),
        pytest.param([Period(D(2025, 1, 1), D(2026, 10, 31))], None, 0, id="ended-before-today"),
        pytest.param([], None, 0, id="never-registered"),
        pytest.param([Period(D(2026, 12, 1), None)], None, 0, id="starts-in-the-future"),
        pytest.param([Period(D(2025, 11, 28), D(2026, 11, 28))], D(2025, 11, 28), 12, id="ends-today-still-counts"),
    ],
)
def test_continuous_registration(periods: list[Period], since: date | None, months: int) -> None:
    result = continuous_registration(periods, ON)
    assert (result.since, result.months) == (since, months)


def test_the_day_a_run_will_reach_12_months() -> None:
    result = continuous_registration([Period(D(2026, 2, 29 - 1), None)], ON)
    assert result.qualifies_on() == D(2027, 2, 28)
    leap = continuous_registration([Period(D(2024, 2, 29), None)], D(2024, 6, 1))
    assert leap.qualifies_on() == D(2025, 2, 28)


def test_no_run_has_no_qualifying_day() -> None:
    assert continuous_registration([], ON).qualifies_on() is None
