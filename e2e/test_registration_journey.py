"""The residence registration journey (issue 4's "must show"), on a desktop and an iPhone:

a landlord links a house and declares two tenants; staff of the street's point approve the link,
approve one tenant and reject the other with a reason; the approved tenant sees the registration
and its months on 我的居住登记 (and its receipt), the rejected one sees the reason; a move-out ends
the registration on its date. Every page is scanned with axe.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from e2e.support import PASSWORD, axe_check, horizontal_overflow, new_account, sign_in
from web.services.dates import add_months
from web.services.identity import make_id_number

PROJECT_ROOT = Path(__file__).resolve().parent.parent

FUTIAN = "440304004"  # 福田街道: the street of the house, and of the staff member's point
REGISTRATION = "居住登记"  # the platform radio on /login
PERMIT = "居住证/签注申办"

# Makes the journey's own house and the tenants' accounts, each with the Person a landlord's
# declaration will name (createaccount makes accounts without a Person).
SETUP = r"""
import asyncio, json, sys
from tortoise.context import TortoiseContext
from web.db import tortoise_config
from web.models import (Account, DeclarantKind, DeclarationKind, DeclarationOccupant, House, HouseKind, IdType,
                        Person, ResidenceDeclaration, Role, Street)
from web.services.passwords import hash_password
from web.settings import Settings

async def main(spec):
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(Settings.from_env().database_url))
        street = await Street.get(code=spec["street"])
        house = await House.create(
            house_code=spec["house_code"], street=street, building=spec["building"], room="301室",
            address=f"深圳市{street.district}{street.name}旅程花园{spec['building']}301室", kind=HouseKind.RENTAL,
        )
        people = []
        for tenant in spec["tenants"]:
            person = await Person.create(id_type=IdType.RESIDENT_ID, id_number=tenant["id_number"], name=tenant["name"])
            await Account.create(username=tenant["username"], password_hash=hash_password(spec["password"]),
                                 role=Role.RESIDENT, mobile=tenant["mobile"], person=person)
            people.append(person)
        if spec.get("declared_by"):  # a move-in of every tenant, waiting for review
            landlord = await Account.get(username=spec["declared_by"])
            declaration = await ResidenceDeclaration.create(
                declarant=landlord, declarant_kind=DeclarantKind.LANDLORD, kind=DeclarationKind.MOVE_IN,
                house=house, street=street, address_detail=house.address, event_date=spec["event_date"])
            for person in people:
                await DeclarationOccupant.create(declaration=declaration, person=person, hukou_address_type="other_province",
                                                 occupation=3, reason_code=1, emergency_phone="13800009999")
    print(json.dumps({"address": house.address}))

