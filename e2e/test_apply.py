"""The residence permit application (issue 5), desktop and iPhone, with and without JavaScript:
the demo resident checks eligibility, applies (the 福田 point offered first), submits, sees the
confirmation, prints the receipt and downloads the PDF, whose text and QR code are read back."""

from __future__ import annotations

import io
import re
from typing import Any

import pypdfium2
import zxingcpp
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from e2e.support import axe_check, horizontal_overflow, reset_applications, sign_in_any

DEMO_PASSWORD = "Demo-2026!"
RESIDENT, RESIDENT_MOBILE, RESIDENT_NAME = "resident", "13800000004", "李明"
FUTIAN_POINT = "福田街道居住证受理点"
FAMILY_ID = "110101201501010011"  # a child's valid ID number (check digit included)


def check(page: Page) -> None:
    """No axe violation and no horizontal scrolling (both are scripts: only with JavaScript on)."""
    if not getattr(page, "javascript_disabled", False):
        axe_check(page)
        assert horizontal_overflow(page) <= 0, page.url


def heading(page: Page) -> Any:
    return page.get_by_role("heading", level=1)


def fill_the_application(page: Page) -> None:
    """From 我的居住证 through every step to 核对信息."""
    page.get_by_role("link", name="立即办理").click()
    expect(heading(page)).to_have_text("办理条件")
    check(page)
    page.get_by_label("稳定居所和稳定就业").check()
    page.get_by_role("button", name="下一步").click()

    expect(heading(page)).to_have_text("个人信息")
    check(page)
    page.get_by_label("文化程度").select_option(label="大学本科")
    page.get_by_label("服务处所或就读学校").fill("深圳示范科技有限公司")
    page.get_by_role("button", name="下一步").click()

    # A photo number of the wrong shape is explained beside the field.
    expect(heading(page)).to_have_text("数码相片")
    page.get_by_label("数码相片图像号").fill("12-3")
    page.get_by_role("button", name="下一步").click()
    expect(page.locator("#photo_number-error")).to_contain_text("字母或数字")
    expect(page.get_by_label("数码相片图像号")).to_have_value("12-3")
    page.get_by_label("数码相片图像号").fill("PH20261128A1")
    page.get_by_role("button", name="查询相片").click()
    expect(page.get_by_role("img", name=re.compile("PH20261128A1"))).to_be_visible()
    check(page)
    page.get_by_role("button", name="下一步").click()

    expect(heading(page)).to_have_text("同住亲属")
    page.get_by_role("button", name="添加同住亲属").click()
    page.get_by_label("姓名").fill("李小明")
    page.get_by_label("关系").select_option(label="子女")
    page.get_by_label("身份证号码").fill("110101201501010012")  # a wrong check digit
    page.get_by_role("button", name="下一步").click()
    expect(page.locator("main")).to_contain_text("身份证号码无效")
    expect(page.get_by_label("姓名")).to_have_value("李小明")  # nothing typed lost
    page.get_by_label("身份证号码").fill(FAMILY_ID)
    check(page)
    page.get_by_role("button", name="下一步").click()

    # The nearest point to the registered 福田 address comes first, chosen and marked 推荐.
    expect(heading(page)).to_have_text("所属受理点")
    first = page.locator("input[name=acceptance_point]").first
    expect(first).to_be_checked()
    expect(page.get_by_label(re.compile(FUTIAN_POINT))).to_be_checked()
    expect(page.locator("main")).to_contain_text("推荐")
    check(page)
    if not getattr(page, "javascript_disabled", False):
        # On a phone at 园岭 the list is ranked from there; the choice stays the person's.
        page.context.grant_permissions(["geolocation"])
        page.context.set_geolocation({"latitude": 22.56, "longitude": 114.10})
        page.get_by_role("button", name="使用我的位置").click()
        expect(page.locator("main")).to_contain_text("按与您当前位置的距离排列。")
        expect(page.locator(".radios__label").first).to_contain_text("园岭街道")
        page.get_by_label(re.compile(FUTIAN_POINT)).check()
    page.get_by_role("button", name="下一步").click()

    expect(heading(page)).to_have_text("核对信息")
    main = page.locator("main")
    for text in (RESIDENT_NAME, "PH20261128A1", "李小明", FUTIAN_POINT, "稳定居所和稳定就业"):
        expect(main).to_contain_text(text)
    check(page)


def test_demo_resident_applies_and_gets_a_genuine_receipt(page: Page, base_url: str, live_server: Any) -> None:
    reset_applications(live_server, RESIDENT)
    sign_in_any(page, base_url, RESIDENT, RESIDENT_MOBILE, password=DEMO_PASSWORD)
    expect(heading(page)).to_have_text("我的居住证")
    check(page)

    # 办证资格查询: the demo resident qualifies (13 months registered, 12 months insured).
    page.get_by_role("link", name="查询我的办证资格").click()
    expect(page.get_by_role("heading", name="您符合居住证申领条件")).to_be_visible()
    check(page)
    page.goto("/me")

    fill_the_application(page)
    page.get_by_role("button", name="提交申请").click()

    # The confirmation with the acceptance number and the next steps.
    expect(heading(page)).to_have_text("申请已提交")
    number = page.locator(".panel").inner_text()
    acceptance_number = re.search(r"SZ\d{14}", number).group(0)  # type: ignore[union-attr]
    expect(page.locator("main")).to_contain_text("身份证")
    check(page)

    # A second visit to /apply is sent to the open application, not to a second one.
    page.goto("/apply")
    expect(page.locator("main")).to_contain_text(acceptance_number)
    page.go_back()

    page.get_by_role("link", name="打印回执").first.click()
    expect(heading(page)).to_have_text("居住证申领回执")
    expect(page.locator("main")).to_contain_text(acceptance_number)
    check(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载回执（PDF）").first.click()
    pdf = download_info.value.path().read_bytes()
    text = "".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(pdf)).pages)
    assert RESIDENT_NAME in text and acceptance_number in text

    image = pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil()
    [code] = zxingcpp.read_barcodes(image)
    assert re.fullmatch(rf"{re.escape(base_url)}/verify/[\w.-]+", code.text), code.text
    page.goto(code.text)
    expect(heading(page)).to_have_text("回执真实有效")
    expect(page.locator("main")).to_contain_text(acceptance_number)
    check(page)


def test_the_whole_application_works_without_javascript(no_js_page: Page, base_url: str, live_server: Any) -> None:
    page = no_js_page
    reset_applications(live_server, RESIDENT)
    sign_in_any(page, base_url, RESIDENT, RESIDENT_MOBILE, password=DEMO_PASSWORD)
    fill_the_application(page)
    page.get_by_role("button", name="提交申请").click()
    expect(heading(page)).to_have_text("申请已提交")
    expect(page.locator(".panel")).to_contain_text(re.compile(r"SZ\d{14}"))
