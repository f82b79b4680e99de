"""Registration of a personal account over HTTP (/register): every route, with and without htmx."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pytest
from httpx import Response
from litestar.testing import AsyncTestClient

from tests.support import CSRF_FIELD, SESSION_COOKIE, SESSION_STORE, csrf_token, run_db, set_cookies
from web.services.identity import make_id_number, normalize_mobile

BIRTH_DATE = date(1990, 3, 27)
ID_NUMBER = make_id_number("440304", BIRTH_DATE, 123)  # odd sequence: a man
MOBILE = "13812345678"
PASSWORD = "Lychee-harbour-42"
BASIC = {"name": "张伟", "sex": "M", "ethnicity": "01", "birth_date": BIRTH_DATE.isoformat()}
IDENTITY = {"id_number": ID_NUMBER, "hukou_address": "广东省深圳市福田区福中三路1号", "mobile": MOBILE}
CREDENTIALS = {"username": "zhangwei", "password": PASSWORD, "password_confirm": PASSWORD}
HTMX = {"HX-Request": "true"}


async def post(client: AsyncTestClient, url: str, data: dict[str, Any] | None = None, *,
               htmx: bool = False, csrf: bool = True) -> Response:
    """POST a registration form as the browser does (url-encoded, CSRF field; htmx adds its header)."""
    body = dict(data or {})
    if csrf:
        body[CSRF_FIELD] = await csrf_token(client, "/")
    return await client.post(url, data=body, headers=HTMX if htmx else None, follow_redirects=False)


def latest_code(client: AsyncTestClient, mobile: str = MOBILE) -> str:
    from web.models import SmsOutbox

    async def newest() -> str:
        message = await SmsOutbox.filter(mobile=mobile).first()
        assert message is not None and message.code
        return message.code

    return run_db(client, newest)


async def answer_until(client: AsyncTestClient, step: str, *, identity: dict[str, str] | None = None,
                       basic: dict[str, str] | None = None) -> None:
    """Answer the steps before `step` (account-type ... username-password) correctly."""
    steps = ["account-type", "basic-information", "identity", "username-password", "agreement"]
    for slug in steps[: steps.index(step)]:
        if slug == "account-type":
            data = {"account_type": "personal"}
        elif slug == "basic-information":
            data = basic or BASIC
        elif slug == "identity":
            data = identity or IDENTITY
            sent = await post(client, "/register/sms", data)
            assert sent.status_code == 200, sent.text
            data = {**data, "sms_code": latest_code(client, normalize_mobile(data["mobile"]) or "")}
        else:
            data = CREDENTIALS
        response = await post(client, f"/register/{slug}", data)
        assert response.status_code == 303, f"{slug}: {response.status_code}\n{errors_in(response)}"


def errors_in(response: Response) -> list[str]:
    """The messages beside the fields (`<p id="<field>-error">`), as the person reads them."""
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split()).removeprefix("错误： ").removeprefix("Error: ")
        for text in re.findall(r'<p id="[\w-]+-error" class="error-message">(.*?)</p>', response.text, re.S)
    ]


def field_value(response: Response, name: str) -> str | None:
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', response.text)
    if not match:
        return None
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else None


def accounts(client: AsyncTestClient) -> list[Any]:
    from web.models import Account

    async def load() -> list[Any]:
        return await Account.filter(role="resident").prefetch_related("person")

    return run_db(client, load)


def count(client: AsyncTestClient, model: str, **filters: Any) -> int:
    import web.models

    async def rows() -> int:
        return await getattr(web.models, model).filter(**filters).count()

    return run_db(client, rows)


# --- the journey ------------------------------------------------------------------------------------


async def test_register_opens_on_the_account_type_step(client: AsyncTestClient) -> None:
    response = await client.get("/register")

    assert response.status_code == 200
    assert "账号类型" in response.text
    assert 'action="/register/account-type"' in response.text
    assert 'hx-post="/register/account-type"' in response.text
    assert 'href="/points"' in response.text  # unit accounts: at an acceptance point


async def test_a_resident_registers_through_every_step(client: AsyncTestClient) -> None:
    await answer_until(client, "agreement")
    check = await client.get("/register/agreement")
    assert check.status_code == 200
    assert ID_NUMBER in check.text and "zhangwei" in check.text and "张伟" in check.text

    response = await post(client, "/register/agreement", {"agree": "1"})

    assert response.status_code == 303
    assert response.headers["location"] == "/register/done"
    done = await client.get("/register/done")
    assert done.status_code == 200
    assert "zhangwei" in done.text and 'href="/login"' in done.text and 'href="/points"' in done.text
    [account] = accounts(client)
    assert account.username == "zhangwei"
    assert account.mobile == MOBILE
    assert account.verified_mobile is None  # the first login asks for an SMS code
    assert account.person.id_number == ID_NUMBER
    assert (account.person.name, account.person.sex, account.person.ethnicity) == ("张伟", "M", "01")
    assert account.person.birth_date == BIRTH_DATE
    assert account.person.mobile == MOBILE
    from web.services.passwords import verify_password

    assert verify_password(account.password_hash, PASSWORD)


async def test_the_first_login_of_a_registered_account_asks_for_an_sms_code(client: AsyncTestClient) -> None:
    from web.services.auth import needs_sms_check

    await answer_until(client, "agreement")
    await post(client, "/register/agreement", {"agree": "1"})

    [account] = accounts(client)
    assert needs_sms_check(account)


async def test_steps_show_as_pages_and_as_htmx_fragments_with_their_title(client: AsyncTestClient) -> None:
    await answer_until(client, "basic-information")

    page = await client.get("/register/basic-information")
    fragment = await client.get("/register/basic-information", headers=HTMX)

    assert page.text.startswith("<!doctype html>")
    assert '<div id="register-step"' in page.text
    assert not fragment.text.lstrip().startswith("<!doctype")
    assert fragment.text.startswith("<title>基本信息 - 居住登记和居住证服务平台</title>")
    assert '<div id="register-step"' in fragment.text


async def test_htmx_moves_to_the_next_step_and_puts_its_address_in_the_history(client: AsyncTestClient) -> None:
    response = await post(client, "/register/account-type", {"account_type": "personal"}, htmx=True)

    assert response.status_code == 200
    assert response.headers["hx-push-url"] == "/register/basic-information"
    assert response.text.startswith("<title>基本信息")
    assert 'action="/register/basic-information"' in response.text


async def test_htmx_errors_come_back_as_a_200_fragment(client: AsyncTestClient) -> None:
    await answer_until(client, "basic-information")

    response = await post(client, "/register/basic-information", {**BASIC, "birth_date": "2026-02-30"}, htmx=True)

    assert response.status_code == 200  # htmx 2 does not swap 4xx responses (STACK.md trap 8)
    assert response.text.startswith("<title>错误：基本信息")
    assert errors_in(response) == ["出生日期必须是真实存在的日期，例如 1990-03-27"]


async def test_errors_without_javascript_keep_everything_typed(client: AsyncTestClient) -> None:
    await answer_until(client, "basic-information")

    response = await post(client, "/register/basic-information",
                          {"name": "张伟", "sex": "F", "ethnicity": "03", "birth_date": "2999-01-01"})

    assert response.status_code == 400
    assert "<title>错误：基本信息" in response.text
    assert 'class="error-summary"' in response.text and 'href="#birth_date"' in response.text
    assert errors_in(response) == ["出生日期不能晚于今天"]
    assert 'aria-describedby="birth_date-hint birth_date-error"' in response.text
    assert field_value(response, "name") == "张伟"
    assert field_value(response, "birth_date") == "2999-01-01"
    assert re.search(r'value="F"\s+checked', response.text)
    assert '<option value="03" selected>' in response.text


async def test_every_missing_answer_is_named_in_the_order_of_the_form(client: AsyncTestClient) -> None:
    await answer_until(client, "basic-information")

    response = await post(client, "/register/basic-information", {})

    assert response.status_code == 400
    assert errors_in(response) == ["请输入与身份证一致的姓名", "请选择性别", "请选择民族", "请输入出生日期"]
    summary = re.findall(r'<li><a href="#(\w+)">', response.text)
    assert summary == ["name", "sex", "ethnicity", "birth_date"]


async def test_a_unit_account_cannot_be_registered_online(client: AsyncTestClient) -> None:
    response = await post(client, "/register/account-type", {"account_type": "unit"})

    assert response.status_code == 400
    assert errors_in(response) == ["单位账号不能在网上注册，请到受理点申请开通。"]
    assert 'href="/points"' in response.text


@pytest.mark.parametrize("slug", ["basic-information", "identity", "username-password", "agreement"])
async def test_steps_cannot_be_skipped(client: AsyncTestClient, slug: str) -> None:
    shown = await client.get(f"/register/{slug}", follow_redirects=False)
    sent = await post(client, f"/register/{slug}", {**BASIC, **IDENTITY, **CREDENTIALS, "agree": "1"})

    assert (shown.status_code, shown.headers["location"]) == (303, "/register")
    assert (sent.status_code, sent.headers["location"]) == (303, "/register/account-type")
    assert accounts(client) == []


async def test_an_old_tab_posting_a_later_step_is_sent_to_the_current_one_with_htmx(client: AsyncTestClient) -> None:
    await answer_until(client, "basic-information")

    response = await post(client, "/register/username-password", CREDENTIALS, htmx=True)

    assert response.status_code == 200
    assert response.headers["hx-push-url"] == "/register/basic-information"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_an_unknown_step_is_not_found(client: AsyncTestClient, method: str) -> None:
    if method == "GET":
        response = await client.get("/register/payment")
    else:
        response = await post(client, "/register/payment", {})

    assert response.status_code == 404


async def test_back_links_keep_the_answers(client: AsyncTestClient) -> None:
    await answer_until(client, "username-password")

    basic = await client.get("/register/basic-information")
    identity = await client.get("/register/identity")
    current = await client.get("/register")

    assert 'href="/register/account-type" class="back-link"' in basic.text
    assert field_value(basic, "name") == "张伟" and field_value(basic, "birth_date") == "1990-03-27"
    assert field_value(identity, "id_number") == ID_NUMBER and field_value(identity, "mobile") == MOBILE
    assert "已验证" in identity.text  # no second code needed for the same number
    assert 'action="/register/username-password"' in current.text


async def test_a_new_answer_to_an_earlier_step_returns_to_where_the_person_was(client: AsyncTestClient) -> None:
    await answer_until(client, "agreement")

    response = await post(client, "/register/basic-information", {**BASIC, "ethnicity": "02"})

    assert response.headers["location"] == "/register/agreement"


async def test_a_changed_date_of_birth_sends_the_person_back_to_the_id_number(client: AsyncTestClient) -> None:
    await answer_until(client, "agreement")

    response = await post(client, "/register/basic-information", {**BASIC, "birth_date": "1991-03-27"})
    identity = await client.get(response.headers["location"])

    assert response.headers["location"] == "/register/identity"
    assert errors_in(identity) == [
        "身份证号码中的出生日期与您填写的出生日期不一致，请核对号码，或返回上一步修改出生日期"
    ]
    assert field_value(identity, "id_number") == ID_NUMBER


async def test_a_changed_id_number_asks_for_the_password_again(client: AsyncTestClient) -> None:
    await answer_until(client, "agreement")
    other = make_id_number("440304", BIRTH_DATE, 125)

    response = await post(client, "/register/identity", {**IDENTITY, "id_number": other})
    credentials = await client.get(response.headers["location"])

    assert response.headers["location"] == "/register/username-password"
    assert errors_in(credentials) == ["您修改了用户名或身份证号码，请重新设置密码"]
    assert field_value(credentials, "username") == "zhangwei"


@pytest.mark.parametrize(
    ("id_number", "message"),
    [
        ("", "请输入身份证号码"),
        ("44030419900327123", "身份证号码必须是18位"),
        ("44030419900327123A", "身份证号码由17位数字加1位数字或字母X组成"),
        (make_id_number("990304", BIRTH_DATE, 123), "身份证号码的前2位不是有效的省份代码，请对照身份证核对"),
        ("440304199002301230", "身份证号码第7至14位不是有效的出生日期，请对照身份证核对"),
        (ID_NUMBER[:-1] + ("1" if ID_NUMBER[-1] != "1" else "2"), "身份证号码校验不通过，请对照身份证逐位核对"),
        (make_id_number("440304", BIRTH_DATE, 124),
         "身份证号码与您填写的性别不一致，请核对号码，或返回上一步修改性别"),
        (make_id_number("440304", date(1990, 3, 28), 123),
         "身份证号码中的出生日期与您填写的出生日期不一致，请核对号码，或返回上一步修改出生日期"),
    ],
    ids=["missing", "short", "letter", "province", "impossible-date", "checksum", "sex", "birth-date"],
)
async def test_a_wrong_id_number_gets_its_message_and_the_rest_stays(
    client: AsyncTestClient, id_number: str, message: str
) -> None:
    await answer_until(client, "identity")
    await post(client, "/register/sms", IDENTITY)

    response = await post(client, "/register/identity",
                          {**IDENTITY, "id_number": id_number, "sms_code": latest_code(client)})

    assert response.status_code == 400
    assert errors_in(response) == [message]
    assert field_value(response, "id_number") == id_number
    assert field_value(response, "hukou_address") == IDENTITY["hukou_address"]
    assert field_value(response, "mobile") == MOBILE


def id_number_ending_in_x() -> str:
    for sequence in range(1, 1000, 2):
        number = make_id_number("440304", BIRTH_DATE, sequence)
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives X")


async def test_full_width_digits_spaces_and_a_lowercase_x_are_accepted(client: AsyncTestClient) -> None:
    number = id_number_ending_in_x()
    typed = " ".join(number[i:i + 6] for i in range(0, 18, 6)).translate(
        str.maketrans("0123456789X", "０１２３４５６７８９x"))
    identity = {**IDENTITY, "id_number": typed, "mobile": "+86 138 1234 5678"}

    await answer_until(client, "agreement", identity=identity)
    await post(client, "/register/agreement", {"agree": "1"})

    [account] = accounts(client)
    assert account.person.id_number == number
    assert account.mobile == MOBILE


def existing_account(client: AsyncTestClient, *, id_number: str = ID_NUMBER, mobile: str = "13900000001",
                     name: str = "张伟", with_account: bool = True) -> None:
    from web.models import Account, Person

    async def create() -> None:
        person = await Person.create(id_type="resident_id", id_number=id_number, name=name, mobile=mobile)
        if with_account:
            await Account.create(username="earlybird", password_hash="x", role="resident", mobile=mobile,
                                 person=person)

    run_db(client, create)


async def test_an_id_number_that_has_an_account_points_to_sign_in_and_password_reset(client: AsyncTestClient) -> None:
    existing_account(client)
    await answer_until(client, "identity")
    await post(client, "/register/sms", IDENTITY)

    response = await post(client, "/register/identity", {**IDENTITY, "sms_code": latest_code(client)})

    assert errors_in(response) == ["该身份证号码已注册账号：请直接登录或找回密码"]
    assert 'href="/login"' in response.text and 'href="/forgot-password"' in response.text


async def test_a_mobile_that_has_an_account_gets_no_code(client: AsyncTestClient) -> None:
    existing_account(client, id_number=make_id_number("110105", date(1980, 1, 1), 11), mobile=MOBILE)
    await answer_until(client, "identity")

    response = await post(client, "/register/sms", IDENTITY)

    assert response.status_code == 400
    assert errors_in(response) == ["该手机号码已注册账号：请直接登录或找回密码"]
    assert 'href="/forgot-password"' in response.text
    assert field_value(response, "id_number") == ID_NUMBER

    assert count(client, "SmsOutbox", mobile=MOBILE) == 0


async def test_a_person_known_without_an_account_is_reused_when_the_name_matches(client: AsyncTestClient) -> None:
    existing_account(client, with_account=False, mobile="13900000009")  # a unit declared them

    await answer_until(client, "agreement")
    await post(client, "/register/agreement", {"agree": "1"})

    [account] = accounts(client)
    assert count(client, "Person") == 1
    assert account.person.mobile == "13900000009"  # the number the unit left is kept
    assert account.person.hukou_address == IDENTITY["hukou_address"]  # what was missing is filled in


async def test_a_person_known_under_another_name_is_not_taken_over(client: AsyncTestClient) -> None:
    existing_account(client, with_account=False, name="李娜")
    await answer_until(client, "identity")
    await post(client, "/register/sms", IDENTITY)

    response = await post(client, "/register/identity", {**IDENTITY, "sms_code": latest_code(client)})

    assert errors_in(response) == [
        "该身份证号码登记的姓名与您填写的不一致，请核对姓名和身份证号码，或到受理点咨询"
    ]


async def test_someone_registering_the_id_number_first_sends_the_person_back(client: AsyncTestClient) -> None:
    await answer_until(client, "agreement")
    existing_account(client)

    response = await post(client, "/register/agreement", {"agree": "1"})

    assert response.headers["location"] == "/register/identity"
    identity = await client.get("/register/identity")
    assert errors_in(identity) == ["该身份证号码已注册账号：请直接登录或找回密码"]
    assert len(accounts(client)) == 1


async def test_a_double_click_on_register_creates_one_account(client: AsyncTestClient) -> None:
    import asyncio

    await answer_until(client, "agreement")
    token = await csrf_token(client, "/")
    body = {"agree": "1", CSRF_FIELD: token}

    first, second = await asyncio.gather(
        client.post("/register/agreement", data=body, follow_redirects=False),
        client.post("/register/agreement", data=body, follow_redirects=False),
    )
    third = await client.post("/register/agreement", data=body, follow_redirects=False)

    assert [r.headers["location"] for r in (first, second, third)] == ["/register/done"] * 3
    assert len(accounts(client)) == 1


async def test_the_agreement_must_be_accepted(client: AsyncTestClient) -> None:
    await answer_until(client, "agreement")

    response = await post(client, "/register/agreement", {})

    assert response.status_code == 400
    assert errors_in(response) == ["注册前请阅读并同意用户协议和隐私声明"]
    assert "用户协议" in response.text and "隐私声明" in response.text
    assert accounts(client) == []


# --- SMS code -----------------------------------------------------------------------------------------


async def test_send_code_without_javascript_shows_the_page_with_the_masked_number(client: AsyncTestClient) -> None:
    await answer_until(client, "identity")

    response = await post(client, "/register/sms", IDENTITY)

    assert response.status_code == 200
    assert "验证码已发送至138****5678" in response.text
    assert field_value(response, "id_number") == ID_NUMBER
    assert field_value(response, "hukou_address") == IDENTITY["hukou_address"]
    assert len(latest_code(client)) == 6


async def test_send_code_with_htmx_swaps_the_widget_alone(client: AsyncTestClient) -> None:
    await answer_until(client, "identity")

    response = await post(client, "/register/sms", IDENTITY, htmx=True)

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div class="form-group sms-code" id="sms-code-widget">')
    assert 'data-resend-in="60"' in response.text or 'data-resend-in="59"' in response.text


async def test_send_code_with_htmx_and_a_wrong_number_shows_the_message_beside_the_number(
    client: AsyncTestClient,
) -> None:
    await answer_until(client, "identity")

    response = await post(client, "/register/sms", {**IDENTITY, "mobile": "1381234"}, htmx=True)

    assert response.status_code == 200
    assert response.headers["hx-retarget"] == "#register-step"
    assert errors_in(response) == ["请输入11位中国大陆手机号码，例如 13800138000"]


async def test_a_second_code_within_a_minute_is_refused_with_the_wait(client: AsyncTestClient) -> None:
    await answer_until(client, "identity")
    await post(client, "/register/sms", IDENTITY)

    response = await post(client, "/register/sms", IDENTITY)

    assert "验证码发送未满1分钟" in response.text


@pytest.mark.parametrize(("code", "message"), [
    ("", "请输入短信中的6位数字验证码。"),
    ("12ab", "请输入短信中的6位数字验证码。"),
    ("wrong", "验证码不正确，请核对短信后输入6位数字。"),
])
async def test_a_wrong_sms_code_is_refused(client: AsyncTestClient, code: str, message: str) -> None:
    await answer_until(client, "identity")
    await post(client, "/register/sms", IDENTITY)
    if code == "wrong":
        right = latest_code(client)
        code = f"{(int(right) + 1) % 1_000_000:06d}"

    response = await post(client, "/register/identity", {**IDENTITY, "sms_code": code})

    assert errors_in(response) == [message]


async def test_identity_without_any_code_sent_asks_for_one(client: AsyncTestClient) -> None:
    await answer_until(client, "identity")

    response = await post(client, "/register/identity", {**IDENTITY, "sms_code": "123456"})

    assert errors_in(response) == ["请先获取验证码，再输入短信中的6位数字。"]


async def test_a_right_code_is_not_asked_again_after_fixing_another_answer(client: AsyncTestClient) -> None:
    await answer_until(client, "identity")
    await post(client, "/register/sms", IDENTITY)
    first = await post(client, "/register/identity",
                       {**IDENTITY, "hukou_address": "", "sms_code": latest_code(client)})

    second = await post(client, "/register/identity", IDENTITY)

    assert errors_in(first) == ["请输入户籍地址"]
    assert second.status_code == 303


# --- username and password --------------------------------------------------------------------------


@pytest.mark.parametrize(("credentials", "messages"), [
    ({"username": "ab"}, ["用户名必须是4至20个字符"]),
    ({"username": "9lives"}, ["用户名必须以字母开头"]),
    ({"username": "zhang-wei"}, ["用户名只能包含字母a至z、数字和下划线（_）"]),
    ({"username": "admin"}, ["该用户名已被使用，请换一个"]),
    ({"password": "short1", "password_confirm": "short1"}, ["密码至少需要8个字符"]),
    ({"password": "Zhangwei-2026", "password_confirm": "Zhangwei-2026"}, ["密码不能包含用户名"]),
    ({"password": f"id{ID_NUMBER.lower()}", "password_confirm": f"id{ID_NUMBER.lower()}"}, ["密码不能包含身份证号码"]),
    ({"password": "Password1", "password_confirm": "Password1"}, ["该密码属于最常见的密码，容易被猜中，请换一个"]),
    ({"password_confirm": "something-else"}, ["两次输入的密码不一致"]),
    ({"password_confirm": ""}, ["请再次输入密码进行确认"]),
], ids=["short-username", "digit-first", "hyphen", "reserved", "short-password", "contains-username",
        "contains-id", "common", "mismatch", "no-confirmation"])
async def test_username_and_password_rules(client: AsyncTestClient, credentials: dict[str, str],
                                           messages: list[str]) -> None:
    await answer_until(client, "username-password")

    response = await post(client, "/register/username-password", {**CREDENTIALS, **credentials})

    assert response.status_code == 400
    assert errors_in(response) == messages
    assert field_value(response, "username") == credentials.get("username", CREDENTIALS["username"])
    assert field_value(response, "password") is None and field_value(response, "password_confirm") is None


async def test_a_taken_username_is_refused_whatever_its_case(client: AsyncTestClient) -> None:
    existing_account(client, id_number=make_id_number("110105", date(1980, 1, 1), 11))
    await answer_until(client, "username-password")

    response = await post(client, "/register/username-password", {**CREDENTIALS, "username": "EarlyBird"})

    assert errors_in(response) == ["该用户名已被使用，请换一个"]


async def test_the_password_is_never_sent_back_nor_kept_in_the_session(client: AsyncTestClient) -> None:
    await answer_until(client, "username-password")
    refused = await post(client, "/register/username-password", {**CREDENTIALS, "password_confirm": "nope-nope"})
    accepted = await post(client, "/register/username-password", CREDENTIALS)

    assert PASSWORD not in refused.text
    assert accepted.status_code == 303
    stored = run_db(client, client.app.stores.get(SESSION_STORE).get, client.cookies[SESSION_COOKIE])
    assert PASSWORD.encode() not in stored
    assert b"$argon2id$" in stored


# --- bad input never fails the service -----------------------------------------------------------------


@pytest.mark.parametrize(("slug", "data"), [
    ("account-type", {"account_type": "x" * 100_000}),
    ("basic-information", {"name": "张" * 10_000, "sex": "Q", "ethnicity": "99", "birth_date": "2026-02-30"}),
    ("basic-information", {"name": "\x00\x01", "sex": "", "ethnicity": "1", "birth_date": "0000-00-00"}),
    ("basic-information", {"name": "<script>alert(1)</script>", "sex": "M", "ethnicity": "01",
                           "birth_date": "9999-99-99"}),
    ("identity", {"id_number": "\x00" * 18, "hukou_address": "\x00bad", "mobile": "1" * 5000,
                  "sms_code": "\x00"}),
    ("identity", {"id_number": "４４" * 5000, "hukou_address": "地" * 1000, "mobile": "+86"}),
    ("username-password", {"username": "\x00admin", "password": "p" * 100_000, "password_confirm": "\x00"}),
    ("username-password", {"username": "用户名字", "password": "\x00" * 8, "password_confirm": "\x00" * 8}),
    ("agreement", {"agree": "\x00"}),
], ids=["huge-type", "tampered-basic", "control-characters", "markup", "nul-identity", "huge-identity",
        "nul-username", "cjk-username", "nul-agree"])
async def test_absurd_or_tampered_input_gets_messages_not_a_server_error(
    client: AsyncTestClient, slug: str, data: dict[str, str]
) -> None:
    await answer_until(client, slug)

    response = await post(client, f"/register/{slug}", data)
    htmx = await post(client, f"/register/{slug}", data, htmx=True)

    assert response.status_code in (303, 400), response.text[-500:]
    assert htmx.status_code == 200
    assert "<script>alert" not in response.text


@pytest.mark.parametrize("url", ["/register/username-password", "/register/check/password", "/register/sms"])
async def test_a_file_sent_where_text_belongs_counts_as_nothing_typed(client: AsyncTestClient, url: str) -> None:
    await answer_until(client, "username-password")
    token = await csrf_token(client, "/")

    response = await client.post(url, data={CSRF_FIELD: token, "username": "zhangwei"},
                                 files={"password": ("p.txt", b"Lychee-harbour-42"), "mobile": ("m", b"1")},
                                 headers=HTMX, follow_redirects=False)

    assert response.status_code == 200


async def test_repeated_fields_and_missing_fields_are_handled(client: AsyncTestClient) -> None:
    await answer_until(client, "basic-information")
    token = await csrf_token(client, "/")

    response = await client.post(
        "/register/basic-information",
        content=f"name=a&name=b&sex=M&sex=F&_csrf_token={token}".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 400
    assert errors_in(response) == ["请选择民族", "请输入出生日期"]


# --- inline checks on change --------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "data", "message"), [
    ("name", {"name": ""}, "请输入与身份证一致的姓名"),
    ("birth_date", {"birth_date": "2026-02-30"}, "出生日期必须是真实存在的日期，例如 1990-03-27"),
    ("id_number", {"id_number": "440304199003271230"}, "身份证号码校验不通过，请对照身份证逐位核对"),
    ("hukou_address", {"hukou_address": " "}, "请输入户籍地址"),
    ("mobile", {"mobile": "12345"}, "请输入11位中国大陆手机号码，例如 13800138000"),
    ("username", {"username": "1abc"}, "用户名必须以字母开头"),
    ("username", {"username": "admin"}, "该用户名已被使用，请换一个"),
    ("name", {"name": "张伟"}, None),
    ("username", {"username": "Newcomer_1"}, None),
])
async def test_the_inline_check_returns_the_field_with_its_message(
    client: AsyncTestClient, field: str, data: dict[str, str], message: str | None
) -> None:
    response = await post(client, f"/register/check/{field}", data, htmx=True)

    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<div id="check-{field}" class="register-field"')
    assert errors_in(response) == ([message] if message else [])
    assert field_value(response, field) == data[field]


async def test_the_inline_id_number_check_compares_with_the_sex_entered(client: AsyncTestClient) -> None:
    await answer_until(client, "identity")

    response = await post(client, "/register/check/id_number",
                          {"id_number": make_id_number("440304", BIRTH_DATE, 124)}, htmx=True)

    assert errors_in(response) == ["身份证号码与您填写的性别不一致，请核对号码，或返回上一步修改性别"]


@pytest.mark.parametrize(("field", "data", "message"), [
    ("password", {"username": "zhangwei", "password": "zhangwei2026"}, "密码不能包含用户名"),
    ("password", {"password": "qwerty123"}, "该密码属于最常见的密码，容易被猜中，请换一个"),
    ("password", {"password": "Lychee-harbour-42"}, None),
    ("password_confirm", {"password": "Lychee-harbour-42", "password_confirm": "Lychee"}, "两次输入的密码不一致"),
])
async def test_the_inline_password_check_answers_in_a_line_and_never_echoes_the_password(
    client: AsyncTestClient, field: str, data: dict[str, str], message: str | None
) -> None:
    response = await post(client, f"/register/check/{field}", data, htmx=True)

    assert response.status_code == 200
    assert (message or "") in response.text
    assert "<input" not in response.text and data["password"] not in response.text
    if message is None:
        assert response.text.strip() == ""


async def test_the_inline_check_reads_the_draft_but_never_writes_the_session(client: AsyncTestClient) -> None:
    # A check still running when its step is submitted must not put the older draft back.
    await answer_until(client, "identity")
    stored = run_db(client, client.app.stores.get(SESSION_STORE).get, client.cookies[SESSION_COOKIE])

    response = await post(client, "/register/check/id_number",
                          {"id_number": make_id_number("440304", BIRTH_DATE, 124)}, htmx=True)

    assert errors_in(response) == ["身份证号码与您填写的性别不一致，请核对号码，或返回上一步修改性别"]
    assert SESSION_COOKIE not in set_cookies(response)
    assert run_db(client, client.app.stores.get(SESSION_STORE).get, client.cookies[SESSION_COOKIE]) == stored


async def test_an_unknown_inline_check_is_not_found(client: AsyncTestClient) -> None:
    assert (await post(client, "/register/check/sms_code", {"sms_code": "1"}, htmx=True)).status_code == 404


async def test_availability_checks_are_rate_limited_per_network(
    client: AsyncTestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web.services import account_lookup

    monkeypatch.setattr(account_lookup, "LOOKUPS_PER_IP", 3)
    answers = [await post(client, "/register/check/username", {"username": f"name{n}x"}, htmx=True)
               for n in range(4)]
    name_check = await post(client, "/register/check/name", {"name": "张伟"}, htmx=True)

    assert [errors_in(r) for r in answers[:3]] == [[], [], []]
    [message] = errors_in(answers[3])
    assert message.startswith("您所在网络的查询次数过多，请于")
    assert errors_in(name_check) == []  # checks that look nothing up are not counted


async def test_step_submissions_count_towards_the_same_limit(
    client: AsyncTestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web.services import account_lookup

    await answer_until(client, "username-password")
    monkeypatch.setattr(account_lookup, "LOOKUPS_PER_IP", 0)

    response = await post(client, "/register/username-password", CREDENTIALS)

    assert response.status_code == 400
    assert errors_in(response)[0].startswith("您所在网络的查询次数过多")
    assert field_value(response, "username") == "zhangwei"


# --- CSRF, the confirmation page, English ---------------------------------------------------------------


@pytest.mark.parametrize("url", ["/register/account-type", "/register/sms", "/register/check/username"])
async def test_posts_without_the_csrf_token_are_refused(client: AsyncTestClient, url: str) -> None:
    await client.get("/register")

    response = await post(client, url, {"account_type": "personal", "username": "someone"}, csrf=False)

    assert response.status_code == 403


async def test_the_confirmation_page_needs_a_registration(client: AsyncTestClient) -> None:
    response = await client.get("/register/done", follow_redirects=False)

    assert (response.status_code, response.headers["location"]) == (303, "/register")


async def test_registration_reads_in_english(client: AsyncTestClient) -> None:
    await client.get("/?lang=en")

    response = await post(client, "/register/account-type", {})

    assert "<title>Error: Account type - Residence Registration" in response.text
    assert errors_in(response) == ["Select the type of account you want to register"]
