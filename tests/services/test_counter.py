"""The counter of an acceptance point: real-name authentication and opening unit accounts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.support import create_account
from web.adapters.sms import SmsDeliveryError
from web.models import AcceptancePoint, Account, AuditEntry, IdType, Person, Role, Sex, SmsCode, SystemMessage, Unit
from web.services import counter, password_setup
from web.services.identity import make_credit_code, make_id_number
from web.services.passwords import verify_password

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
FUTIAN = "440304004"  # 福田街道
NANYUAN = "440304001"
ID_NUMBER = make_id_number("430102", date(1992, 6, 15), 135)
SECRET = "test-secret"
CREDIT_CODE = make_credit_code("91440300MA5TEXT01")
CONFIRMED = {"checked_id_card": "1", "checked_mobile": "1", "mobile_last4": ""}


class Phone:
    """A gateway that keeps what it was given, or fails like a gateway that is down."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[tuple[str, str, str, str | None]] = []

    async def send(self, mobile: str, body: str, *, purpose: str, code: str | None) -> None:
        if self.fail:
            raise SmsDeliveryError("gateway down")
        self.sent.append((mobile, body, purpose, code))


async def staff_at(code: str = FUTIAN) -> Account:
    point = await AcceptancePoint.get(code=code)
    return await create_account("staff", point_id=point.id, password_hash="x")


async def resident(**fields: Any) -> tuple[Person, Account]:
    person = await Person.create(id_type=IdType.RESIDENT_ID, id_number=ID_NUMBER, name="李明", sex=Sex.MALE)
    account = await create_account("resident", person_id=person.id, mobile="13800001234", password_hash="x", **fields)
    return person, account


def unit_form(**changes: str) -> dict[str, str]:
    form = {
        "unit_name": "深圳示范科技有限公司", "credit_code": CREDIT_CODE, "address": "深圳市福田区示范路8号",
        "contact_name": "陈静", "contact_phone": "0755-83001234", "agent_username": "shifan_hr",
        "agent_name": "陈静", "agent_mobile": "13912345678", "documents_checked": "1",
    }
    form.update(changes)
    return form


# --- real-name authentication ------------------------------------------------------------------------


async def test_find_accounts_shows_the_persons_accounts_masked(db: None) -> None:
    person, account = await resident()
    lookup = await counter.find_accounts(ID_NUMBER.lower(), today=TODAY)
    assert (lookup.reason, lookup.person_id, lookup.name) == (None, person.id, "李明")
    assert lookup.masked_id_number == ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:]
    assert [(a.id, a.username, a.role, a.masked_mobile, a.authenticated_at) for a in lookup.accounts] == [
        (account.id, account.username, "resident", "138****1234", None)]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "missing"),
        ("4301021992", "length"),
        (ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1"), "checksum"),
        (make_id_number("440304", date(1990, 1, 1), 1), "not_found"),  # valid, but nobody's
    ],
)
async def test_find_accounts_reasons(db: None, raw: str, reason: str) -> None:
    assert (await counter.find_accounts(raw, today=TODAY)).reason == reason


async def test_a_person_without_an_account_is_not_found_like_an_unknown_number(db: None) -> None:
    await Person.create(id_type=IdType.RESIDENT_ID, id_number=ID_NUMBER, name="李明")  # known from a declaration
    lookup = await counter.find_accounts(ID_NUMBER, today=TODAY)
    assert (lookup.reason, lookup.person_id, lookup.accounts) == ("not_found", None, ())


async def test_look_up_is_audited_with_the_person_as_subject_only_when_it_shows_accounts(db: None) -> None:
    staff = await staff_at()
    await counter.look_up(make_id_number("440304", date(1990, 1, 1), 1), staff=staff, today=TODAY, ip="10.1.2.3")
    assert await AuditEntry.all().count() == 0
    person, _ = await resident()
    await counter.look_up(ID_NUMBER, staff=staff, today=TODAY, ip="10.1.2.3")
    entry = await AuditEntry.get()
    assert (entry.action, entry.actor_id, entry.subject_id, entry.ip_masked) == (
        "account.real_name_lookup", staff.id, person.id, "10.1.2.*")
    assert ID_NUMBER not in str(entry.detail) + entry.target_id


