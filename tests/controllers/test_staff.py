"""The acceptance point's review over HTTP: the queue, an item's page, approve, reject with a reason."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from typing import Any

from httpx import Response
from litestar.testing import AsyncTestClient

from tests.housing import (
    FUTIAN,
    YUEHAI,
    make_declaration,
    make_house,
    make_house_link,
    make_person,
    make_registration,
    point_of,
)
from tests.support import count_queries, create_account, error_at, page_heading, page_title, post_form, run_db, sign_in_as
from web.models import (
    Account,
    DeclarationKind,
    DeclarationStatus,
    HouseLink,
    Registration,
    ResidenceDeclaration,
    Review,
    SystemMessage,
)

MOVE_IN = date(2026, 1, 10)


# --- helpers ------------------------------------------------------------------------------------


def staff_of(client: AsyncTestClient, street: str = FUTIAN) -> Account:
    point = run_db(client, lambda: point_of(street))
    return sign_in_as(client, "staff", point_id=point.id)


def pending_declaration(client: AsyncTestClient, street: str = FUTIAN, **fields: Any) -> ResidenceDeclaration:
    async def make() -> ResidenceDeclaration:
        landlord = await create_account("resident", password_hash="x", person_id=(await make_person("刘房东")).id)
        fields.setdefault("people", [await make_person("王一")])
        return await make_declaration(landlord, house=await make_house(street), event_date=MOVE_IN, **fields)

    return run_db(client, make)


def reload(client: AsyncTestClient, model: Any, row: Any) -> Any:
    return run_db(client, lambda: model.get(id=row.id))


def number(declaration: ResidenceDeclaration) -> str:
    return f"JD{declaration.id:08d}"


# --- the queue ----------------------------------------------------------------------------------


async def test_queue_lists_own_streets_declarations_late_first_marked_late(client: AsyncTestClient) -> None:
    on_time = pending_declaration(client, submitted_at=datetime(2026, 1, 11, tzinfo=UTC))
    late = pending_declaration(client, is_late=True, submitted_at=datetime(2026, 1, 20, tzinfo=UTC))
    elsewhere = pending_declaration(client, YUEHAI)
    staff_of(client)
    response = await client.get("/staff")
    assert response.status_code == 200
    assert page_heading(response) == "审核队列"
    text = response.text
    assert text.index(number(late)) < text.index(number(on_time))
    assert "逾期申报" in text
    assert number(elsewhere) not in text
    assert "王一" in text and "刘房东" in text


async def test_queue_lists_house_links_of_the_street(client: AsyncTestClient) -> None:
    def make_link(street: str) -> HouseLink:
        async def make() -> HouseLink:
            landlord = await create_account("resident", password_hash="x")
            return await make_house_link(landlord, house=await make_house(street))
        return run_db(client, make)

    ours, theirs = make_link(FUTIAN), make_link(YUEHAI)
    staff_of(client)
    text = (await client.get("/staff")).text
    assert f'href="/staff/house-links/{ours.id}"' in text
    assert f'href="/staff/house-links/{theirs.id}"' not in text


async def test_queue_pages_link_to_the_next_page(client: AsyncTestClient) -> None:
    for _ in range(21):
        pending_declaration(client)
    staff_of(client)
    first = await client.get("/staff")
    match = re.search(r'href="(/staff/declarations\?after=[^"]+)"', first.text)
    assert match, "no link to the next page"
    second = await client.get(html.unescape(match.group(1)))
    assert second.status_code == 200
    assert len(re.findall(r'href="/staff/declarations/\d+"', second.text)) == 1
    assert 'href="/staff/declarations"' in second.text  # back to the first page


async def test_a_garbled_cursor_shows_the_first_page(client: AsyncTestClient) -> None:
    declaration = pending_declaration(client)
    staff_of(client)
    for url in ("/staff/declarations?after=nonsense", "/staff/house-links?after=-1"):
        response = await client.get(url)
        assert response.status_code == 200, url
    assert number(declaration) in (await client.get("/staff/declarations?after=1.x.2")).text


async def test_queue_page_costs_a_fixed_number_of_queries(client: AsyncTestClient) -> None:
    for _ in range(3):
        pending_declaration(client)
    staff_of(client)
    with count_queries() as few:
        await client.get("/staff")
    for _ in range(10):
        pending_declaration(client)
    with count_queries() as many:
        await client.get("/staff")
    assert many.count == few.count, many


async def test_staff_without_a_point_see_an_explanation_and_find_nothing(client: AsyncTestClient) -> None:
    declaration = pending_declaration(client)
    sign_in_as(client, "staff")
    response = await client.get("/staff")
    assert response.status_code == 200
    assert "不属于任何受理点" in response.text
    assert (await client.get(f"/staff/declarations/{declaration.id}")).status_code == 404
    assert (await client.get("/staff/declarations", follow_redirects=False)).headers["location"] == "/staff"


async def test_staff_home_links_to_the_queue(client: AsyncTestClient) -> None:
    staff_of(client)
    response = await client.get("/me")
    assert 'href="/staff"' in response.text


# --- one declaration ----------------------------------------------------------------------------


async def test_declaration_page_shows_the_details_with_masked_id_numbers(client: AsyncTestClient) -> None:
    tenant = run_db(client, lambda: make_person("王一"))
    declaration = pending_declaration(client, people=[tenant], is_late=True)
    staff_of(client)
    response = await client.get(f"/staff/declarations/{declaration.id}")
    assert response.status_code == 200
    assert page_heading(response) == f"申报 {number(declaration)}"
    assert tenant.id_number not in response.text
    assert tenant.id_number[:4] + "*" * 10 + tenant.id_number[-4:] in response.text
    assert "逾期申报" in response.text
    assert 'action="/staff/declarations/%d/approve"' % declaration.id in response.text
    assert 'name="_csrf_token"' in response.text


async def test_declaration_page_shows_the_declared_hukou_address_beside_the_one_on_record(
    client: AsyncTestClient,
) -> None:
    tenant = run_db(client, lambda: make_person("王一", hukou_address="湖南省岳阳市旧地址"))
    declaration = pending_declaration(client, people=[tenant], hukou_address="湖南省长沙市芙蓉区新地址")
    staff_of(client)
    text = (await client.get(f"/staff/declarations/{declaration.id}")).text
    assert "湖南省长沙市芙蓉区新地址" in text
    assert "已登记的户籍地址" in text and "湖南省岳阳市旧地址" in text


async def test_another_points_declaration_does_not_exist_for_staff(client: AsyncTestClient) -> None:
    theirs = pending_declaration(client, YUEHAI)
    staff_of(client)
    assert (await client.get(f"/staff/declarations/{theirs.id}")).status_code == 404
    approve = await post_form(client, f"/staff/declarations/{theirs.id}/approve")
    reject = await post_form(client, f"/staff/declarations/{theirs.id}/reject", {"reason_code": "address"})
    assert (approve.status_code, reject.status_code) == (404, 404)
    assert reload(client, ResidenceDeclaration, theirs).status == DeclarationStatus.PENDING


async def test_approving_registers_the_people_and_returns_to_the_queue(client: AsyncTestClient) -> None:
    tenant = run_db(client, lambda: make_person("王一"))
    tenant_account = run_db(client, lambda: create_account("resident", password_hash="x", person_id=tenant.id))
    declaration = pending_declaration(client, people=[tenant])
    staff = staff_of(client)
    response = await post_form(client, f"/staff/declarations/{declaration.id}/approve")
    assert (response.status_code, response.headers["location"]) == (303, "/staff")
    stored = reload(client, ResidenceDeclaration, declaration)
    assert (stored.status, stored.reviewed_by_id) == (DeclarationStatus.REGISTERED, staff.id)
    registration = run_db(client, lambda: Registration.get(person_id=tenant.id))
    assert (registration.start_date, registration.end_date) == (MOVE_IN, None)
    queue = await client.get("/staff")
    assert f"申报 {number(declaration)} 已通过" in html.unescape(queue.text)
    assert number(declaration) not in queue.text.split("</h1>", 1)[1].split("notification")[-1]
    assert run_db(client, lambda: SystemMessage.filter(account_id=tenant_account.id).count()) == 1
    # The notice is shown once.
    assert "已通过" not in (await client.get("/staff")).text


async def test_approving_twice_says_it_was_already_reviewed(client: AsyncTestClient) -> None:
    declaration = pending_declaration(client)
    staff_of(client)
    await post_form(client, f"/staff/declarations/{declaration.id}/approve")
    again = await post_form(client, f"/staff/declarations/{declaration.id}/approve")
    assert again.status_code == 409
    assert "已经审核" in error_at(again, "decision")
    assert page_title(again).startswith("错误：")


async def test_approving_someone_registered_elsewhere_is_refused_with_a_message(client: AsyncTestClient) -> None:
    tenant = run_db(client, lambda: make_person("王一"))
    run_db(client, lambda: make_registration(tenant, start=date(2025, 1, 1)))
    declaration = pending_declaration(client, people=[tenant])
    staff_of(client)
    response = await post_form(client, f"/staff/declarations/{declaration.id}/approve")
    assert response.status_code == 409
    assert "已在其他地址登记" in error_at(response, "decision")
    assert reload(client, ResidenceDeclaration, declaration).status == DeclarationStatus.PENDING


async def test_approving_a_move_out_ends_the_registration_on_its_date(client: AsyncTestClient) -> None:
    tenant = run_db(client, lambda: make_person("王一"))
    house = run_db(client, lambda: make_house(FUTIAN))
    registration = run_db(client, lambda: make_registration(tenant, house=house, start=date(2025, 6, 1)))

    async def move_out() -> ResidenceDeclaration:
        landlord = await create_account("resident", password_hash="x")
        return await make_declaration(landlord, house=house, people=[tenant], kind=DeclarationKind.MOVE_OUT,
                                      event_date=date(2026, 2, 28))

    declaration = run_db(client, move_out)
    staff_of(client)
    response = await post_form(client, f"/staff/declarations/{declaration.id}/approve")
    assert response.status_code == 303
    assert reload(client, Registration, registration).end_date == date(2026, 2, 28)


async def test_rejecting_needs_a_reason_beside_the_field_and_keeps_what_was_typed(client: AsyncTestClient) -> None:
    declaration = pending_declaration(client)
    staff_of(client)
    nothing = await post_form(client, f"/staff/declarations/{declaration.id}/reject", {"reason_detail": "  "})
    assert nothing.status_code == 400
    assert error_at(nothing, "reason_code") == "请选择或填写不通过的原因"
    assert page_title(nothing).startswith("错误：")
    assert 'href="#reason_code"' in nothing.text

    other = await post_form(client, f"/staff/declarations/{declaration.id}/reject", {"reason_code": "other"})
    assert other.status_code == 400
    assert error_at(other, "reason_detail") == "请填写不通过的原因"
    assert re.search(r'value="other"\s+checked', other.text)

    long = await post_form(client, f"/staff/declarations/{declaration.id}/reject",
                           {"reason_code": "address", "reason_detail": "长" * 600})
    assert long.status_code == 400
    assert "长" * 600 in long.text  # nothing typed is lost
    assert reload(client, ResidenceDeclaration, declaration).status == DeclarationStatus.PENDING


async def test_rejecting_with_a_reason_stores_it_and_tells_the_declarant(client: AsyncTestClient) -> None:
    declaration = pending_declaration(client)
    staff_of(client)
    response = await post_form(client, f"/staff/declarations/{declaration.id}/reject",
                               {"reason_code": "address", "reason_detail": "门牌号不符"})
    assert (response.status_code, response.headers["location"]) == (303, "/staff")
    stored = reload(client, ResidenceDeclaration, declaration)
    assert (stored.status, stored.reason) == (DeclarationStatus.REJECTED, "房屋地址与实际不符：门牌号不符")
    messages = run_db(client, lambda: SystemMessage.filter(account_id=declaration.declarant_id).all())
    assert any("房屋地址与实际不符：门牌号不符" in message.body for message in messages)
    # The reviewed declaration still opens, with its outcome and no actions.
    page = await client.get(f"/staff/declarations/{declaration.id}")
    assert "房屋地址与实际不符：门牌号不符" in page.text and "/reject" not in page.text


async def test_actions_need_the_csrf_token(client: AsyncTestClient) -> None:
    declaration = pending_declaration(client)
    staff_of(client)
    response = await client.post(f"/staff/declarations/{declaration.id}/approve", data={})
    assert response.status_code == 403
    assert reload(client, ResidenceDeclaration, declaration).status == DeclarationStatus.PENDING


async def test_english_pages(client: AsyncTestClient) -> None:
    declaration = pending_declaration(client, is_late=True)
    staff_of(client)
    response = await client.get(f"/staff/declarations/{declaration.id}?lang=en")
    assert page_heading(response) == f"Declaration {number(declaration)}"
    assert "Late declaration" in response.text


# --- house links --------------------------------------------------------------------------------


def pending_link(client: AsyncTestClient, street: str = FUTIAN) -> HouseLink:
    async def make() -> HouseLink:
        landlord = await create_account("resident", password_hash="x", person_id=(await make_person("赵房东")).id)
        return await make_house_link(landlord, house=await make_house(street))

    return run_db(client, make)


async def test_approving_a_house_link(client: AsyncTestClient) -> None:
    link = pending_link(client)
    staff_of(client)
    page = await client.get(f"/staff/house-links/{link.id}")
    assert page.status_code == 200 and "赵房东" in page.text
    response = await post_form(client, f"/staff/house-links/{link.id}/approve")
    assert (response.status_code, response.headers["location"]) == (303, "/staff")
    assert reload(client, HouseLink, link).status == Review.APPROVED
    assert "已通过" in (await client.get("/staff")).text


async def test_rejecting_a_house_link_needs_a_reason(client: AsyncTestClient) -> None:
    link = pending_link(client)
    staff_of(client)
    missing = await post_form(client, f"/staff/house-links/{link.id}/reject", {})
    assert missing.status_code == 400 and error_at(missing, "reason_code")
    done = await post_form(client, f"/staff/house-links/{link.id}/reject", {"reason_code": "documents"})
    assert done.status_code == 303
    stored = reload(client, HouseLink, link)
    assert (stored.status, stored.reason) == (Review.REJECTED, "请携带房产证明材料到受理点核实")


async def test_another_points_house_link_does_not_exist_for_staff(client: AsyncTestClient) -> None:
    theirs = pending_link(client, YUEHAI)
    staff_of(client)
    assert (await client.get(f"/staff/house-links/{theirs.id}")).status_code == 404
    assert (await post_form(client, f"/staff/house-links/{theirs.id}/approve")).status_code == 404
    assert (await post_form(client, f"/staff/house-links/{theirs.id}/reject",
                            {"reason_code": "documents"})).status_code == 404
    assert reload(client, HouseLink, theirs).status == Review.PENDING
