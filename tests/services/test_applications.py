"""The application wizard's rules: each step's checks, who may apply, and submitting exactly once."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.housing import FUTIAN, make_house, make_registration
from tests.permits import a_submitted_application
from tests.support import create_account
from web.adapters.insurance import TableInsuranceRegistry
from web.adapters.photos import LocalPhotoRegistry, Photo
from web.models import (
    Account,
    ApplicationEvent,
    ApplicationState,
    CoResident,
    Draft,
    IdType,
    InsuranceMonth,
    PermitApplication,
    Person,
    Sex,
)
from web.services import applications, rules
from web.services.applications import ApplicationRefused, ApplyDraft, FamilyRow, StepInvalid
from web.services.dates import add_months
from web.services.identity import make_id_number
from web.services.nearest_points import suggest_points

TODAY = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 2, 30, tzinfo=UTC)
APPLICANT_ID = make_id_number("430102", date(1990, 3, 7), 135)
SPOUSE_ID = make_id_number("450103", date(1991, 6, 1), 246)
CHILD_ID = make_id_number("440304", date(2018, 9, 1), 112)
NANSHAN_POINT = "440305007"  # 粤海街道: another district than 福田
PHOTOS = LocalPhotoRegistry()
INSURANCE = TableInsuranceRegistry()

PERSONAL = {
    "name": "张伟", "sex": "M", "ethnicity": "01", "birth_date": "1990-03-07", "id_number": APPLICANT_ID,
    "hukou_address": "湖南省长沙市芙蓉区五一大道100号", "mobile": "13912345678", "education": "bachelor",
    "workplace": "深圳示范科技有限公司",
}  # fmt: skip


class NoPhotos:
    """A photo registry that knows no number (the studio's record expired)."""

    async def lookup(self, number: str) -> Photo | None:
        return None


async def make_applicant(*, authenticated: bool = False, street: str = FUTIAN) -> Account:
    person = await Person.create(
        id_type=IdType.RESIDENT_ID, id_number=APPLICANT_ID, name="张伟", sex=Sex.MALE, ethnicity="01",
        birth_date=date(1990, 3, 7), hukou_address="湖南省长沙市芙蓉区五一大道100号", mobile="13912345678",
    )  # fmt: skip
    await make_registration(person, house=await make_house(street), start=add_months(TODAY, -13))
    for back in range(1, 13):
        await InsuranceMonth.create(id_number=APPLICANT_ID, month=add_months(TODAY.replace(day=1), -back))
    return await create_account("resident", person=person, password_hash="x",
                                real_name_verified_at=NOW if authenticated else None)


async def who_of(account: Account) -> applications.Applicant:
    return await applications.applicant(account, today=TODAY, insurance=INSURANCE)


async def a_complete_draft(account: Account, **answers: str) -> ApplyDraft:
    """Every step answered through the service, as the wizard would."""
    who = await who_of(account)
    draft = await applications.start_or_resume(who)
    steps: list[tuple[str, Mapping[str, str]]] = [
        ("condition", {"condition": "residence_and_insurance"}),
        ("personal", {**PERSONAL, **{k: v for k, v in answers.items() if k in PERSONAL}}),
        ("photo", {"photo_number": answers.get("photo_number", "PH2026ABC1")}),
        ("family", {}),
        ("point", {"acceptance_point": answers.get("acceptance_point", FUTIAN)}),
    ]
    family = [FamilyRow(1, "李娜", "spouse", SPOUSE_ID)]
    for step, values in steps:
        result = await applications.answer_step(who, draft, step, values, family=family, today=TODAY, photos=PHOTOS)
        assert result.ok, (step, result.reasons)
    return draft


async def token_of(account: Account) -> str:
    return await applications.draft_token(account.id)


async def submit(account: Account, token: str, **kwargs: Any) -> applications.Submission:
    return await applications.submit(account, token, today=TODAY, now=NOW, insurance=INSURANCE,
                                     photos=kwargs.get("photos", PHOTOS))


# --- step 1 and 2 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "reasons"), [
    ("residence_and_insurance", {}), ("talent", {}), ("student", {}),
    ("", {"condition": "missing"}), ("everything", {"condition": "missing"}),
])  # fmt: skip
def test_the_condition_is_one_of_the_three(value: str, reasons: dict[str, str]) -> None:
    assert applications.check_condition({"condition": value}).reasons == reasons


