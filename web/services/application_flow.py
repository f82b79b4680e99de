"""The acceptance point's decisions on a permit application: its state machine (DOMAIN §4).

    SUBMITTED --accept--> ACCEPTED --start_review--> UNDER_REVIEW --approve--> APPROVED
    SUBMITTED | ACCEPTED | UNDER_REVIEW --reject--> REJECTED (reason required)
    APPROVED --to_production--> IN_PRODUCTION (free) | PENDING_PAYMENT (fee_yuan > 0)
    PENDING_PAYMENT --mark_paid--> IN_PRODUCTION --ready_for_collection--> READY_FOR_COLLECTION
    READY_FOR_COLLECTION --collect--> COLLECTED (the Permit is issued)

Decision: there is no `withdraw` action. DOMAIN §4 has no withdrawn state, and reporting a
withdrawal as 审核不通过 through a special path would blur the timeline. An applicant who gives up,
or never comes to the counter, is ended by staff with a rejection whose reason says so
(rules.APPLICATION_REJECTION_REASONS "withdrawn" / "not_presented"); that also frees the person to
apply again (open_person_id).

Each call is one transaction: a compare-and-set UPDATE on the state the caller saw takes the row's
write lock (PostgreSQL row lock, SQLite write lock) and matches nothing when a colleague moved the
application meanwhile, so two clicks at once make one transition. The new state is then written by
instance.save(), which keeps open_person_id in step; the ApplicationEvent and the audit entry go in
the same transaction. Notices (system message always, SMS for four states) follow the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime

from tortoise.transactions import in_transaction

from web.adapters.sms import SmsGateway
from web.models import (
    Account,
    ApplicationEvent,
    ApplicationState,
    Permit,
    PermitApplication,
    PermitStatus,
    Role,
)
from web.services import audit, messages, rules
from web.services.declarations.common import without_nul
from web.services.declarations.review import N_, in_default_language
from web.services.identity import mask_mobile
from web.services.review import OTHER_REASON, rejection_reason
from web.services.working_days import add_working_days

log = logging.getLogger(__name__)

S = ApplicationState
# action -> the states it starts from, in the order the page shows the buttons.
TRANSITIONS: dict[str, tuple[ApplicationState, ...]] = {
    "accept": (S.SUBMITTED,),
    "start_review": (S.ACCEPTED,),
    "approve": (S.UNDER_REVIEW,),
    "reject": (S.SUBMITTED, S.ACCEPTED, S.UNDER_REVIEW),
    "to_production": (S.APPROVED,),
    "mark_paid": (S.PENDING_PAYMENT,),
    "ready_for_collection": (S.IN_PRODUCTION,),
    "collect": (S.READY_FOR_COLLECTION,),
}
ACTIONS = tuple(TRANSITIONS)
_TARGETS = {
    "accept": S.ACCEPTED,
    "start_review": S.UNDER_REVIEW,
    "approve": S.APPROVED,
    "reject": S.REJECTED,
    "mark_paid": S.IN_PRODUCTION,
    "ready_for_collection": S.READY_FOR_COLLECTION,
    "collect": S.COLLECTED,
}
# 受理: the applicant is at the counter, the ID card was checked against them, and the printed
# application form was signed. Each is a checkbox the staff ticks; all are required.
ACCEPT_CONFIRMATIONS = ("applicant_present", "identity_checked", "form_signed")
# 领证 with the receipt (DOMAIN §4): the staff types or scans the receipt's acceptance number.
RECEIPT_CONFIRMATION = "acceptance_number"
# DOMAIN §4: an SMS as well as the system message for these.
SMS_STATES = frozenset({S.ACCEPTED, S.REJECTED, S.PENDING_PAYMENT, S.READY_FOR_COLLECTION})
SMS_PURPOSE = "application"
NOTE_MAX_LENGTH = 500  # the optional note of other actions, shown in the timeline
_REASON_CODES = frozenset(label.code for label in rules.APPLICATION_REJECTION_REASONS)


class TransitionRefused(Exception):
    """The action was not done. `reason`: "unknown_action", "not_allowed" (not from the current
    `state`, e.g. a colleague was quicker), "reason_required" / "reason_detail_required" /
    "reason_too_long" (reject), "confirmation_missing" (`fields` names which)."""

    def __init__(self, reason: str, *, state: ApplicationState | None = None, fields: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.state = state
        self.fields = fields


class NotFound(Exception):
    """No such application, or not one of the staff member's point: the page answers 404."""


