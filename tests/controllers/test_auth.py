"""Signing in and out over HTTP: SMS step, session rotation, single session, lockout, remember me."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import Response
from litestar.serialization import decode_json, encode_json
from litestar.testing import AsyncTestClient

from tests.support import (
    SESSION_COOKIE,
    SESSION_STORE,
    create_account,
    page_heading,
    post_form,
    run_db,
    set_cookies,
    sign_in_as,
)

PASSWORD = "Test-pass-2026!"
_CSRF = re.compile(r'(name="_csrf_token" value="[^"]*"|csrftoken=[0-9a-f]+)')


def make_account(client: AsyncTestClient, **fields: Any) -> Any:
    """A resident whose mobile was never verified (so the first login asks for SMS)."""
    return run_db(client, lambda: create_account("resident", verified_mobile=None, **fields))


async def latest_code(client: AsyncTestClient, mobile: str) -> str:
    response = await client.get("/dev/sms/latest", params={"mobile": mobile})
    assert response.status_code == 200, "no SMS code was sent"
    return response.json()["code"]


async def submit_login(client: AsyncTestClient, username: str, password: str = PASSWORD,
                       platform: str = "permit", **extra: str) -> Response:
    data = {"platform": platform, "username": username, "password": password, **extra}
    return await post_form(client, "/login", data, form_page="/login")


async def login(client: AsyncTestClient, account: Any, **extra: str) -> Response:
    """The whole sign-in, answering the SMS step when it is asked."""
    response = await submit_login(client, account.username, **extra)
    if response.headers.get("location") == "/login/sms":
        code = (await client.get(f"/dev/sms/latest?mobile={account.mobile}")).json()["code"]
        response = await post_form(client, "/login/sms", {"sms_code": code}, form_page="/login/sms")
    assert response.status_code == 303 and response.headers["location"] == "/me", response.text[:500]
    return response


def error_at(response: Response, field: str) -> str:
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</p>', response.text, re.S)
    assert match, f"no error message at {field}"
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split())


async def reload_account(client: AsyncTestClient, account: Any) -> Any:
    from web.models import Account

    return run_db(client, lambda: Account.get(id=account.id))


# --- the login page and the SMS step ------------------------------------------------------------

async def test_login_page_asks_platform_username_and_password(client: AsyncTestClient) -> None:
    response = await client.get("/login")

    assert response.status_code == 200
    assert page_heading(response) == "登录"
    for name in ('name="platform" type="radio" value="registration"', 'name="platform" type="radio" value="permit"',
                 'name="username"', 'name="password"', 'name="remember"', 'name="_csrf_token"'):
        assert name in response.text


async def test_first_login_asks_for_an_sms_code_and_the_second_does_not(client: AsyncTestClient) -> None:
    account = make_account(client)

    first = await submit_login(client, account.username)
    assert first.status_code == 303 and first.headers["location"] == "/login/sms"
    sms_page = await client.get("/login/sms")
    assert account.mobile[-4:] in sms_page.text and account.mobile not in sms_page.text  # masked
    code = await latest_code(client, account.mobile)
    done = await post_form(client, "/login/sms", {"sms_code": code}, form_page="/login/sms")
    assert done.headers["location"] == "/me"
    assert page_heading(await client.get("/me")) == "我的居住证"

    await post_form(client, "/logout", form_page="/me")
    second = await submit_login(client, account.username)
    assert second.status_code == 303 and second.headers["location"] == "/me"


async def test_a_changed_mobile_makes_the_next_login_ask_for_sms_again(client: AsyncTestClient) -> None:
    account = make_account(client)
    await login(client, account)
    await post_form(client, "/logout", form_page="/me")

    async def change_mobile() -> None:
        from web.models import Account

        await Account.filter(id=account.id).update(mobile="13712345678")

    run_db(client, change_mobile)
    response = await submit_login(client, account.username)
    assert response.headers["location"] == "/login/sms"
    assert await latest_code(client, "13712345678")


async def test_wrong_sms_code_gets_a_message_at_the_field(client: AsyncTestClient) -> None:
    account = make_account(client)
    await submit_login(client, account.username)

    response = await post_form(client, "/login/sms", {"sms_code": "000000"}, form_page="/login/sms")
    assert response.status_code == 400
    assert "验证码不正确" in error_at(response, "sms_code")
    assert "<title>错误：" in response.text

    short = await post_form(client, "/login/sms", {"sms_code": "12"}, form_page="/login/sms")
    assert "6位数字" in error_at(short, "sms_code")


async def test_sms_resend_is_refused_within_60_seconds_with_a_message(client: AsyncTestClient) -> None:
    account = make_account(client)
    await submit_login(client, account.username)  # sends the first code

    again = await post_form(client, "/login/sms/send", {"sms_code": "1"}, form_page="/login/sms")
    assert again.status_code == 200
    assert "秒后重新获取。" in again.text
    assert 'value="1"' in again.text  # what was typed stays

    fragment = await client.post("/login/sms/send", headers={
        "HX-Request": "true", "x-csrftoken": client.cookies.get("csrftoken", "")})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="sms-code-widget"' in fragment.text


async def test_sms_step_without_a_right_password_goes_back_to_login(client: AsyncTestClient) -> None:
    response = await client.get("/login/sms", follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"] == "/login"


# --- refusals ------------------------------------------------------------------------------------

async def test_unknown_username_and_wrong_password_get_the_same_answer(client: AsyncTestClient) -> None:
    account = make_account(client)

    unknown = await submit_login(client, "no-such-user", "Whatever-123")
    wrong = await submit_login(client, account.username, "Whatever-123")

    assert unknown.status_code == wrong.status_code == 400
    assert error_at(unknown, "password") == error_at(wrong, "password") == "错误： 用户名或密码不正确。"

    def normalised(response: Response, username: str) -> str:
        return _CSRF.sub("", response.text).replace(username, "USERNAME")

    assert normalised(unknown, "no-such-user") == normalised(wrong, account.username)


async def test_missing_fields_get_messages_and_keep_the_username(client: AsyncTestClient) -> None:
    response = await post_form(client, "/login", {"platform": "mars", "username": "someone"}, form_page="/login")

    assert response.status_code == 400
    assert "请选择要登录的平台" in error_at(response, "platform")
    assert "请输入密码" in error_at(response, "password")
    assert 'value="someone"' in response.text


async def test_five_wrong_passwords_lock_the_account_until_the_time_shown(client: AsyncTestClient) -> None:
    account = make_account(client)
    for _ in range(4):
        response = await submit_login(client, account.username, "Wrong-pass-1")
        assert "用户名或密码不正确" in error_at(response, "password")

    fifth = await submit_login(client, account.username, "Wrong-pass-1")
    message = error_at(fifth, "password")
    assert "账号已锁定" in message
    until = re.search(r"\d\d:\d\d", message).group(0)  # type: ignore[union-attr]

    right = await submit_login(client, account.username, PASSWORD)
    assert right.status_code == 400
    assert f"请于{until}后再试" in error_at(right, "password")

    async def lock_expires() -> None:
        from web.models import Account

        await Account.filter(id=account.id).update(locked_until=datetime.now(UTC) - timedelta(seconds=1))

    run_db(client, lock_expires)
    assert (await submit_login(client, account.username, PASSWORD)).status_code == 303


async def test_password_attempts_from_one_address_are_rate_limited(client: AsyncTestClient) -> None:
    from web.services import rules

    for _ in range(rules.LOGIN_ATTEMPTS_PER_IP):
        await submit_login(client, "no-such-user", "Whatever-123")
    response = await submit_login(client, "no-such-user", "Whatever-123")

    assert response.status_code == 429
    assert "登录尝试次数过多" in error_at(response, "username")


# --- sessions --------------------------------------------------------------------------------------

async def test_the_session_id_changes_at_login(client: AsyncTestClient) -> None:
    account = make_account(client)
    await submit_login(client, account.username)  # the pending SMS step makes an anonymous session
    before = client.cookies.get(SESSION_COOKIE)
    assert before

    code = await latest_code(client, account.mobile)
    done = await post_form(client, "/login/sms", {"sms_code": code}, form_page="/login/sms")

    after = client.cookies.get(SESSION_COOKIE)
    assert after and after != before
    assert "juzhu_session=" in set_cookies(done).get(SESSION_COOKIE, "")
    old = run_db(client, lambda: client.app.stores.get(SESSION_STORE).get(before))
    assert old is None  # the pre-login session is gone from the store


async def test_an_invented_session_id_is_not_adopted(client: AsyncTestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "attacker-chosen-id", domain=client.base_url.host)
    account = make_account(client)
    await login(client, account)
    assert client.cookies.get(SESSION_COOKIE) != "attacker-chosen-id"


async def test_signing_in_elsewhere_signs_this_browser_out_with_the_time(client: AsyncTestClient) -> None:
    account = make_account(client)
    await login(client, account)
    browser_a = dict(client.cookies)

    client.cookies.clear()
    await login(client, account)  # browser B
    client.cookies.clear()
    for name, value in browser_a.items():
        client.cookies.set(name, value)

    response = await client.get("/me", follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"] == "/login"
    page = await client.get("/login")
    assert re.search(r"您的账号已于\d\d:\d\d在其他设备登录", page.text)


async def set_session_times(client: AsyncTestClient, **times: float) -> None:
    store = client.app.stores.get(SESSION_STORE)
    session_id = client.cookies.get(SESSION_COOKIE)

    async def rewrite() -> None:
        data = decode_json(await store.get(session_id))
        data.update(times)
        await store.set(session_id, encode_json(data))

    run_db(client, rewrite)


async def test_thirty_idle_minutes_end_the_session(client: AsyncTestClient) -> None:
    sign_in_as(client, "resident")
    await set_session_times(client, last_seen=time.time() - 31 * 60)

    assert (await client.get("/me", follow_redirects=False)).headers["location"] == "/login"
    assert "30分钟未操作" in (await client.get("/login")).text


async def test_twelve_hours_after_sign_in_the_session_ends(client: AsyncTestClient) -> None:
    sign_in_as(client, "resident")
    await set_session_times(client, started_at=time.time() - 12 * 3600 - 60)

    assert (await client.get("/me", follow_redirects=False)).headers["location"] == "/login"
    assert "超过12小时" in (await client.get("/login")).text


async def test_stay_signed_in_counts_as_activity(client: AsyncTestClient) -> None:
    sign_in_as(client, "resident")
    await set_session_times(client, last_seen=time.time() - 29 * 60)

    response = await post_form(client, "/session/extend", form_page="/me")
    assert response.status_code == 303
    await set_session_times(client)  # nothing changed, but read it back below
    data = run_db(client, lambda: client.app.stores.get(SESSION_STORE).get(client.cookies.get(SESSION_COOKIE)))
    assert time.time() - decode_json(data)["last_seen"] < 60


async def test_logout_needs_the_csrf_token_and_ends_the_session(client: AsyncTestClient) -> None:
    sign_in_as(client, "resident")

    forged = await client.post("/logout", data={})
    assert forged.status_code == 403
    assert (await client.get("/me")).status_code == 200

    response = await post_form(client, "/logout", form_page="/me")
    assert response.headers["location"] == "/login"
    assert (await client.get("/me", follow_redirects=False)).headers["location"] == "/login"
    assert "您已安全退出" in (await client.get("/login")).text


async def test_every_page_has_the_logout_button_when_signed_in(client: AsyncTestClient) -> None:
    sign_in_as(client, "resident")
    for url in ("/", "/me", "/points"):
        assert 'action="/logout"' in (await client.get(url)).text, url


async def test_signed_in_visitors_go_from_login_to_their_home(client: AsyncTestClient) -> None:
    sign_in_as(client, "staff")
    response = await client.get("/login", follow_redirects=False)
    assert response.headers["location"] == "/me"
    assert page_heading(await client.get("/me")) == "受理点工作台"


# --- 记住密码 --------------------------------------------------------------------------------------

async def test_remember_me_signs_in_without_the_password_and_rotates_the_token(client: AsyncTestClient) -> None:
    account = make_account(client)
    response = await login(client, account, remember="1")
    cookies = set_cookies(response)
    assert "HttpOnly" in cookies["juzhu_device"] and "Path=/login" in cookies["juzhu_device"]
    assert PASSWORD not in str(cookies)
    first_token = client.cookies.get("juzhu_device")
    await post_form(client, "/logout", form_page="/me")

    again = await submit_login(client, account.username, password="", remember="1")
    assert again.status_code == 303 and again.headers["location"] == "/me"
    assert client.cookies.get("juzhu_device") not in (None, first_token)  # rotated

    client.cookies.set("juzhu_device", first_token, domain=client.base_url.host, path="/login")
    await post_form(client, "/logout", form_page="/me")
    replay = await submit_login(client, account.username, password="")
    assert replay.status_code == 400  # a used token does not work twice


async def test_a_password_change_ends_remember_me(client: AsyncTestClient) -> None:
    from web.services import auth

    account = make_account(client)
    await login(client, account, remember="1")
    await post_form(client, "/logout", form_page="/me")

    async def change() -> None:
        from web.models import Account

        await auth.change_password(await Account.get(id=account.id), "Another-pass-2026", now=datetime.now(UTC))

    run_db(client, change)
    page = await client.get("/login")  # the login page finds the token revoked and drops the cookies
    assert "可不输入密码直接登录" not in page.text
    assert "Max-Age=0" in set_cookies(page)["juzhu_device"]
    response = await submit_login(client, account.username, password="")
    assert response.status_code == 400
    assert "请输入密码" in error_at(response, "password")


async def test_forget_this_device_revokes_the_token(client: AsyncTestClient) -> None:
    account = make_account(client)
    await login(client, account, remember="1")
    token = client.cookies.get("juzhu_device")
    await post_form(client, "/logout", form_page="/me")

    response = await post_form(client, "/login/forget-device", form_page="/login")
    assert "juzhu_device=" in set_cookies(response)["juzhu_device"]
    client.cookies.set("juzhu_device", token, domain=client.base_url.host, path="/login")
    assert (await submit_login(client, account.username, password="")).status_code == 400


async def test_unticking_remember_me_forgets_the_device(client: AsyncTestClient) -> None:
    account = make_account(client)
    await login(client, account, remember="1")
    await post_form(client, "/logout", form_page="/me")
    response = await submit_login(client, account.username)  # with the password, box not ticked
    assert "Max-Age=0" in set_cookies(response)["juzhu_device"]
