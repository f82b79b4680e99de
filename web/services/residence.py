"""Residence registration rules (DOMAIN §3): continuous months of registration."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from web.services import rules
from web.services.dates import add_months, whole_months_between


@dataclass(frozen=True)
class Period:
    """One registration: from its start date to its end date (None: still registered)."""

    start: date
    end: date | None


@dataclass(frozen=True)
class Continuity:
    since: date | None  # first day of the unbroken run that reaches `on`; None: not registered then
    months: int  # whole months of that run up to `on`

    def qualifies_on(self, months_required: int = rules.REGISTRATION_MONTHS_REQUIRED) -> date | None:
        """The day the run reaches `months_required` whole months, if it goes on unbroken."""
        return add_months(self.since, months_required) if self.since else None


def continuous_registration(periods: Iterable[Period], on: date) -> Continuity:
    """The unbroken run of registration that covers `on`, walking back through moves.

    A move keeps the run unbroken when the next registration starts no later than the day after the
    previous one ended (moving out on the 10th and in elsewhere on the 10th or 11th); a longer gap
    breaks it. Only whole months count: partial months at either end do not.
    """
    ordered = sorted((p for p in periods if p.start <= on), key=lambda p: p.start)
    current = next(
        (p for p in reversed(ordered) if p.end is None or p.end >= on), None
    )
    if current is None:
        return Continuity(since=None, months=0)
    since = current.start
    for period in reversed(ordered):
        if period.start >= since:
            continue
        end = period.end if period.end is not None else on
        if end + timedelta(days=1) >= since:
            since = min(since, period.start)
    return Continuity(since=since, months=whole_months_between(since, on))