ACCOUNT = counter.CounterAccount(1, "li_ming", "resident", "138****1234", None)


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        (CONFIRMED, {}),
        ({**CONFIRMED, "mobile_last4": "1234"}, {}),
        ({**CONFIRMED, "mobile_last4": " １２３４ "}, {}),  # full-width digits, spaces
        ({}, {"checked_id_card": "missing", "checked_mobile": "missing"}),
        ({"checked_id_card": "1"}, {"checked_mobile": "missing"}),
        ({**CONFIRMED, "mobile_last4": "4321"}, {"mobile_last4": "mismatch"}),
        ({**CONFIRMED, "mobile_last4": "123"}, {"mobile_last4": "format"}),
        ({**CONFIRMED, "mobile_last4": "12a4"}, {"mobile_last4": "format"}),
    ],
)
def test_check_confirmations(form: dict[str, str], errors: dict[str, str]) -> None:
    assert counter.check_confirmations(form, ACCOUNT) == errors


async def test_authenticate_marks_the_account_audits_and_tells_the_holder(db: None) -> None:
    staff = await staff_at()
    person, account = await resident()
    result = await counter.authenticate(ID_NUMBER, account.id, {**CONFIRMED, "mobile_last4": "1234"},
                                        staff=staff, now=NOW, today=TODAY, ip="10.1.2.3")
    assert result.done and result.errors == {}
    assert (await Account.get(id=account.id)).real_name_verified_at == NOW
    entry = await AuditEntry.get(action="account.real_name_verify")
    assert (entry.actor_id, entry.subject_id, entry.target_type, entry.target_id) == (
        staff.id, person.id, "account", str(account.id))
    assert entry.detail == {"username": account.username, "point": FUTIAN, "mobile_last4_matched": True}
    message = await SystemMessage.get(account_id=account.id)
    assert message.title == "您的账号已通过实名认证"
    assert "福田街道居住证受理点" in message.body and "2026-03-02 16:00" in message.body  # Shenzhen time


async def test_authenticating_twice_changes_nothing_the_second_time(db: None) -> None:
    staff = await staff_at()
    _, account = await resident(real_name_verified_at=NOW - timedelta(days=3))
    result = await counter.authenticate(ID_NUMBER, account.id, CONFIRMED, staff=staff, now=NOW, today=TODAY, ip="")
    assert result.already and not result.done
    assert (await Account.get(id=account.id)).real_name_verified_at == NOW - timedelta(days=3)
    assert await AuditEntry.all().count() == 0 and await SystemMessage.all().count() == 0


async def test_missing_checks_leave_the_account_unauthenticated(db: None) -> None:
    staff = await staff_at()
    _, account = await resident()
    result = await counter.authenticate(ID_NUMBER, account.id, {"checked_id_card": "1", "mobile_last4": "9999"},
                                        staff=staff, now=NOW, today=TODAY, ip="")
    assert result.errors == {"checked_mobile": "missing", "mobile_last4": "mismatch"}
    assert (await Account.get(id=account.id)).real_name_verified_at is None
    assert await AuditEntry.all().count() == 0


async def test_an_account_of_another_person_cannot_be_authenticated_with_this_id_number(db: None) -> None:
    staff = await staff_at()
    await resident()
    other = await create_account("resident", password_hash="x")
    result = await counter.authenticate(ID_NUMBER, other.id, CONFIRMED, staff=staff, now=NOW, today=TODAY, ip="")
    assert result.errors == {"id_number": "not_found"} and not result.done
    assert (await Account.get(id=other.id)).real_name_verified_at is None


# --- unit accounts -------------------------------------------------------------------------------------


