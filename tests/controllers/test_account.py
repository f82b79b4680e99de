"""个人信息 over HTTP: overview, basic information, password, mobile, forgotten password, messages, sign-ins."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from httpx import Response
from litestar.testing import AsyncTestClient

from tests.support import (
    SESSION_COOKIE,
    SESSION_STORE,
    open_session,
    create_account,
    csrf_token,
    page_heading,
    post_form,
    run_db,
    sign_in_as,
    sign_out,
)
from web.controllers.register import error_message
from web.models import Account, DeviceToken, IdType, LoginEvent, Person, Sex, SmsOutbox, SystemMessage
from web.services import auth
from web.services.identity import make_id_number

PASSWORD = "Test-pass-2026!"  # tests/support.create_account's default
NEW_PASSWORD = "Harbour-lights-88"
BIRTH_DATE = date(1990, 3, 7)
ID_NUMBER = make_id_number("440304", BIRTH_DATE, 123)  # odd sequence: a man
_TOKEN = re.compile(r'(name="_csrf_token" value="|"x-csrftoken": ")[^"]*(")')


# --- helpers ------------------------------------------------------------------------------------


async def new_person(**fields: Any) -> Person:
    values: dict[str, Any] = {
        "id_type": IdType.RESIDENT_ID, "id_number": ID_NUMBER, "name": "张伟", "sex": Sex.MALE,
        "ethnicity": "01", "birth_date": BIRTH_DATE, "hukou_address": "湖南省长沙市岳麓区麓山南路1号",
    }
    values.update(fields)
    return await Person.create(**values)


def resident_with_person(client: AsyncTestClient, person_fields: dict[str, Any] | None = None,
                         **account_fields: Any) -> tuple[Account, Person]:
    """Sign the client in as a resident who has a Person (registration always makes one)."""
    person = run_db(client, lambda: new_person(**(person_fields or {})))
    account = sign_in_as(client, "resident", person_id=person.id, **account_fields)
    return account, person


def reload(client: AsyncTestClient, model: Any, row: Any) -> Any:
    return run_db(client, lambda: model.get(id=row.id))


def error_at(response: Response, field: str) -> str:
    """The message beside a field, without its visually hidden "错误：" prefix."""
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</p>', response.text, re.S)
    assert match, f"no error message at {field}:\n{response.text[:3000]}"
    hidden_prefix = re.sub(r'<span class="visually-hidden">.*?</span>', "", match.group(1), count=1)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", hidden_prefix)).split())


def has_error(response: Response, field: str) -> bool:
    return f'id="{field}-error"' in response.text


def input_value(response: Response, field: str) -> str | None:
    match = re.search(rf'<input[^>]*id="{field}"[^>]*>', response.text, re.S)
    if not match:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else None


def title(response: Response) -> str:
    match = re.search(r"<title>(.*?)</title>", response.text, re.S)
    assert match
    return match.group(1).strip()


async def latest_code(client: AsyncTestClient, mobile: str) -> str:
    response = await client.get("/dev/sms/latest", params={"mobile": mobile})
    assert response.status_code == 200, f"no SMS code was sent to {mobile}"
    return response.json()["code"]


def outbox(client: AsyncTestClient, mobile: str) -> list[SmsOutbox]:
    return run_db(client, lambda: SmsOutbox.filter(mobile=mobile).all())


def inbox(client: AsyncTestClient, account: Account) -> list[SystemMessage]:
    return run_db(client, lambda: SystemMessage.filter(account_id=account.id).order_by("id").all())


def notice_after(response: Response) -> None:
    assert response.status_code == 303, response.text[:2000]


# --- overview ----------------------------------------------------------------------------------


async def test_overview_shows_basic_information_masked(client: AsyncTestClient) -> None:
    account, person = resident_with_person(client)

    response = await client.get("/account")

    assert response.status_code == 200
    assert page_heading(response) == "个人信息"
    text = response.text
    assert account.username in text and "张伟" in text
    assert "4403**********" in text and ID_NUMBER not in text  # the ID number masked
    assert f"{account.mobile[:3]}****{account.mobile[-4:]}" in text and account.mobile not in text
    assert "1990年3月7日" in text and "汉族" in text and "男" in text and "湖南省长沙市" in text
    assert "未实名认证" in text and 'href="/points"' in text
    for link in ("/account/details", "/account/password", "/account/mobile", "/messages", "/account/sign-ins"):
        assert f'href="{link}"' in text


async def test_overview_of_an_authenticated_account_says_so(client: AsyncTestClient) -> None:
    resident_with_person(client, real_name_verified_at=datetime(2026, 1, 5, 2, 0, tzinfo=UTC))

    response = await client.get("/account")

    assert "已实名认证" in response.text and "未实名认证" not in response.text


@pytest.mark.parametrize("role", ["staff", "admin"])
async def test_overview_of_an_account_without_a_person_shows_what_exists(client: AsyncTestClient, role: str) -> None:
    account = sign_in_as(client, role)

    response = await client.get("/account")

    assert response.status_code == 200
    assert account.username in response.text
    assert "实名认证" not in response.text  # staff are not authenticated as residents are
    assert 'href="/account/details"' not in response.text
    details = await client.get("/account/details")
    assert details.status_code == 200 and "<form method=\"post\" action=\"/account/details\"" not in details.text
    assert (await post_form(client, "/account/details", {"name": "x"})).headers["location"] == "/account/details"


async def test_overview_in_english(client: AsyncTestClient) -> None:
    resident_with_person(client)

    response = await client.get("/account?lang=en")

    assert page_heading(response) == "Personal information"
    assert "Not authenticated" in response.text and "Han" in response.text


# --- basic information --------------------------------------------------------------------------

DETAILS = {
    "name": "李娜", "sex": "F", "ethnicity": "03", "birth_date": "1992-11-30",
    "id_number": make_id_number("110105", date(1992, 11, 30), 482), "hukou_address": "北京市朝阳区建国路8号",
}


async def test_details_form_is_filled_with_what_is_stored(client: AsyncTestClient) -> None:
    resident_with_person(client)

    response = await client.get("/account/details")

    assert response.status_code == 200
    assert input_value(response, "name") == "张伟"
    assert input_value(response, "id_number") == ID_NUMBER
    assert input_value(response, "birth_date") == "1990-03-07"
    assert 'value="M" checked' in response.text
    assert '<option value="01" selected>汉族</option>' in response.text


async def test_details_are_saved_before_authentication(client: AsyncTestClient) -> None:
    _, person = resident_with_person(client)

    response = await post_form(client, "/account/details", DETAILS)

    assert response.status_code == 303 and response.headers["location"] == "/account"
    saved = reload(client, Person, person)
    assert (saved.name, saved.sex, saved.ethnicity, saved.birth_date, saved.id_number, saved.hukou_address) == (
        "李娜", Sex.FEMALE, "03", date(1992, 11, 30), DETAILS["id_number"], "北京市朝阳区建国路8号")
    page = await client.get("/account")
    assert "已保存" in page.text  # the success notice, once
    assert "已保存" not in (await client.get("/account")).text


async def test_details_accept_what_chinese_keyboards_type(client: AsyncTestClient) -> None:
    _, person = resident_with_person(client)
    number = DETAILS["id_number"]
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number[:6]) + " " + number[6:]

    response = await post_form(client, "/account/details", {**DETAILS, "id_number": wide.lower(),
                                                           "birth_date": "１９９２-１１-３０"})

    assert response.status_code == 303, response.text[:2000]
    assert reload(client, Person, person).id_number == number


async def test_details_with_errors_keep_everything_typed(client: AsyncTestClient) -> None:
    resident_with_person(client)
    form = {**DETAILS, "name": "", "birth_date": "1992-02-30", "hukou_address": "  "}

    response = await post_form(client, "/account/details", form)

    assert response.status_code == 400
    assert title(response).startswith("错误：")
    assert 'class="error-summary"' in response.text
    assert error_at(response, "name") == error_message("name", "missing")  # registration's words
    assert has_error(response, "birth_date") and has_error(response, "hukou_address")
    assert input_value(response, "birth_date") == "1992-02-30"
    assert input_value(response, "id_number") == DETAILS["id_number"]
    assert 'value="F" checked' in response.text and '<option value="03" selected>' in response.text


async def test_details_id_number_must_agree_with_sex_and_birth_date(client: AsyncTestClient) -> None:
    resident_with_person(client)

    wrong_sex = await post_form(client, "/account/details", {**DETAILS, "sex": "M"})
    wrong_date = await post_form(client, "/account/details", {**DETAILS, "birth_date": "1992-11-29"})
    bad_checksum = await post_form(client, "/account/details", {**DETAILS, "id_number": DETAILS["id_number"][:17] + "0"
                                   if DETAILS["id_number"][17] != "0" else DETAILS["id_number"][:17] + "1"})

    assert wrong_sex.status_code == wrong_date.status_code == bad_checksum.status_code == 400
    assert error_at(wrong_sex, "id_number") == error_message("id_number", "sex_mismatch")
    assert error_at(wrong_date, "id_number") == error_message("id_number", "birth_date_mismatch")
    assert has_error(bad_checksum, "id_number")


async def test_details_refuse_the_id_number_of_another_person(client: AsyncTestClient) -> None:
    run_db(client, lambda: new_person(id_number=DETAILS["id_number"], name="李娜"))
    _, person = resident_with_person(client)

    response = await post_form(client, "/account/details", DETAILS)

    assert response.status_code == 400
    assert "已被他人使用" in error_at(response, "id_number")
    assert reload(client, Person, person).id_number == ID_NUMBER


async def test_after_authentication_name_id_sex_and_birth_date_are_read_only(client: AsyncTestClient) -> None:
    _, person = resident_with_person(client, real_name_verified_at=datetime(2026, 1, 5, tzinfo=UTC))

    page = await client.get("/account/details")
    response = await post_form(client, "/account/details", DETAILS)  # tries to change all six

    for field in ("name", "id_number", "birth_date"):
        assert input_value(page, field) is None, f"{field} is still editable"
    assert 'name="sex"' not in page.text
    assert "张伟" in page.text and "4403**********" in page.text and ID_NUMBER not in page.text
    assert input_value(page, "ethnicity") is None and 'name="ethnicity"' in page.text  # a select
    assert response.status_code == 303
    saved = reload(client, Person, person)
    assert (saved.name, saved.id_number, saved.sex, saved.birth_date) == ("张伟", ID_NUMBER, Sex.MALE, BIRTH_DATE)
    assert (saved.ethnicity, saved.hukou_address) == ("03", "北京市朝阳区建国路8号")  # still editable


@pytest.mark.parametrize("form", [
    {},
    {"name": "x" * 5000, "sex": "Z", "ethnicity": "99", "birth_date": "9999-99-99", "id_number": "<script>",
     "hukou_address": "\x00\x01"},
    {"birth_date": "0000-01-01", "id_number": "Ｘ" * 40, "sex": "M\nF"},
    {"name": "\u202e\u0000", "birth_date": "１９９０年３月７日", "id_number": "44030419900307123"},
], ids=["empty", "garbage", "odd-unicode", "short-id"])
async def test_details_never_fail_on_any_input(client: AsyncTestClient, form: dict[str, str]) -> None:
    resident_with_person(client)

    response = await post_form(client, "/account/details", form)

    assert response.status_code == 400
    assert 'class="error-summary"' in response.text


# --- password ----------------------------------------------------------------------------------


async def test_password_change_needs_the_current_password(client: AsyncTestClient) -> None:
    account, _ = resident_with_person(client)

    response = await post_form(client, "/account/password", {
        "current_password": "not-it-at-all", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})

    assert response.status_code == 400
    assert error_at(response, "current_password") == "当前密码不正确"
    assert 'value="not-it-at-all"' not in response.text and NEW_PASSWORD not in response.text
    assert reload(client, Account, account).password_hash == account.password_hash


@pytest.mark.parametrize(("password", "confirm", "field", "reason"), [
    ("", "", "password", "missing"),
    ("short1!", "short1!", "password", "too_short"),
    ("password123", "password123", "password", "common"),
    ("x-{username}-9", "x-{username}-9", "password", "contains_username"),
    ("ab{id_number}", "ab{id_number}", "password", "contains_id_number"),
    (NEW_PASSWORD, NEW_PASSWORD + "x", "password_confirm", "mismatch"),
    (PASSWORD, PASSWORD, "password", "same"),
], ids=["missing", "short", "common", "username", "id-number", "confirm", "same"])
async def test_new_password_follows_the_registration_policy(
    client: AsyncTestClient, password: str, confirm: str, field: str, reason: str
) -> None:
    account, person = resident_with_person(client)
    fill = {"username": account.username, "id_number": person.id_number}

    response = await post_form(client, "/account/password", {
        "current_password": PASSWORD, "password": password.format(**fill), "password_confirm": confirm.format(**fill)})

    assert response.status_code == 400
    expected = {"missing": "请输入新密码", "same": "新密码必须与当前密码不同"}.get(reason)
    assert error_at(response, field) == (expected or error_message(field, reason))


async def test_password_change_ends_other_sessions_and_forgets_devices(client: AsyncTestClient) -> None:
    account, _ = resident_with_person(client)
    now = datetime.now(UTC)
    device = run_db(client, lambda: auth.issue_device_token(account, now=now))
    # Another browser signed in as the same account: a copy of this session, same login id.
    sessions = client.app.stores.get(SESSION_STORE)
    this_browser = client.cookies.get(SESSION_COOKIE)
    other_browser = "b" * 32
    run_db(client, lambda: _copy_session(sessions, this_browser, other_browser))

    response = await post_form(client, "/account/password", {
        "current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})

    assert response.status_code == 303 and response.headers["location"] == "/account"
    assert client.cookies.get(SESSION_COOKIE) != this_browser  # the session id was rotated
    page = await client.get("/account")  # this browser stays signed in
    assert page.status_code == 200 and "密码已修改" in page.text
    changed = reload(client, Account, account)
    assert auth.passwords.verify_password(changed.password_hash, NEW_PASSWORD)
    token = run_db(client, lambda: DeviceToken.get(account_id=account.id))
    assert token.revoked_at is not None
    with pytest.raises(auth.LoginRefused):
        run_db(client, lambda: auth.login_with_device_token(account.username, device, now=datetime.now(UTC)))
    client.cookies.set(SESSION_COOKIE, other_browser, domain=client.base_url.host)
    elsewhere = await client.get("/account", follow_redirects=False)
    assert elsewhere.status_code in (302, 303) and elsewhere.headers["location"] == "/login"
    assert [message.title for message in inbox(client, account)] == ["您的密码已修改"]


async def _copy_session(store: Any, source: str, target: str) -> None:
    await store.set(target, await store.get(source), expires_in=3600)


async def test_wrong_current_passwords_are_limited(client: AsyncTestClient) -> None:
    resident_with_person(client)
    form = {"current_password": "wrong-wrong-1", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}

    statuses = [(await post_form(client, "/account/password", form)).status_code for _ in range(5)]
    limited = await post_form(client, "/account/password", {**form, "current_password": PASSWORD})

    assert statuses == [400] * 5
    assert limited.status_code == 429
    assert "次数过多" in error_at(limited, "current_password")


# --- mobile ------------------------------------------------------------------------------------

NEW_MOBILE = "13712345678"


async def test_mobile_change_sends_a_code_to_the_new_number_and_the_next_login_asks_sms(
    client: AsyncTestClient,
) -> None:
    account, _ = resident_with_person(client)
    old_mobile = account.mobile
    assert not auth.needs_sms_check(account)

    sent = await post_form(client, "/account/mobile/sms", {"mobile": "137 1234 5678", "sms_code": ""})
    assert sent.status_code == 200
    assert "137****5678" in sent.text and input_value(sent, "mobile") == "137 1234 5678"
    assert [m.purpose for m in outbox(client, NEW_MOBILE)] == ["change_mobile"]
    assert outbox(client, old_mobile) == []
    code = await latest_code(client, NEW_MOBILE)

    response = await post_form(client, "/account/mobile", {"mobile": NEW_MOBILE, "sms_code": code})

    assert response.status_code == 303 and response.headers["location"] == "/account"
    changed = reload(client, Account, account)
    assert changed.mobile == NEW_MOBILE and changed.verified_mobile == old_mobile
    assert auth.needs_sms_check(changed)
    assert "137****5678" in (await client.get("/account")).text
    assert [message.title for message in inbox(client, account)] == ["您的手机号码已变更"]


@pytest.mark.parametrize(("mobile", "words"), [
    ("", "请输入新的手机号码"),
    ("12345", error_message("mobile", "format")),
    ("same", "已经是"),
    ("taken", "其他账号"),
], ids=["missing", "format", "same", "taken"])
async def test_mobile_that_cannot_be_used_gets_no_code(client: AsyncTestClient, mobile: str, words: str) -> None:
    run_db(client, lambda: create_account("resident", mobile="13600000000"))
    account, _ = resident_with_person(client)
    number = {"same": account.mobile, "taken": "13600000000"}.get(mobile, mobile)

    sent = await post_form(client, "/account/mobile/sms", {"mobile": number})
    submitted = await post_form(client, "/account/mobile", {"mobile": number, "sms_code": "123456"})

    assert sent.status_code == submitted.status_code == 400
    assert words in error_at(sent, "mobile") and words in error_at(submitted, "mobile")
    assert run_db(client, lambda: SmsOutbox.all().count()) == 0
    assert reload(client, Account, account).mobile == account.mobile


async def test_mobile_change_with_a_wrong_code_keeps_the_old_number(client: AsyncTestClient) -> None:
    account, _ = resident_with_person(client)
    await post_form(client, "/account/mobile/sms", {"mobile": NEW_MOBILE})
    code = await latest_code(client, NEW_MOBILE)
    wrong = "000000" if code != "000000" else "111111"

    response = await post_form(client, "/account/mobile", {"mobile": NEW_MOBILE, "sms_code": wrong})
    no_code = await post_form(client, "/account/mobile", {"mobile": NEW_MOBILE, "sms_code": "12"})

    assert response.status_code == no_code.status_code == 400
    assert "不正确" in error_at(response, "sms_code") and has_error(no_code, "sms_code")
    assert input_value(response, "mobile") == NEW_MOBILE
    assert reload(client, Account, account).mobile == account.mobile


async def test_htmx_send_code_swaps_the_widget_or_the_whole_form(client: AsyncTestClient) -> None:
    resident_with_person(client)
    await client.get("/account/mobile")  # sets the CSRF cookie that htmx sends back as a header
    headers = {"HX-Request": "true", "x-csrftoken": client.cookies.get("csrftoken", "")}

    good = await client.post("/account/mobile/sms", data={"mobile": NEW_MOBILE}, headers=headers)
    bad = await client.post("/account/mobile/sms", data={"mobile": "123"}, headers=headers)

    assert good.status_code == 200 and "<html" not in good.text and 'id="sms-code-widget"' in good.text
    assert bad.status_code == 200 and "<html" not in bad.text
    assert bad.headers["hx-retarget"] == "#mobile-form" and has_error(bad, "mobile")


# --- forgotten password ------------------------------------------------------------------------


async def request_reset(client: AsyncTestClient, username: str, id_number: str) -> Response:
    return await post_form(client, "/forgot-password/sms", {"username": username, "id_number": id_number},
                           form_page="/forgot-password")


def without_tokens(response: Response) -> str:
    return _TOKEN.sub(r"\1\2", response.text)


async def test_forgot_password_end_to_end(client: AsyncTestClient) -> None:
    account = run_db(client, lambda: _account_with_person(ID_NUMBER))
    now = datetime.now(UTC)
    run_db(client, lambda: auth.issue_device_token(account, now=now))
    run_db(client, lambda: auth.replace_session(account))  # signed in somewhere else

    sent = await request_reset(client, account.username.upper(), ID_NUMBER.lower())
    assert sent.status_code == 200
    assert "如果用户名和身份证号码与某个账号相符" in sent.text
    assert account.mobile[-4:] not in sent.text  # not even the masked number: it would tell
    code = await latest_code(client, account.mobile)
    checked = await post_form(client, "/forgot-password", {
        "username": account.username, "id_number": ID_NUMBER, "sms_code": code}, form_page="/forgot-password")
    assert checked.status_code == 303 and checked.headers["location"] == "/forgot-password/new-password"
    assert ID_NUMBER not in checked.headers["location"]
    form_page = await client.get("/forgot-password/new-password")
    assert form_page.status_code == 200 and page_heading(form_page) == "设置新密码"
    refused = await post_form(client, "/forgot-password/new-password",
                              {"password": "password123", "password_confirm": "password123"},
                              form_page="/forgot-password/new-password")
    assert refused.status_code == 400 and has_error(refused, "password")

    done = await post_form(client, "/forgot-password/new-password",
                           {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
                           form_page="/forgot-password/new-password")

    assert done.status_code == 303 and done.headers["location"] == "/login"
    login_page = await client.get("/login")
    assert "密码已重置，请使用新密码登录" in login_page.text  # the notice of kind "password_reset"
    changed = reload(client, Account, account)
    assert auth.passwords.verify_password(changed.password_hash, NEW_PASSWORD)
    assert changed.current_session_id is None  # signed out everywhere
    assert run_db(client, lambda: DeviceToken.filter(account_id=account.id, revoked_at=None).count()) == 0
    assert [message.title for message in inbox(client, account)] == ["您的密码已重置"]
    again = await client.get("/forgot-password/new-password", follow_redirects=False)  # cannot be replayed
    assert again.status_code in (302, 303) and again.headers["location"] == "/forgot-password"


async def _account_with_person(id_number: str, **fields: Any) -> Account:
    person = await new_person(id_number=id_number)
    return await create_account("resident", person_id=person.id, **fields)


async def test_forgot_password_answers_the_same_whether_or_not_the_details_match(client: AsyncTestClient) -> None:
    account = run_db(client, lambda: _account_with_person(ID_NUMBER))
    other_id = make_id_number("440304", BIRTH_DATE, 125)

    answers = []
    for username, id_number in [(account.username, ID_NUMBER), (account.username, other_id),
                                ("nobody", ID_NUMBER)]:
        client.cookies.clear()
        answers.append(await request_reset(client, username, id_number))

    assert {response.status_code for response in answers} == {200}
    assert without_tokens(answers[0]).replace(account.username, "U").replace(ID_NUMBER, "I") == \
        without_tokens(answers[1]).replace(account.username, "U").replace(other_id, "I") == \
        without_tokens(answers[2]).replace("nobody", "U").replace(ID_NUMBER, "I")
    assert len(outbox(client, account.mobile)) == 1  # only the matching request sent a code


async def test_forgot_password_codes_for_details_that_match_nothing_behave_like_real_ones(
    client: AsyncTestClient,
) -> None:
    await request_reset(client, "nobody", ID_NUMBER)
    form = {"username": "nobody", "id_number": ID_NUMBER, "sms_code": "123456"}

    reasons = []
    for _ in range(6):
        response = await post_form(client, "/forgot-password", form, form_page="/forgot-password")
        assert response.status_code == 400
        reasons.append(error_at(response, "sms_code"))

    assert reasons[:4] == ["验证码不正确，请核对短信后输入6位数字。"] * 4
    assert reasons[4:] == ["验证码已输错5次，该验证码已失效，请重新获取。"] * 2


async def test_forgot_password_without_asking_for_a_code_first(client: AsyncTestClient) -> None:
    account = run_db(client, lambda: _account_with_person(ID_NUMBER))

    response = await post_form(client, "/forgot-password", {
        "username": account.username, "id_number": ID_NUMBER, "sms_code": "123456"}, form_page="/forgot-password")

    assert response.status_code == 400
    assert "请先获取验证码" in error_at(response, "sms_code")
    assert input_value(response, "username") == account.username


async def test_forgot_password_checks_the_fields_before_sending(client: AsyncTestClient) -> None:
    response = await request_reset(client, "", "44030419900307")

    assert response.status_code == 400
    assert has_error(response, "username") and has_error(response, "id_number")
    assert run_db(client, lambda: SmsOutbox.all().count()) == 0


async def test_forgot_password_asks_again_only_after_a_minute(client: AsyncTestClient) -> None:
    await request_reset(client, "nobody", ID_NUMBER)

    again = await request_reset(client, "nobody", ID_NUMBER)

    assert again.status_code == 200 and "未满1分钟" in again.text


async def test_new_password_page_needs_a_right_code_first(client: AsyncTestClient) -> None:
    response = await client.get("/forgot-password/new-password", follow_redirects=False)
    posted = await post_form(client, "/forgot-password/new-password",
                             {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})

    assert response.headers["location"] == posted.headers["location"] == "/forgot-password"
    assert "已过期" in (await client.get("/forgot-password")).text


# --- system messages ---------------------------------------------------------------------------


async def _messages(account: Account) -> list[SystemMessage]:
    from web.services import messages

    made = []
    for number in range(3):
        made.append(await messages.notify(account.id, f"标题{number}", f"正文{number}"))
    return made


async def test_messages_are_listed_newest_first_with_unread_marked(client: AsyncTestClient) -> None:
    account = sign_in_as(client, "resident")
    first, second, third = run_db(client, lambda: _messages(account))
    run_db(client, lambda: SystemMessage.filter(id=first.id).update(read_at=datetime.now(UTC)))

    response = await client.get("/messages")

    assert response.status_code == 200 and page_heading(response) == "系统消息"
    text = response.text
    assert text.index("标题2") < text.index("标题1") < text.index("标题0")
    assert "您有2条未读消息" in text
    assert f'action="/messages/{third.id}/read"' in text and f'action="/messages/{first.id}/read"' not in text


async def test_marking_a_message_read(client: AsyncTestClient) -> None:
    account = sign_in_as(client, "resident")
    first, *_ = run_db(client, lambda: _messages(account))

    response = await post_form(client, f"/messages/{first.id}/read")
    again = await post_form(client, f"/messages/{first.id}/read")  # already read: still fine

    assert response.status_code == again.status_code == 303
    assert reload(client, SystemMessage, first).read_at is not None
    assert "您有2条未读消息" in (await client.get("/messages")).text
    everything = await post_form(client, "/messages/read-all")
    assert everything.status_code == 303
    assert "您已阅读全部消息" in (await client.get("/messages")).text


async def test_someone_elses_message_does_not_exist(client: AsyncTestClient) -> None:
    other = run_db(client, lambda: create_account("resident"))
    theirs, *_ = run_db(client, lambda: _messages(other))
    sign_in_as(client, "resident")

    response = await post_form(client, f"/messages/{theirs.id}/read")
    missing = await post_form(client, "/messages/999999/read")

    assert response.status_code == missing.status_code == 404
    assert reload(client, SystemMessage, theirs).read_at is None


async def test_messages_page_runs_a_fixed_number_of_queries(client: AsyncTestClient, count_queries: Any) -> None:
    account = sign_in_as(client, "resident")
    run_db(client, lambda: _messages(account))

    with count_queries() as few:
        await client.get("/messages")
    run_db(client, lambda: _messages(account))
    with count_queries() as more:
        await client.get("/messages")

    assert few.count == more.count <= 3, more


# --- sign-ins and devices ----------------------------------------------------------------------

CHROME_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/126.0.0.0 Safari/537.36")
WECHAT_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN")


async def test_recent_sign_ins_show_time_device_network_and_result(client: AsyncTestClient) -> None:
    account = sign_in_as(client, "resident")
    base = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)

    async def history() -> None:
        for minute in range(25):
            await LoginEvent.create(account_id=account.id, at=base + timedelta(minutes=minute), success=True,
                                    ip_masked="203.0.113.*", user_agent=CHROME_WINDOWS)
        await LoginEvent.create(account_id=account.id, at=base + timedelta(hours=1), success=False,
                                ip_masked="198.51.100.*", user_agent=WECHAT_IPHONE)

    run_db(client, history)

    response = await client.get("/account/sign-ins")

    assert response.status_code == 200
    text = response.text
    assert text.count("<tr>") == 1 + 20  # the header row and the last 20
    assert "2026年3月1日 10:00:00" in text  # Shenzhen time of the newest, a failure
    assert "WeChat（iPhone）" in text and "Chrome（Windows）" in text
    assert "198.51.100.*" in text and "密码错误" in text
    assert "09:06:00" in text and "09:05:00" not in text  # older ones are left out


async def test_sign_out_everywhere_signs_this_browser_out_too(client: AsyncTestClient) -> None:
    account = sign_in_as(client, "resident")
    run_db(client, lambda: auth.issue_device_token(account, now=datetime.now(UTC)))

    response = await post_form(client, "/account/sign-out-everywhere", form_page="/account")

    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert reload(client, Account, account).current_session_id is None
    assert run_db(client, lambda: DeviceToken.filter(account_id=account.id, revoked_at=None).count()) == 0
    after = await client.get("/account", follow_redirects=False)
    assert after.status_code in (302, 303) and after.headers["location"] == "/login"


async def test_forget_remembered_devices_keeps_this_session(client: AsyncTestClient) -> None:
    account = sign_in_as(client, "resident")
    run_db(client, lambda: auth.issue_device_token(account, now=datetime.now(UTC)))

    response = await post_form(client, "/account/devices/forget", form_page="/account")

    assert response.status_code == 303 and response.headers["location"] == "/account"
    assert run_db(client, lambda: DeviceToken.filter(account_id=account.id, revoked_at=None).count()) == 0
    page = await client.get("/account")
    assert page.status_code == 200 and "已忘记" in page.text


async def test_every_page_needs_sign_in(client: AsyncTestClient) -> None:
    sign_out(client)
    for path in ("/account", "/account/details", "/account/password", "/account/mobile", "/account/sign-ins",
                 "/messages"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303) and response.headers["location"] == "/login", path
    assert (await client.get("/forgot-password")).status_code == 200


ODD_VALUES = ["", " ", "x" * 10_000, "\x00", "１２３４５６", "<script>alert(1)</script>", "' OR 1=1 --", "🙂" * 50]


@pytest.mark.parametrize("value", ODD_VALUES, ids=["empty", "space", "long", "nul", "wide", "html", "sql", "emoji"])
async def test_no_form_of_this_area_fails_on_odd_input(client: AsyncTestClient, value: str) -> None:
    resident_with_person(client)
    forms = {
        "/account/details": {name: value for name in DETAILS},
        "/account/password": {"current_password": value, "password": value, "password_confirm": value},
        "/account/mobile/sms": {"mobile": value, "sms_code": value},
        "/account/mobile": {"mobile": value, "sms_code": value},
        "/forgot-password/sms": {"username": value, "id_number": value, "sms_code": value},
        "/forgot-password": {"username": value, "id_number": value, "sms_code": value},
        "/forgot-password/new-password": {"password": value, "password_confirm": value},
    }
    for url, form in forms.items():
        response = await post_form(client, url, form)
        assert response.status_code < 500, (url, response.status_code)
        assert "<script>alert(1)</script>" not in response.text, url


async def test_htmx_send_code_on_the_forgotten_password_page(client: AsyncTestClient) -> None:
    await client.get("/forgot-password")
    headers = {"HX-Request": "true", "x-csrftoken": client.cookies.get("csrftoken", "")}

    good = await client.post("/forgot-password/sms", data={"username": "nobody", "id_number": ID_NUMBER},
                             headers=headers)
    bad = await client.post("/forgot-password/sms", data={"username": "", "id_number": "123"}, headers=headers)

    assert good.status_code == 200 and "<html" not in good.text and 'id="sms-code-widget"' in good.text
    assert "如果用户名和身份证号码与某个账号相符" in good.text
    assert bad.status_code == 200 and bad.headers["hx-retarget"] == "#forgot-form"
    assert has_error(bad, "username") and has_error(bad, "id_number") and 'class="error-summary"' in bad.text


async def test_overview_runs_a_fixed_number_of_queries(client: AsyncTestClient, count_queries: Any) -> None:
    resident_with_person(client)

    with count_queries() as queries:
        response = await client.get("/account")

    assert response.status_code == 200
    assert queries.count <= 4, queries  # account, person, unread count (+ nothing per row)


# --- the basic-information draft: what was typed survives the end of the session ---------------

def hukou_typed(response: Response) -> str:
    match = re.search(r'<textarea[^>]*id="hukou_address"[^>]*>(.*?)</textarea>', response.text, re.S)
    assert match, "no hukou_address field"
    return html.unescape(match.group(1)).strip()


async def test_typed_details_are_kept_as_a_draft_and_come_back(client: AsyncTestClient) -> None:
    _, person = resident_with_person(client)
    token = await csrf_token(client, "/account/details")

    saved = await client.post("/account/details/draft", data={**DETAILS, "hukou_address": "长沙市麓山南路932号"},
                              headers={"HX-Request": "true", "x-csrftoken": token})
    assert saved.status_code == 204
    assert reload(client, Person, person).hukou_address == "湖南省长沙市岳麓区麓山南路1号"  # not saved yet

    page = await client.get("/account/details")
    assert "已为您恢复上次未保存的修改" in page.text
    assert hukou_typed(page) == "长沙市麓山南路932号"

    await post_form(client, "/account/details/discard", form_page="/account/details")
    page = await client.get("/account/details")
    assert "已为您恢复" not in page.text
    assert hukou_typed(page) == "湖南省长沙市岳麓区麓山南路1号"


async def test_a_draft_survives_being_signed_out_by_a_login_elsewhere(client: AsyncTestClient) -> None:
    account, _ = resident_with_person(client)
    await post_form(client, "/account/details/draft", {"hukou_address": "长沙市麓山南路932号"},
                    form_page="/account/details")

    run_db(client, lambda: auth.end_sessions(account))  # what a login on another device does
    assert (await client.get("/account/details", follow_redirects=False)).headers["location"] == "/login"

    sign_out(client)
    session_id = run_db(client, lambda: open_session(client, account))  # signing in again
    client.cookies.set(SESSION_COOKIE, session_id, domain=client.base_url.host)
    assert hukou_typed(await client.get("/account/details")) == "长沙市麓山南路932号"


async def test_a_failed_save_keeps_a_draft_and_a_good_one_clears_it(client: AsyncTestClient) -> None:
    resident_with_person(client)

    await post_form(client, "/account/details", {**DETAILS, "name": ""})
    assert "已为您恢复" in (await client.get("/account/details")).text

    await post_form(client, "/account/details", DETAILS)
    assert "已为您恢复" not in (await client.get("/account/details")).text
