"""The acceptance point's back office (issue 6), desktop and iPhone: demo `staff` takes the demo
resident's application from submitted to collected, and the resident follows every state in the
timeline and in the system messages; a rejection shows its reason to the resident."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from e2e.support import reset_applications, sign_in_any
from e2e.test_apply import DEMO_PASSWORD, RESIDENT, RESIDENT_MOBILE, check, fill_the_application, heading

STAFF, STAFF_MOBILE = "staff", "13800000002"
STATES = ("已提交", "已受理", "审核中", "审核通过", "制证中", "待领证", "已领证")


def sign_out(page: Page) -> None:
    page.locator("header").get_by_role("button", name="退出").click()
    page.wait_for_url("**/login")


def resident_applies(page: Page, base_url: str) -> str:
    """The demo resident submits an application; returns its acceptance number."""
    sign_in_any(page, base_url, RESIDENT, RESIDENT_MOBILE, password=DEMO_PASSWORD)
    fill_the_application(page)
    page.get_by_role("button", name="提交申请").click()
    expect(heading(page)).to_have_text("申请已提交")
    number = re.search(r"SZ\d{14}", page.locator(".panel").inner_text()).group(0)  # type: ignore[union-attr]
    sign_out(page)
    return number


def staff_opens(page: Page, base_url: str, number: str) -> None:
    """Demo staff finds the application by its acceptance number from the desk (/me)."""
    sign_in_any(page, base_url, STAFF, STAFF_MOBILE, password=DEMO_PASSWORD)
    page.get_by_role("link", name=re.compile("^已提交")).first.click()
    expect(heading(page)).to_have_text("居住证申请")
    check(page)
    page.get_by_label("查找申请").fill(number)
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name=re.compile(number)).first.click()
    expect(page.locator("main")).to_contain_text(number)
    check(page)


def act(page: Page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".notification")).to_be_visible()


def test_staff_takes_an_application_from_submitted_to_collected(page: Page, base_url: str, live_server: Any) -> None:
    reset_applications(live_server, RESIDENT)
    number = resident_applies(page, base_url)
    staff_opens(page, base_url, number)

    # 受理: every confirmation is required; a missing one is explained beside its box.
    page.get_by_label("申请人本人在场").check()
    page.get_by_role("button", name="受理申请").click()
    expect(page).to_have_title(re.compile("^错误："))
    expect(page.get_by_label("申请人本人在场")).to_be_checked()  # what was ticked stays ticked
    page.get_by_label("已核对申请人的身份证与申请信息一致").check()
    page.get_by_label("申请人已在打印的申请表上签名").check()
    act(page, "受理申请")
    check(page)
    act(page, "开始审核")
    act(page, "审核通过")
    act(page, "转入制证")
    act(page, "待领证")
    # 领证: the acceptance number on the receipt must match.
    page.get_by_label("回执上的受理编号").fill("SZ00000000000000")
    page.get_by_role("button", name="发放居住证").click()
    expect(page.locator("#acceptance_number-error")).to_be_visible()
    page.get_by_label("回执上的受理编号").fill(number)
    act(page, "发放居住证")
    expect(page.locator("main")).to_contain_text("已领证")
    check(page)
    sign_out(page)

    # The resident sees every state in the timeline, and the messages of each step.
    sign_in_any(page, base_url, RESIDENT, RESIDENT_MOBILE, password=DEMO_PASSWORD)
    page.goto("/me/applications")
    page.get_by_role("link", name=re.compile(number)).first.click()
    timeline = page.locator(".timeline")
    for state in STATES:
        expect(timeline).to_contain_text(state)
    expect(timeline.locator(".timeline__time")).to_have_count(len(STATES))
    check(page)
    page.goto("/messages")
    messages = page.locator("main")
    for state in STATES[1:]:
        expect(messages).to_contain_text(f"居住证申请{number}{state}")
    check(page)
    page.goto("/me")
    expect(page.locator("main")).to_contain_text("居住证号码")


def test_a_rejection_shows_its_reason_to_the_resident(page: Page, base_url: str, live_server: Any) -> None:
    reset_applications(live_server, RESIDENT)
    number = resident_applies(page, base_url)
    staff_opens(page, base_url, number)

    # A rejection needs a reason: the message says so and the typed details stay.
    page.get_by_label("详细说明").fill("相片背景不是白色")
    page.get_by_label("不通过原因").select_option(label="其他")
    page.get_by_label("详细说明").fill("")
    page.get_by_role("button", name="审核不通过").click()
    expect(page).to_have_title(re.compile("^错误："))
    page.get_by_label("不通过原因").select_option(label="数码相片不合格或相片回执号无效")
    page.get_by_label("详细说明").fill("相片背景不是白色")
    act(page, "审核不通过")
    check(page)
    sign_out(page)

    sign_in_any(page, base_url, RESIDENT, RESIDENT_MOBILE, password=DEMO_PASSWORD)
    page.goto("/me/applications")
    page.get_by_role("link", name=re.compile(number)).first.click()
    expect(page.locator(".timeline")).to_contain_text("相片背景不是白色")
    page.goto("/messages")
    expect(page.locator("main")).to_contain_text("相片背景不是白色")
    # The resident may apply again after a rejection.
    page.goto("/me")
    expect(page.get_by_role("link", name="立即办理")).to_be_visible()
