"""Journeys of 个人信息: change the mobile number, change the password, read a system message."""

from __future__ import annotations

import re
import secrets
from typing import Any

from playwright.sync_api import Page, expect

from e2e.support import PASSWORD, axe_check, horizontal_overflow, latest_sms_code, new_account, sign_in

NEW_PASSWORD = "Harbour-lights-88"


def new_mobile() -> str:
    return f"137{secrets.randbelow(10**8):08d}"


def masked(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}"


def open_personal_information(page: Page) -> None:
    page.goto("/me")
    page.get_by_role("link", name="查看或修改个人信息").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("个人信息")


def messages_link(page: Page) -> Any:
    """The header's link to 系统消息, whose name says how many are unread."""
    return page.locator("header").get_by_role("link", name=re.compile("^消息"))


def test_change_mobile_with_the_code_sent_to_the_new_number(page: Page, base_url: str, live_server: Any) -> None:
    username, mobile = new_account(live_server)
    sign_in(page, base_url, username, mobile)
    open_personal_information(page)
    expect(page.get_by_text(masked(mobile))).to_be_visible()
    assert horizontal_overflow(page) <= 0
    axe_check(page)

    page.get_by_role("link", name=re.compile("修改.*手机号码")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("更换手机号码")
    axe_check(page)
    page.get_by_label("新手机号码").fill("1370000")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#mobile-error")).to_be_visible()  # beside the field, nothing sent
    expect(page.get_by_label("新手机号码")).to_have_value("1370000")
    axe_check(page)

    number = new_mobile()
    page.get_by_label("新手机号码").fill(number)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_text(f"验证码已发送至{masked(number)}")).to_be_visible()
    page.get_by_label("短信验证码").fill(latest_sms_code(base_url, number))
    page.get_by_role("button", name="更换手机号码").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("个人信息")
    expect(page.get_by_text("手机号码已变更")).to_be_visible()
    expect(page.get_by_text(masked(number))).to_be_visible()
    axe_check(page)

    # The next sign-in asks for a code again, sent to the new number. (Not answered here: the code
    # just sent to that number makes the login's own code wait the 60 seconds between two codes.)
    page.get_by_role("button", name="退出", exact=True).click()
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("短信验证")
    expect(page.get_by_text(masked(number)).first).to_be_visible()


def test_change_mobile_without_javascript(no_js_page: Page, base_url: str, live_server: Any) -> None:
    page = no_js_page
    username, mobile = new_account(live_server)
    sign_in(page, base_url, username, mobile)
    page.goto("/account/mobile")

    number = new_mobile()
    page.get_by_label("新手机号码").fill(number)
    page.get_by_role("button", name="获取验证码").click()  # posts the whole form; the page comes back
    expect(page.get_by_text(f"验证码已发送至{masked(number)}")).to_be_visible()
    expect(page.get_by_label("新手机号码")).to_have_value(number)
    page.get_by_label("短信验证码").fill(latest_sms_code(base_url, number))
    page.get_by_role("button", name="更换手机号码").click()

    expect(page.get_by_text("手机号码已变更")).to_be_visible()
    expect(page.get_by_text(masked(number))).to_be_visible()


def test_change_password(page: Page, base_url: str, live_server: Any) -> None:
    username, mobile = new_account(live_server)
    sign_in(page, base_url, username, mobile)
    open_personal_information(page)

    page.get_by_role("link", name=re.compile("修改.*密码")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("修改密码")
    axe_check(page)
    page.get_by_label("当前密码").fill("not-my-password")
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="修改密码").click()
    expect(page).to_have_title(re.compile("^错误："))
    expect(page.locator("#current_password-error")).to_contain_text("当前密码不正确")
    expect(page.get_by_label("新密码", exact=True)).to_have_value("")  # passwords are never sent back
    axe_check(page)

    page.get_by_label("当前密码").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("个人信息")
    expect(page.get_by_text("密码已修改")).to_be_visible()
    axe_check(page)

    # Signed in with the new password (the old one is refused: tests/controllers/test_account.py).
    page.get_by_role("button", name="退出", exact=True).click()
    sign_in(page, base_url, username, None, password=NEW_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("我的居住证")


def test_read_a_system_message(page: Page, base_url: str, live_server: Any) -> None:
    username, mobile = new_account(live_server)
    sign_in(page, base_url, username, mobile)
    expect(messages_link(page)).to_have_accessible_name("消息")  # nothing unread yet
    # Changing the password leaves a message in the inbox.
    page.goto("/account/password")
    page.get_by_label("当前密码").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="修改密码").click()
    expect(messages_link(page)).to_have_accessible_name(re.compile("1条未读"))

    messages_link(page).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("系统消息")
    expect(page.get_by_text("您有1条未读消息。")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("您的密码已修改"))).to_be_visible()
    assert horizontal_overflow(page) <= 0
    axe_check(page)

    page.get_by_role("button", name=re.compile(r"^标为已读\s*：您的密码已修改")).click()
    expect(page.get_by_text("您已阅读全部消息。")).to_be_visible()
    expect(messages_link(page)).to_have_accessible_name("消息")  # the badge is gone
    expect(page.get_by_role("button", name=re.compile("^标为已读"))).to_have_count(0)
    axe_check(page)

    # The other pages of the area, while signed in.
    page.goto("/account/sign-ins")
    expect(page.get_by_role("heading", level=1)).to_have_text("最近登录记录")
    expect(page.get_by_role("cell", name="登录成功").first).to_be_visible()
    axe_check(page)
    page.goto("/account/details")
    expect(page.get_by_role("heading", level=1)).to_have_text("修改基本信息")
    axe_check(page)


def test_forgotten_password_page_does_not_tell_whether_the_details_match(page: Page) -> None:
    page.goto("/login")
    page.get_by_role("link", name="忘记密码？").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("找回密码")
    axe_check(page)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#username-error")).to_be_visible()
    expect(page.locator("#id_number-error")).to_be_visible()
    axe_check(page)

    page.get_by_label("用户名").fill("nobody-at-all")
    page.get_by_label("身份证号码").fill("44030419900307123X")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_text("如果用户名和身份证号码与某个账号相符")).to_be_visible()
    axe_check(page)
