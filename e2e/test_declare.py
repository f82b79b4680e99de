"""A landlord links a house and declares two tenants moving in (desktop and iPhone, with and without
JavaScript). Staff's approval of the link is made by the service itself (approve_house_link), run
against the live server's database: the staff screens have their own journey. Every page is scanned
with axe.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from e2e.support import axe_check, horizontal_overflow, new_account, sign_in
from web.services.identity import make_id_number

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FUTIAN = "440304004"  # 福田街道: its demo houses are seeded (web/services/seed.py)
REGISTRATION = "居住登记"

APPROVE_LINK = r"""
import asyncio, sys
from datetime import UTC, datetime
from tortoise.context import TortoiseContext
from web.db import tortoise_config
from web.models import Account, HouseLink
from web.services.declarations import approve_house_link
from web.settings import Settings

async def main(landlord, staff):
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(Settings.from_env().database_url))
        link = await HouseLink.get(account__username=landlord, status="pending")
        await approve_house_link(link.id, staff=await Account.get(username=staff), now=datetime.now(UTC))

asyncio.run(main(*sys.argv[1:]))
"""


def approve_link(live_server: Any, landlord: str) -> None:
    staff, _ = new_account(live_server, role="staff", point=FUTIAN)
    subprocess.run([sys.executable, "-c", APPROVE_LINK, landlord, staff], cwd=PROJECT_ROOT, env=live_server.env,
                   check=True, capture_output=True, timeout=60)  # fmt: skip


def tenant_id() -> str:
    birth = date(1980, 1, 1) + timedelta(days=secrets.randbelow(9000))
    return make_id_number("430102", birth, secrets.randbelow(998) + 1)


def shenzhen_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def check(page: Page) -> None:
    axe_check(page)
    assert horizontal_overflow(page) <= 0, page.url


def heading(page: Page) -> Any:
    return page.get_by_role("heading", level=1)


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option of a finder step once htmx has finished with the last one: a change made while
    the new selects are still settling would not be seen yet (a person is never that quick)."""
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)
    page.get_by_label(label, exact=True).select_option(label=option)


def fill_person(page: Page, number: int, name: str, id_number: str) -> None:
    person = page.locator(f"#person-{number}")
    person.get_by_label("姓名").fill(name)
    person.get_by_label("证件号码").fill(id_number)
    person.get_by_label("户籍地类型").select_option(label="外省")
    person.get_by_label("户籍地址").fill("湖南省长沙市芙蓉区示范路1号")
    person.get_by_label("职业").select_option(label="职员")
    person.get_by_label("服务处所（选填）").fill("示范科技有限公司")
    person.get_by_label("来深事由").select_option(label="务工")
    person.get_by_label("紧急联系电话").fill("13800009999")


