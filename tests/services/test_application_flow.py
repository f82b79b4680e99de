"""The permit application's state machine at the acceptance point: every (state, action) pair, the
reasons and confirmations it needs, points, time limits, the permit at collection, notices, races."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.conftest import DATABASE_URL, is_postgres
from tests.housing import FUTIAN, YUEHAI, make_person, point_of
from tests.permits import a_submitted_application
from tests.support import create_account
from web.adapters.sms import OutboxGateway, SmsDeliveryError
from web.models import (
    Account,
    ApplicationEvent,
    ApplicationKind,
    ApplicationState,
    AuditEntry,
    Permit,
    PermitApplication,
    PermitStatus,
    Person,
    Role,
    SmsOutbox,
    SystemMessage,
    Unit,
)
from web.services import application_flow
from web.services.application_flow import NotFound, TransitionRefused, apply_action
from web.services.identity import make_credit_code

S = ApplicationState
TODAY = date(2026, 3, 13)  # a Friday
NOW = datetime(2026, 3, 13, 2, 30, tzinfo=UTC)  # 10:30 in Shenzhen
ALL_CONFIRMED = {"applicant_present": "1", "identity_checked": "1", "form_signed": "1"}

# The rules of DOMAIN §4, written out here rather than read from the module under test.
# (state, action) -> the state it leads to for a free and for a paid (20 yuan) application.
ALLOWED: dict[tuple[ApplicationState, str], tuple[ApplicationState | None, ApplicationState | None]] = {
    (S.SUBMITTED, "accept"): (S.ACCEPTED, S.ACCEPTED),
    (S.ACCEPTED, "start_review"): (S.UNDER_REVIEW, S.UNDER_REVIEW),
    (S.UNDER_REVIEW, "approve"): (S.APPROVED, S.APPROVED),
    (S.SUBMITTED, "reject"): (S.REJECTED, S.REJECTED),
    (S.ACCEPTED, "reject"): (S.REJECTED, S.REJECTED),
    (S.UNDER_REVIEW, "reject"): (S.REJECTED, S.REJECTED),
    (S.APPROVED, "to_production"): (S.IN_PRODUCTION, S.PENDING_PAYMENT),
    (S.PENDING_PAYMENT, "mark_paid"): (None, S.IN_PRODUCTION),  # a free application never owes a fee
    (S.IN_PRODUCTION, "ready_for_collection"): (S.READY_FOR_COLLECTION, S.READY_FOR_COLLECTION),
    (S.READY_FOR_COLLECTION, "collect"): (S.COLLECTED, S.COLLECTED),
}
ACTIONS = ("accept", "start_review", "approve", "reject", "to_production", "mark_paid", "ready_for_collection", "collect")
SMS_STATES = {S.ACCEPTED, S.REJECTED, S.PENDING_PAYMENT, S.READY_FOR_COLLECTION}
PAST_ACCEPTANCE = {S.ACCEPTED, S.UNDER_REVIEW, S.APPROVED, S.PENDING_PAYMENT, S.IN_PRODUCTION, S.READY_FOR_COLLECTION, S.COLLECTED}


# --- helpers -----------------------------------------------------------------------------------------


async def make_application(
    *,
    state: ApplicationState = S.SUBMITTED,
    kind: ApplicationKind = ApplicationKind.FIRST,
    fee_yuan: int = 0,
    street: str = FUTIAN,
    person: Person | None = None,
    **values: Any,
) -> PermitApplication:
    """A submitted application (tests/permits.py, with an account for the person) set to `state`."""
    if person is None:
        person = await make_person("王芳", sex="F", birth_date=date(1992, 5, 17), mobile="13800138000")
    if state in PAST_ACCEPTANCE:
        values = {"accepted_at": datetime(2026, 3, 17, 1, 0, tzinfo=UTC), "due_date": date(2026, 4, 7), **values}
    return await a_submitted_application(
        person, await point_of(street), state=state, kind=kind, fee_yuan=fee_yuan, **values
    )


async def staff_at(street: str = FUTIAN) -> Account:
    return await create_account("staff", password_hash="x", point_id=(await point_of(street)).id)


async def act(application: PermitApplication, action: str, staff: Account, **options: Any) -> PermitApplication:
    """The action as the staff page sends it: the staff's own point, every box ticked, a reason."""
    values: dict[str, Any] = {
        "actor": staff,
        "point_id": staff.point_id,  # type: ignore[attr-defined]
        "today": TODAY,
        "now": NOW,
        "sms_gateway": OutboxGateway(),
        "reason_code": "insurance" if action == "reject" else "",
        "confirmations": {**ALL_CONFIRMED, "acceptance_number": application.acceptance_number},
        "ip": "198.51.100.23",
    }
    values.update(options)
    return await apply_action(application.id, action, **values)