def target_state(action: str, fee_yuan: int) -> ApplicationState:
    """Where `action` leads; to_production waits for payment first when there is a fee (工本费)."""
    if action == "to_production":
        return S.PENDING_PAYMENT if fee_yuan > 0 else S.IN_PRODUCTION
    return _TARGETS[action]


def allowed_actions(state: ApplicationState | str, fee_yuan: int) -> tuple[str, ...]:
    """The actions the page offers for an application in `state`, in workflow order.

    `mark_paid` needs a fee to have been due: a free application never waits for payment.
    """
    state = ApplicationState(state)
    return tuple(
        action
        for action, sources in TRANSITIONS.items()
        if state in sources and (action != "mark_paid" or fee_yuan > 0)
    )


def permit_number(application: PermitApplication, issued_on: date) -> str:
    """The card number: "JZZ", the year of issue and the application id (one card per application,
    so unique without a counter; the seed's demo card is "SZDEMO…" and cannot collide)."""
    return f"JZZ{issued_on:%Y}{application.id:08d}"


async def apply_action(
    application_id: int,
    action: str,
    *,
    actor: Account,
    point_id: int | None,
    today: date,
    now: datetime,
    sms_gateway: SmsGateway,
    reason: str = "",
    reason_code: str = "",
    confirmations: Mapping[str, str] | None = None,
    ip: str = "",
) -> PermitApplication:
    """Do `action` on the application as `actor`, or raise TransitionRefused / NotFound.

    `actor`: staff or an administrator (anyone else gets NotFound). `point_id`: the staff member's
    point; an application of another point is NotFound. None means any point (administrators only). `reason_code` (one of
    rules.APPLICATION_REJECTION_REASONS) and/or `reason` (free text) are required for "reject";
    for other actions `reason` is an optional note. `confirmations`: the form's checkboxes and
    fields, e.g. {"applicant_present": "1", ...} for "accept" (ACCEPT_CONFIRMATIONS) and
    {"acceptance_number": "SZ…"} for "collect". Returns the application as stored afterwards.
    """
    if action not in TRANSITIONS:
        raise TransitionRefused("unknown_action")
    if actor.role not in (Role.STAFF, Role.ADMIN) or (point_id is None and actor.role == Role.STAFF):
        raise NotFound()  # residents and agents decide nothing; staff without a point see nothing
    application = await PermitApplication.get_or_none(id=application_id)
    if application is None or (point_id is not None and application.point_id != point_id):  # type: ignore[attr-defined]
        raise NotFound()
    _check_allowed(application, action)
    stored_reason = _reason(action, reason_code, reason)
    _check_confirmations(application, action, confirmations or {})
    seen = application.state

    permit: Permit | None = None
    async with in_transaction():
        # Compare-and-set on the state the caller saw; it also takes the row's write lock.
        if not await PermitApplication.filter(id=application.id, state=seen).update(state=seen):
            current = await PermitApplication.filter(id=application.id).first()
            raise TransitionRefused("not_allowed", state=current.state if current else None)
        application = await PermitApplication.get(id=application.id)
        to_state = target_state(action, application.fee_yuan)
        application.state = to_state
        changed = ["state"]
        if action == "accept":
            application.accepted_at = now
            application.due_date = add_working_days(today, rules.TIME_LIMIT_WORKING_DAYS[application.kind])
            changed += ["accepted_at", "due_date"]
        await application.save(update_fields=changed)  # save() keeps open_person_id in step
        if action == "collect":
            permit = await _issue_permit(application, today)
        await ApplicationEvent.create(
            application=application, from_state=seen, to_state=to_state, action=action,
            actor=actor, at=now, reason=stored_reason,
        )  # fmt: skip
        detail: dict[str, object] = {
            "acceptance_number": application.acceptance_number or "",
            "from": seen,
            "to": to_state,
        }
        if action == "reject":
            detail["reason_code"] = reason_code if reason_code in _REASON_CODES else ""
        if permit is not None:
            detail["permit_number"] = permit.number
        await audit.record(
            actor=actor, action=f"application.{action}", target_type="permit_application",
            target_id=application.id, subject_id=application.person_id,  # type: ignore[attr-defined]
            detail=detail, ip=ip,
        )  # fmt: skip

    await application.fetch_related("point")
    try:
        await _notify(application, stored_reason, permit, today, sms_gateway)
    except Exception:  # the action is done: a failed notice must not report it as failed
        log.exception("notices for application %s (%s) failed", application.id, action)
    return application