def test_landlord_links_a_house_and_declares_two_tenants(page: Page, base_url: str, live_server: Any) -> None:
    landlord, mobile = new_account(live_server)
    sign_in(page, base_url, landlord, mobile, platform=REGISTRATION)
    page.goto("/registration")
    expect(heading(page)).to_have_text("居住登记")
    check(page)

    # My houses: find the house step by step (each choice brings the next select, over htmx).
    page.get_by_role("link", name=re.compile("^我的房屋")).click()
    expect(heading(page)).to_have_text("我的房屋")
    check(page)
    choose(page, "区", "福田区")
    choose(page, "街道", "福田街道")
    choose(page, "楼栋", "2栋")
    choose(page, "房号", "202室")
    expect(page.locator("#house-chosen")).to_contain_text("示范花园2栋202室")
    check(page)
    page.get_by_role("button", name="申请关联此房屋").click()
    expect(page.get_by_role("alert")).to_contain_text("已申请关联")
    house_row = page.get_by_role("row", name=re.compile("示范花园2栋202室"))
    expect(house_row).to_contain_text("待审核")
    check(page)

    approve_link(live_server, landlord)
    page.reload()
    expect(house_row).to_contain_text("已通过")
    house_row.get_by_role("link", name=re.compile("^租客入住")).click()

    # The move-in form: htmx leaves one person's row; "添加一人" brings a second.
    expect(heading(page)).to_have_text("入住申报")
    expect(page.locator("fieldset.occupant")).to_have_count(1)
    expect(page.locator("#house-chosen")).to_contain_text("示范花园2栋202室")
    check(page)
    moved_in = shenzhen_today() - timedelta(days=2)
    page.get_by_label("入住日期").fill(moved_in.isoformat())
    fill_person(page, 1, "赵磊", tenant_id())
    page.get_by_role("button", name="添加一人").click()
    expect(page.locator("fieldset.occupant")).to_have_count(2)
    expect(page.locator("#person-1").get_by_label("姓名")).to_have_value("赵磊")  # nothing typed lost
    fill_person(page, 2, "钱芳", tenant_id())
    check(page)

    # A date in the future is explained beside the field; everything typed stays.
    page.get_by_label("入住日期").fill((shenzhen_today() + timedelta(days=5)).isoformat())
    page.get_by_role("button", name="下一步").click()
    expect(page).to_have_title(re.compile("^错误："))
    expect(page.locator("#event_date-error")).to_contain_text("今天或以前")
    expect(page.locator("#person-2").get_by_label("姓名")).to_have_value("钱芳")
    check(page)
    page.get_by_label("入住日期").fill(moved_in.isoformat())
    page.get_by_role("button", name="下一步").click()

    # 核对信息: the answers once more; 【修改】 goes back with everything kept.
    expect(heading(page)).to_have_text("核对申报信息")
    expect(page.locator("main")).to_contain_text("钱芳")
    check(page)
    page.get_by_role("button", name="修改").click()
    expect(page.locator("#person-2").get_by_label("姓名")).to_have_value("钱芳")
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("button", name="提交申报").click()

    expect(heading(page)).to_have_text("申报已提交")
    expect(page.locator(".panel")).to_contain_text(re.compile(r"JD\d{8}"))
    expect(page.get_by_text("待审核").first).to_be_visible()
    check(page)
    page.get_by_role("link", name="查看我的全部申报").click()
    expect(heading(page)).to_have_text("我的申报")
    row = page.get_by_role("row", name=re.compile("赵磊"))
    expect(row).to_contain_text("钱芳")
    expect(row).to_contain_text("待审核")
    check(page)


def test_the_same_declaration_works_without_javascript(no_js_page: Page, base_url: str, live_server: Any) -> None:
    # axe runs as a script, so it cannot scan here: the same pages are scanned in the run above.
    page = no_js_page
    landlord, mobile = new_account(live_server)
    sign_in(page, base_url, landlord, mobile, platform=REGISTRATION)

    # Without JavaScript the search runs when "更新选项" posts the form back; "选择" picks a result.
    page.goto("/registration/houses")
    page.get_by_label("按房屋编码或地址搜索（选填）").fill("示范花园1栋102")
    page.get_by_role("button", name="更新选项").click()
    page.get_by_role("button", name=re.compile("^选择 .*福田街道示范花园1栋102室")).click()
    expect(page.locator("#house-chosen")).to_contain_text("示范花园1栋102室")
    page.get_by_role("button", name="申请关联此房屋").click()
    expect(page.get_by_role("row", name=re.compile("示范花园1栋102室"))).to_contain_text("待审核")

    approve_link(live_server, landlord)
    page.reload()
    page.get_by_role("row", name=re.compile("示范花园1栋102室")).get_by_role("link", name=re.compile("^租客入住")).click()

    # Three rows without JavaScript; the empty third one is ignored.
    expect(page.locator("fieldset.occupant")).to_have_count(3)
    page.get_by_label("入住日期").fill((shenzhen_today() - timedelta(days=1)).isoformat())
    fill_person(page, 1, "孙浩", tenant_id())
    fill_person(page, 2, "李娜", tenant_id())
    page.get_by_role("button", name="下一步").click()
    expect(heading(page)).to_have_text("核对申报信息")
    page.get_by_role("button", name="提交申报").click()

    expect(heading(page)).to_have_text("申报已提交")
    expect(page.get_by_text("待审核").first).to_be_visible()
    assert "/registration/declarations/" in page.url
