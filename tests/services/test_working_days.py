"""Working days on the official calendar: weekends, holidays, make-up days (调休), years beyond it."""

from __future__ import annotations

from datetime import date

import pytest

from web.services.working_days import add_working_days, is_working_day


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 3, 13), True),  # an ordinary Friday
        (date(2026, 3, 14), False),  # an ordinary Saturday
        (date(2026, 3, 15), False),  # an ordinary Sunday
        (date(2026, 10, 1), False),  # National Day, a Thursday
        (date(2026, 10, 5), False),  # Monday inside the National Day holiday
        (date(2026, 10, 7), False),  # last day of the holiday, a Wednesday
        (date(2026, 10, 8), True),  # back to work
        (date(2026, 9, 20), True),  # Sunday worked in exchange for the National Day holiday (调休)
        (date(2026, 10, 10), True),  # Saturday worked in exchange for the National Day holiday (调休)
        (date(2026, 10, 11), False),  # the Sunday after it is off again
        (date(2026, 9, 25), False),  # Mid-Autumn Festival, a Friday
        (date(2027, 1, 4), True),  # beyond the official calendar: Monday to Friday
        (date(2027, 1, 9), False),  # beyond the official calendar: Saturday
        (date(2003, 12, 27), False),  # before it too (a Saturday)
    ],
    ids=str,
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "complete_on"),
    [
        # the start day never counts: accepted on Friday, one working day is complete on Monday
        (date(2026, 3, 13), 1, date(2026, 3, 16)),
        (date(2026, 3, 14), 1, date(2026, 3, 16)),  # from a Saturday
        (date(2026, 3, 16), 5, date(2026, 3, 23)),  # a whole week over a weekend
        (date(2026, 3, 16), 10, date(2026, 3, 30)),  # two weekends
        (date(2026, 4, 3), 1, date(2026, 4, 7)),  # over the Qingming weekend (4-6 April off)
        # National Day 2026: 1-7 October off; Sunday 20 September and Saturday 10 October worked
        (date(2026, 9, 18), 1, date(2026, 9, 20)),  # Friday → the make-up Sunday
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # the eve of the holiday → the day after it
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # 8, 9 and the make-up Saturday 10 October
        (date(2026, 9, 30), 4, date(2026, 10, 12)),
        (date(2026, 9, 28), 15, date(2026, 10, 23)),  # a first application's 15 working days
        # into 2027, which the official calendar does not know yet: Monday to Friday
        (date(2026, 12, 31), 1, date(2027, 1, 1)),
        (date(2026, 12, 31), 2, date(2027, 1, 4)),
        (date(2027, 3, 5), 10, date(2027, 3, 19)),
        # nothing to add: the start day itself, even when it is no working day
        (date(2026, 3, 16), 0, date(2026, 3, 16)),
        (date(2026, 10, 3), 0, date(2026, 10, 3)),
        (date(2027, 1, 9), 0, date(2027, 1, 9)),
    ],
    ids=lambda value: str(value),
)
def test_add_working_days(start: date, n: int, complete_on: date) -> None:
    assert add_working_days(start, n) == complete_on


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 3, 16), -1)
