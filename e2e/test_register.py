"""Journey: a new resident registers a personal account online (/register), then goes to sign in.

Each test makes its own person (ID number, mobile, username), so the desktop and iPhone runs of the
same test never collide on the shared server.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

from playwright.sync_api import Page, expect

from e2e.support import axe_check, horizontal_overflow, latest_sms_code
from web.services.identity import make_id_number

PASSWORD = "Lychee-harbour-42"
HUKOU_ADDRESS = "广东省深圳市福田区福中三路1号"


@dataclass(frozen=True)
class Person:
    name: str
    birth_date: date
    id_number: str
    mobile: str
    username: str


def new_person() -> Person:
    """Someone with a valid ID number (GB 11643) no other test uses: a man, born on a random day."""
    birth_date = date(1970 + secrets.randbelow(35), 1 + secrets.randbelow(12), 1 + secrets.randbelow(28))
    sequence = 1 + 2 * secrets.randbelow(499)  # odd: male
    return Person(
        name="张伟",
        birth_date=birth_date,
        id_number=make_id_number("440304", birth_date, sequence),
        mobile=f"137{secrets.randbelow(10**8):08d}",
        username=f"reg{secrets.token_hex(4)}",
    )


def settled(page: Page) -> None:
    """Wait until htmx has no request running and has bound what it swapped in (it does so when the
    swap settles): a person takes longer than that to act, a script does not."""
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)


def step_heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)
    settled(page)


def error_at(page: Page, field_id: str) -> object:
    """The message tied to a field: its `<id>-error`, named by the aria-describedby of the field
    itself, or of the fieldset around a group of radios."""
    described = page.locator(f'[aria-describedby~="{field_id}-error"]:is(#{field_id}, :has(#{field_id}))')
    expect(described).to_have_count(1)
    settled(page)
    return page.locator(f"#{field_id}-error")


def answer_account_type(page: Page) -> None:
    step_heading(page, "账号类型")
    page.get_by_label("个人账号").check()
    page.get_by_role("button", name="下一步").click()


def answer_basic(page: Page, person: Person, *, birth_date: date | None = None) -> None:
    step_heading(page, "基本信息")
    page.get_by_label("姓名").fill(person.name)
    page.get_by_label("男", exact=True).check()
    page.get_by_label("民族").select_option(label="汉族")
    page.get_by_label("出生日期").fill((birth_date or person.birth_date).isoformat())
    page.get_by_role("button", name="下一步").click()


def send_code(page: Page, base_url: str, person: Person) -> str:
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#sms_code-hint")).to_contain_text("验证码已发送至")
    settled(page)
    return latest_sms_code(base_url, person.mobile)


def answer_identity(page: Page, base_url: str, person: Person) -> None:
    step_heading(page, "身份和联系方式")
    page.get_by_label("身份证号码").fill(person.id_number)
    page.get_by_label("户籍地址").fill(HUKOU_ADDRESS)
    page.get_by_label("手机号码").fill(person.mobile)
    page.get_by_label("短信验证码").fill(send_code(page, base_url, person))
    page.get_by_role("button", name="下一步").click()


def answer_credentials(page: Page, person: Person) -> None:
    step_heading(page, "用户名和密码")
    page.get_by_label("用户名").fill(person.username)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()


def agree_and_register(page: Page) -> None:
    step_heading(page, "核对信息并同意协议")
    page.get_by_label("我已阅读并同意用户协议和隐私声明").check()
    page.get_by_role("button", name="同意协议并注册").click()


def test_a_new_resident_registers_and_goes_to_sign_in(page: Page, base_url: str) -> None:
    person = new_person()
    page.goto("/")
    page.get_by_role("link", name="立即注册").click()

    axe_check(page)
    answer_account_type(page)
    expect(page).to_have_url(re.compile(r"/register/basic-information$"))  # htmx keeps the address right
    expect(page).to_have_title(re.compile(r"^基本信息 - "))
    expect(page.get_by_role("heading", level=1)).to_be_focused()  # a screen reader reads the new step
    axe_check(page)
    answer_basic(page, person)
    step_heading(page, "身份和联系方式")
    axe_check(page)
    answer_identity(page, base_url, person)
    step_heading(page, "用户名和密码")
    axe_check(page)
    answer_credentials(page, person)
    step_heading(page, "核对信息并同意协议")
    axe_check(page)
    summary = page.locator(".summary-list")
    for answer in (person.name, person.id_number, person.mobile, person.username, "汉族", "男"):
        expect(summary).to_contain_text(answer)
    assert horizontal_overflow(page) <= 0
    agree_and_register(page)

    expect(page).to_have_url(re.compile(r"/register/done$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("注册成功")
    expect(page.locator(".panel")).to_contain_text(person.username)
    expect(page.get_by_role("link", name="查找受理点")).to_be_visible()  # real-name authentication there
    axe_check(page)
    page.get_by_role("link", name="登录").last.click()
    expect(page).to_have_url(re.compile(r"/login$"))
    # Signing in (the first login asks for an SMS code) is the journey of e2e/test_login.py; the
    # HTTP tests check that a registered account starts with its mobile unverified.


def test_back_links_keep_every_answer(page: Page, base_url: str) -> None:
    person = new_person()
    page.goto("/register")
    answer_account_type(page)
    answer_basic(page, person)
    answer_identity(page, base_url, person)
    step_heading(page, "用户名和密码")

    page.get_by_role("link", name="返回").click()
    step_heading(page, "身份和联系方式")
    expect(page.get_by_label("身份证号码")).to_have_value(person.id_number)
    expect(page.get_by_label("手机号码")).to_have_value(person.mobile)
    expect(page.locator("#sms_code-hint")).to_contain_text("已验证")
    page.get_by_role("link", name="返回").click()
    step_heading(page, "基本信息")
    expect(page.get_by_label("姓名")).to_have_value(person.name)
    expect(page.get_by_label("出生日期")).to_have_value(person.birth_date.isoformat())
    expect(page.get_by_label("男", exact=True)).to_be_checked()
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("button", name="下一步").click()  # the verified number needs no second code
    step_heading(page, "用户名和密码")


def test_each_bad_answer_gets_its_message_at_its_field_and_the_rest_stays(page: Page, base_url: str) -> None:
    person = new_person()
    page.goto("/register")

    # Step 1: a unit account is explained, not registered.
    page.get_by_label("单位账号").check()
    page.get_by_role("button", name="下一步").click()
    expect(error_at(page, "account_type")).to_contain_text("单位账号不能在网上注册")
    expect(page).to_have_title(re.compile(r"^错误："))
    axe_check(page)
    answer_account_type(page)

    # Step 2: a date of birth in the future.
    answer_basic(page, person, birth_date=date(2999, 1, 1))
    expect(error_at(page, "birth_date")).to_contain_text("出生日期不能晚于今天")
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.get_by_label("姓名")).to_have_value(person.name)
    expect(page.get_by_label("男", exact=True)).to_be_checked()
    expect(page.get_by_label("民族")).to_have_value("01")
    axe_check(page)
    page.get_by_label("出生日期").fill(person.birth_date.isoformat())
    page.get_by_role("button", name="下一步").click()

    # Step 3: the checks on change, then on submit.
    step_heading(page, "身份和联系方式")
    page.get_by_label("户籍地址").fill(HUKOU_ADDRESS)
    id_field = page.get_by_label("身份证号码")
    id_field.fill(person.id_number[:17] + ("0" if person.id_number[17] != "0" else "1"))
    id_field.blur()
    expect(error_at(page, "id_number")).to_contain_text("身份证号码校验不通过")  # inline, before any submit
    woman = make_id_number("440304", person.birth_date, 2)  # even sequence: the sex disagrees
    page.get_by_label("身份证号码").fill(woman)
    page.get_by_label("手机号码").fill("1381234")
    page.get_by_role("button", name="获取验证码").click()
    expect(error_at(page, "mobile")).to_contain_text("请输入11位中国大陆手机号码")
    expect(page.get_by_label("户籍地址")).to_have_value(HUKOU_ADDRESS)
    expect(page.get_by_label("身份证号码")).to_have_value(woman)
    page.get_by_label("手机号码").fill(person.mobile)
    code = send_code(page, base_url, person)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="下一步").click()
    expect(error_at(page, "id_number")).to_contain_text("身份证号码与您填写的性别不一致")
    expect(page.get_by_label("户籍地址")).to_have_value(HUKOU_ADDRESS)
    expect(page.get_by_label("手机号码")).to_have_value(person.mobile)
    axe_check(page)
    page.get_by_label("身份证号码").fill(person.id_number.lower())
    page.get_by_role("button", name="下一步").click()  # the code proved the number already

    # Step 4: a common password, then confirmation that does not match.
    step_heading(page, "用户名和密码")
    username = page.get_by_label("用户名")
    username.fill("1" + person.username)
    username.blur()
    expect(error_at(page, "username")).to_contain_text("用户名必须以字母开头")
    page.get_by_label("用户名").fill(person.username)
    page.get_by_label("用户名").blur()
    expect(page.locator("#username-error")).to_have_count(0)  # the check on change clears the message
    settled(page)
    page.get_by_label("密码", exact=True).fill("password123")
    page.get_by_label("确认密码").fill("password123")
    page.get_by_role("button", name="下一步").click()
    expect(error_at(page, "password")).to_contain_text("最常见的密码")
    expect(page.get_by_label("用户名")).to_have_value(person.username)
    expect(page.get_by_label("密码", exact=True)).to_have_value("")  # passwords are never sent back
    axe_check(page)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD + "!")
    page.get_by_role("button", name="下一步").click()
    expect(error_at(page, "password_confirm")).to_contain_text("两次输入的密码不一致")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()

    # Step 5: the agreement must be accepted.
    step_heading(page, "核对信息并同意协议")
    page.get_by_role("button", name="同意协议并注册").click()
    expect(error_at(page, "agree")).to_contain_text("注册前请阅读并同意用户协议和隐私声明")
    axe_check(page)
    agree_and_register(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("注册成功")


def test_the_whole_registration_works_without_javascript(no_js_page: Page, base_url: str) -> None:
    page = no_js_page
    person = new_person()
    page.goto("/register")

    answer_account_type(page)
    expect(page).to_have_url(re.compile(r"/register/basic-information$"))
    answer_basic(page, person)
    step_heading(page, "身份和联系方式")
    page.get_by_label("身份证号码").fill(person.id_number)
    page.get_by_label("户籍地址").fill(HUKOU_ADDRESS)
    page.get_by_label("手机号码").fill(person.mobile)
    page.get_by_role("button", name="获取验证码").click()  # posts the whole form; the page comes back
    expect(page.locator("#sms_code-hint")).to_contain_text("验证码已发送至")
    expect(page.get_by_label("户籍地址")).to_have_value(HUKOU_ADDRESS)
    page.get_by_label("短信验证码").fill(latest_sms_code(base_url, person.mobile))
    page.get_by_label("短信验证码").press("Enter")  # Enter means "next step", not "send code"
    answer_credentials(page, person)
    page.get_by_role("button", name="同意协议并注册").click()
    expect(error_at(page, "agree")).to_be_visible()
    agree_and_register(page)

    expect(page).to_have_url(re.compile(r"/register/done$"))
    expect(page.locator(".panel")).to_contain_text(person.username)