def _check_allowed(application: PermitApplication, action: str) -> None:
    if action not in allowed_actions(application.state, application.fee_yuan):
        raise TransitionRefused("not_allowed", state=application.state)


def _reason(action: str, reason_code: str, reason: str) -> str:
    """The text stored with the event: the rejection reason (required), or an optional note."""
    reason = without_nul(reason or "")
    if action != "reject":
        return " ".join(reason.split())[:NOTE_MAX_LENGTH]
    code = reason_code if reason_code in _REASON_CODES else ""
    text, errors = rejection_reason(rules.APPLICATION_REJECTION_REASONS, code, reason)
    if text is not None:
        return text
    if errors.get("reason_detail") == "too_long":
        raise TransitionRefused("reason_too_long", fields=("reason",))
    if code == OTHER_REASON:
        raise TransitionRefused("reason_detail_required", fields=("reason",))
    raise TransitionRefused("reason_required", fields=("reason_code", "reason"))


def _check_confirmations(application: PermitApplication, action: str, confirmations: Mapping[str, str]) -> None:
    if action == "accept":
        missing = tuple(name for name in ACCEPT_CONFIRMATIONS if not str(confirmations.get(name, "")).strip())
    elif action == "collect":
        typed = "".join(str(confirmations.get(RECEIPT_CONFIRMATION, "")).split()).upper()
        expected = (application.acceptance_number or "").upper()
        missing = () if expected and typed == expected else (RECEIPT_CONFIRMATION,)
    else:
        missing = ()
    if missing:
        raise TransitionRefused("confirmation_missing", fields=missing)


async def _issue_permit(application: PermitApplication, today: date) -> Permit:
    """The card handed over. Decision: a card still in force (the card a renewal, replacement or
    exchange replaces) is cancelled the same day, as the person holds one card in force at most
    (Permit.current_person_id); the new card's years count from its own issue date."""
    person_id = application.person_id  # type: ignore[attr-defined]
    for old in await Permit.filter(current_person_id=person_id):
        old.status = PermitStatus.CANCELLED
        old.cancelled_on = today
        await old.save(update_fields=["status", "cancelled_on"])
    return await Permit.create(
        number=permit_number(application, today),
        person_id=person_id,
        application=application,
        issued_on=today,
        anchor_date=today,
        status=PermitStatus.VALID,
    )


# --- notices -----------------------------------------------------------------------------------------
# Written in the service's default language (Simplified Chinese): the reader is the applicant, not
# the staff member acting.