async def test_check_new_unit_cleans_every_field(db: None) -> None:
    check = await counter.check_new_unit(unit_form(
        unit_name="  深圳示范  科技有限公司 ", credit_code=" " + CREDIT_CODE.lower() + " ",
        agent_username=" ShiFan_HR ", agent_mobile="+86 139 1234 5678", contact_phone="139 1234 5678"))
    assert check.errors == {}
    assert check.values["unit_name"] == "深圳示范 科技有限公司"
    assert check.values["credit_code"] == CREDIT_CODE
    assert check.values["agent_username"] == "shifan_hr"
    assert check.values["agent_mobile"] == check.values["contact_phone"] == "13912345678"


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({name: "" for name in counter.UNIT_FIELDS},
         {"unit_name": "missing", "credit_code": "missing", "address": "missing", "contact_name": "missing",
          "contact_phone": "missing", "agent_username": "missing", "agent_name": "missing",
          "agent_mobile": "missing", "documents_checked": "missing"}),
        ({"credit_code": CREDIT_CODE[:17] + ("1" if CREDIT_CODE[17] != "1" else "2")}, {"credit_code": "checksum"}),
        ({"credit_code": CREDIT_CODE[:17]}, {"credit_code": "length"}),
        ({"credit_code": CREDIT_CODE[:10] + "O" + CREDIT_CODE[11:]}, {"credit_code": "format"}),  # an O
        ({"unit_name": "公" * 129}, {"unit_name": "too_long"}),
        ({"address": "示范路\x008号"}, {"address": "characters"}),
        ({"contact_name": "陈静1"}, {"contact_name": "characters"}),
        ({"contact_phone": "call me"}, {"contact_phone": "format"}),
        ({"contact_phone": "123"}, {"contact_phone": "format"}),
        ({"agent_username": "1hr"}, {"agent_username": "length"}),
        ({"agent_username": "9hr_office"}, {"agent_username": "start"}),
        ({"agent_username": "admin"}, {"agent_username": "taken"}),  # reserved
        ({"agent_mobile": "12345"}, {"agent_mobile": "format"}),
    ],
)
async def test_check_new_unit_gives_a_reason_per_field(db: None, changes: dict[str, str], errors: dict[str, str]) -> None:
    assert (await counter.check_new_unit(unit_form(**changes))).errors == errors


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13912345678", ("13912345678", None)),
        ("0755-83001234", ("0755-83001234", None)),
        ("(0755) 8300 1234", ("(0755) 8300 1234", None)),
        ("0755-83001234-801", ("0755-83001234-801", None)),
        ("83001234", ("83001234", None)),
        ("", ("", "missing")),
        ("12-34", ("12-34", "format")),
        ("0755-8300123x", ("0755-8300123x", "format")),
    ],
)
def test_check_phone(raw: str, expected: tuple[str, str | None]) -> None:
    assert counter.check_phone(raw) == expected


async def test_a_taken_credit_code_and_username_are_refused(db: None) -> None:
    staff = await staff_at()
    await counter.open_unit_account(unit_form(), staff=staff, gateway=Phone(), now=NOW, ip="", secret=SECRET)
    check = await counter.check_new_unit(unit_form(agent_username="SHIFAN_HR", credit_code=CREDIT_CODE.lower()))
    assert check.errors == {"credit_code": "taken", "agent_username": "taken"}


async def test_opening_creates_the_unit_and_an_authenticated_agent_without_a_usable_password(db: None) -> None:
    staff = await staff_at()
    phone = Phone()
    opening = await counter.open_unit_account(unit_form(), staff=staff, gateway=phone, now=NOW, ip="10.1.2.3",
                                              secret=SECRET)
    assert opening.errors == {} and opening.sms_refused is None
    unit = await Unit.get(credit_code=CREDIT_CODE).prefetch_related("point")
    assert (unit.name, unit.address, unit.contact_name, unit.contact_phone, unit.point.code) == (
        "深圳示范科技有限公司", "深圳市福田区示范路8号", "陈静", "0755-83001234", FUTIAN)
    agent = await Account.get(username="shifan_hr")
    assert (agent.role, agent.unit_id, agent.mobile, agent.person_id, agent.real_name_verified_at) == (
        Role.UNIT_AGENT, unit.id, "13912345678", None, NOW)
    assert agent.password_hash.startswith("$argon2")  # a real hash of a secret nobody knows
    assert not any(verify_password(agent.password_hash, guess) for guess in ("", "shifan_hr", CREDIT_CODE))
    entry = await AuditEntry.get(action="unit.open")
    assert (entry.actor_id, entry.target_type, entry.target_id, entry.subject_id) == (staff.id, "unit", str(unit.id), None)
    assert entry.detail["agent_name"] == "陈静" and entry.detail["agent_username"] == "shifan_hr"