asyncio.run(main(json.loads(sys.argv[1])))
"""


@dataclass(frozen=True)
class Tenant:
    name: str
    id_number: str
    username: str
    mobile: str


def _id_number(birth: date) -> str:
    return make_id_number("430102", birth, secrets.randbelow(998) + 1)


def _tenant(name: str) -> Tenant:
    birth = date(1985, 1, 1) + timedelta(days=secrets.randbelow(5000))
    return Tenant(name, _id_number(birth), f"e2e{secrets.token_hex(4)}", f"136{secrets.randbelow(10**8):08d}")


def set_up(live_server: Any, tenants: list[Tenant], *, declared_by: str | None = None,
           event_date: date | None = None) -> tuple[str, str]:
    """A house of 福田街道 of this test's own and the tenants' accounts (with `declared_by`, the
    username of a landlord, also a pending move-in of the tenants there); returns (house code, address)."""
    building = f"{90 + secrets.randbelow(10)}栋"
    house_code = f"{FUTIAN}{secrets.randbelow(10**7):07d}"
    spec = {"street": FUTIAN, "house_code": house_code, "building": building, "password": PASSWORD,
            "tenants": [tenant.__dict__ for tenant in tenants], "declared_by": declared_by,
            "event_date": (event_date or shenzhen_today()).isoformat()}
    done = subprocess.run([sys.executable, "-c", SETUP, json.dumps(spec)], cwd=PROJECT_ROOT,
                          env=live_server.env, check=True, capture_output=True, text=True, timeout=60)
    return house_code, json.loads(done.stdout.strip().splitlines()[-1])["address"]


def shenzhen_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def check(page: Page, *, scan: bool = True) -> None:
    """Every page: no axe violation, no horizontal scrolling.

    Both checks run as scripts: with JavaScript off (scan=False) a scan would never end, and the runs
    with JavaScript scan the same pages.
    """
    if scan:
        axe_check(page)
        assert horizontal_overflow(page) <= 0, page.url


def sign_out(page: Page) -> None:
    page.locator("header").get_by_role("button", name="退出").click()
    page.wait_for_url("**/login")


def heading(page: Page) -> Any:
    return page.get_by_role("heading", level=1)


# --- the landlord's steps --------------------------------------------------------------------------


def link_house(page: Page, house_code: str, address: str) -> None:
    page.goto("/registration/houses")
    check(page)
    page.get_by_label("按房屋编码或地址搜索").fill(house_code)
    page.get_by_role("button", name=re.compile(f"^选择 .*{re.escape(address[-8:])}")).click()
    expect(page.locator("#house-chosen")).to_contain_text(address)
    page.get_by_role("button", name="申请关联此房屋").click()
    expect(heading(page)).to_have_text("我的房屋")
    expect(page.get_by_role("row", name=re.compile(re.escape(house_code)))).to_contain_text("待审核")
    check(page)


def declare(page: Page, house_code: str, *, kind: str, tenant: Tenant, day: date) -> None:
    """One declaration for one tenant at the linked house: kind is "move-in" or "move-out"."""
    page.goto("/registration/houses")
    row = page.get_by_role("row", name=re.compile(re.escape(house_code)))
    row.get_by_role("link", name=re.compile("^租客入住" if kind == "move-in" else "^租客搬离")).click()
    expect(page.locator("#house-chosen")).to_contain_text(house_code)
    expect(page.locator("fieldset.occupant")).to_have_count(1)  # htmx dropped the empty rows
    check(page)
    page.get_by_label("入住日期" if kind == "move-in" else "搬离日期").fill(day.isoformat())
    person = page.locator("#person-1")
    person.get_by_label("姓名").fill(tenant.name)
    person.get_by_label("证件号码").fill(tenant.id_number)
    if kind == "move-in":
        person.get_by_label("户籍地类型").select_option(label="外省")
        person.get_by_label("户籍地址").fill("湖南省长沙市芙蓉区旅程路1号")
        person.get_by_label("职业").select_option(label="职员")
        person.get_by_label("来深事由").select_option(label="务工")
        person.get_by_label("紧急联系电话").fill("13800009999")
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("核对申报信息")
    check(page)
    page.get_by_role("button", name="提交申报").click()
    page.wait_for_url(re.compile(r".*/registration/declarations/\d+$"))
    check(page)


# --- the staff member's steps ----------------------------------------------------------------------


def open_queue(page: Page, *, scan: bool = True) -> None:
    page.goto("/me")
    page.get_by_role("link", name="进入审核队列").click()
    expect(heading(page)).to_have_text("审核队列")
    check(page, scan=scan)


def open_declaration_of(page: Page, tenant: Tenant, *, scan: bool = True) -> None:
    open_queue(page, scan=scan)
    page.get_by_role("row", name=re.compile(tenant.name)).get_by_role("link").first.click()
    expect(heading(page)).to_contain_text("申报 JD")
    masked = tenant.id_number[:4] + "*" * 10 + tenant.id_number[-4:]
    expect(page.get_by_text(masked)).to_be_visible()
    check(page, scan=scan)


def approve(page: Page) -> None:
    page.get_by_role("button", name="审核通过").click()
    expect(heading(page)).to_have_text("审核队列")
    expect(page.get_by_role("alert")).to_contain_text("已通过")
    check(page)


# --- the journey -----------------------------------------------------------------------------------


def test_landlord_declares_two_tenants_staff_decide_tenants_see_the_outcome(
    page: Page, base_url: str, live_server: Any
) -> None:
    approved, rejected = _tenant("周晓明"), _tenant("吴小红")
    house_code, address = set_up(live_server, [approved, rejected])
    landlord, landlord_mobile = new_account(live_server)
    staff, staff_mobile = new_account(live_server, role="staff", point=FUTIAN)
    today = shenzhen_today()
    move_in = today - timedelta(days=40)  # 40 days ago: late (7 days for a rental), and one whole month

    # The landlord asks to link the house; staff of 福田街道 approve the link.
    sign_in(page, base_url, landlord, landlord_mobile, platform=REGISTRATION)
    expect(heading(page)).to_have_text("我的居住登记")
    check(page)
    link_house(page, house_code, address)
    sign_out(page)

    sign_in(page, base_url, staff, staff_mobile, platform=PERMIT)
    open_queue(page)
    page.get_by_role("link", name=house_code).click()
    expect(heading(page)).to_have_text(f"房屋关联 {house_code}")
    check(page)
    approve(page)
    sign_out(page)

    # The landlord declares the two tenants moving in, one declaration each.
    sign_in(page, base_url, landlord, None, platform=REGISTRATION)
    declare(page, house_code, kind="move-in", tenant=approved, day=move_in)
    declare(page, house_code, kind="move-in", tenant=rejected, day=move_in)
    sign_out(page)

    # Staff approve one, and reject the other: a reason is required, beside its field.
    sign_in(page, base_url, staff, None, platform=PERMIT)
    open_queue(page)
    expect(page.get_by_role("row", name=re.compile(approved.name))).to_contain_text("逾期申报")
    open_declaration_of(page, approved)
    expect(page.get_by_text("逾期申报：")).to_be_visible()
    approve(page)

    open_declaration_of(page, rejected)
    page.get_by_role("button", name="审核不通过").click()
    expect(page.locator("#reason_code-error")).to_contain_text("请选择或填写不通过的原因")
    expect(page).to_have_title(re.compile("^错误："))
    check(page)
    page.get_by_label("经核查，申报人员未在该处居住").check()
    page.get_by_label("详细说明").fill("房东确认其未入住")
    page.get_by_role("button", name="审核不通过").click()
    expect(heading(page)).to_have_text("审核队列")
    expect(page.get_by_role("alert")).to_contain_text("审核不通过")
    sign_out(page)

    # The approved tenant sees the registration, its months and when 12 are reached; and the receipt.
    sign_in(page, base_url, approved.username, approved.mobile, platform=REGISTRATION)
    expect(heading(page)).to_have_text("我的居住登记")
    current = page.locator("section", has=page.get_by_role("heading", name="当前居住登记"))
    expect(current).to_contain_text(address)
    expect(current).to_contain_text(f"{move_in.year}年{move_in.month}月{move_in.day}日")
    expect(page.get_by_text("1个整月")).to_be_visible()
    reached = add_months(move_in, 12)
    expect(page.get_by_text(f"将于{reached.year}年{reached.month}月{reached.day}日满12个月")).to_be_visible()
    check(page)
    page.get_by_role("link", name=re.compile("^居住登记回执")).click()
    expect(heading(page)).to_have_text("居住登记回执")
    expect(page.get_by_text(address)).to_be_visible()
    expect(page.get_by_role("button", name="打印回执")).to_be_visible()
    check(page)
    sign_out(page)

    # The rejected tenant sees the reason.
    sign_in(page, base_url, rejected.username, rejected.mobile, platform=REGISTRATION)
    expect(page.get_by_text("经核查，申报人员未在该处居住：房东确认其未入住")).to_be_visible()
    expect(page.get_by_text("您目前未在任何地址登记居住")).to_be_visible()
    check(page)
    sign_out(page)

    # A move-out ends the approved tenant's registration on its date.
    move_out = today - timedelta(days=3)
    sign_in(page, base_url, landlord, None, platform=REGISTRATION)
    declare(page, house_code, kind="move-out", tenant=approved, day=move_out)
    sign_out(page)
    sign_in(page, base_url, staff, None, platform=PERMIT)
    open_declaration_of(page, approved)
    expect(page.get_by_text("搬离", exact=True).first).to_be_visible()
    approve(page)
    sign_out(page)

    sign_in(page, base_url, approved.username, None, platform=REGISTRATION)
    past = page.get_by_role("row", name=re.compile(re.escape(address)))
    expect(past).to_contain_text(f"{move_out.year}年{move_out.month}月{move_out.day}日")
    expect(past).to_contain_text("已注销")
    expect(page.get_by_text("您目前没有进行中的居住登记")).to_be_visible()
    check(page)


def test_public_registration_query_answers_yes_or_no_without_the_address(
    page: Page, base_url: str, live_server: Any
) -> None:
    # The seeded demo resident 李明 is registered at a 福田 address (CONTRACT.md).
    demo_id = make_id_number("430102", date(1992, 6, 15), 135)
    page.goto("/query/registration")
    expect(heading(page)).to_have_text("居住登记查询")
    check(page)
    page.get_by_label("姓名").fill("李明")
    page.get_by_label("证件号码").fill("430102199206151")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#id_number-error")).to_be_visible()
    expect(page.get_by_label("姓名")).to_have_value("李明")
    check(page)
    page.get_by_label("证件号码").fill(demo_id)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("status")).to_contain_text("是：目前已登记")
    expect(page.locator("main")).not_to_contain_text("示范花园")
    assert demo_id not in page.url
    check(page)


def test_staff_review_works_without_javascript(no_js_page: Page, base_url: str, live_server: Any) -> None:
    page = no_js_page
    landlord, _ = new_account(live_server)
    tenant = _tenant("郑一")
    set_up(live_server, [tenant], declared_by=landlord, event_date=shenzhen_today() - timedelta(days=2))
    staff, staff_mobile = new_account(live_server, role="staff", point=FUTIAN)
    sign_in(page, base_url, staff, staff_mobile, platform=PERMIT)
    open_declaration_of(page, tenant, scan=False)
    page.get_by_label("其他").check()
    page.get_by_role("button", name="审核不通过").click()
    expect(page.locator("#reason_detail-error")).to_contain_text("请填写不通过的原因")
    expect(page.get_by_label("其他")).to_be_checked()  # what was chosen is kept
    page.get_by_label("详细说明").fill("请携带租赁合同到受理点")
    page.get_by_role("button", name="审核不通过").click()
    expect(heading(page)).to_have_text("审核队列")
    expect(page.get_by_role("alert")).to_contain_text("审核不通过")
    sign_out(page)

    sign_in(page, base_url, tenant.username, tenant.mobile, platform=REGISTRATION)
    expect(page.get_by_text("请携带租赁合同到受理点")).to_be_visible()


def test_public_query_works_without_javascript(no_js_page: Page) -> None:
    page = no_js_page
    page.goto("/query/registration")
    page.get_by_label("姓名").fill("李明")
    page.get_by_label("证件类型").select_option(label="护照")
    page.get_by_label("证件号码").fill("E12345678")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("status")).to_contain_text("未查询到有效的居住登记")
