"""Online registration (web/services/registration.py): the draft, each step, the account."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.conftest import DATABASE_URL, is_postgres
from web.adapters.sms import OutboxGateway
from web.models import Account, Person, Role, SmsOutbox
from web.services import registration, sms
from web.services.identity import make_id_number
from web.services.passwords import verify_password
from web.services.registration import RegistrationDraft, StepInvalid

TODAY = date(2026, 3, 1)
BIRTH_DATE = date(1990, 3, 27)
ID_NUMBER = make_id_number("440304", BIRTH_DATE, 123)  # a man
MOBILE = "13812345678"
PASSWORD = "Lychee-harbour-42"
SECRET = "test-registration-secret-" + "x" * 32
ANSWERS = {
    "account_type": {"account_type": "personal"},
    "basic": {"name": "张伟", "sex": "M", "ethnicity": "01", "birth_date": BIRTH_DATE.isoformat()},
    "identity": {"id_number": ID_NUMBER, "hukou_address": "广东省深圳市福田区福中三路1号", "mobile": MOBILE,
                 "sms_code": "000000"},
    "credentials": {"username": "zhangwei", "password": PASSWORD, "password_confirm": PASSWORD},
}


async def code_accepted(mobile: str, code: str) -> None:
    """A verifier that takes any code: the SMS service has tests of its own (tests/services/test_sms.py)."""


# --- people and accounts known before registering ----------------------------------------------------


async def make_person(id_number: str = ID_NUMBER, name: str = "张伟", **fields: Any) -> Person:
    return await Person.create(id_type="resident_id", id_number=id_number, name=name, **fields)


async def make_account(username: str, *, person: Person | None = None, mobile: str = "13900000001",
                       role: Role = Role.RESIDENT) -> Account:
    return await Account.create(username=username, password_hash="x", role=role, mobile=mobile, person=person)


# --- the draft and its steps -------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, "text", [], {"answers": "x", "done": "basic", "stale": 3},
                                 {"answers": {"name": 5}, "done": ["nonsense"], "password_hash": 1}])
def test_an_unreadable_draft_starts_afresh(raw: object) -> None:
    draft = RegistrationDraft.load(raw)

    assert draft.current_step() == "account_type"
    assert draft.password_hash is None
    assert all(isinstance(value, str) for value in draft.answers.values())


def test_a_draft_survives_the_session_store() -> None:
    draft = RegistrationDraft(answers={"name": "张伟"}, done=["account_type", "basic"], password_hash="h",
                              password_for=["u", "i"], verified_mobile=MOBILE, stale={"identity": {"x": "y"}})

    assert RegistrationDraft.load(draft.dump()) == draft


@pytest.mark.parametrize(("done", "current", "open_steps"), [
    ([], "account_type", ["account_type"]),
    (["account_type"], "basic", ["account_type", "basic"]),
    (["account_type", "basic", "identity", "credentials"], "agreement", list(registration.STEPS)),
    (["account_type", "identity", "credentials"], "basic", ["account_type", "basic"]),
])
def test_steps_open_in_order(done: list[str], current: str, open_steps: list[str]) -> None:
    draft = RegistrationDraft(done=done)

    assert draft.current_step() == current
    assert [step for step in registration.STEPS if draft.can_open(step)] == open_steps


async def answered(until: str = "agreement", **changes: dict[str, str]) -> RegistrationDraft:
    """A draft with the steps before `until` accepted."""
    draft = RegistrationDraft()
    for step in registration.STEPS[: registration.STEPS.index(until)]:
        form = {**ANSWERS[step], **changes.get(step, {})}
        result = await registration.submit_step(draft, step, form, today=TODAY, verify_code=code_accepted)
        assert result.ok, (step, result.reasons)
    return draft


async def test_each_accepted_step_is_kept_with_normalized_answers(db: None) -> None:
    draft = await answered(identity={"mobile": "+86 138 1234 5678"}, credentials={"username": "ZhangWei"})

    assert draft.done == ["account_type", "basic", "identity", "credentials"]
    assert draft.answers["mobile"] == MOBILE
    assert draft.answers["username"] == "zhangwei"
    assert draft.verified_mobile == MOBILE


async def test_the_draft_keeps_the_password_hash_never_the_password(db: None) -> None:
    draft = await answered()

    assert PASSWORD not in repr(draft.dump())
    assert draft.password_hash is not None and verify_password(draft.password_hash, PASSWORD)
    assert draft.password_for == ["zhangwei", ID_NUMBER]


async def test_a_refused_step_keeps_what_was_typed_and_is_no_longer_accepted(db: None) -> None:
    draft = await answered()

    result = await registration.submit_step(draft, "basic", {**ANSWERS["basic"], "birth_date": "2026-02-30"},
                                            today=TODAY)

    assert result.reasons == {"birth_date": "format"}
    assert "basic" not in draft.done
    assert draft.answers["birth_date"] == "2026-02-30"
    assert draft.current_step() == "basic"


async def test_a_new_date_of_birth_reopens_the_id_number_step(db: None) -> None:
    draft = await answered()

    result = await registration.submit_step(draft, "basic", {**ANSWERS["basic"], "birth_date": "1991-03-27"},
                                            today=TODAY)

    assert result.ok
    assert draft.current_step() == "identity"
    assert draft.stale == {"identity": {"id_number": "birth_date_mismatch"}}


async def test_a_new_id_number_asks_for_the_password_again(db: None) -> None:
    draft = await answered()
    other = make_id_number("440304", BIRTH_DATE, 125)

    await registration.submit_step(draft, "identity", {**ANSWERS["identity"], "id_number": other}, today=TODAY)

    assert draft.current_step() == "credentials"
    assert draft.stale == {"credentials": {"password": "reenter"}}


async def test_a_mobile_proved_once_needs_no_second_code(db: None) -> None:
    draft = await answered(until="credentials")
    form = {key: value for key, value in ANSWERS["identity"].items() if key != "sms_code"}

    result = await registration.submit_step(draft, "identity", form, today=TODAY)  # no verifier: no code

    assert result.ok


async def test_the_register_code_is_checked_with_the_sms_service(db: None) -> None:
    draft = await answered(until="identity")
    now = datetime.now(UTC)
    await sms.send_code(OutboxGateway(), mobile=MOBILE, purpose="register", ip="", now=now, secret=SECRET)
    message = await SmsOutbox.filter(mobile=MOBILE).first()
    assert message is not None and message.code

    async def verify(mobile: str, code: str) -> None:
        await sms.verify_code(mobile=mobile, purpose="register", code=code, now=now, secret=SECRET)

    wrong = f"{(int(message.code) + 1) % 1_000_000:06d}"
    refused = await registration.submit_step(draft, "identity", {**ANSWERS["identity"], "sms_code": wrong},
                                             today=TODAY, verify_code=verify)
    accepted = await registration.submit_step(draft, "identity",
                                              {**ANSWERS["identity"], "sms_code": message.code},
                                              today=TODAY, verify_code=verify)

    assert refused.reasons == {"sms_code": "wrong"}
    assert accepted.ok


async def test_the_inline_check_of_a_field_uses_the_same_rules(db: None) -> None:
    draft = await answered(until="identity")
    await make_account("earlybird")

    async def check(name: str, **form: str) -> str | None:
        return await registration.check_field(name, form, draft, today=TODAY)

    assert await check("id_number", id_number=make_id_number("440304", BIRTH_DATE, 124)) == "sex_mismatch"
    assert await check("username", username="EarlyBird") == "taken"
    assert await check("password", password="zhangwei-key", username="ZhangWei") == "contains_username"
    assert await check("password", password="Lychee-8") is None
    assert await check("password_confirm", password="Lychee-8", password_confirm="Lychee-9") == "mismatch"
    with pytest.raises(ValueError):
        await check("sms_code", sms_code="123456")


# --- creating the account ----------------------------------------------------------------------------


async def test_registering_creates_the_person_and_the_account(db: None) -> None:
    draft = await answered()

    account = await registration.register(draft, {"agree": "1"}, today=TODAY)

    await account.fetch_related("person")
    assert (account.username, account.role, account.mobile) == ("zhangwei", Role.RESIDENT, MOBILE)
    assert account.verified_mobile is None  # the first login asks for an SMS code
    assert account.real_name_verified_at is None
    assert verify_password(account.password_hash, PASSWORD)
    person = account.person
    assert (person.id_type, person.id_number, person.name) == ("resident_id", ID_NUMBER, "张伟")
    assert (person.sex, person.ethnicity, person.birth_date) == ("M", "01", BIRTH_DATE)
    assert (person.hukou_address, person.mobile) == (ANSWERS["identity"]["hukou_address"], MOBILE)


async def test_the_agreement_must_be_accepted(db: None) -> None:
    draft = await answered()

    with pytest.raises(StepInvalid) as refused:
        await registration.register(draft, {}, today=TODAY)

    assert (refused.value.step, refused.value.reasons) == ("agreement", {"agree": "missing"})
    assert await Account.all().count() == 0


async def test_an_unfinished_draft_registers_nothing(db: None) -> None:
    draft = await answered(until="credentials")

    with pytest.raises(StepInvalid) as refused:
        await registration.register(draft, {"agree": "1"}, today=TODAY)

    assert refused.value.step == "credentials"
    assert await Person.all().count() == 0


async def test_a_known_person_without_an_account_gets_it_and_keeps_what_was_recorded(db: None) -> None:
    known = await make_person(mobile="13900000009")
    draft = await answered()

    account = await registration.register(draft, {"agree": "1"}, today=TODAY)

    person = await Person.get(id=known.id)
    assert account.person_id == known.id  # type: ignore[attr-defined]
    assert await Person.all().count() == 1
    assert person.mobile == "13900000009"  # left in a unit's application: online authentication uses it
    assert (person.sex, person.birth_date, person.hukou_address) == ("M", BIRTH_DATE,
                                                                     ANSWERS["identity"]["hukou_address"])


@pytest.mark.parametrize(("made_meanwhile", "step", "reasons"), [
    ("account_for_id", "identity", {"id_number": "taken"}),
    ("person_with_other_name", "identity", {"id_number": "name_mismatch"}),
    ("account_with_mobile", "identity", {"mobile": "taken"}),
    ("account_with_username", "credentials", {"username": "taken"}),
])
async def test_someone_registering_first_sends_the_person_back_to_the_step(
    db: None, made_meanwhile: str, step: str, reasons: dict[str, str]
) -> None:
    draft = await answered()
    if made_meanwhile == "account_for_id":
        await make_account("earlybird", person=await make_person())
    elif made_meanwhile == "person_with_other_name":
        await make_person(name="李娜")
    elif made_meanwhile == "account_with_mobile":
        await make_account("earlybird", mobile=MOBILE)
    else:
        await make_account("zhangwei")

    with pytest.raises(StepInvalid) as refused:
        await registration.register(draft, {"agree": "1"}, today=TODAY)

    assert (refused.value.step, refused.value.reasons) == (step, reasons)
    assert await Account.filter(person__id_number=ID_NUMBER, username="zhangwei").count() == 0


async def test_registering_the_same_draft_twice_creates_one_account(db: None) -> None:
    draft = await answered()

    first = await registration.register(draft, {"agree": "1"}, today=TODAY)
    second = await registration.register(draft, {"agree": "1"}, today=TODAY)

    assert first.id == second.id
    assert await Account.all().count() == 1


async def test_two_tabs_registering_at_once_create_one_account(db: None) -> None:
    draft = await answered()
    tab_a, tab_b = RegistrationDraft.load(draft.dump()), RegistrationDraft.load(draft.dump())

    results = await asyncio.gather(
        registration.register(tab_a, {"agree": "1"}, today=TODAY),
        registration.register(tab_b, {"agree": "1"}, today=TODAY),
    )

    assert results[0].id == results[1].id
    assert await Account.all().count() == 1 and await Person.all().count() == 1


async def test_two_people_with_one_id_number_at_once_get_one_account(db: None) -> None:
    first = await answered()
    second = await answered(identity={"mobile": "13987654321"}, credentials={"username": "zhangwei2"})

    results = await asyncio.gather(
        registration.register(first, {"agree": "1"}, today=TODAY),
        registration.register(second, {"agree": "1"}, today=TODAY),
        return_exceptions=True,
    )

    created = [result for result in results if isinstance(result, Account)]
    refused = [result for result in results if isinstance(result, StepInvalid)]
    assert len(created) == 1 and len(refused) == 1, results
    assert (refused[0].step, refused[0].reasons) == ("identity", {"id_number": "taken"})
    assert await Account.all().count() == 1


@pytest.mark.skipif(not is_postgres(DATABASE_URL), reason="SQLite runs one transaction at a time")
async def test_two_people_claiming_one_known_person_at_once_get_one_account(db: None) -> None:
    await make_person()  # declared by a unit, no account yet: the row lock makes the second wait
    first = await answered()
    second = await answered(identity={"mobile": "13987654321"}, credentials={"username": "zhangwei2"})

    results = await asyncio.gather(
        registration.register(first, {"agree": "1"}, today=TODAY),
        registration.register(second, {"agree": "1"}, today=TODAY),
        return_exceptions=True,
    )

    assert sum(isinstance(result, Account) for result in results) == 1, results
    assert await Account.filter(person__id_number=ID_NUMBER).count() == 1


async def test_the_person_and_the_account_are_created_together_or_not_at_all(db: None) -> None:
    draft = await answered()
    await make_account("zhangwei")  # the username is taken between the checks and the insert

    with pytest.raises(Exception):  # noqa: B017 - the database's unique constraint, whichever class
        await registration._create_account(draft)

    assert await Person.filter(id_number=ID_NUMBER).count() == 0
