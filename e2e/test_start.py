"""Journey: a visitor opens the start page, reads it in Chinese or English, and finds sign in / register."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.support import axe_check, horizontal_overflow

CHINESE_HEADING = "居住登记和居住证服务平台"
ENGLISH_HEADING = "Residence Registration and Residence Permit Service"


def test_start_page_is_in_chinese_with_sign_in_and_register(page: Page) -> None:
    page.goto("/")

    expect(page).to_have_title(re.compile(CHINESE_HEADING))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", level=1)).to_have_text(CHINESE_HEADING)
    expect(page.get_by_role("link", name="登录")).to_be_visible()
    expect(page.get_by_role("link", name="立即注册")).to_be_visible()
    axe_check(page)


def test_language_switch_goes_to_english_and_back(page: Page) -> None:
    page.goto("/")

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ENGLISH_HEADING)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    axe_check(page)

    page.goto("/")  # the choice is remembered
    expect(page.get_by_role("heading", level=1)).to_have_text(ENGLISH_HEADING)

    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CHINESE_HEADING)
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")


def test_start_page_does_not_scroll_sideways_at_375_px(page: Page) -> None:
    page.set_viewport_size({"width": 375, "height": 812})
    for url in ("/", "/?lang=en"):
        page.goto(url)
        assert horizontal_overflow(page) <= 0, f"{url} is wider than 375 px"


def test_start_page_without_javascript_shows_the_same_content(page: Page, no_js_page: Page) -> None:
    page.goto("/")
    no_js_page.goto("/")

    expect(no_js_page.get_by_role("heading", level=1)).to_have_text(CHINESE_HEADING)
    expect(no_js_page.get_by_role("link", name="登录")).to_be_visible()
    expect(no_js_page.get_by_role("link", name="立即注册")).to_be_visible()
    assert no_js_page.locator("main").inner_text() == page.locator("main").inner_text()

    no_js_page.get_by_role("link", name="English").click()  # a plain link: no script needed
    expect(no_js_page.get_by_role("heading", level=1)).to_have_text(ENGLISH_HEADING)


def test_page_not_found_is_accessible(page: Page) -> None:
    response = page.goto("/no-such-page")

    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("首页|start page|Go to", re.I))).to_be_visible()
    axe_check(page)