async def counts(application: PermitApplication) -> tuple[int, int, int, int, int]:
    """(events after submission, audit entries, system messages, SMS, permits)."""
    return (
        await ApplicationEvent.filter(application_id=application.id).exclude(action="submit").count(),
        await AuditEntry.filter(target_type="permit_application", target_id=str(application.id)).count(),
        await SystemMessage.all().count(),
        await SmsOutbox.all().count(),
        await Permit.all().count(),
    )


# --- the state machine over every (state, action) pair -----------------------------------------------


@pytest.mark.parametrize("fee_yuan", [0, 20], ids=["free", "paid"])
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", list(ApplicationState), ids=[s.value for s in ApplicationState])
async def test_every_state_and_action(db: None, state: ApplicationState, action: str, fee_yuan: int) -> None:
    application = await make_application(state=state, fee_yuan=fee_yuan, kind=ApplicationKind.FIRST if not fee_yuan else ApplicationKind.RENEWAL)
    staff = await staff_at()
    expected = ALLOWED.get((state, action), (None, None))[1 if fee_yuan else 0]

    assert (action in application_flow.allowed_actions(state, fee_yuan)) == (expected is not None)
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            await act(application, action, staff)
        assert (refused.value.reason, refused.value.state) == ("not_allowed", state)
        assert (await PermitApplication.get(id=application.id)).state == state
        assert await counts(application) == (0, 0, 0, 0, 0)
        return

    result = await act(application, action, staff)

    stored = await PermitApplication.get(id=application.id)
    assert result.state == stored.state == expected
    assert stored.open_person_id == (None if expected in (S.REJECTED, S.COLLECTED) else application.person_id)  # type: ignore[attr-defined]
    event = await ApplicationEvent.get(application_id=application.id, action=action)
    assert (event.from_state, event.to_state, event.actor_id, event.at) == (state, expected, staff.id, NOW)  # type: ignore[attr-defined]
    assert event.reason == ("社会保险缴纳记录不符合要求" if action == "reject" else "")
    entry = await AuditEntry.get(target_type="permit_application", target_id=str(application.id))
    assert (entry.action, entry.actor_id, entry.actor_role, entry.subject_id) == (  # type: ignore[attr-defined]
        f"application.{action}", staff.id, "staff", application.person_id  # type: ignore[attr-defined]
    )
    assert (entry.detail["from"], entry.detail["to"], entry.ip_masked) == (state.value, expected.value, "198.51.100.*")
    sms = 1 if expected in SMS_STATES else 0
    assert await counts(application) == (1, 1, 1, sms, 1 if action == "collect" else 0)
    message = await SystemMessage.get()
    assert message.account_id == application.submitted_by_id  # type: ignore[attr-defined]
    assert application.acceptance_number in message.title and application.acceptance_number in message.body


async def test_an_unknown_action_is_refused(db: None) -> None:
    application = await make_application()
    with pytest.raises(TransitionRefused) as refused:
        await act(application, "withdraw", await staff_at())
    assert refused.value.reason == "unknown_action"
    assert await counts(application) == (0, 0, 0, 0, 0)


def test_allowed_actions_follow_the_workflow() -> None:
    assert application_flow.allowed_actions(S.SUBMITTED, 0) == ("accept", "reject")
    assert application_flow.allowed_actions("under_review", 20) == ("approve", "reject")
    assert application_flow.allowed_actions(S.APPROVED, 20) == ("to_production",)
    assert application_flow.allowed_actions(S.PENDING_PAYMENT, 20) == ("mark_paid",)
    assert application_flow.allowed_actions(S.DRAFT, 0) == ()
    assert application_flow.allowed_actions(S.COLLECTED, 0) == ()