@pytest.mark.parametrize(("changes", "reasons"), [
    pytest.param({}, {}, id="as-prefilled"),
    pytest.param({"birth_date": "1990-02-30"}, {"birth_date": "format"}, id="impossible-date"),
    pytest.param({"birth_date": "1991-03-07"}, {"id_number": "birth_date_mismatch"}, id="date-disagrees-with-id"),
    pytest.param({"sex": "F"}, {"id_number": "sex_mismatch"}, id="sex-disagrees-with-id"),
    pytest.param({"id_number": APPLICANT_ID[:-1] + "0"}, {"id_number": "checksum"}, id="checksum"),
    pytest.param({"mobile": "12345"}, {"mobile": "format"}, id="mobile"),
    pytest.param({"education": "genius"}, {"education": "missing"}, id="education-not-on-the-list"),
    pytest.param({"workplace": " "}, {"workplace": "missing"}, id="workplace-missing"),
    pytest.param({"workplace": "公" * 129}, {"workplace": "too_long"}, id="workplace-too-long"),
])  # fmt: skip
async def test_personal_details_use_the_existing_validators(
    db: None, changes: dict[str, str], reasons: dict[str, str]
) -> None:
    account = await make_applicant()
    person = await Person.get(id=account.person_id)
    result = await applications.check_personal({**PERSONAL, **changes}, person=person, locked=frozenset(), today=TODAY)
    assert result.reasons == reasons


async def test_another_persons_id_number_is_refused(db: None) -> None:
    account = await make_applicant()
    other = await Person.create(id_type=IdType.RESIDENT_ID, id_number=SPOUSE_ID, name="李娜", sex=Sex.FEMALE,
                                birth_date=date(1991, 6, 1))
    person = await Person.get(id=account.person_id)
    typed = {**PERSONAL, "id_number": other.id_number, "sex": "F", "birth_date": "1991-06-01"}
    result = await applications.check_personal(typed, person=person, locked=frozenset(), today=TODAY)
    assert result.reasons == {"id_number": "taken"}


async def test_after_authentication_name_and_id_number_come_from_the_records(db: None) -> None:
    account = await make_applicant(authenticated=True)
    person = await Person.get(id=account.person_id)
    locked = applications.locked_fields(account, person)
    assert locked == {"name", "id_number", "sex", "birth_date"}
    result = await applications.check_personal(
        {**PERSONAL, "name": "李四", "id_number": SPOUSE_ID}, person=person, locked=locked, today=TODAY
    )
    assert result.ok and result.answers["name"] == "张伟" and result.answers["id_number"] == APPLICANT_ID


# --- step 3 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "number", "reasons"), [
    (" ph2026abc1 ", "PH2026ABC1", {}),
    ("", "", {"photo_number": "required"}),
    ("AB12", "AB12", {"photo_number": "format"}),  # too short
    ("PH-2026-001", "PH-2026-001", {"photo_number": "format"}),  # a hyphen
    ("相片２０２６０１", "相片２０２６０１", {"photo_number": "format"}),
    ("X" * 33, "X" * 33, {"photo_number": "format"}),
])  # fmt: skip
async def test_the_photo_number_has_the_right_shape(typed: str, number: str, reasons: dict[str, str]) -> None:
    result = await applications.check_photo({"photo_number": typed}, photos=PHOTOS)
    assert result.reasons == reasons and result.answers["photo_number"] == number


async def test_a_photo_number_the_registry_does_not_know_is_refused() -> None:
    result = await applications.check_photo({"photo_number": "PH2026ABC1"}, photos=NoPhotos())
    assert result.reasons == {"photo_number": "not_found"}


# --- step 4 --------------------------------------------------------------------------------------------


def family(*rows: tuple[str, str, str]) -> list[FamilyRow]:
    return [FamilyRow(index, *row) for index, row in enumerate(rows, 1)]


