"""Journey: signing in (SMS on the first login), signing out, single session, lockout, remember me."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Browser, Page, expect

from e2e.support import PASSWORD, axe_check, latest_sms_code, new_account, sign_in, visitor_address


def test_first_login_asks_for_the_sms_code_and_the_second_does_not(
    page: Page, base_url: str, live_server: Any
) -> None:
    username, mobile = new_account(live_server)

    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    axe_check(page)
    page.get_by_label("居住证/签注申办").check()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("短信验证")
    expect(page.get_by_text(mobile[:3] + "****" + mobile[-4:]).first).to_be_visible()
    axe_check(page)
    page.get_by_label("短信验证码").fill("000000")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#sms_code-error")).to_contain_text("验证码不正确")
    expect(page).to_have_title(re.compile("^错误："))
    axe_check(page)
    page.get_by_label("短信验证码").fill(latest_sms_code(base_url, mobile))
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("我的居住证")
    expect(page.get_by_text(username).first).to_be_visible()
    axe_check(page)

    page.get_by_role("button", name="退出").click()
    expect(page.get_by_text("您已安全退出。")).to_be_visible()
    axe_check(page)

    sign_in(page, base_url, username, None, platform="居住登记")  # no SMS step this time
    expect(page.get_by_role("heading", level=1)).to_have_text("我的居住登记")


def test_bad_sign_in_input_gets_a_message_at_its_field_and_keeps_the_username(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill("nobody-here")
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_title(re.compile("^错误："))
    expect(page.locator("#password-error")).to_contain_text("请输入密码")
    expect(page.get_by_label("用户名")).to_have_value("nobody-here")
    axe_check(page)

    page.get_by_label("密码", exact=True).fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#password-error")).to_contain_text("用户名或密码不正确")
    expect(page.get_by_label("用户名")).to_have_value("nobody-here")


def test_signing_in_on_b_signs_a_out_with_the_time_and_a_keeps_its_draft(
    page: Page, browser: Browser, devices: dict[str, dict[str, Any]], device_name: str,
    base_url: str, live_server: Any,
) -> None:
    username, mobile = new_account(live_server, with_person=True)
    sign_in(page, base_url, username, mobile)
    # A starts changing the hukou address; htmx keeps the draft on the server as it is typed.
    page.goto("/account/details")
    with page.expect_response(lambda response: response.url.endswith("/account/details/draft")):
        page.get_by_label("户籍地址").fill("湖南省长沙市岳麓区麓山南路932号")
        page.get_by_label("户籍地址").blur()

    other = browser.new_context(**devices[device_name], **visitor_address(), base_url=base_url).new_page()
    sign_in(other, base_url, username, None)
    other.context.close()

    page.reload()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text(re.compile(r"您的账号已于 ?\d\d:\d\d ?在其他设备登录"))).to_be_visible()
    axe_check(page)
    sign_in(page, base_url, username, None)
    expect(page.get_by_role("heading", level=1)).to_have_text("我的居住证")

    page.goto("/account/details")
    expect(page.get_by_text("已为您恢复上次未保存的修改")).to_be_visible()
    expect(page.get_by_label("户籍地址")).to_have_value("湖南省长沙市岳麓区麓山南路932号")
    axe_check(page)


def test_five_wrong_passwords_lock_the_account_until_the_time_shown(page: Page, live_server: Any) -> None:
    username, _ = new_account(live_server)
    page.goto("/login")
    for _attempt in range(5):
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码", exact=True).fill("not-the-password")
        page.get_by_role("button", name="登录").click()

    message = page.locator("#password-error")
    expect(message).to_contain_text("账号已锁定")
    locked_until = re.search(r"\d\d:\d\d", message.inner_text()).group(0)  # type: ignore[union-attr]

    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(message).to_contain_text(f"请于{locked_until}后再试")
    axe_check(page)


def test_remember_me_signs_in_on_that_device_without_the_password(
    page: Page, browser: Browser, devices: dict[str, dict[str, Any]], device_name: str,
    base_url: str, live_server: Any,
) -> None:
    username, mobile = new_account(live_server)
    sign_in(page, base_url, username, mobile, remember=True)
    page.get_by_role("button", name="退出").click()

    # The same device later: a new context holding only the remember-me cookies.
    remembered = [c for c in page.context.cookies() if c["name"] in ("juzhu_device", "juzhu_user")]
    assert {c["name"] for c in remembered} == {"juzhu_device", "juzhu_user"}
    assert all(PASSWORD not in c["value"] for c in page.context.cookies())
    later = browser.new_context(**devices[device_name], **visitor_address(), base_url=base_url)
    later.add_cookies(remembered)
    again = later.new_page()
    again.goto("/login")
    expect(again.get_by_label("用户名")).to_have_value(username)
    expect(again.get_by_text("可不输入密码直接登录")).to_be_visible()
    axe_check(again)
    again.get_by_label("居住证/签注申办").check()
    again.get_by_role("button", name="登录").click()
    expect(again.get_by_role("heading", level=1)).to_have_text("我的居住证")

    # A password change forgets every remembered device: the same device needs the password again.
    again.goto("/account/password")
    again.get_by_label("当前密码").fill(PASSWORD)
    again.get_by_label("新密码", exact=True).fill("Changed-2026-pass")
    again.get_by_label("再次输入新密码").fill("Changed-2026-pass")
    again.get_by_role("button", name="修改密码").click()
    again.get_by_role("button", name="退出").click()
    again.goto("/login")
    expect(again.get_by_text("可不输入密码直接登录")).to_have_count(0)
    again.get_by_label("用户名").fill(username)
    again.get_by_role("button", name="登录").click()
    expect(again.locator("#password-error")).to_contain_text("请输入密码")
    later.close()