# --- reasons and confirmations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason_code", "reason", "refusal", "fields"),
    [
        ("", "", "reason_required", ("reason_code", "reason")),
        ("", "   \x00 ", "reason_required", ("reason_code", "reason")),
        ("no_such_code", "", "reason_required", ("reason_code", "reason")),
        ("other", "", "reason_detail_required", ("reason",)),
        ("", "长" * 501, "reason_too_long", ("reason",)),
    ],
)
async def test_reject_needs_a_reason(
    db: None, reason_code: str, reason: str, refusal: str, fields: tuple[str, ...]
) -> None:
    application = await make_application(state=S.UNDER_REVIEW)
    with pytest.raises(TransitionRefused) as refused:
        await act(application, "reject", await staff_at(), reason_code=reason_code, reason=reason)
    assert (refused.value.reason, refused.value.fields) == (refusal, fields)
    assert (await PermitApplication.get(id=application.id)).state == S.UNDER_REVIEW
    assert await counts(application) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("reason_code", "reason", "stored"),
    [
        ("photo", "", "数码相片不合格或相片回执号无效"),
        ("photo", " 背景  不是白色 ", "数码相片不合格或相片回执号无效：背景 不是白色"),
        ("other", "申请人已取得深圳户籍", "申请人已取得深圳户籍"),
        ("", "申请人已取得深圳户籍", "申请人已取得深圳户籍"),
        ("withdrawn", "", "申请人申请撤回"),
    ],
)
async def test_the_rejection_reason_reaches_the_timeline_and_the_applicant(
    db: None, reason_code: str, reason: str, stored: str
) -> None:
    application = await make_application(state=S.SUBMITTED)
    await act(application, "reject", await staff_at(), reason_code=reason_code, reason=reason)

    assert (await ApplicationEvent.get(application_id=application.id, action="reject")).reason == stored
    message = await SystemMessage.get()
    assert message.title == f"居住证申请{application.acceptance_number}审核不通过"
    assert message.body.endswith(f"原因：{stored}")
    sms = await SmsOutbox.get()
    assert sms.body.startswith("【深圳居住证】") and sms.body.endswith(f"原因：{stored}")
    detail = (await AuditEntry.get(action="application.reject")).detail
    assert detail["reason_code"] == (reason_code if reason_code else "")


async def test_accept_needs_every_counter_check(db: None) -> None:
    application = await make_application()
    staff = await staff_at()
    with pytest.raises(TransitionRefused) as refused:
        await act(application, "accept", staff, confirmations={"applicant_present": "on", "form_signed": ""})
    assert (refused.value.reason, refused.value.fields) == ("confirmation_missing", ("identity_checked", "form_signed"))
    assert await counts(application) == (0, 0, 0, 0, 0)

    accepted = await act(application, "accept", staff, confirmations={"applicant_present": "on", "identity_checked": "on", "form_signed": "on"})
    assert accepted.state == S.ACCEPTED and accepted.accepted_at == NOW


async def test_collect_needs_the_receipts_acceptance_number(db: None) -> None:
    application = await make_application(state=S.READY_FOR_COLLECTION)
    staff = await staff_at()
    for typed in ("", "SZ20260302999999"):
        with pytest.raises(TransitionRefused) as refused:
            await act(application, "collect", staff, confirmations={"acceptance_number": typed})
        assert (refused.value.reason, refused.value.fields) == ("confirmation_missing", ("acceptance_number",))
    assert await counts(application) == (0, 0, 0, 0, 0)

    typed = " " + application.acceptance_number.lower()[:8] + " " + application.acceptance_number[8:]
    collected = await act(application, "collect", staff, confirmations={"acceptance_number": typed})
    assert collected.state == S.COLLECTED


