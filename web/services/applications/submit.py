"""Submitting the application exactly once: the draft's one-time token, then one transaction.

A double click, the back button and a resubmit, or two tabs all send the same draft token. Only
one request can spend it (drafts.take_token is one conditional UPDATE); the database holds the
rest: PermitApplication.draft_token and open_person_id are unique. The request that lost finds the
application the token created and is sent to it, so every click ends on the same confirmation.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from web.adapters.insurance import InsuranceRegistry
from web.adapters.photos import PhotoRegistry
from web.models import (
    AcceptancePoint,
    Account,
    ApplicationEvent,
    ApplicationKind,
    ApplicationState,
    CoResident,
    Condition,
    Draft,
    PermitApplication,
    Sex,
)
from web.services import audit, drafts, messages, rules
from web.services.applications.common import DRAFT_KIND, PREFILLED_FIELDS, ApplicationRefused, ApplyDraft, StepInvalid
from web.services.applications.prefill import (
    Applicant,
    applicant,
    house_code_of,
    load_draft,
    open_application,
    save_draft,
)
from web.services.applications.steps import locked_fields, recheck
from web.services.declarations.review import N_, in_default_language
from web.services.nearest_points import PointSuggestion, suggest_points

log = logging.getLogger(__name__)

NUMBER_ATTEMPTS = 5  # a fresh 受理编号 after a collision; 10^6 numbers a day make one rare
# How long a request that lost the token waits for the winner's transaction to commit (a double
# click arrives a few milliseconds after the first), so that it can go to the same application.
WINNER_WAIT_SECONDS = 2.0
WINNER_POLL_SECONDS = 0.1

SUBMITTED_TITLE = N_("Residence permit application %(number)s submitted")
SUBMITTED_BODY = N_(
    "Your application was submitted to %(point)s. Acceptance number: %(number)s. Bring your identity card "
    "and the receipt to the acceptance point; you will get a message when it is accepted."
)


def acceptance_number(today: date) -> str:
    """受理编号: "SZ", the date of submission (YYYYMMDD) and 6 random digits."""
    return f"SZ{today:%Y%m%d}{secrets.randbelow(10**6):06d}"


def corrected_fields(draft: ApplyDraft) -> list[str]:
    """The prefilled fields whose value the applicant changed (filling an empty one is no correction)."""
    return [
        name for name in PREFILLED_FIELDS
        if draft.prefill.get(name) and draft.answers.get(name, "") != draft.prefill[name]
    ]  # fmt: skip


async def draft_token(account_id: int) -> str:
    """The draft's one-time submit token for the check page; a new one when it was spent by a
    submission that created nothing (so the page can always be submitted once more)."""
    row = await Draft.get_or_none(account_id=account_id, kind=DRAFT_KIND)
    if row is None:
        return ""
    if row.token:
        return row.token
    token = secrets.token_urlsafe(24)
    await Draft.filter(id=row.id, token__isnull=True).update(token=token)
    refreshed = await Draft.get_or_none(id=row.id)
    return refreshed.token or "" if refreshed else ""


async def _restore_token(account_id: int, token: str) -> None:
    """Nothing was created: the draft's token is usable again (the draft itself never changed)."""
    await Draft.filter(account_id=account_id, kind=DRAFT_KIND, token__isnull=True).update(token=token)


async def application_of_token(person_id: int, token: str, *, wait: float = 0.0) -> PermitApplication | None:
    """The application this submit token created for the person, waiting up to `wait` seconds for
    a submission still committing."""
    if not token:
        return None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        found = await PermitApplication.get_or_none(person_id=person_id, draft_token=token)
        if found is not None or loop.time() >= deadline:
            return found
        await asyncio.sleep(WINNER_POLL_SECONDS)


@dataclass(frozen=True)
class Submission:
    application: PermitApplication
    created: bool  # False: an earlier click with the same token created it


