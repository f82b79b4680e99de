"""The residence registration platform over HTTP: house finder, house links, declarations, lists."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

import pytest
from httpx import Response
from litestar.testing import AsyncTestClient

from tests.support import CSRF_FIELD, QueryCounter, csrf_token, page_heading, post_form, run_db, sign_in_as
from web.models import (
    Account,
    DeclarationKind,
    DeclarationStatus,
    House,
    HouseKind,
    HouseLink,
    IdType,
    Person,
    ResidenceDeclaration,
    Review,
)
from web.services.identity import make_id_number

FUTIAN = "440304004"
TODAY = date(2026, 3, 2)
TENANT_ID = make_id_number("430102", date(1995, 5, 5), 135)
OTHER_ID = make_id_number("450103", date(1998, 8, 8), 246)
THIRD_ID = make_id_number("360102", date(2000, 1, 2), 111)
FOURTH_ID = make_id_number("510104", date(1991, 12, 1), 222)
HOUSE_CODE = "44030400401" + "0101"
MOVE_IN = "/registration/declare/landlord/move-in"


# --- helpers ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fixed_today(client: AsyncTestClient) -> None:
    run_db(client, client.app.state.clock.set_today, TODAY)


def make_houses(client: AsyncTestClient) -> list[House]:
    async def create() -> list[House]:
        rows = []
        for building in (1, 2):
            for room in ("101", "102"):
                rows.append(await House.create(
                    house_code=f"{FUTIAN}{building:02d}{int(room):04d}", street_id=FUTIAN, building=f"{building}栋",
                    room=f"{room}室", address=f"深圳市福田区福田街道示范花园{building}栋{room}室", kind=HouseKind.RENTAL,
                ))  # fmt: skip
        return rows

    return run_db(client, create)


def landlord(client: AsyncTestClient, status: Review | None = Review.APPROVED) -> tuple[Account, House]:
    house = make_houses(client)[0]
    account = sign_in_as(client, "resident", platform="registration")
    if status is not None:
        run_db(client, lambda: HouseLink.create(account=account, house=house, status=status))
    return account, house


def person_row(row: int, name: str = "张伟", id_number: str = TENANT_ID, **values: str) -> dict[str, str]:
    fields = {
        "name": name, "id_type": "resident_id", "id_number": id_number, "hukou_address_type": "other_province",
        "hukou_address": "湖南省长沙市芙蓉区示范路1号", "occupation": "3", "workplace": "示范公司", "reason": "1",
        "head_of_household": "", "relation": "", "emergency_phone": "13800009999", **values,
    }  # fmt: skip
    return {f"{name}_{row}": value for name, value in fields.items()}


def blank_row(row: int) -> dict[str, str]:
    return {**{key: "" for key in person_row(row)}, f"id_type_{row}": "resident_id"}


def move_in_form(house_code: str = HOUSE_CODE, *rows: dict[str, str], **values: str) -> dict[str, str]:
    form = {"house_code": house_code, "event_date": "2026-03-01", "district": "", "street": "", "building": ""}
    for row in rows or (person_row(1), blank_row(2), blank_row(3)):
        form.update(row)
    return {**form, **values}


def error_at(response: Response, field: str) -> str:
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</p>', response.text, re.S)
    assert match, f"no error at {field}:\n{response.text[:4000]}"
    text = re.sub(r'<span class="visually-hidden">.*?</span>', "", match.group(1), count=1)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def value_of(response: Response, field: str) -> str | None:
    match = re.search(rf'<input[^>]*id="{field}"[^>]*>', response.text, re.S)
    if not match:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else None


def selected(response: Response, field: str) -> str | None:
    match = re.search(rf'<select[^>]*id="{field}".*?</select>', response.text, re.S)
    if not match:
        return None
    option = re.search(r'<option value="([^"]*)" selected>', match.group(0))
    return option.group(1) if option else None


def title(response: Response) -> str:
    match = re.search(r"<title>(.*?)</title>", response.text, re.S)
    assert match
    return html.unescape(match.group(1))


def declarations_of(client: AsyncTestClient, account: Account) -> list[ResidenceDeclaration]:
    return run_db(client, lambda: ResidenceDeclaration.filter(declarant_id=account.id).order_by("id"))


# --- the platform's menu and my houses -------------------------------------------------------------


async def test_home_links_every_declaration(client: AsyncTestClient) -> None:
    sign_in_as(client, "resident", platform="registration")
    response = await client.get("/registration")
    assert response.status_code == 200 and page_heading(response) == "居住登记"
    for href in ("/registration/houses", "/registration/declare/own-home/move-in", "/registration/declare/assisted/move-in",
                 "/registration/declarations"):  # fmt: skip
        assert f'href="{href}"' in response.text


async def test_landlord_links_a_house_then_sees_it_pending(client: AsyncTestClient) -> None:
    account, house = landlord(client, status=None)
    response = await post_form(client, "/registration/houses", {"house_code": house.house_code})
    assert response.status_code == 303 and response.headers["location"] == "/registration/houses"

    page = await client.get("/registration/houses")

    assert "待审核" in page.text and house.address in page.text and "审核" in page.text
    link = run_db(client, lambda: HouseLink.get(account_id=account.id))
    assert link.status == Review.PENDING


async def test_house_links_show_the_rejection_reason_and_approved_ones_offer_declarations(client: AsyncTestClient) -> None:
    account, house = landlord(client)
    other = run_db(client, lambda: House.get(house_code=f"{FUTIAN}010102"))
    run_db(client, lambda: HouseLink.create(account=account, house=other, status=Review.REJECTED, reason="产权不符"))
    page = await client.get("/registration/houses")
    assert "产权不符" in page.text and "审核不通过" in page.text
    assert f'href="{MOVE_IN}?house_code={house.house_code}"' in page.text
    assert f"move-in?house_code={other.house_code}" not in page.text


@pytest.mark.parametrize(("house_code", "message"), [
    ("", "选择房屋"),
    ("NOSUCHHOUSE", "没有房屋编码为此编码的房屋"),
])  # fmt: skip
async def test_linking_an_unknown_house_is_refused_beside_the_field(
    client: AsyncTestClient, house_code: str, message: str
) -> None:
    landlord(client, status=None)
    response = await post_form(client, "/registration/houses", {"house_code": house_code, "house_search": "示范"})
    assert response.status_code == 400 and title(response).startswith("错误：")
    assert message in error_at(response, "house_code")
    assert value_of(response, "house_search") == "示范"  # nothing typed is lost
    assert value_of(response, "house_code") == house_code


async def test_the_link_form_steps_through_the_finder_without_javascript(client: AsyncTestClient) -> None:
    landlord(client, status=None)
    response = await post_form(client, "/registration/houses", {"district": "440304", "finder": "refresh"})
    assert response.status_code == 200 and selected(response, "district") == "440304"
    assert f'<option value="{FUTIAN}">福田街道</option>' in response.text
    response = await post_form(client, "/registration/houses", {"district": "440304", "street": FUTIAN, "finder": "refresh"})
    assert '<option value="1栋">1栋</option>' in response.text
    response = await post_form(
        client, "/registration/houses", {"district": "440304", "street": FUTIAN, "building": "1栋", "finder": "refresh"}
    )
    assert f'<option value="{HOUSE_CODE}">101室</option>' in response.text


# --- the finder over htmx ----------------------------------------------------------------------------


async def test_the_finder_fragment_cascades(client: AsyncTestClient) -> None:
    landlord(client)
    response = await client.get("/registration/finder", params={"district": "440304"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.text
    assert "address_detail" not in response.text  # the typed address stays out of GET URLs and swaps
    assert 'id="house-finder"' in response.text and f'value="{FUTIAN}"' in response.text
    response = await client.get("/registration/finder", params={"house_code": HOUSE_CODE})
    assert selected(response, "district") == "440304" and selected(response, "street") == FUTIAN
    assert selected(response, "building") == "1栋" and selected(response, "house_code") == HOUSE_CODE
    assert "示范花园1栋101室" in response.text


async def test_a_search_result_fills_the_finder(client: AsyncTestClient) -> None:
    landlord(client)
    response = await client.get("/registration/finder/search", params={"house_search": "示范花园2栋"})
    assert response.status_code == 200 and response.text.count('name="finder_pick"') == 2
    response = await client.get("/registration/finder", params={"finder_pick": f"{FUTIAN}020101", "district": "440305"})
    assert selected(response, "house_code") == f"{FUTIAN}020101"


@pytest.mark.parametrize("params", [
    {"district": "x" * 5000}, {"district": "440304", "street": "'; DROP TABLE houses; --"},
    {"house_code": "%"}, {"house_search": "%_"}, {"building": "<script>alert(1)</script>"}, {"finder_pick": "\x00"},
])  # fmt: skip
async def test_the_finder_survives_tampered_values(client: AsyncTestClient, params: dict[str, str]) -> None:
    landlord(client)
    for url in ("/registration/finder", "/registration/finder/search", "/registration/houses"):
        response = await client.get(url, params=params)
        assert response.status_code == 200, url
        assert "<script>alert" not in response.text


async def test_the_finder_runs_a_fixed_number_of_queries(client: AsyncTestClient, count_queries: QueryCounter) -> None:
    landlord(client)
    with count_queries() as chosen:
        await client.get("/registration/finder", params={"house_code": HOUSE_CODE, "house_search": "示范"})
    with count_queries() as nothing:
        await client.get("/registration/finder")
    # one query per step: the house, buildings, rooms and search on top of the streets
    assert chosen.count == nothing.count + 4, chosen


# --- declaring ---------------------------------------------------------------------------------------


async def test_the_form_without_javascript_has_three_rows_and_htmx_compacts_them(client: AsyncTestClient) -> None:
    landlord(client)
    response = await client.get(MOVE_IN, params={"house_code": HOUSE_CODE})
    assert response.status_code == 200
    assert all(f'id="name_{row}"' in response.text for row in (1, 2, 3))
    assert 'hx-trigger="load"' in response.text and selected(response, "house_code") == HOUSE_CODE

    compacted = await post_form(client, f"{MOVE_IN}/occupants", {**move_in_form(), "occupants_action": "compact"})
    assert compacted.status_code == 200 and 'id="name_1"' in compacted.text and 'id="name_2"' not in compacted.text
    assert "添加" in compacted.text  # "Add another person"


async def test_landlord_declares_two_tenants_and_sees_the_number_and_pending(client: AsyncTestClient) -> None:
    account, house = landlord(client)
    form = move_in_form(HOUSE_CODE, person_row(1), person_row(2, name="王芳", id_number=OTHER_ID), blank_row(3))

    response = await check_and_submit(client, MOVE_IN, form)

    [declaration] = declarations_of(client, account)
    assert response.status_code == 303
    assert response.headers["location"] == f"/registration/declarations/{declaration.id}"
    assert TENANT_ID not in response.headers["location"]
    page = await client.get(response.headers["location"])
    assert f"JD{declaration.id:08d}" in page.text and "待审核" in page.text and "申报已提交" in page.text
    assert "张伟" in page.text and "王芳" in page.text and TENANT_ID not in page.text  # masked
    again = await client.get(response.headers["location"])
    assert "申报已提交" not in again.text  # the confirmation shows once; the record stays
    assert declaration.kind == DeclarationKind.MOVE_IN and declaration.status == DeclarationStatus.PENDING


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"event_date": "2026-03-03"}, "event_date", "今天或以前"),
    ({"event_date": "2026-02-30"}, "event_date", "真实的日期"),
    ({"event_date": "0001-01-01"}, "event_date", "1980-01-01"),
    ({"event_date": "+10000-01-01"}, "event_date", "真实的日期"),
    ({"house_code": "NOSUCHHOUSE"}, "house_code", "没有房屋编码"),
    ({"id_number_1": TENANT_ID[:-1] + "0" if TENANT_ID[-1] != "0" else TENANT_ID[:-1] + "1"}, "id_number_1", "无效"),
    ({"name_1": ""}, "name_1", "姓名"),
    ({"occupation_1": "99"}, "occupation_1", "职业"),
    ({"reason_1": "0"}, "reason_1", "来深事由"),
    ({"id_type_1": "tampered"}, "id_type_1", "证件类型"),
    ({"emergency_phone_1": "abc"}, "emergency_phone_1", "电话"),
])  # fmt: skip
async def test_bad_input_is_explained_beside_its_field_and_nothing_is_lost(
    client: AsyncTestClient, changes: dict[str, str], field: str, words: str
) -> None:
    account, _ = landlord(client)
    form = {**move_in_form(HOUSE_CODE, person_row(1), person_row(2, name="王芳", id_number=OTHER_ID)), **changes}

    response = await post_form(client, MOVE_IN, form)

    assert response.status_code == 400 and title(response).startswith("错误：")
    assert words in error_at(response, field)
    assert f'href="#{field}"' in response.text  # the error summary links to the field
    assert value_of(response, "name_2") == "王芳" and value_of(response, "id_number_2") == OTHER_ID
    assert value_of(response, "workplace_1") == "示范公司"
    assert not declarations_of(client, account)


async def test_a_fourth_occupant_is_refused_and_every_row_kept(client: AsyncTestClient) -> None:
    landlord(client)
    rows = [person_row(n, name=name, id_number=number)
            for n, (name, number) in enumerate([("张伟", TENANT_ID), ("王芳", OTHER_ID), ("李雷", THIRD_ID), ("韩梅", FOURTH_ID)], 1)]  # fmt: skip
    response = await post_form(client, MOVE_IN, move_in_form(HOUSE_CODE, *rows))
    assert response.status_code == 400
    assert "最多 3 人" in error_at(response, "occupants")
    assert value_of(response, "name_4") == "韩梅"


async def test_the_same_person_twice_is_refused(client: AsyncTestClient) -> None:
    landlord(client)
    response = await post_form(client, MOVE_IN, move_in_form(HOUSE_CODE, person_row(1), person_row(2)))
    assert response.status_code == 400 and "已在本次申报中" in error_at(response, "id_number_2")


async def test_someone_registered_at_another_address_is_refused_with_the_way_out(client: AsyncTestClient) -> None:
    from web.services import declarations

    account, house = landlord(client)
    other = run_db(client, lambda: House.get(house_code=f"{FUTIAN}020101"))

    async def registered_elsewhere() -> None:
        from web.models import DeclarantKind, Registration

        person = await Person.create(id_type=IdType.RESIDENT_ID, id_number=TENANT_ID, name="张伟")
        declaration = await ResidenceDeclaration.create(
            declarant=account, declarant_kind=DeclarantKind.LANDLORD, kind=DeclarationKind.MOVE_IN, house=other,
            street_id=FUTIAN, event_date=date(2025, 1, 1), status=DeclarationStatus.REGISTERED,
        )  # fmt: skip
        await Registration.create(person=person, house=other, street_id=FUTIAN, address=other.address,
                                  start_date=date(2025, 1, 1), declaration=declaration)  # fmt: skip

    run_db(client, registered_elsewhere)
    response = await post_form(client, MOVE_IN, move_in_form())
    assert response.status_code == 400
    message = error_at(response, "id_number_1")
    assert "仍登记在另一地址" in message and "辅助申报" in message
    assert declarations.MOVE_OUT_FIELDS  # the way out: a move-out there first


async def test_landlord_without_an_approved_link_is_refused(client: AsyncTestClient) -> None:
    landlord(client, status=Review.PENDING)
    response = await post_form(client, MOVE_IN, move_in_form())
    assert response.status_code == 400 and "我的房屋" in error_at(response, "house_code")


async def test_rows_are_added_and_removed_without_javascript(client: AsyncTestClient) -> None:
    landlord(client)
    form = move_in_form(HOUSE_CODE, person_row(1), person_row(2, name="王芳", id_number=OTHER_ID))

    removed = await post_form(client, MOVE_IN, {**form, "occupants_action": "remove-1"})

    assert removed.status_code == 200 and value_of(removed, "name_1") == "王芳"
    assert 'id="name_2"' not in removed.text
    added = await post_form(client, MOVE_IN, {**person_row(1), "occupants_action": "add"})
    assert 'id="name_2"' in added.text and value_of(added, "name_1") == "张伟"
    full = await post_form(client, MOVE_IN, {**form, **blank_row(3), "occupants_action": "add"})
    assert 'id="name_4"' not in full.text and 'value="add"' not in full.text
    assert not run_db(client, lambda: ResidenceDeclaration.exists())


async def test_a_move_out_asks_only_for_the_person(client: AsyncTestClient) -> None:
    landlord(client)
    response = await client.get("/registration/declare/landlord/move-out")
    assert 'id="id_number_1"' in response.text and 'id="occupation_1"' not in response.text
    assert "搬离日期" in response.text


async def test_own_home_and_assisted_forms_start_with_the_declarant_and_allow_a_typed_address(
    client: AsyncTestClient,
) -> None:
    person = run_db(client, lambda: Person.create(id_type=IdType.RESIDENT_ID, id_number=TENANT_ID, name="张伟"))
    account = sign_in_as(client, "resident", platform="registration", person_id=person.id)
    response = await client.get("/registration/declare/assisted/move-in")
    assert value_of(response, "name_1") == "张伟" and value_of(response, "id_number_1") == TENANT_ID
    assert 'id="address_detail"' in response.text

    form = {**move_in_form("", person_row(1)), "district": "440304", "street": FUTIAN,
            "address_detail": "深圳市福田区某路8号"}  # fmt: skip
    submitted = await check_and_submit(client, "/registration/declare/assisted/move-in", form)

    assert submitted.status_code == 303
    [declaration] = declarations_of(client, account)
    assert declaration.house_id is None and declaration.address_detail == "深圳市福田区某路8号"


async def test_a_typed_address_needs_district_street_and_address(client: AsyncTestClient) -> None:
    sign_in_as(client, "resident", platform="registration")
    response = await post_form(client, "/registration/declare/own-home/move-in", move_in_form("", person_row(1)))
    assert response.status_code == 400
    assert error_at(response, "district") and error_at(response, "address_detail")


@pytest.mark.parametrize("path", [
    "/registration/declare/tenant/move-in", "/registration/declare/landlord/evict", "/registration/declare/unit/move-in",
])  # fmt: skip
async def test_unknown_declaration_kinds_are_not_found(client: AsyncTestClient, path: str) -> None:
    sign_in_as(client, "resident", platform="registration")
    assert (await client.get(path)).status_code == 404
    assert (await post_form(client, path, {})).status_code == 404


async def test_a_post_without_its_csrf_token_is_refused(client: AsyncTestClient) -> None:
    account, _ = landlord(client)
    response = await client.post(MOVE_IN, data=move_in_form())
    assert response.status_code == 403
    assert not declarations_of(client, account)


# --- fuzzing: no input makes a 500 -----------------------------------------------------------------


FUZZ_VALUES = ["", " ", "x" * 10_000, "\x00", "<script>", "' OR 1=1 --", "9999-99-99", "-1", "１２３", "🏠", "%s%n"]
FUZZ_FIELDS = ["event_date", "house_code", "district", "street", "building", "address_detail", "name_1", "id_type_1",
               "id_number_1", "hukou_address_type_1", "occupation_1", "reason_1", "emergency_phone_1", "name_7",
               "occupants_action", "finder_pick"]  # fmt: skip


@pytest.mark.parametrize("field", FUZZ_FIELDS)
async def test_no_value_of_any_field_makes_a_server_error(client: AsyncTestClient, field: str) -> None:
    landlord(client)
    token = await csrf_token(client, MOVE_IN)
    for path in (MOVE_IN, "/registration/declare/own-home/move-out", "/registration/declare/assisted/change"):
        for value in FUZZ_VALUES:
            form: dict[str, Any] = {**move_in_form(), field: value, CSRF_FIELD: token}
            response = await client.post(path, data=form)
            assert response.status_code in (200, 303, 400), (path, field, value[:20], response.status_code)


async def test_missing_fields_and_repeated_fields_make_no_server_error(client: AsyncTestClient) -> None:
    landlord(client)
    token = await csrf_token(client, MOVE_IN)
    form_type = {"content-type": "application/x-www-form-urlencoded"}
    for body in ([(CSRF_FIELD, token)], [(CSRF_FIELD, token), ("name_1", "a"), ("name_1", "b"), ("house_code", HOUSE_CODE)]):
        response = await client.post(MOVE_IN, content=urlencode(body), headers=form_type)
        assert response.status_code == 400
    files = {"name_1": ("x.txt", b"hello", "text/plain")}
    response = await client.post(MOVE_IN, data={CSRF_FIELD: token}, files=files)
    assert response.status_code == 400


# --- my declarations ---------------------------------------------------------------------------------


async def test_my_declarations_show_status_and_reason_in_a_fixed_number_of_queries(
    client: AsyncTestClient, count_queries: QueryCounter
) -> None:
    account, _ = landlord(client)
    await check_and_submit(client, MOVE_IN, move_in_form())
    with count_queries() as one:
        await client.get("/registration/declarations")
    await check_and_submit(client, MOVE_IN, move_in_form(HOUSE_CODE, person_row(1, name="王芳", id_number=OTHER_ID)))
    await check_and_submit(client, MOVE_IN, move_in_form(HOUSE_CODE, person_row(1, name="李雷", id_number=THIRD_ID)))
    first = declarations_of(client, account)[0]
    run_db(client, lambda: ResidenceDeclaration.filter(id=first.id).update(status=DeclarationStatus.REJECTED,
                                                                             reason="照片不清"))  # fmt: skip
    with count_queries() as three:
        page = await client.get("/registration/declarations")

    assert one.count == three.count, three
    assert page.text.count("待审核") == 2 and "审核不通过" in page.text and "照片不清" in page.text
    assert "李雷" in page.text


async def test_another_accounts_declaration_is_not_found(client: AsyncTestClient) -> None:
    account, _ = landlord(client)
    await check_and_submit(client, MOVE_IN, move_in_form())
    [declaration] = declarations_of(client, account)
    sign_in_as(client, "resident", platform="registration")
    assert (await client.get(f"/registration/declarations/{declaration.id}")).status_code == 404


@pytest.mark.parametrize("role", ["staff", "unit_agent", "admin"])
async def test_other_roles_cannot_use_the_declarant_pages(client: AsyncTestClient, role: str) -> None:
    sign_in_as(client, role)
    for path in ("/registration", "/registration/houses", MOVE_IN, "/registration/declarations"):
        assert (await client.get(path)).status_code == 403, path


async def test_pages_speak_english(client: AsyncTestClient) -> None:
    landlord(client)
    response = await client.get(MOVE_IN, params={"lang": "en"})
    assert page_heading(response) == "Declare moving in"
    assert "Reason for coming to Shenzhen" in response.text and "Futian" in response.text


# --- the platform chosen at login ----------------------------------------------------------------


async def test_a_resident_on_the_permit_platform_is_offered_the_switch_not_the_page(client: AsyncTestClient) -> None:
    sign_in_as(client, "resident", platform="permit")
    response = await client.get("/registration/houses")
    assert response.status_code == 409
    assert "此页面属于居住登记平台" in response.text
    assert 'action="/platform"' in response.text and 'value="/registration/houses"' in response.text

    switched = await post_form(client, "/platform", {"platform": "registration", "next": "/registration/houses"})
    assert switched.status_code == 303 and switched.headers["location"] == "/registration/houses"
    assert (await client.get("/registration/houses")).status_code == 200
    home = await client.get("/me")
    assert "我的居住登记" in home.text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
async def test_switching_platform_never_leaves_the_site(client: AsyncTestClient, target: str) -> None:
    sign_in_as(client, "resident", platform="permit")
    response = await post_form(client, "/platform", {"platform": "registration", "next": target})
    assert response.status_code == 303 and response.headers["location"] == "/me"


async def test_switching_to_an_unknown_platform_is_refused(client: AsyncTestClient) -> None:
    sign_in_as(client, "resident", platform="permit")
    assert (await post_form(client, "/platform", {"platform": "mars"})).status_code == 400


# --- check your answers, and submitting once ------------------------------------------------------


def hidden_fields(response: Response) -> dict[str, str]:
    """The hidden inputs of the check page's form, as a browser would send them back."""
    return {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text)
    }