async def test_a_note_on_other_actions_is_kept_in_the_timeline(db: None) -> None:
    application = await make_application(state=S.ACCEPTED)
    await act(application, "start_review", await staff_at(), reason="  材料齐全，\x00转审核 ")
    assert (await ApplicationEvent.get(application_id=application.id, action="start_review")).reason == "材料齐全，转审核"


# --- points --------------------------------------------------------------------------------------------


async def test_an_application_of_another_point_is_not_found(db: None) -> None:
    application = await make_application(street=YUEHAI)
    with pytest.raises(NotFound):
        await act(application, "accept", await staff_at(FUTIAN))
    assert (await PermitApplication.get(id=application.id)).state == S.SUBMITTED
    assert await counts(application) == (0, 0, 0, 0, 0)


async def test_a_missing_application_is_not_found_whatever_the_action(db: None) -> None:
    staff = await staff_at()
    with pytest.raises(NotFound):
        await apply_action(999_999, "accept", actor=staff, point_id=staff.point_id, today=TODAY, now=NOW,  # type: ignore[attr-defined]
                           sms_gateway=OutboxGateway(), confirmations=ALL_CONFIRMED)  # fmt: skip


async def test_only_staff_of_the_point_and_administrators_may_act(db: None) -> None:
    application = await make_application(street=YUEHAI)
    pointless = await create_account("staff", password_hash="x")
    with pytest.raises(NotFound):
        await act(application, "accept", pointless, point_id=None)

    applicant = await Account.get(id=application.submitted_by_id)  # type: ignore[attr-defined]
    with pytest.raises(NotFound):  # the applicant cannot accept their own application
        await act(application, "accept", applicant, point_id=None)

    admin = await create_account("admin", password_hash="x")
    accepted = await act(application, "accept", admin, point_id=None)
    assert accepted.state == S.ACCEPTED
    assert (await AuditEntry.get(action="application.accept")).actor_role == Role.ADMIN


# --- time limits ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "today", "due"),
    [
        # Accepted on a Friday: weekends do not count. 15 working days for a first application...
        (ApplicationKind.FIRST, date(2026, 3, 13), date(2026, 4, 3)),
        # ...10 for a renewal and a replacement.
        (ApplicationKind.RENEWAL, date(2026, 3, 13), date(2026, 3, 27)),
        (ApplicationKind.REPLACEMENT, date(2026, 3, 13), date(2026, 3, 27)),
        # Across the National Day holiday (1-7 October 2026, Saturday 10 October worked).
        (ApplicationKind.REPLACEMENT, date(2026, 9, 30), date(2026, 10, 20)),
    ],
)
async def test_due_date_counts_working_days_from_acceptance(
    db: None, kind: ApplicationKind, today: date, due: date
) -> None:
    application = await make_application(kind=kind)
    accepted = await act(application, "accept", await staff_at(), today=today)
    assert accepted.due_date == due
    assert (await PermitApplication.get(id=application.id)).due_date == due


# --- collection ----------------------------------------------------------------------------------------


async def test_collect_issues_the_permit_and_closes_the_application(db: None) -> None:
    application = await make_application(state=S.READY_FOR_COLLECTION)

    collected = await act(application, "collect", await staff_at())

    permit = await Permit.get(application_id=application.id)
    assert permit.number == f"JZZ2026{application.id:08d}"
    assert (permit.person_id, permit.issued_on, permit.anchor_date) == (application.person_id, TODAY, TODAY)  # type: ignore[attr-defined]
    assert (permit.status, permit.current_person_id) == (PermitStatus.VALID, application.person_id)  # type: ignore[attr-defined]
    assert collected.open_person_id is None
    detail = (await AuditEntry.get(action="application.collect")).detail
    assert detail["permit_number"] == permit.number
    message = await SystemMessage.get()
    assert permit.number in message.body and "2026-03-13" in message.body
    # The person may apply again later (a renewal, say): nothing open blocks it.
    person = await Person.get(id=application.person_id)  # type: ignore[attr-defined]
    again = await make_application(person=person)
    assert again.open_person_id == person.id


