"""The counter of the 福田街道 acceptance point (柜台业务), desktop and iPhone: a staff member
authenticates a resident's account by the ID number on their card (wrong numbers and missing checks
explained), the resident then sees the counter's look-up and authentication on 谁查看了我的信息; and
opens a unit account (a wrong credit code explained, everything typed kept), whose agent sets a
password with the texted code and signs in. Unit opening also runs without JavaScript."""

from __future__ import annotations

import re
import secrets
from typing import Any

from playwright.sync_api import Page, expect

from e2e.support import latest_sms_code, new_account, run_on_live_db, sign_in_any
from e2e.test_admin import check, heading, notice, sign_out
from web.services.identity import id_check_character, make_credit_code

FUTIAN = ("440304004", "福田街道居住证受理点")

ID_NUMBER_OF = r"""
from web.models import Account

async def main(username):
    async with init():
        account = await Account.get(username=username).prefetch_related("person")
        print(account.person.id_number, account.person.name)

asyncio.run(main(sys.argv[1]))
"""


def counter_staff(page: Page, base_url: str, live_server: Any) -> None:
    """A staff member of the 福田街道 point of this test's own signs in and opens 柜台业务."""
    username, mobile = new_account(live_server, "staff", point=FUTIAN[0])
    sign_in_any(page, base_url, username, mobile)
    expect(heading(page)).to_have_text("受理点工作台")
    page.get_by_role("link", name="进入柜台业务").click()
    expect(heading(page)).to_have_text("柜台业务")
    expect(page.locator("main")).to_contain_text(FUTIAN[1])
    check(page)


def test_counter_authenticates_a_resident_who_then_sees_it(page: Page, base_url: str, live_server: Any) -> None:
    resident, resident_mobile = new_account(live_server, "resident", with_person=True)
    id_number, name = run_on_live_db(live_server, ID_NUMBER_OF, resident).split()
    counter_staff(page, base_url, live_server)

    page.get_by_role("link", name="办理实名认证").click()
    expect(heading(page)).to_have_text("实名认证")
    check(page)
    id_field = page.get_by_label("身份证号码", exact=True)

    # A wrong check digit, then a valid number nobody registered with.
    wrong = id_number[:17] + ("0" if id_number[17] != "0" else "1")
    id_field.fill(wrong)
    page.get_by_role("button", name="查找账号").click()
    expect(page).to_have_title(re.compile("^错误："))
    expect(page.locator("#id_number-error")).to_contain_text("该身份证号码无效")
    expect(id_field).to_have_value(wrong)
    check(page)
    unknown = id_number[:14] + f"{(int(id_number[14:17]) % 998) + 1:03d}"
    unknown += id_check_character(unknown)
    id_field.fill(unknown)
    page.get_by_role("button", name="查找账号").click()
    expect(page.locator("#id_number-error")).to_contain_text("该身份证号码没有注册账号")

    # The right number shows the account.
    id_field.fill(id_number)
    page.get_by_role("button", name="查找账号").click()
    expect(page.get_by_role("heading", name=f"{name}的账号（1个）")).to_be_visible()
    expect(page.get_by_role("heading", name=resident, exact=True)).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("未实名认证")
    expect(main).to_contain_text(resident_mobile[:3] + "****" + resident_mobile[-4:])
    check(page)

    # Confirming without the checks, and with last digits that do not match, is explained.
    last4 = page.get_by_label("申请人手机显示的手机号码后4位")
    wrong_last4 = f"{(int(resident_mobile[-4:]) + 1) % 10000:04d}"
    last4.fill(wrong_last4)
    page.get_by_role("button", name="通过实名认证").click()
    expect(page).to_have_title(re.compile("^错误："))
    expect(page.locator("#checked_id_card-error")).to_contain_text("请确认已核对申请人本人与其身份证")
    expect(page.locator("#checked_mobile-error")).to_contain_text("请确认已在申请人手机上核对该账号的手机号码")
    expect(page.locator("#mobile_last4-error")).to_contain_text("与该账号手机号码的后4位不符")
    expect(page.get_by_label("申请人手机显示的手机号码后4位")).to_have_value(wrong_last4)
    check(page)

    page.get_by_label("我已核对申请人本人与身份证").check()
    page.get_by_label(re.compile("^我已核实该账号的手机号码")).check()
    page.get_by_label("申请人手机显示的手机号码后4位").fill(resident_mobile[-4:])
    page.get_by_role("button", name="通过实名认证").click()
    expect(notice(page)).to_contain_text(f"账号{resident}已通过实名认证")
    expect(page.get_by_label("身份证号码", exact=True)).to_have_value("")  # not left on the screen
    check(page)

    # Looked up again, the account shows as authenticated, with nothing left to confirm.
    page.get_by_label("身份证号码", exact=True).fill(id_number)
    page.get_by_role("button", name="查找账号").click()
    expect(main).to_contain_text("实名认证")
    expect(main).to_contain_text(re.compile(r"已于.+实名认证"))
    expect(page.get_by_role("button", name="通过实名认证")).to_have_count(0)
    sign_out(page)

    # The resident sees who looked and what they did.
    sign_in_any(page, base_url, resident, resident_mobile)
    page.goto("/account")
    page.get_by_role("link", name="谁查看了我的信息").click()
    expect(heading(page)).to_have_text("谁查看了我的信息")
    views = page.locator("table")
    expect(views).to_contain_text(f"{FUTIAN[1]}工作人员")
    expect(views).to_contain_text("在柜台按您的身份证号码查询了您的账号")
    expect(views).to_contain_text("为您的账号办理了实名认证")
    check(page)
    page.goto("/messages")
    expect(page.locator("main")).to_contain_text("您的账号已通过实名认证")