async def check_and_submit(client: AsyncTestClient, url: str, form: dict[str, str]) -> Response:
    """Send the form, then press 【提交申报】 on the check page, as a person would."""
    check = await post_form(client, url, form)
    assert check.status_code == 200 and page_heading(check) == "核对申报信息", page_heading(check)
    return await post_form(client, url, {**hidden_fields(check), "confirm": "1"})


async def test_the_check_page_shows_the_answers_and_stores_nothing_yet(client: AsyncTestClient) -> None:
    account, house = landlord(client)
    check = await post_form(client, MOVE_IN, move_in_form(HOUSE_CODE, person_row(1)))
    assert page_heading(check) == "核对申报信息"
    assert "张伟" in check.text and TENANT_ID[:4] + "*" * 10 + TENANT_ID[-4:] in check.text
    assert "湖南省长沙市芙蓉区示范路1号" in check.text and HOUSE_CODE in check.text
    assert 'name="confirm"' in check.text and 'name="edit"' in check.text
    assert declarations_of(client, account) == []


async def test_change_on_the_check_page_returns_to_the_form_with_everything_kept(client: AsyncTestClient) -> None:
    landlord(client)
    check = await post_form(client, MOVE_IN, move_in_form(HOUSE_CODE, person_row(1)))
    back = await post_form(client, MOVE_IN, {**hidden_fields(check), "edit": "1"})
    assert back.status_code == 200 and 'name="event_date"' in back.text
    assert value_of(back, "name_1") == "张伟" and value_of(back, "id_number_1") == TENANT_ID


async def test_pressing_submit_twice_stores_one_declaration(client: AsyncTestClient) -> None:
    account, house = landlord(client)
    check = await post_form(client, MOVE_IN, move_in_form(HOUSE_CODE, person_row(1)))
    confirm = {**hidden_fields(check), "confirm": "1"}
    first = await post_form(client, MOVE_IN, confirm)
    second = await post_form(client, MOVE_IN, confirm)
    assert first.status_code == 303 and second.status_code == 303
    assert second.headers["location"] == "/registration/declarations"
    assert len(declarations_of(client, account)) == 1
    listing = await client.get("/registration/declarations")
    assert "该申报已提交" in listing.text


async def test_a_tampered_token_submits_nothing(client: AsyncTestClient) -> None:
    account, house = landlord(client)
    check = await post_form(client, MOVE_IN, move_in_form(HOUSE_CODE, person_row(1)))
    response = await post_form(client, MOVE_IN, {**hidden_fields(check), "confirm": "1", "submit_token": "forged"})
    assert response.status_code == 303 and declarations_of(client, account) == []