async def test_a_rejected_application_lets_the_person_apply_again(db: None) -> None:
    application = await make_application()
    rejected = await act(application, "reject", await staff_at(), reason_code="not_presented")
    assert rejected.open_person_id is None
    person = await Person.get(id=application.person_id)  # type: ignore[attr-defined]
    again = await make_application(person=person)
    assert again.state == S.SUBMITTED


async def test_a_renewal_card_replaces_the_card_in_force(db: None) -> None:
    application = await make_application(state=S.READY_FOR_COLLECTION, kind=ApplicationKind.RENEWAL, fee_yuan=20)
    old = await Permit.create(
        number="JZZ202400000001", person_id=application.person_id, issued_on=date(2024, 3, 1),  # type: ignore[attr-defined]
        anchor_date=date(2024, 3, 1), status=PermitStatus.VALID,
    )  # fmt: skip

    await act(application, "collect", await staff_at())

    old = await Permit.get(id=old.id)
    assert (old.status, old.cancelled_on, old.current_person_id) == (PermitStatus.CANCELLED, TODAY, None)
    new = await Permit.get(application_id=application.id)
    assert (new.status, new.current_person_id) == (PermitStatus.VALID, application.person_id)  # type: ignore[attr-defined]


# --- notices ---------------------------------------------------------------------------------------------


async def test_accepting_tells_the_applicant_where_and_by_when(db: None) -> None:
    application = await make_application()
    await act(application, "accept", await staff_at())

    point = await point_of(FUTIAN)
    message = await SystemMessage.get()
    assert message.title == f"居住证申请{application.acceptance_number}已受理"
    assert message.body == (
        f"您的居住证申请（受理编号：{application.acceptance_number}）已于2026-03-13在{point.name}受理，"
        "预计于2026-04-03前办结。"
    )
    sms = await SmsOutbox.get()
    assert (sms.mobile, sms.purpose, sms.code) == ((await Account.get(id=application.submitted_by_id)).mobile, "application", None)  # type: ignore[attr-defined]
    assert sms.body.startswith("【深圳居住证】") and application.acceptance_number in sms.body and "2026-04-03" in sms.body


@pytest.mark.parametrize(
    ("state", "action", "fee_yuan", "words"),
    [
        (S.SUBMITTED, "accept", 0, "受理点受理"),
        (S.UNDER_REVIEW, "reject", 0, "审核不通过"),
        (S.APPROVED, "to_production", 20, "缴纳工本费20元"),
        (S.IN_PRODUCTION, "ready_for_collection", 0, "携带回执"),
    ],
)
async def test_an_sms_for_the_four_states_the_applicant_must_act_on(
    db: None, state: ApplicationState, action: str, fee_yuan: int, words: str
) -> None:
    application = await make_application(state=state, fee_yuan=fee_yuan)
    await act(application, action, await staff_at())

    [sms] = await SmsOutbox.all()
    assert words in sms.body and application.acceptance_number in sms.body
    assert "福田街道" in sms.body or action == "reject"


async def test_a_unit_application_tells_the_agent_and_texts_the_mobile_on_the_form(db: None) -> None:
    point = await point_of(FUTIAN)
    unit = await Unit.create(
        name="深圳市测试科技有限公司", credit_code=make_credit_code("91440300MA5F00000"), address="福田区测试路1号",
        contact_name="赵经理", contact_phone="0755-88880000", point=point,
    )  # fmt: skip
    agent = await create_account("unit_agent", password_hash="x", unit_id=unit.id)
    person = await make_person("陈明", mobile="13712345678")
    application = await make_application(person=person, submitted_by=agent, unit=unit, mobile="13712345678")
    # Declared by the unit, the person has no account of their own (the factory gives everyone one).
    await Account.filter(person_id=person.id).delete()

    await act(application, "accept", await staff_at())

    assert await SystemMessage.filter(account_id=agent.id).count() == 1
    assert sorted(await SmsOutbox.all().values_list("mobile", flat=True)) == sorted(["13712345678", agent.mobile])

    # Once the person has an account of their own, they get the notices too (and the form's number
    # no longer: their account's mobile is the one they confirmed).
    own = await create_account("resident", password_hash="x", person_id=person.id, mobile="13911112222")
    await act(application, "start_review", await staff_at())
    assert await SystemMessage.filter(account_id=own.id).count() == 1
    assert await SystemMessage.filter(account_id=agent.id).count() == 2


