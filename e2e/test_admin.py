"""The administrator's area (系统管理), desktop and iPhone: demo `admin` edits an acceptance point
(a bad value explained beside its field, then a good save), creates a staff account whose member
sets a password with the texted code and signs in, disables and enables it, imports a social
insurance CSV with a bad row or two, reads the settings and finds all of it in the audit log.
Every page is scanned by axe and checked for sideways scrolling at 375 px."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from e2e.support import (
    PASSWORD,
    axe_check,
    horizontal_overflow,
    latest_sms_code,
    sign_in_any,
    visitor_address,
)
from web.services.identity import make_id_number

DEMO_PASSWORD = "Demo-2026!"
ADMIN, ADMIN_MOBILE = "admin", "13800000001"
# 龙岗 points no other journey uses: applicants in the journeys live in 福田.
NANAO = ("440307011", "南澳街道居住证受理点")
DAPENG = ("440307010", "大鹏街道居住证受理点")
NARROW = 375  # CSS pixels: the narrowest phone the service promises to fit


def check(page: Page) -> None:
    """No axe violation, and no sideways scrolling at the device's width nor at 375 px.

    Both are scripts: pages without JavaScript are scanned by the same journey with it.
    """
    if getattr(page, "javascript_disabled", False):
        return
    axe_check(page)
    assert horizontal_overflow(page) <= 0, f"{page.url} scrolls sideways"
    size = page.viewport_size
    if size and size["width"] > NARROW:
        page.set_viewport_size({"width": NARROW, "height": size["height"]})
        try:
            assert horizontal_overflow(page) <= 0, f"{page.url} is wider than {NARROW} px"
        finally:
            page.set_viewport_size(size)


def heading(page: Page) -> Any:
    return page.get_by_role("heading", level=1)


def notice(page: Page) -> Any:
    return page.locator(".notification")


def sign_out(page: Page) -> None:
    page.locator("header").get_by_role("button", name="退出").click()
    page.wait_for_url("**/login")


def sign_in_as_admin(page: Page, base_url: str) -> None:
    sign_in_any(page, base_url, ADMIN, ADMIN_MOBILE, password=DEMO_PASSWORD)
    expect(heading(page)).to_have_text("系统管理")


def edit_point(page: Page, point: tuple[str, str]) -> None:
    """From 系统管理 through the list of one district to one point: a latitude outside Shenzhen and a
    capacity of 0 are explained beside their fields, everything typed kept; then a good save, and
    the point is put back as it was."""
    code, name = point
    page.get_by_role("link", name="居住证受理点", exact=True).click()
    expect(heading(page)).to_have_text("居住证受理点")
    check(page)
    page.get_by_label("区", exact=True).select_option(label="龙岗区")
    page.get_by_role("button", name="显示").click()
    expect(page).to_have_url(re.compile(r"/admin/points\?district=440307$"))
    table = page.get_by_role("region", name=re.compile("^龙岗区共"))
    expect(table).to_contain_text(name)
    expect(table).not_to_contain_text("福田街道居住证受理点")
    check(page)

    page.get_by_role("link", name=name).click()
    expect(heading(page)).to_have_text("修改受理点")
    expect(page.locator("main")).to_contain_text(code)
    check(page)
    capacity = page.get_by_label("每日受理量")
    original = capacity.input_value()
    page.get_by_label("办公时间").fill("周一至周六 9:00-17:00")
    page.get_by_label("纬度").fill("23.5")
    capacity.fill("0")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_title(re.compile("^错误："))
    expect(page.locator("#lat-error")).to_contain_text("纬度必须在22.40至22.90之间")
    expect(page.locator("#daily_capacity-error")).to_contain_text("每日受理量必须在1至10000之间")
    expect(page.locator(".error-summary")).to_contain_text("纬度必须在22.40至22.90之间")
    expect(page.get_by_label("纬度")).to_have_value("23.5")  # nothing typed lost
    expect(page.get_by_label("每日受理量")).to_have_value("0")
    expect(page.get_by_label("办公时间")).to_have_value("周一至周六 9:00-17:00")
    expect(page.get_by_label("受理点名称")).to_have_value(name)
    check(page)

    page.get_by_label("办公时间").fill("周一至周五 9:00-12:00, 14:00-18:00")
    page.get_by_label("纬度").fill("22.54")
    new_capacity = "321" if original != "321" else "322"
    page.get_by_label("每日受理量").fill(new_capacity)
    page.get_by_role("button", name="保存").click()
    expect(notice(page)).to_contain_text(f"受理点“{name}”已保存。")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=name))
    expect(row).to_contain_text(new_capacity)
    check(page)

    # Put it back: other runs (and people) read the seeded capacity.
    page.get_by_role("link", name=name).click()
    page.get_by_label("每日受理量").fill(original)
    page.get_by_role("button", name="保存").click()
    expect(notice(page)).to_contain_text(f"受理点“{name}”已保存。")
    expect(row).to_contain_text(original)


def own_browser(new_context: Any, devices: dict[str, dict[str, Any]], device_name: str) -> BrowserContext:
    """Another person's own browser, on the same kind of device (closed with the test)."""
    return new_context(**devices[device_name], **visitor_address())