async def test_the_agent_receives_a_setup_code_that_lasts_a_day(db: None) -> None:
    staff = await staff_at()
    phone = Phone()
    await counter.open_unit_account(unit_form(), staff=staff, gateway=phone, now=NOW, ip="", secret=SECRET)
    [(mobile, body, purpose, code)] = phone.sent
    assert (mobile, purpose) == ("13912345678", "password_setup")
    assert code is not None and re.search(rf"验证码{code}，24小时内有效", body)
    assert "shifan_hr" in body and "/account/setup" in body
    stored = await SmsCode.get(mobile="13912345678", purpose="password_setup")
    assert stored.expires_at - stored.created_at == timedelta(hours=password_setup.CODE_TTL_HOURS)


async def test_a_gateway_failure_keeps_the_unit_and_says_the_code_was_not_sent(db: None) -> None:
    staff = await staff_at()
    opening = await counter.open_unit_account(unit_form(), staff=staff, gateway=Phone(fail=True), now=NOW, ip="",
                                              secret=SECRET)
    assert opening.unit is not None and opening.sms_refused == "delivery"
    phone = Phone()
    assert await counter.resend_setup_code(opening.unit.id, opening.agent.id, staff=staff, gateway=phone,  # type: ignore[union-attr]
                                           now=NOW + timedelta(minutes=2), ip="", secret=SECRET) is None
    assert len(phone.sent) == 1
    assert await AuditEntry.filter(action="unit.setup_code").count() == 1


async def test_a_second_code_within_a_minute_is_refused(db: None) -> None:
    staff = await staff_at()
    opening = await counter.open_unit_account(unit_form(), staff=staff, gateway=Phone(), now=NOW, ip="", secret=SECRET)
    refused = await counter.resend_setup_code(opening.unit.id, opening.agent.id, staff=staff, gateway=Phone(),  # type: ignore[union-attr]
                                              now=NOW + timedelta(seconds=20), ip="", secret=SECRET)
    assert refused == "resend_wait"


async def test_another_points_unit_is_not_found(db: None) -> None:
    staff = await staff_at()
    opening = await counter.open_unit_account(unit_form(), staff=staff, gateway=Phone(), now=NOW, ip="", secret=SECRET)
    elsewhere = await staff_at(NANYUAN)
    assert opening.unit is not None and opening.agent is not None
    assert await counter.unit_summary(opening.unit.id, elsewhere.point_id) is None  # type: ignore[attr-defined]
    with pytest.raises(LookupError):
        await counter.resend_setup_code(opening.unit.id, opening.agent.id, staff=elsewhere, gateway=Phone(),
                                        now=NOW + timedelta(minutes=5), ip="", secret=SECRET)


async def test_unit_summary_shows_the_agent_and_the_state_of_the_code(db: None) -> None:
    staff = await staff_at()
    opening = await counter.open_unit_account(unit_form(), staff=staff, gateway=Phone(), now=NOW, ip="", secret=SECRET)
    assert opening.unit is not None
    summary = await counter.unit_summary(opening.unit.id, staff.point_id)  # type: ignore[attr-defined]
    assert summary is not None and summary.point_name == "福田街道居住证受理点"
    [agent] = summary.agents
    assert (agent.username, agent.name, agent.masked_mobile, agent.authenticated_at, agent.last_login_at) == (
        "shifan_hr", "陈静", "139****5678", NOW, None)
    assert agent.code_expires_at == NOW + timedelta(hours=24) and agent.code_used_at is None
    assert [unit.id for unit in await counter.recent_units(staff.point_id)] == [opening.unit.id]  # type: ignore[attr-defined]


async def test_staff_without_a_point_cannot_open_units(db: None) -> None:
    staff = await create_account("staff", password_hash="x")
    with pytest.raises(ValueError):
        await counter.open_unit_account(unit_form(), staff=staff, gateway=Phone(), now=NOW, ip="", secret=SECRET)
    assert await Unit.all().count() == 0
