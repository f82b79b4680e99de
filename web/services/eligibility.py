"""办证资格查询: which permit conditions of 条例 Art. 19 a person meets, what is missing, and from when.

DOMAIN §4. Residence + social insurance: 12 months of continuous residence registration up to the
day, and Shenzhen social insurance for 12 consecutive months or 18 months in total within the last
24. Talent introduction (人才引进) and full-time students (全日制就读) need only a valid (current)
residence registration here; staff confirm the talent or student status during review.

Which insurance months count (the rules below, and the tests, rely on these definitions):
- A month counts when the registry lists it as paid, and only once it is over: the month of `today`
  never counts yet (its contribution is not settled until the month ends, and the law counts the
  months "before the application date"). Months after it (paid in advance) do not count either.
- Consecutive months: the unbroken run of counted months that ends with the month before the month
  of `today`; an unpaid last month means 0, however long an older run was.
- The window: the 24 calendar months before the month of `today`, i.e. from the same month two
  years earlier up to last month, both included (on 2026-03-15: 2024-03 … 2026-02).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from web.adapters.insurance import InsuranceRegistry, TableInsuranceRegistry
from web.models import Condition, Registration
from web.services import rules
from web.services.dates import add_months
from web.services.residence import Continuity, Period, continuous_registration

# Reason codes of ConditionCheck.missing: what stands between the person and the condition.
NO_REGISTRATION = "no_registration"  # no residence registration covers today
REGISTRATION_MONTHS = "registration_months"  # registered, but fewer than 12 continuous months
INSURANCE_MONTHS = "insurance_months"  # neither 12 consecutive months nor 18 within the window


@dataclass(frozen=True)
class ConditionCheck:
    condition: Condition
    met: bool
    missing: tuple[str, ...]  # reason codes above; empty when met
    # The first day the person will meet the condition, when that can be computed (see
    # _residence_and_insurance for the assumptions); None when met already or not computable.
    qualifies_on: date | None


@dataclass(frozen=True)
class Eligibility:
    today: date
    residence_months: int  # whole months of continuous registration up to today
    registered: bool  # a registration covers today (the "valid residence registration")
    registration: Registration | None  # that registration, with its street loaded
    district_adcode: str | None  # of the registration's street: where to apply (属地原则)
    insurance_consecutive: int
    insurance_in_window: int
    checks: tuple[ConditionCheck, ...]  # one per Condition, in the order of Condition
    registered_since: date | None = None  # first day of the continuous run, None when not registered

    def check(self, condition: Condition) -> ConditionCheck:
        return next(check for check in self.checks if check.condition == condition)

    @property
    def any_met(self) -> bool:
        return any(check.met for check in self.checks)


@dataclass(frozen=True)
class InsuranceStanding:
    """Counted insurance months on one day, and when the insurance rule will be met."""

    consecutive: int
    in_window: int
    # None when met already, or when no run is going on (see insurance_standing).
    qualifies_on: date | None

    @property
    def met(self) -> bool:
        return _insurance_met(self.consecutive, self.in_window)


def _insurance_met(consecutive: int, in_window: int) -> bool:
    return consecutive >= rules.INSURANCE_CONSECUTIVE_MONTHS or in_window >= rules.INSURANCE_TOTAL_MONTHS


def insurance_standing(months: Iterable[date], today: date) -> InsuranceStanding:
    """Count the paid `months` (any day of each month) on `today`, by the definitions above.

    qualifies_on assumes the current run goes on being paid every month from the month of `today`
    on, and that each month counts from the first day of the next month; so it is always the first
    day of a month. A run is going on when last month or this month is paid; when neither is, the
    person's future payments are unknown and the date cannot be computed (None).
    """
    paid = {month.replace(day=1) for month in months}
    this_month = today.replace(day=1)
    consecutive = 0
    month = add_months(this_month, -1)
    while month in paid:
        consecutive += 1
        month = add_months(month, -1)
    counted = [month for month in paid if month < this_month]
    in_window = _in_window(counted, this_month)
    if _insurance_met(consecutive, in_window):
        return InsuranceStanding(consecutive, in_window, None)
    if consecutive == 0 and this_month not in paid:
        return InsuranceStanding(consecutive, in_window, None)
    # Month by month: after `extra` more months (this month included) are over, the run is
    # `consecutive + extra` long and the window holds those months plus the older ones still in it.
    # The run alone reaches 12 within 12 months, so the loop always finds the day.
    for extra in range(1, rules.INSURANCE_CONSECUTIVE_MONTHS + 1):
        day = add_months(this_month, extra)
        if _insurance_met(consecutive + extra, _in_window(counted, day) + extra):
            return InsuranceStanding(consecutive, in_window, day)
    raise AssertionError("unreachable: the run reaches the consecutive months required")


def _in_window(counted: list[date], this_month: date) -> int:
    """Counted months within the INSURANCE_WINDOW_MONTHS calendar months before `this_month`."""
    start = add_months(this_month, -rules.INSURANCE_WINDOW_MONTHS)
    return sum(1 for month in counted if start <= month < this_month)


def _latest(days: list[date | None]) -> date | None:
    """The day all the parts are met: the latest of their days, unknown if any one is."""
    if any(day is None for day in days):
        return None
    return max(day for day in days if day is not None) if days else None


def _residence_and_insurance(continuity: Continuity, insurance: InsuranceStanding) -> ConditionCheck:
    """Both parts must hold on the same day: the date is the later of the two parts' dates.

    The registration part assumes the current registration goes on unbroken (residence.py), the
    insurance part that the current run of payments goes on (insurance_standing).
    """
    missing: list[str] = []
    days: list[date | None] = []
    if continuity.since is None:
        missing.append(NO_REGISTRATION)
        days.append(None)
    elif continuity.months < rules.REGISTRATION_MONTHS_REQUIRED:
        missing.append(REGISTRATION_MONTHS)
        days.append(continuity.qualifies_on(rules.REGISTRATION_MONTHS_REQUIRED))
    if not insurance.met:
        missing.append(INSURANCE_MONTHS)
        days.append(insurance.qualifies_on)
    return ConditionCheck(
        Condition.RESIDENCE_AND_INSURANCE, met=not missing, missing=tuple(missing),
        qualifies_on=_latest(days) if missing else None,
    )  # fmt: skip


def _registration_only(condition: Condition, registered: bool) -> ConditionCheck:
    """Talent and students: a current registration is all the platform can check (staff confirm the
    status). Without one there is no date to give: it depends on when someone declares the person."""
    if registered:
        return ConditionCheck(condition, met=True, missing=(), qualifies_on=None)
    return ConditionCheck(condition, met=False, missing=(NO_REGISTRATION,), qualifies_on=None)


def assess(registrations: list[Registration], insurance_months: Iterable[date], *, today: date) -> Eligibility:
    """The eligibility of a person with these registrations (streets loaded) and paid months."""
    periods = [Period(registration.start_date, registration.end_date) for registration in registrations]
    continuity = continuous_registration(periods, today)
    ordered = sorted(registrations, key=lambda registration: (registration.start_date, registration.id))
    # The registration covering today, as continuous_registration finds it (the newest on a moving day).
    current = next(
        (r for r in reversed(ordered) if r.start_date <= today and (r.end_date is None or r.end_date >= today)),
        None,
    )
    insurance = insurance_standing(insurance_months, today)
    checks = {
        Condition.RESIDENCE_AND_INSURANCE: _residence_and_insurance(continuity, insurance),
        Condition.TALENT: _registration_only(Condition.TALENT, current is not None),
        Condition.STUDENT: _registration_only(Condition.STUDENT, current is not None),
    }
    return Eligibility(
        today=today,
        residence_months=continuity.months,
        registered=current is not None,
        registration=current,
        district_adcode=current.street.district_adcode if current is not None else None,
        insurance_consecutive=insurance.consecutive,
        insurance_in_window=insurance.in_window,
        checks=tuple(checks[condition] for condition in Condition),
        registered_since=continuity.since,
    )


async def eligibility_of(
    person_id: int, id_number: str, *, today: date, registry: InsuranceRegistry | None = None
) -> Eligibility:
    """The person's eligibility on `today`, in two queries: the registrations, then the insurance
    months from `registry` (default: the imported table; the controller passes the configured one)."""
    registrations = await Registration.filter(person_id=person_id).select_related("street")
    months = await (registry or TableInsuranceRegistry()).months(id_number)
    return assess(list(registrations), months, today=today)