TITLES = {
    S.ACCEPTED: N_("Permit application %(number)s accepted"),
    S.UNDER_REVIEW: N_("Permit application %(number)s under review"),
    S.APPROVED: N_("Permit application %(number)s approved"),
    S.REJECTED: N_("Permit application %(number)s not approved"),
    S.PENDING_PAYMENT: N_("Fee due for permit application %(number)s"),
    S.IN_PRODUCTION: N_("Permit for application %(number)s in production"),
    S.READY_FOR_COLLECTION: N_("Permit for application %(number)s ready for collection"),
    S.COLLECTED: N_("Permit for application %(number)s collected"),
}
BODIES = {
    S.ACCEPTED: N_(
        "Your residence permit application (acceptance number %(number)s) was accepted at %(point)s on"
        " %(date)s. It should be completed by %(due_date)s."
    ),
    S.UNDER_REVIEW: N_("Your residence permit application (acceptance number %(number)s) is being reviewed."),
    S.APPROVED: N_("Your residence permit application (acceptance number %(number)s) has been approved."),
    S.REJECTED: N_(
        "Your residence permit application (acceptance number %(number)s) was not approved. Reason: %(reason)s"
    ),
    S.PENDING_PAYMENT: N_(
        "Your residence permit application (acceptance number %(number)s) has been approved. Please pay the"
        " fee of %(fee)s yuan at %(point)s; the card is made after payment."
    ),
    S.IN_PRODUCTION: N_(
        "The card for your residence permit application (acceptance number %(number)s) is being made."
    ),
    S.READY_FOR_COLLECTION: N_(
        "Your residence permit (acceptance number %(number)s) is ready. Collect it in person at %(point)s"
        " (%(address)s) and bring the receipt."
    ),
    S.COLLECTED: N_(
        "You collected your residence permit (card number %(permit)s) on %(date)s. Acceptance number %(number)s."
    ),
}
SMS_TEXTS = {
    S.ACCEPTED: N_(
        "[Shenzhen residence permit] Your application %(number)s was accepted at %(point)s on %(date)s and"
        " should be completed by %(due_date)s."
    ),
    S.REJECTED: N_("[Shenzhen residence permit] Your application %(number)s was not approved. Reason: %(reason)s"),
    S.PENDING_PAYMENT: N_(
        "[Shenzhen residence permit] Your application %(number)s was approved. Please pay the fee of %(fee)s"
        " yuan at %(point)s."
    ),
    S.READY_FOR_COLLECTION: N_(
        "[Shenzhen residence permit] Your permit (application %(number)s) is ready. Collect it in person at"
        " %(point)s with the receipt."
    ),
}


async def _notify(
    application: PermitApplication, reason: str, permit: Permit | None, today: date, sms_gateway: SmsGateway
) -> None:
    """The applicant's accounts (the person's own and the one that submitted, e.g. a unit agent)
    get a system message; for SMS_STATES also an SMS to their mobiles, or to the mobile on the
    form when the person has no account (a unit applied for them)."""
    state = application.state
    point = application.point
    values = {
        "number": application.acceptance_number or "",
        "point": point.name if point else "",
        "address": point.address if point else "",
        "date": today.isoformat(),
        "due_date": application.due_date.isoformat() if application.due_date else "",
        "reason": reason,
        "fee": application.fee_yuan,
        "permit": permit.number if permit else "",
    }
    own = await Account.filter(person_id=application.person_id, is_active=True).order_by("id")  # type: ignore[attr-defined]
    recipients = {account.id: account for account in own}
    submitter = application.submitted_by_id  # type: ignore[attr-defined]
    if submitter not in recipients:
        account = await Account.get_or_none(id=submitter, is_active=True)
        if account is not None:
            recipients[account.id] = account
    title = in_default_language(TITLES[state]) % values
    body = in_default_language(BODIES[state]) % values
    for account_id in sorted(recipients):
        await messages.notify(account_id, title, body)
    if state not in SMS_STATES:
        return
    mobiles = [account.mobile for account in recipients.values() if account.mobile]
    if not own and application.mobile:
        mobiles.insert(0, application.mobile)
    text = in_default_language(SMS_TEXTS[state]) % values
    for mobile in dict.fromkeys(mobiles):  # each number once, in order
        try:
            await sms_gateway.send(mobile, text, purpose=SMS_PURPOSE, code=None)
        except Exception:  # one unreachable number must not keep the others from their SMS
            log.warning("application SMS to %s failed", mask_mobile(mobile), exc_info=True)