def unique_credit_code() -> str:
    """A valid unified social credit code (a company of Shenzhen) no other run has used."""
    return make_credit_code(f"9144030{secrets.randbelow(10**10):010d}")


def open_a_unit(page: Page, base_url: str) -> tuple[str, str, str]:
    """From 柜台业务 through a refused credit code to an opened unit; returns (unit, agent, mobile)."""
    page.get_by_role("link", name="开设单位账号").click()
    expect(heading(page)).to_have_text("开设单位账号")
    check(page)
    code = unique_credit_code()
    bad_code = code[:17] + ("0" if code[17] != "0" else "1")
    unit = f"深圳测试{secrets.token_hex(3)}科技有限公司"
    agent = f"a{secrets.token_hex(5)}"
    mobile = f"139{secrets.randbelow(10**8):08d}"
    typed = {
        "单位名称": unit, "统一社会信用代码": bad_code, "地址": "深圳市福田区福华路1号",
        "联系人": "王芳", "联系电话": "0755-83001234",
        "经办人姓名": "张伟", "经办人用户名": agent, "经办人手机号码": mobile,
    }
    for label, value in typed.items():
        page.get_by_label(label, exact=True).fill(value)
    documents = page.get_by_label("我已核对经办人本人与其身份证，并核验单位营业执照和授权委托书")
    documents.check()
    page.get_by_role("button", name="开设账号").click()

    expect(page).to_have_title(re.compile("^错误："))
    expect(page.locator("#credit_code-error")).to_contain_text("校验码（最后一位）不符")
    expect(page.locator(".error-summary")).to_contain_text("该统一社会信用代码无效")
    for label, value in typed.items():  # everything typed is kept
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    expect(documents).to_be_checked()
    check(page)

    page.get_by_label("统一社会信用代码", exact=True).fill(code)
    page.get_by_role("button", name="开设账号").click()
    expect(page.locator(".panel")).to_contain_text("单位账号已开设")
    expect(page.locator(".panel")).to_contain_text(unit)
    expect(notice(page)).to_contain_text("设置密码的验证码已发送至经办人手机")
    main = page.locator("main")
    for text in (code, FUTIAN[1], f"经办人 {agent}", "张伟"):
        expect(main).to_contain_text(text)
    check(page)
    return unit, agent, mobile


def agent_sets_password_and_signs_in(page: Page, base_url: str, unit: str, agent: str, mobile: str) -> None:
    page.goto("/account/setup")
    expect(heading(page)).to_have_text("设置密码")
    check(page)
    page.get_by_label("用户名").fill(agent)
    page.get_by_label("短信验证码").fill("000000")  # not the code that was sent
    page.get_by_label("新密码", exact=True).fill("Agent-2026!")
    page.get_by_label("再次输入新密码").fill("Agent-2026!")
    page.get_by_role("button", name="设置密码").click()
    expect(page).to_have_title(re.compile("^错误："))
    expect(page.locator("#sms_code-error")).to_contain_text("验证码与用户名不匹配")
    expect(page.get_by_label("用户名")).to_have_value(agent)
    check(page)
    page.get_by_label("短信验证码").fill(latest_sms_code(base_url, mobile))
    page.get_by_label("新密码", exact=True).fill("Agent-2026!")
    page.get_by_label("再次输入新密码").fill("Agent-2026!")
    page.get_by_role("button", name="设置密码").click()
    page.wait_for_url("**/login")
    check(page)
    sign_in_any(page, base_url, agent, mobile, password="Agent-2026!")
    expect(heading(page)).to_have_text("单位首页")
    expect(page.locator("main")).to_contain_text(unit)
    check(page)


def test_counter_opens_a_unit_account_and_the_agent_signs_in(page: Page, base_url: str, live_server: Any) -> None:
    counter_staff(page, base_url, live_server)
    unit, agent, mobile = open_a_unit(page, base_url)
    # The new unit is listed on the counter's menu.
    page.get_by_role("link", name="返回柜台业务").click()
    expect(page.get_by_role("link", name=unit)).to_be_visible()
    sign_out(page)
    agent_sets_password_and_signs_in(page, base_url, unit, agent, mobile)


def test_counter_opens_a_unit_account_without_javascript(no_js_page: Page, base_url: str, live_server: Any) -> None:
    page = no_js_page
    counter_staff(page, base_url, live_server)
    unit, agent, mobile = open_a_unit(page, base_url)
    sign_out(page)
    agent_sets_password_and_signs_in(page, base_url, unit, agent, mobile)
