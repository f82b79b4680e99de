"""我的居住登记 over HTTP: /me on the registration platform, and the printable receipt."""

from __future__ import annotations

import re
from datetime import date

from litestar.testing import AsyncTestClient

from tests.housing import YUEHAI, make_declaration, make_house, make_person, make_registration
from tests.support import create_account, page_heading, run_db, sign_in_as
from web.models import DeclarationStatus, Person

TODAY = date(2026, 3, 15)


def resident(client: AsyncTestClient, name: str = "李明", platform: str = "registration") -> Person:
    person = run_db(client, lambda: make_person(name))
    sign_in_as(client, "resident", platform=platform, person_id=person.id)
    return person


def set_today(client: AsyncTestClient, day: date) -> None:
    run_db(client, lambda: client.app.state.clock.set_today(day))


async def test_my_registration_shows_the_current_one_its_months_and_when_12_are_reached(
    client: AsyncTestClient,
) -> None:
    set_today(client, TODAY)
    person = resident(client)
    house = run_db(client, lambda: make_house(YUEHAI))
    registration = run_db(client, lambda: make_registration(person, house=house, start=date(2025, 6, 1)))
    response = await client.get("/me")
    assert response.status_code == 200
    assert page_heading(response) == "我的居住登记"
    text = response.text
    assert house.address in text
    assert "2025年6月1日" in text
    assert "9个整月" in text
    assert "2026年6月1日" in text  # the day 12 months are reached
    assert f'href="/me/registrations/{registration.id}/receipt"' in text


async def test_past_registrations_have_their_end_dates(client: AsyncTestClient) -> None:
    set_today(client, TODAY)
    person = resident(client)
    run_db(client, lambda: make_registration(person, start=date(2024, 1, 1), end=date(2025, 12, 31)))
    response = await client.get("/me")
    assert "2025年12月31日" in response.text
    assert "没有进行中的居住登记" in response.text  # no months counting


async def test_a_declaration_about_me_that_was_rejected_shows_its_reason(client: AsyncTestClient) -> None:
    person = resident(client)

    async def rejected() -> None:
        landlord = await create_account("resident", password_hash="x")
        await make_declaration(landlord, people=[person], status=DeclarationStatus.REJECTED, reason="房屋地址与实际不符")

    run_db(client, rejected)
    response = await client.get("/me")
    assert "房屋地址与实际不符" in response.text
    assert "审核不通过" in response.text


async def test_the_permit_platform_home_does_not_show_registrations(client: AsyncTestClient) -> None:
    person = resident(client, platform="permit")
    run_db(client, lambda: make_registration(person, start=date(2025, 6, 1)))
    response = await client.get("/me")
    assert page_heading(response) == "我的居住证"
    assert "/receipt" not in response.text


async def test_receipt_of_my_registration_prints(client: AsyncTestClient) -> None:
    person = resident(client)
    house = run_db(client, lambda: make_house(YUEHAI))
    registration = run_db(client, lambda: make_registration(person, house=house, start=date(2025, 6, 1)))
    response = await client.get(f"/me/registrations/{registration.id}/receipt")
    assert response.status_code == 200
    assert page_heading(response) == "居住登记回执"
    assert house.address in response.text and "李明" in response.text
    assert f"{YUEHAI}{registration.id:08d}" in response.text
    assert person.id_number not in response.text  # masked
    assert re.search(r'<button[^>]*data-action="print"', response.text)
    assert "粤海街道居住证受理点" in response.text


async def test_someone_elses_receipt_is_not_found(client: AsyncTestClient) -> None:
    other = run_db(client, lambda: make_person("别人"))
    theirs = run_db(client, lambda: make_registration(other, start=date(2025, 6, 1)))
    resident(client)
    assert (await client.get(f"/me/registrations/{theirs.id}/receipt")).status_code == 404
    assert (await client.get("/me/registrations/999999/receipt")).status_code == 404


async def test_a_resident_without_a_person_has_a_home_and_no_receipts(client: AsyncTestClient) -> None:
    other = run_db(client, lambda: make_person("别人"))
    theirs = run_db(client, lambda: make_registration(other, start=date(2025, 6, 1)))
    sign_in_as(client, "resident", platform="registration")
    assert (await client.get("/me")).status_code == 200
    assert (await client.get(f"/me/registrations/{theirs.id}/receipt")).status_code == 404


async def test_english_receipt(client: AsyncTestClient) -> None:
    person = resident(client)
    registration = run_db(client, lambda: make_registration(person, start=date(2025, 6, 1)))
    response = await client.get(f"/me/registrations/{registration.id}/receipt?lang=en")
    assert page_heading(response) == "Residence registration receipt"
    assert "1 June 2025" in response.text
