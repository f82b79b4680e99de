"""Calendar arithmetic the rules share: whole months, with month ends clamped."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (or earlier, if negative), clamped to the end of a
    shorter month: 2024-01-31 + 1 month = 2024-02-29; 2024-02-29 + 12 months = 2025-02-28."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def whole_months_between(start: date, end: date) -> int:
    """How many whole months fit from `start` to `end`: the largest m with add_months(start, m) <= end.

    2025-11-28 → 2026-11-28 is 12; → 2026-11-27 is 11. A month counts once its day comes round again
    (clamped: 2024-01-31 → 2024-02-29 is one month).
    """
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return months
