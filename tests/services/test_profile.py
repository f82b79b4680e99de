"""个人信息 rules (web/services/profile.py): details, password and mobile changes, forgotten password, sign-ins."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from litestar.stores.memory import MemoryStore

from tests import support
from tests.support import create_account
from web.adapters.sms import OutboxGateway
from web.models import Account, DeviceToken, IdType, LoginEvent, Person, Sex, SmsOutbox
from web.services import auth, passwords, profile, sms
from web.services.identity import make_id_number

PASSWORD = "Test-pass-2026!"
NEW_PASSWORD = "Harbour-lights-88"
SECRET = "s" * 32
TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
BIRTH = date(1990, 3, 7)
ID_NUMBER = make_id_number("440304", BIRTH, 123)  # a man
OTHER_ID = make_id_number("440304", BIRTH, 125)
ALL_FIELDS = frozenset(profile.DETAIL_FIELDS)
GOOD = {"name": "张伟", "sex": "M", "ethnicity": "01", "birth_date": "1990-03-07", "id_number": ID_NUMBER,
        "hukou_address": "湖南省长沙市岳麓区"}


@cache
def _hash(password: str) -> str:
    return passwords.hash_password(password)


@pytest.fixture(autouse=True)
def reuse_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """One argon2id hash per password for the module (each costs ~30 ms)."""
    monkeypatch.setattr(support, "_password_hash", _hash)


async def new_person(**fields: Any) -> Person:
    values: dict[str, Any] = {"id_type": IdType.RESIDENT_ID, "id_number": ID_NUMBER, "name": "张伟",
                              "sex": Sex.MALE, "ethnicity": "01", "birth_date": BIRTH, "hukou_address": "旧地址"}
    values.update(fields)
    return await Person.create(**values)


async def resident(**fields: Any) -> tuple[Account, Person]:
    person = await new_person(**fields.pop("person", {}))
    return await create_account("resident", person_id=person.id, **fields), person


# --- basic information ---------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"name": " "}, "name", "missing"),
    ({"name": "张" * 65}, "name", "too_long"),
    ({"sex": "X"}, "sex", "missing"),
    ({"ethnicity": "57"}, "ethnicity", "missing"),
    ({"birth_date": ""}, "birth_date", "missing"),
    ({"birth_date": "1990-02-30"}, "birth_date", "format"),
    ({"birth_date": "2026-03-03"}, "birth_date", "future"),
    ({"birth_date": "1899-12-31"}, "birth_date", "too_early"),
    ({"id_number": ""}, "id_number", "missing"),
    ({"id_number": ID_NUMBER[:17]}, "id_number", "length"),
    ({"id_number": ID_NUMBER[:17] + ("1" if ID_NUMBER[17] != "1" else "2")}, "id_number", "checksum"),
    ({"sex": "F"}, "id_number", "sex_mismatch"),
    ({"birth_date": "1990-03-08"}, "id_number", "birth_date_mismatch"),
    ({"hukou_address": "\t"}, "hukou_address", "missing"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_check_details_gives_a_reason_per_field(changes: dict[str, str], field: str, reason: str) -> None:
    result = profile.check_details({**GOOD, **changes}, editable=ALL_FIELDS, id_type=IdType.RESIDENT_ID,
                                   today=TODAY)

    assert result.errors == {field: reason}


def test_check_details_cleans_what_was_typed() -> None:
    typed = {**GOOD, "name": "  张  伟 ", "id_number": ID_NUMBER[:6] + " " + ID_NUMBER[6:].lower(),
             "birth_date": "１９９０-０３-０７"}

    result = profile.check_details(typed, editable=ALL_FIELDS, id_type=IdType.RESIDENT_ID, today=TODAY)

    assert result.errors == {}
    assert result.values == {"name": "张 伟", "sex": Sex.MALE, "ethnicity": "01", "birth_date": BIRTH,
                             "id_number": ID_NUMBER, "hukou_address": "湖南省长沙市岳麓区"}


def test_check_details_reads_only_the_editable_fields() -> None:
    result = profile.check_details({"name": "", "id_number": "junk", "ethnicity": "02", "hukou_address": "新地址"},
                                   editable=frozenset({"ethnicity", "hukou_address"}),
                                   id_type=IdType.RESIDENT_ID, today=TODAY)

    assert result.errors == {}
    assert result.values == {"ethnicity": "02", "hukou_address": "新地址"}


def test_a_passport_number_has_no_checksum_to_test() -> None:
    result = profile.check_details({**GOOD, "id_number": "e12345678"}, editable=ALL_FIELDS,
                                   id_type=IdType.PASSPORT, today=TODAY)

    assert result.errors == {} and result.values["id_number"] == "E12345678"


def test_authentication_locks_name_id_number_sex_and_birth_date() -> None:
    assert profile.locked_fields(Account(real_name_verified_at=None)) == frozenset()
    assert profile.locked_fields(Account(real_name_verified_at=NOW)) == {"name", "id_number", "sex", "birth_date"}


async def test_update_details_saves_only_what_changed(db: None) -> None:
    account, person = await resident()

    errors = await profile.update_details(account, person, {**GOOD, "ethnicity": "03"}, today=TODAY)

    assert errors == {}
    stored = await Person.get(id=person.id)
    assert (stored.ethnicity, stored.hukou_address, stored.name) == ("03", "湖南省长沙市岳麓区", "张伟")


async def test_update_details_ignores_locked_fields_after_authentication(db: None) -> None:
    account, person = await resident(real_name_verified_at=NOW)
    woman = make_id_number("110105", date(1992, 11, 30), 482)

    errors = await profile.update_details(account, person, {
        "name": "李娜", "sex": "F", "birth_date": "1992-11-30", "id_number": woman, "ethnicity": "05",
        "hukou_address": "北京市"}, today=TODAY)

    assert errors == {}
    stored = await Person.get(id=person.id)
    assert (stored.name, stored.sex, stored.birth_date, stored.id_number) == ("张伟", Sex.MALE, BIRTH, ID_NUMBER)
    assert (stored.ethnicity, stored.hukou_address) == ("05", "北京市")


async def test_update_details_refuses_another_persons_id_number(db: None) -> None:
    await new_person(id_number=OTHER_ID, name="王芳")
    account, person = await resident()

    errors = await profile.update_details(account, person, {**GOOD, "id_number": OTHER_ID}, today=TODAY)

    assert errors == {"id_number": "taken"}
    assert (await Person.get(id=person.id)).id_number == ID_NUMBER


async def test_update_details_with_errors_saves_nothing(db: None) -> None:
    account, person = await resident()

    errors = await profile.update_details(account, person, {**GOOD, "ethnicity": "03", "name": ""}, today=TODAY)

    assert errors == {"name": "missing"}
    assert (await Person.get(id=person.id)).ethnicity == "01"


# --- password ----------------------------------------------------------------------------------


async def check_change(account: Account, store: MemoryStore, *, current: str = PASSWORD,
                       password: str = NEW_PASSWORD, confirm: str | None = None,
                       now: datetime = NOW) -> profile.PasswordCheck:
    return await profile.check_password_change(
        account, current=current, password=password, confirm=password if confirm is None else confirm,
        id_number=ID_NUMBER, store=store, now=now)


async def test_password_change_is_allowed_with_the_right_current_password(db: None) -> None:
    account, _ = await resident()

    assert await check_change(account, MemoryStore()) == profile.PasswordCheck()


@pytest.mark.parametrize(("current", "password", "confirm", "errors"), [
    ("", NEW_PASSWORD, NEW_PASSWORD, {"current_password": "missing"}),
    ("wrong-one-1", NEW_PASSWORD, NEW_PASSWORD, {"current_password": "wrong"}),
    (PASSWORD, PASSWORD, PASSWORD, {"password": "same"}),
    (PASSWORD, "short", "short", {"password": "too_short"}),
    (PASSWORD, "iloveyou", "iloveyou", {"password": "common"}),
    (PASSWORD, f"x{ID_NUMBER}", f"x{ID_NUMBER}", {"password": "contains_id_number"}),
    (PASSWORD, NEW_PASSWORD, "", {"password_confirm": "missing"}),
    ("", "", "x", {"current_password": "missing", "password": "missing", "password_confirm": "mismatch"}),
], ids=["no-current", "wrong-current", "same", "short", "common", "id-number", "no-confirm", "all-wrong"])
async def test_password_change_problems(
    db: None, current: str, password: str, confirm: str, errors: dict[str, str]
) -> None:
    account, _ = await resident()

    result = await check_change(account, MemoryStore(), current=current, password=password, confirm=confirm)

    assert result.errors == errors


async def test_current_password_tries_are_limited_per_account(db: None) -> None:
    account, _ = await resident()
    store = MemoryStore()

    wrong = [await check_change(account, store, current="wrong-one-1") for _ in range(5)]
    locked = await check_change(account, store)
    later = await check_change(account, store, now=NOW + timedelta(minutes=15))

    assert [result.errors for result in wrong] == [{"current_password": "wrong"}] * 5
    assert locked.errors == {"current_password": "too_many"} and locked.retry_at is not None
    assert later.errors == {}


# --- mobile ------------------------------------------------------------------------------------


async def send(mobile: str, purpose: str, now: datetime = NOW) -> str:
    await sms.send_code(OutboxGateway(), mobile=mobile, purpose=purpose, ip="", now=now, secret=SECRET)
    message = await SmsOutbox.filter(mobile=mobile).first()
    assert message is not None and message.code
    return message.code


async def test_check_new_mobile(db: None) -> None:
    await create_account("staff", mobile="13600000000")
    account, _ = await resident(mobile="13900000001")

    assert await profile.check_new_mobile(account, "") == (None, "missing")
    assert await profile.check_new_mobile(account, "1390000") == (None, "format")
    assert await profile.check_new_mobile(account, "+86 139 0000 0001") == (None, "same")
    assert await profile.check_new_mobile(account, "13600000000") == (None, "taken")
    assert await profile.check_new_mobile(account, "１３７１２３４５６７８") == ("13712345678", None)


async def test_change_mobile_keeps_the_old_number_as_the_verified_one(db: None) -> None:
    account, _ = await resident(mobile="13900000001", verified_mobile="13900000001")
    code = await send("13712345678", "change_mobile")

    mobile, errors = await profile.change_mobile(account, raw_mobile="137 1234 5678", raw_code=code,
                                                 now=NOW, secret=SECRET)

    assert (mobile, errors) == ("13712345678", {})
    stored = await Account.get(id=account.id)
    assert (stored.mobile, stored.verified_mobile) == ("13712345678", "13900000001")
    assert auth.needs_sms_check(stored)


async def test_change_mobile_needs_a_code_sent_to_the_new_number_for_this_purpose(db: None) -> None:
    account, _ = await resident(mobile="13900000001")
    login_code = await send("13712345678", "login")

    mobile, errors = await profile.change_mobile(account, raw_mobile="13712345678", raw_code=login_code,
                                                 now=NOW, secret=SECRET)

    assert mobile is None and errors == {"sms_code": "missing"}
    assert (await Account.get(id=account.id)).mobile == "13900000001"


async def test_change_mobile_does_not_spend_a_try_while_the_number_is_wrong(db: None) -> None:
    account, _ = await resident(mobile="13900000001")
    await send("13712345678", "change_mobile")

    _, errors = await profile.change_mobile(account, raw_mobile="1371234", raw_code="000000", now=NOW, secret=SECRET)

    assert errors == {"mobile": "format"}
    assert (await sms.SmsCode.get(mobile="13712345678")).attempts == 0


# --- forgotten password ------------------------------------------------------------------------


def test_check_reset_identity() -> None:
    assert profile.check_reset_identity("zhang", ID_NUMBER, today=TODAY) == {}
    assert profile.check_reset_identity(" ", "", today=TODAY) == {"username": "missing", "id_number": "missing"}
    assert profile.check_reset_identity("zhang", ID_NUMBER[:-1], today=TODAY) == {"id_number": "length"}


async def test_find_reset_account_needs_username_and_id_number_together(db: None) -> None:
    account, _ = await resident(username="zhangwei")
    await create_account("staff", username="deskclerk")

    assert (await profile.find_reset_account("ZhangWei ", ID_NUMBER.lower())).id == account.id  # type: ignore[union-attr]
    assert await profile.find_reset_account("zhangwei", OTHER_ID) is None
    assert await profile.find_reset_account("nobody", ID_NUMBER) is None
    assert await profile.find_reset_account("deskclerk", ID_NUMBER) is None  # no person: no online reset
    await Account.filter(id=account.id).update(is_active=False)
    assert await profile.find_reset_account("zhangwei", ID_NUMBER) is None


async def test_reset_code_of_a_matching_account_is_the_one_sent_to_its_mobile(db: None) -> None:
    account, _ = await resident(username="zhangwei", mobile="13900000001")
    state = profile.new_reset_request(SECRET, "zhangwei", ID_NUMBER, NOW)
    code = await send("13900000001", "reset_password")

    wrong = await profile.verify_reset_code(state, username="zhangwei", id_number=ID_NUMBER,
                                            raw_code="000000" if code != "000000" else "111111",
                                            now=NOW, secret=SECRET)
    right = await profile.verify_reset_code(state, username="zhangwei", id_number=ID_NUMBER, raw_code=code,
                                            now=NOW, secret=SECRET)

    assert wrong == (None, "wrong")
    assert right[0] is not None and right[0].id == account.id and right[1] is None


async def test_reset_code_needs_a_request_for_the_same_details(db: None) -> None:
    await resident(username="zhangwei")
    state = profile.new_reset_request(SECRET, "someone", ID_NUMBER, NOW)

    for current in (None, state):
        assert await profile.verify_reset_code(current, username="zhangwei", id_number=ID_NUMBER,
                                               raw_code="123456", now=NOW, secret=SECRET) == (None, "missing")
    assert await profile.verify_reset_code(state, username="someone", id_number=ID_NUMBER, raw_code="12x",
                                           now=NOW, secret=SECRET) == (None, "format")


async def test_reset_code_for_unknown_details_walks_through_the_states_of_a_real_code(db: None) -> None:
    state = profile.new_reset_request(SECRET, "nobody", ID_NUMBER, NOW)

    async def attempt(now: datetime = NOW) -> str | None:
        return (await profile.verify_reset_code(state, username="nobody", id_number=ID_NUMBER,
                                                raw_code="123456", now=now, secret=SECRET))[1]

    assert await attempt(NOW + timedelta(minutes=5)) == "expired"
    assert [await attempt() for _ in range(5)] == ["wrong"] * 4 + ["too_many_attempts"]
    assert await attempt() == "too_many_attempts"


async def test_reset_request_limits_count_matching_and_unknown_details_alike(db: None) -> None:
    store = MemoryStore()

    answers = [await profile.reset_request_refused(store, username=f"user{n % 2}", ip="10.0.0.1", now=NOW)
               for n in range(11)]

    assert answers[:10] == [None] * 10
    assert answers[10] is not None and answers[10].reason == "ip_limit"
    user_store = MemoryStore()
    per_user = [await profile.reset_request_refused(user_store, username="same", ip=f"10.0.0.{n}", now=NOW)
                for n in range(6)]
    assert per_user[5] is not None and per_user[5].reason == "account_limit"


def test_resend_wait_and_confirmation_window() -> None:
    state = profile.new_reset_request(SECRET, "u", ID_NUMBER, NOW)

    assert profile.resend_wait(state, now=NOW + timedelta(seconds=59)) == NOW + timedelta(seconds=60)
    assert profile.resend_wait(state, now=NOW + timedelta(seconds=60)) is None
    assert profile.resend_wait(None, now=NOW) is None
    confirmed = {"account_id": 7, "verified_at": NOW.timestamp()}
    assert profile.reset_confirmed(confirmed, now=NOW + timedelta(minutes=10)) == 7
    assert profile.reset_confirmed(confirmed, now=NOW + timedelta(minutes=10, seconds=1)) is None
    assert profile.reset_confirmed(state, now=NOW) is None


async def test_reset_password_signs_out_everywhere_and_forgets_devices(db: None) -> None:
    account, _ = await resident()
    await auth.issue_device_token(account, now=NOW)
    await auth.replace_session(account)

    await profile.reset_password(account, NEW_PASSWORD, now=NOW)

    stored = await Account.get(id=account.id)
    assert passwords.verify_password(stored.password_hash, NEW_PASSWORD)
    assert stored.current_session_id is None
    assert await DeviceToken.filter(account_id=account.id, revoked_at__isnull=True).count() == 0


# --- sign-ins ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("user_agent", "device"), [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
     "Safari/537.36", ("Chrome", "Windows")),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
     "Safari/537.36 Edg/126.0.0.0", ("Edge", "Windows")),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
     "Safari/605.1.15", ("Safari", "macOS")),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Mobile/15E148 Safari/604.1", ("Safari", "iPhone")),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Mobile/15E148 MicroMessenger/8.0.49 NetType/WIFI Language/zh_CN", ("WeChat", "iPhone")),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
     "Mobile Safari/537.36", ("Chrome", "Android")),
    ("Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Version/4.0 Chrome/99.0 Mobile Safari/537.36 HuaweiBrowser/14.0", ("Huawei Browser", "HarmonyOS")),
    ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", ("Firefox", "Linux")),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0 Safari/537.36",
     ("Chrome", "Linux")),
    ("curl/8.5.0", (None, None)),
    ("", (None, None)),
], ids=["chrome-windows", "edge", "safari-mac", "safari-iphone", "wechat", "chrome-android", "huawei",
        "firefox-linux", "headless", "curl", "empty"])
def test_describe_device(user_agent: str, device: tuple[str | None, str | None]) -> None:
    assert profile.describe_device(user_agent) == device


async def test_recent_sign_ins_are_the_accounts_newest(db: None) -> None:
    account, other = await create_account("resident"), await create_account("resident")
    for minute in range(25):
        await LoginEvent.create(account_id=account.id, at=NOW + timedelta(minutes=minute), success=minute % 2 == 0,
                                ip_masked="203.0.113.*", user_agent="Firefox/127.0 (X11; Linux x86_64)")
    await LoginEvent.create(account_id=other.id, at=NOW + timedelta(hours=1), success=True)

    sign_ins = await profile.recent_sign_ins(account.id)

    assert len(sign_ins) == 20
    assert sign_ins[0].at == NOW + timedelta(minutes=24) and sign_ins[-1].at == NOW + timedelta(minutes=5)
    assert (sign_ins[0].browser, sign_ins[0].system, sign_ins[0].ip_masked) == ("Firefox", "Linux", "203.0.113.*")
    assert [sign_in.success for sign_in in sign_ins[:2]] == [True, False]