async def test_a_failing_sms_gateway_does_not_undo_the_action(db: None) -> None:
    class Broken:
        async def send(self, mobile: str, body: str, *, purpose: str, code: str | None) -> None:
            raise SmsDeliveryError("gateway down")

    application = await make_application()
    accepted = await act(application, "accept", await staff_at(), sms_gateway=Broken())

    assert accepted.state == S.ACCEPTED
    assert (await PermitApplication.get(id=application.id)).state == S.ACCEPTED
    assert await SystemMessage.all().count() == 1


# --- two staff at once -----------------------------------------------------------------------------------


async def test_two_staff_accepting_at_once_make_one_transition(db: None) -> None:
    application = await make_application()
    first, second = await staff_at(), await staff_at()

    results = await asyncio.gather(
        act(application, "accept", first), act(application, "accept", second), return_exceptions=True
    )

    assert sorted(type(result).__name__ for result in results) == ["PermitApplication", "TransitionRefused"], results
    assert await counts(application) == (1, 1, 1, 1, 0)
    assert (await PermitApplication.get(id=application.id)).state == S.ACCEPTED


async def test_accepting_and_rejecting_at_once_keep_the_timeline_a_chain(db: None) -> None:
    # Either one wins and the other finds the state changed, or they run one after the other
    # (accept, then reject from ACCEPTED, which is allowed): never two moves from SUBMITTED.
    application = await make_application()
    first, second = await staff_at(), await staff_at()

    results = await asyncio.gather(
        act(application, "accept", first), act(application, "reject", second), return_exceptions=True
    )

    done = [result for result in results if isinstance(result, PermitApplication)]
    assert done and all(isinstance(r, PermitApplication | TransitionRefused) for r in results), results
    events = await ApplicationEvent.filter(application_id=application.id).exclude(action="submit").order_by("id")
    assert len(events) == len(done)
    assert [event.from_state for event in events] == [S.SUBMITTED, *(event.to_state for event in events[:-1])]
    stored = await PermitApplication.get(id=application.id)
    assert stored.state == events[-1].to_state
    assert stored.open_person_id == (None if stored.state == S.REJECTED else application.person_id)  # type: ignore[attr-defined]


@pytest.mark.skipif(not is_postgres(DATABASE_URL), reason="PostgreSQL: the transactions really overlap")
async def test_the_two_clicks_run_on_two_connections(db: None) -> None:
    """On PostgreSQL the two actions take two pooled connections and truly overlap: the second
    waits on the row lock of the first and then finds the state changed."""
    from tortoise import connections

    application = await make_application()
    staff = [await staff_at() for _ in range(4)]
    client = connections.get("default")
    assert getattr(client, "_pool", None) is not None  # a pool: concurrent transactions get their own connection

    results = await asyncio.gather(*(act(application, "accept", member) for member in staff), return_exceptions=True)

    assert sum(isinstance(result, PermitApplication) for result in results) == 1, results
    assert all(isinstance(r, PermitApplication) or (isinstance(r, TransitionRefused) and r.reason == "not_allowed") for r in results)
    assert await counts(application) == (1, 1, 1, 1, 0)


async def test_a_failure_inside_the_transaction_leaves_nothing_behind(db: None) -> None:
    application = await make_application(state=S.READY_FOR_COLLECTION)
    other = await make_person("李娜")
    # A card number already taken (a bug, if it ever happened): the unique index stops the insert.
    await Permit.create(
        number=f"JZZ2026{application.id:08d}", person_id=other.id, issued_on=TODAY, anchor_date=TODAY
    )

    with pytest.raises(Exception):  # noqa: B017 - the database's unique constraint, whichever class
        await act(application, "collect", await staff_at())

    stored = await PermitApplication.get(id=application.id)
    assert (stored.state, stored.open_person_id) == (S.READY_FOR_COLLECTION, application.person_id)  # type: ignore[attr-defined]
    assert await counts(application) == (0, 0, 0, 0, 1)