def staff_member_sets_password_and_signs_in(page: Page, base_url: str, username: str, mobile: str) -> None:
    page.goto("/account/setup")
    expect(heading(page)).to_have_text("设置密码")
    check(page)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("短信验证码").fill(latest_sms_code(base_url, mobile))
    page.get_by_label("新密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入新密码").fill(PASSWORD)
    page.get_by_role("button", name="设置密码").click()
    page.wait_for_url("**/login")
    sign_in_any(page, base_url, username, mobile)
    expect(page.locator("main")).to_contain_text("柜台业务")  # the acceptance point desk


def test_admin_manages_points_staff_insurance_and_reads_the_audit_log(
    page: Page, base_url: str, new_context: Any, devices: dict[str, dict[str, Any]], device_name: str,
) -> None:
    sign_in_as_admin(page, base_url)
    main = page.locator("main")
    for link in ("居住证受理点", "工作人员账号", "社保数据导入", "系统设置", "审计日志"):
        expect(main.get_by_role("link", name=link, exact=True)).to_be_visible()
    check(page)

    edit_point(page, NANAO)
    page.goto("/me")

    # --- a staff account: a taken username is explained, then the account is created ---------------
    username = f"s{secrets.token_hex(5)}"
    mobile = f"139{secrets.randbelow(10**8):08d}"
    page.get_by_role("link", name="工作人员账号").click()
    expect(heading(page)).to_have_text("工作人员账号")
    check(page)
    page.get_by_role("link", name="新建工作人员账号").click()
    expect(heading(page)).to_have_text("新建工作人员账号")
    check(page)
    page.get_by_label("用户名").fill(ADMIN)
    page.get_by_label("手机号码").fill(mobile)
    page.get_by_role("button", name="创建账号").click()
    expect(page).to_have_title(re.compile("^错误："))
    expect(page.locator("#username-error")).to_be_visible()
    expect(page.locator("#point-error")).to_contain_text("请选择该工作人员所在的受理点")
    expect(page.get_by_label("手机号码")).to_have_value(mobile)
    check(page)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("所属受理点").select_option(label=NANAO[1])
    page.get_by_role("button", name="创建账号").click()
    expect(heading(page)).to_have_text(f"工作人员账号 {username}")
    expect(notice(page)).to_contain_text(f"工作人员账号 {username} 已创建。设置密码验证码已通过短信发送至")
    expect(notice(page)).to_contain_text("/account/setup")
    check(page)
    member_url = page.url

    # The new staff member, on a phone of their own, sets the password and signs in.
    staff_page = own_browser(new_context, devices, device_name).new_page()
    staff_member_sets_password_and_signs_in(staff_page, base_url, username, mobile)

    # Disabling signs them out at once; enabling lets them back in.
    page.goto(member_url)
    expect(page.locator(".summary-list")).to_contain_text(NANAO[1])
    page.get_by_role("button", name="停用账号").click()
    expect(notice(page)).to_contain_text(f"{username} 已停用并已退出登录。")
    expect(page.get_by_role("button", name="启用账号")).to_be_visible()
    check(page)
    staff_page.goto("/me")
    staff_page.wait_for_url("**/login")
    page.get_by_role("button", name="启用账号").click()
    expect(notice(page)).to_contain_text(f"{username} 已启用，可以重新登录。")
    expect(page.get_by_role("button", name="停用账号")).to_be_visible()
    sign_in_any(staff_page, base_url, username, mobile)

    # The list, filtered by the point, shows them.
    page.get_by_role("link", name="返回工作人员账号").click()
    page.get_by_label("所属受理点").select_option(label=NANAO[1])
    page.get_by_role("button", name="显示").click()
    expect(page.get_by_role("link", name=username)).to_be_visible()
    check(page)
    page.goto("/me")

    # --- 社保数据导入: one good row, a wrong check digit, a future month -----------------------------
    page.get_by_role("link", name="社保数据导入").click()
    expect(heading(page)).to_have_text("社保数据导入")
    check(page)
    page.get_by_role("button", name="导入").click()
    expect(page).to_have_title(re.compile("^错误："))
    expect(page.locator("#csv_file-error")).to_contain_text("请选择要导入的CSV文件")
    check(page)
    # A fresh made-up number, so the good row is imported (not skipped) on each device.
    good = make_id_number("440304", date(1970, 1, 1) + timedelta(days=secrets.randbelow(365 * 30)),
                          secrets.randbelow(999) + 1)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    csv = f"id_number,month,insurer\n{good},2025-01,深圳示范科技有限公司\n{bad},2025-01,\n{good},2099-01,\n"
    page.get_by_label("CSV文件").set_input_files(
        files=[{"name": "insurance.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
    page.get_by_role("button", name="导入").click()
    expect(page.get_by_role("heading", name="insurance.csv 的导入结果")).to_be_visible()
    summary = page.locator(".summary-list")
    expect(summary).to_contain_text(re.compile(r"读取行数\s*3"))
    expect(summary).to_contain_text(re.compile(r"已导入\s*1"))
    expect(summary).to_contain_text(re.compile(r"有错误未导入的行\s*2"))
    rows = page.get_by_role("region", name="文件逐行结果")
    expect(rows.get_by_role("row").nth(1)).to_contain_text("已导入")
    expect(rows.get_by_role("row").nth(2)).to_contain_text("身份证号码校验位错误")
    expect(rows.get_by_role("row").nth(3)).to_contain_text("月份晚于本月")
    check(page)
    page.goto("/me")

    # --- 系统设置 ----------------------------------------------------------------------------------
    page.get_by_role("link", name="系统设置").click()
    expect(heading(page)).to_have_text("系统设置")
    expect(page.get_by_role("heading", name="运行配置")).to_be_visible()
    expect(page.get_by_role("heading", name="业务规则")).to_be_visible()
    check(page)
    page.goto("/me")

    # --- 审计日志: what was just done, by the "admin." prefix ---------------------------------------
    page.get_by_role("link", name="审计日志").click()
    expect(heading(page)).to_have_text("审计日志")
    check(page)
    page.get_by_label("操作", exact=True).fill("admin.")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"action=admin\."))
    log = page.get_by_role("region", name="审计记录，最新的在前")
    for action in ("admin.point.update", "admin.staff.create", "admin.staff.disable", "admin.staff.enable",
                   "admin.insurance.import"):
        expect(log).to_contain_text(action)
    expect(log.get_by_role("row").filter(has_text="admin.staff.create").filter(has_text=ADMIN).first).to_be_visible()
    expect(log).not_to_contain_text("counter.")
    check(page)


def test_admin_edits_a_point_without_javascript(no_js_page: Page, base_url: str) -> None:
    sign_in_as_admin(no_js_page, base_url)
    edit_point(no_js_page, DAPENG)
