"""Working days (工作日) on China's official calendar, for time limits such as 15 working days.

The State Council publishes each year's public holidays and the weekend days worked in exchange
(调休); the `chinesecalendar` package carries them for 2004-2026. Outside those years nothing is
known about holidays yet, so Monday to Friday count as working days there: a time limit that
reaches into such a year is an estimate, to be refined when the package learns the year.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar

SATURDAY = 5  # date.weekday(): Monday is 0


def is_working_day(day: date) -> bool:
    """Whether offices work on `day`: holidays are off, make-up weekend days (调休) are worked."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the official calendar does not cover yet
        return day.weekday() < SATURDAY


def add_working_days(start: date, n: int) -> date:
    """The day on which `n` working days after `start` are complete.

    `start` itself does not count (the day of acceptance is day 0, as with time limits in law):
    the result is the n-th working day after `start`. n = 0 gives `start` unchanged, whatever
    day it is. Accepted on Friday 2026-03-13, 1 working day is complete on Monday 2026-03-16.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    day, left = start, n
    while left:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day