@pytest.mark.parametrize(("rows", "reasons"), [
    pytest.param(family(), {}, id="nobody"),
    pytest.param(family(("", "", "")), {}, id="a-blank-row-is-ignored"),
    pytest.param(family(("李娜", "spouse", SPOUSE_ID), ("张小明", "child", CHILD_ID.lower())), {}, id="two"),
    pytest.param(family(("李娜", "spouse", SPOUSE_ID[:-1] + ("1" if SPOUSE_ID[-1] == "0" else "0"))),
                 {"family_id_number-1": "invalid"}, id="bad-checksum"),
    pytest.param(family(("李娜", "spouse", "12345")), {"family_id_number-1": "invalid"}, id="bad-length"),
    pytest.param(family(("张伟", "other", APPLICANT_ID)), {"family_id_number-1": "own"}, id="own-number"),
    pytest.param(family(("李娜", "spouse", SPOUSE_ID), ("李娜", "spouse", SPOUSE_ID)),
                 {"family_id_number-2": "duplicate"}, id="twice"),
    pytest.param(family(("", "cousin", SPOUSE_ID)),
                 {"family_name-1": "missing", "family_relation-1": "missing"}, id="name-and-relation"),
    pytest.param(family(("李娜", "spouse", "")), {"family_id_number-1": "missing"}, id="number-missing"),
])  # fmt: skip
def test_co_residents_are_checked_row_by_row(rows: list[FamilyRow], reasons: dict[str, str]) -> None:
    result = applications.check_family(rows, applicant_id_number=APPLICANT_ID, today=TODAY)
    assert result.reasons == reasons


def test_more_co_residents_than_the_limit_are_refused_not_dropped() -> None:
    numbers = [make_id_number("440304", date(2000, 1, day), 2 * day) for day in range(1, rules.MAX_CO_RESIDENTS + 2)]
    names = "李一 李二 李三 李四 李五 李六 李七 李八 李九 李十".split()
    rows = family(*[(names[n], "other", number) for n, number in enumerate(numbers)])
    result = applications.check_family(rows, applicant_id_number=APPLICANT_ID, today=TODAY)
    assert result.reasons == {"family": "too_many"}


def test_accepted_rows_are_stored_without_the_blank_ones() -> None:
    rows = family(("", "", ""), ("李娜", "spouse", SPOUSE_ID.lower()))
    result = applications.check_family(rows, applicant_id_number=APPLICANT_ID, today=TODAY)
    assert result.ok and result.family == [FamilyRow(1, "李娜", "spouse", SPOUSE_ID)]


def test_repeated_form_fields_become_rows() -> None:
    rows = applications.family_rows({"family_name": ["李娜", "张小明"], "family_relation": ["spouse"],
                                     "family_id_number": [SPOUSE_ID, CHILD_ID]})
    assert rows == [FamilyRow(1, "李娜", "spouse", SPOUSE_ID), FamilyRow(2, "张小明", "", CHILD_ID)]


# --- step 5 --------------------------------------------------------------------------------------------


async def test_only_a_point_of_the_registrations_district_is_allowed(db: None) -> None:
    suggestion = await suggest_points(FUTIAN)
    assert applications.check_point({"acceptance_point": FUTIAN}, suggestion=suggestion).ok
    outside = applications.check_point({"acceptance_point": NANSHAN_POINT}, suggestion=suggestion)
    assert outside.reasons == {"acceptance_point": "not_allowed"}
    assert applications.check_point({"acceptance_point": "'; DROP"}, suggestion=suggestion).reasons == {
        "acceptance_point": "not_allowed"}
    assert applications.check_point({}, suggestion=suggestion).reasons == {"acceptance_point": "missing"}


# --- prefill, corrections, numbers ---------------------------------------------------------------------


async def test_the_form_is_prefilled_from_the_profile_and_the_registration(db: None) -> None:
    account = await make_applicant()
    values = await applications.prefill(await who_of(account))
    assert values["name"] == "张伟" and values["id_number"] == APPLICANT_ID and values["sex"] == "M"
    assert values["workplace"] == "深圳示范科技有限公司"  # the declaration knew it, the profile not
    assert values["education"] == ""


def test_corrected_fields_name_the_prefilled_values_the_user_changed() -> None:
    draft = ApplyDraft(
        answers={"name": "张伟", "mobile": "13800000000", "education": "bachelor", "workplace": "新公司"},
        prefill={"name": "张伟", "mobile": "13912345678", "education": "", "workplace": "旧公司"},
    )
    assert applications.corrected_fields(draft) == ["mobile", "workplace"]


def test_acceptance_numbers_are_sz_the_date_and_six_digits() -> None:
    numbers = {applications.acceptance_number(TODAY) for _ in range(50)}
    assert all(re.fullmatch(r"SZ20260316[0-9]{6}", number) for number in numbers)
    assert len(numbers) > 40  # random, not a counter


# --- who may apply -------------------------------------------------------------------------------------


async def test_an_open_application_blocks_a_second_one(db: None) -> None:
    account = await make_applicant()
    await a_complete_draft(account)
    existing = await a_submitted_application(await Person.get(id=account.person_id))
    with pytest.raises(ApplicationRefused) as refused:
        await submit(account, await token_of(account))
    assert refused.value.reason == "open_application" and refused.value.application.id == existing.id
    assert await Draft.exists(account_id=account.id)  # nothing typed is lost


