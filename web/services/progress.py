"""办证流程查询: the timeline of a permit application, its expected completion, the public query.

The timeline lists the states of DOMAIN §4 in order and marks each done, current or upcoming, with
the time the application reached it (its ApplicationEvent). The expected completion date counts
the time limit in working days (web/services/working_days.py) from acceptance; before acceptance
it is an estimate "if accepted today".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from web.models import ApplicationEvent, ApplicationKind, ApplicationState, PermitApplication
from web.services import rules, validators
from web.services.clock import SHENZHEN
from web.services.identity import check_citizen_id, normalize_id_number
from web.services.working_days import add_working_days

DONE, CURRENT, UPCOMING = "done", "current", "upcoming"
S = ApplicationState
# DOMAIN §4 after the draft: 已提交 → 已受理 → 审核中 → 审核通过 | 审核不通过 → [待缴费] → 制证中 → 待领证 → 已领证
BEFORE_DECISION = (S.SUBMITTED, S.ACCEPTED, S.UNDER_REVIEW)
AFTER_APPROVAL = (S.IN_PRODUCTION, S.READY_FOR_COLLECTION, S.COLLECTED)
# States whose work is over: nothing is expected any more.
FINISHED = (S.DRAFT, S.REJECTED, S.COLLECTED)
# 受理编号: "SZ", the submission date YYYYMMDD and 6 digits (the apply wizard issues them).
ACCEPTANCE_NUMBER = re.compile(r"SZ[0-9]{14}")
# The public query (by acceptance number, or by name + ID number): lookups per network address and
# window. It tells little, but a hit confirms a name and ID number belong together: keep guessing slow.
QUERIES_PER_IP = 10
QUERY_WINDOW_SECONDS = 600


@dataclass(frozen=True)
class Step:
    """One state of the timeline."""

    state: ApplicationState
    status: str  # DONE, CURRENT or UPCOMING
    at: datetime | None = None  # when the application reached the state (None: not yet, or unrecorded)
    reason: str = ""  # why: a rejection's reason, or the note staff left with the step


@dataclass(frozen=True)
class ExpectedCompletion:
    day: date
    estimated: bool  # not accepted yet: the day it would be if accepted today


@dataclass(frozen=True)
class Progress:
    """What the application's page shows: the application, its timeline and expected date."""

    application: PermitApplication  # with its point loaded
    steps: list[Step]
    expected: ExpectedCompletion | None


@dataclass(frozen=True)
class PublicStatus:
    """The public query's whole answer: no name, address, ID number or other personal data."""

    state: ApplicationState
    point_name: str
    expected: ExpectedCompletion | None


def states_shown(
    state: ApplicationState, fee_yuan: int, reached: Iterable[ApplicationState] = ()
) -> list[ApplicationState]:
    """The states the timeline lists: 待缴费 only for paid kinds. A rejection ends the list, after
    the states the application really passed (`reached`: it may be refused before acceptance)."""
    if state == S.REJECTED:
        passed = set(reached)
        return [*(shown for shown in BEFORE_DECISION if shown == S.SUBMITTED or shown in passed), S.REJECTED]
    payment = [S.PENDING_PAYMENT] if fee_yuan > 0 else []
    return [*BEFORE_DECISION, S.APPROVED, *payment, *AFTER_APPROVAL]


def build_timeline(state: ApplicationState, fee_yuan: int, events: Iterable[ApplicationEvent]) -> list[Step]:
    """The steps of an application in `state`, from its events in any order.

    A state before the current one is done even without an event (a step the office skipped, or
    data from before events were kept); its time is then unknown. A state reached twice shows the
    latest time.
    """
    reached: dict[ApplicationState, ApplicationEvent] = {}
    for event in sorted(events, key=lambda event: (event.at, event.id)):
        reached[ApplicationState(event.to_state)] = event
    states = states_shown(state, fee_yuan, reached)
    position = states.index(state) if state in states else -1
    steps = []
    for index, shown in enumerate(states):
        status = DONE if index < position else CURRENT if index == position else UPCOMING
        event = reached.get(shown) if status != UPCOMING else None
        steps.append(Step(
            state=shown,
            status=status,
            at=event.at if event else None,
            reason=event.reason if event else "",
        ))
    return steps