async def submit(
    account: Account, token: str, *, today: date, now: datetime, insurance: InsuranceRegistry,
    photos: PhotoRegistry,
) -> Submission:
    """Create the PermitApplication (已提交), its co-residents and its first event from the draft.

    Raises ApplicationRefused (no_person, open_application, authentication_required, not_first,
    no_registration, no_draft, token) or StepInvalid (the step to answer again; the draft keeps
    it reopened). The draft is discarded only once the application exists.
    """
    token = token[:64]
    try:
        who = await applicant(account, today=today, insurance=insurance)
    except ApplicationRefused as refused:
        earlier = refused.application
        if earlier is not None and token and earlier.draft_token == token:
            return Submission(earlier, created=False)  # this very form, sent again
        raise
    draft = await load_draft(account.id)
    if draft is None:
        if (earlier := await application_of_token(who.person.id, token)) is not None:
            return Submission(earlier, created=False)
        raise ApplicationRefused("no_draft")
    suggestion = await suggest_points(who.street_code)
    locked = locked_fields(account, who.person)
    invalid = await recheck(draft, person=who.person, locked=locked, today=today, photos=photos, suggestion=suggestion)
    if invalid is not None:
        step, reasons = invalid
        draft.reopen(step, reasons)
        await save_draft(account.id, draft)
        raise StepInvalid(step, reasons)
    if not await drafts.take_token(account.id, DRAFT_KIND, token):
        earlier = await application_of_token(who.person.id, token, wait=WINNER_WAIT_SECONDS)
        if earlier is not None:
            return Submission(earlier, created=False)
        raise ApplicationRefused("token")
    try:
        application = await _create(who, draft, token, suggestion=suggestion, today=today, now=now)
    except Exception:  # nothing was created (the transaction rolled back): the form may be sent again
        await _restore_token(account.id, token)
        raise
    await drafts.discard(account.id, DRAFT_KIND)
    await _notify(account, application)
    return Submission(application, created=True)


async def _create(
    who: Applicant, draft: ApplyDraft, token: str, *, suggestion: PointSuggestion, today: date, now: datetime
) -> PermitApplication:
    answers = draft.answers
    point = await AcceptancePoint.get(code=answers["acceptance_point"])
    house_code = await house_code_of(who.registration)
    kind = ApplicationKind.FIRST
    for _attempt in range(NUMBER_ATTEMPTS):
        number = acceptance_number(today)
        if await PermitApplication.exists(acceptance_number=number):
            continue
        try:
            async with in_transaction():
                application = PermitApplication(
                    acceptance_number=number,
                    person=who.person,
                    submitted_by=who.account,
                    kind=kind,
                    condition=Condition(answers["condition"]),
                    state=ApplicationState.SUBMITTED,
                    point=point,
                    photo_number=answers["photo_number"],
                    name=answers["name"],
                    sex=Sex(answers["sex"]),
                    ethnicity=answers["ethnicity"],
                    birth_date=date.fromisoformat(answers["birth_date"]),
                    id_number=answers["id_number"],
                    hukou_address=answers["hukou_address"],
                    residence_address=who.registration.address,
                    house_code=house_code,
                    mobile=answers["mobile"],
                    education=answers["education"],
                    workplace=answers["workplace"],
                    corrected_fields=corrected_fields(draft),
                    fee_yuan=rules.FEES_YUAN[kind],
                    draft_token=token,
                    submitted_at=now,
                )
                await application.save()  # save() sets open_person_id: one open application per person
                for row in draft.family:
                    await CoResident.create(application=application, name=row.name, relation=row.relation,
                                            id_number=row.id_number)
                # The service clock's time, as every later event has (application_flow): the
                # timeline stays in order when /dev/clock has moved the date.
                await ApplicationEvent.create(application=application, from_state=None, at=now,
                                              to_state=ApplicationState.SUBMITTED, action="submit", actor=who.account)
                await audit.record(actor=who.account, action="application.submit", target_type="permit_application",
                                   target_id=application.id, subject_id=who.person.id,
                                   detail={"acceptance_number": number, "point": point.code})
            return application
        except IntegrityError:
            # Another application of the person opened meanwhile (another tab, another device)?
            if (other := await open_application(who.person.id)) is not None:
                raise ApplicationRefused("open_application", other) from None
            if not await PermitApplication.exists(acceptance_number=number):
                raise
            # else the same 受理编号 was given a moment ago: draw another one
    raise RuntimeError("no free acceptance number after several attempts")


async def _notify(account: Account, application: PermitApplication) -> None:
    """系统消息 in the service's default language (as staff decisions are), after the commit: a
    notice must never undo the submission."""
    try:
        point = await AcceptancePoint.get(id=application.point_id)  # type: ignore[attr-defined]
        values = {"number": application.acceptance_number, "point": point.name}
        await messages.notify(account.id, in_default_language(SUBMITTED_TITLE) % values,
                              in_default_language(SUBMITTED_BODY) % values)
    except Exception:  # logged, never raised: the application exists whatever the inbox does
        log.exception("could not notify account %s of application %s", account.id, application.id)