@pytest.mark.parametrize(("authenticated", "reason"), [(False, "authentication_required"), (True, "not_first")])
async def test_a_person_who_had_a_permit_cannot_make_a_first_application(
    db: None, authenticated: bool, reason: str
) -> None:
    account = await make_applicant(authenticated=authenticated)
    await a_submitted_application(await Person.get(id=account.person_id), state=ApplicationState.COLLECTED)
    with pytest.raises(ApplicationRefused) as refused:
        await who_of(account)
    assert refused.value.reason == reason


async def test_without_a_current_registration_nobody_applies(db: None) -> None:
    person = await Person.create(id_type=IdType.RESIDENT_ID, id_number=APPLICANT_ID, name="张伟")
    account = await create_account("resident", person=person, password_hash="x")
    with pytest.raises(ApplicationRefused) as refused:
        await who_of(account)
    assert refused.value.reason == "no_registration"
    with pytest.raises(ApplicationRefused) as without_person:
        await who_of(await create_account("resident", password_hash="x"))
    assert without_person.value.reason == "no_person"


# --- submitting exactly once -------------------------------------------------------------------------


async def test_submit_creates_the_application_its_family_and_its_event(db: None) -> None:
    account = await make_applicant()
    await a_complete_draft(account, workplace="深圳新科技有限公司")
    token = await token_of(account)

    submission = await submit(account, token)

    application = submission.application
    assert submission.created and application.state == ApplicationState.SUBMITTED
    assert application.corrected_fields == ["workplace"] and application.draft_token == token
    assert application.open_person_id == account.person_id
    assert [(r.name, r.relation) for r in await CoResident.filter(application_id=application.id)] == [("李娜", "spouse")]
    event = await ApplicationEvent.get(application_id=application.id)
    assert event.from_state is None and event.to_state == ApplicationState.SUBMITTED and event.action == "submit"
    assert event.at == application.submitted_at  # the service clock's time, as every later event's
    assert not await Draft.exists(account_id=account.id)


async def test_a_replayed_token_creates_nothing_and_returns_the_first_application(db: None) -> None:
    account = await make_applicant()
    await a_complete_draft(account)
    token = await token_of(account)
    first = await submit(account, token)
    again = await submit(account, token)
    assert not again.created and again.application.id == first.application.id
    assert await PermitApplication.filter(person_id=account.person_id).count() == 1


async def test_a_tampered_token_is_refused_and_the_draft_stays(db: None) -> None:
    account = await make_applicant()
    await a_complete_draft(account)
    with pytest.raises(ApplicationRefused) as refused:
        await submit(account, "not-the-token")
    assert refused.value.reason == "token"
    assert await Draft.exists(account_id=account.id) and not await PermitApplication.exists()
    assert (await submit(account, await token_of(account))).created  # the real one still works


async def test_two_concurrent_submissions_of_one_draft_create_one_application(db: None) -> None:
    account = await make_applicant()
    await a_complete_draft(account)
    token = await token_of(account)

    results = await asyncio.gather(submit(account, token), submit(account, token), return_exceptions=True)

    applications_made = await PermitApplication.filter(person_id=account.person_id)
    assert len(applications_made) == 1
    assert await CoResident.filter(application_id=applications_made[0].id).count() == 1
    assert await ApplicationEvent.filter(application_id=applications_made[0].id).count() == 1
    created = [r for r in results if isinstance(r, applications.Submission) and r.created]
    assert len(created) == 1
    for result in results:  # the other one is sent to the same application, or told the form was sent
        if isinstance(result, applications.Submission):
            assert result.application.id == applications_made[0].id
        else:
            assert isinstance(result, ApplicationRefused) and result.reason in ("token", "open_application")


async def test_a_stored_answer_that_no_longer_holds_reopens_its_step(db: None) -> None:
    account = await make_applicant()
    await a_complete_draft(account)
    with pytest.raises(StepInvalid) as invalid:
        await submit(account, await token_of(account), photos=NoPhotos())
    assert invalid.value.step == "photo" and invalid.value.reasons == {"photo_number": "not_found"}
    draft = await applications.load_draft(account.id)
    assert draft is not None and draft.current_step() == "photo" and not await PermitApplication.exists()
    assert await token_of(account)  # the token was not spent