def expected_completion(application: PermitApplication, today: date) -> ExpectedCompletion | None:
    """When the card should be ready: the time limit in working days from the day of acceptance.

    Accepted: the due date staff recorded, else computed from accepted_at (the day in Shenzhen).
    Only submitted: an estimate from today. Rejected, collected or a draft: None.
    """
    if application.state in FINISHED:
        return None
    limit = rules.TIME_LIMIT_WORKING_DAYS[ApplicationKind(application.kind)]
    if application.accepted_at is not None:
        due = application.due_date or add_working_days(application.accepted_at.astimezone(SHENZHEN).date(), limit)
        return ExpectedCompletion(day=due, estimated=False)
    return ExpectedCompletion(day=add_working_days(today, limit), estimated=True)


async def _events(application_id: int) -> list[ApplicationEvent]:
    return await ApplicationEvent.filter(application_id=application_id).order_by("at", "id")


async def timeline(application_id: int) -> list[Step]:
    """The timeline of any application (staff pages): two queries, however many events."""
    application = await PermitApplication.filter(id=application_id).only("id", "state", "fee_yuan").first()
    if application is None:
        return []
    return build_timeline(ApplicationState(application.state), application.fee_yuan, await _events(application_id))


async def applications_of(person_id: int) -> list[PermitApplication]:
    """我的申请: the person's submitted applications, newest first (drafts are the wizard's)."""
    return await (
        PermitApplication.filter(person_id=person_id)
        .exclude(state=S.DRAFT)
        .order_by("-submitted_at", "-id")
    )


async def application_progress(person_id: int, application_id: int, *, today: date) -> Progress | None:
    """One of the person's submitted applications with its timeline; None for anyone else's."""
    application = await (
        PermitApplication.filter(id=application_id, person_id=person_id)
        .exclude(state=S.DRAFT)
        .select_related("point")
        .first()
    )
    if application is None:
        return None
    steps = build_timeline(ApplicationState(application.state), application.fee_yuan, await _events(application.id))
    return Progress(application=application, steps=steps, expected=expected_completion(application, today))


# --- The public progress query (no sign-in) -------------------------------------------------------


def check_acceptance_number(raw: str) -> tuple[str, str | None]:
    """The number as stored (no spaces, upper case) and a reason code: missing, invalid or None."""
    number = "".join(raw.split()).upper()
    if not number:
        return number, "missing"
    return number, None if ACCEPTANCE_NUMBER.fullmatch(number) else "invalid"


def check_person_query(name: str, id_number: str, *, today: date) -> tuple[str, str, dict[str, str]]:
    """Normalized name and citizen ID number, and reason codes by field.

    name: validators.check_name's reasons; id_number: missing, or check_citizen_id's reasons
    (the residence permit is for citizens: the application always carries a citizen ID number).
    """
    errors: dict[str, str] = {}
    name = validators.normalize_name(name)
    if reason := validators.check_name(name):
        errors["name"] = reason
    number = normalize_id_number(id_number)
    if not number:
        errors["id_number"] = "missing"
    elif reason := check_citizen_id(number, today=today):
        errors["id_number"] = reason
    return name, number, errors


def _same_name(known: str, typed: str) -> bool:
    return "".join(known.split()).casefold() == "".join(typed.split()).casefold()


def _public(application: PermitApplication | None, today: date) -> PublicStatus | None:
    if application is None:
        return None
    return PublicStatus(
        state=ApplicationState(application.state),
        point_name=application.point.name if application.point else "",
        expected=expected_completion(application, today),
    )


async def public_status(
    *, acceptance_number: str = "", name: str = "", id_number: str = "", today: date
) -> PublicStatus | None:
    """The status of one application by its acceptance number, or of a person's latest one by name
    and ID number (both already checked). A wrong name answers None, like an unknown number."""
    applications = PermitApplication.exclude(state=S.DRAFT).select_related("point")
    if acceptance_number:
        return _public(await applications.filter(acceptance_number=acceptance_number).first(), today)
    latest = await applications.filter(id_number=id_number).order_by("-submitted_at", "-id").first()
    if latest is None or not _same_name(latest.name, name):
        return None
    return _public(latest, today)
