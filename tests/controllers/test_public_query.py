"""居住登记查询 over HTTP: yes or no without the address, messages beside fields, a limit per network."""

from __future__ import annotations

import re
from datetime import date

from httpx import Response
from litestar.testing import AsyncTestClient

from tests.housing import make_house, make_person, make_registration
from tests.support import error_at, page_heading, post_form, run_db
from web.models import Person
from web.services import my_registrations

URL = "/query/registration"


def registered_person(client: AsyncTestClient, name: str = "李明") -> tuple[Person, str]:
    """A person registered now at a house; returns the person and the house's address."""
    person = run_db(client, lambda: make_person(name))
    house = run_db(client, make_house)
    run_db(client, lambda: make_registration(person, house=house, start=date(2025, 6, 1)))
    return person, house.address


async def test_the_query_page_is_a_post_form(client: AsyncTestClient) -> None:
    response = await client.get(URL)
    assert response.status_code == 200
    assert page_heading(response) == "居住登记查询"
    assert re.search(r'<form method="post" action="/query/registration"', response.text)
    assert 'name="_csrf_token"' in response.text


async def test_a_registered_person_gets_yes_without_the_address(client: AsyncTestClient) -> None:
    person, address = registered_person(client)
    response = await post_form(client, URL, {"name": "李明", "id_type": "resident_id", "id_number": person.id_number})
    assert response.status_code == 200
    assert "是：目前已登记" in response.text
    assert address not in response.text
    assert "福田" not in response.text.split("<main", 1)[1]  # not even the street
    assert person.id_number in response.text  # what was typed stays in the form


async def test_a_wrong_name_or_an_unknown_number_gets_the_same_no(client: AsyncTestClient) -> None:
    person, _ = registered_person(client)
    unknown = run_db(client, lambda: make_person("王芳"))
    wrong_name = await post_form(client, URL, {"name": "李四", "id_type": "resident_id", "id_number": person.id_number})
    nobody = await post_form(client, URL, {"name": "王芳", "id_type": "resident_id", "id_number": unknown.id_number})
    for response in (wrong_name, nobody):
        assert response.status_code == 200
        assert "未查询到有效的居住登记" in response.text


async def test_bad_input_gets_messages_beside_the_fields_and_keeps_what_was_typed(client: AsyncTestClient) -> None:
    response = await post_form(client, URL, {"name": "", "id_type": "resident_id", "id_number": "430102199003070011"})
    assert response.status_code == 400
    assert error_at(response, "name") == "请输入证件上的姓名"
    assert "身份证号码" in error_at(response, "id_number")
    assert 'value="430102199003070011"' in response.text
    assert "<title>错误：" in response.text
    empty = await post_form(client, URL, {})
    assert empty.status_code == 400
    assert error_at(empty, "id_type") and error_at(empty, "id_number")


async def test_odd_input_never_fails(client: AsyncTestClient) -> None:
    for form in ({"name": "x" * 5000, "id_type": "passport", "id_number": "\x00"},
                 {"name": "李明", "id_type": ["passport", "other"], "id_number": "E1234567"}):  # type: ignore[dict-item]
        response = await post_form(client, URL, form)
        assert response.status_code in (200, 400), response.status_code


async def test_queries_are_limited_per_network_with_the_time_to_retry(client: AsyncTestClient) -> None:
    person, _ = registered_person(client)
    form = {"name": "李明", "id_type": "resident_id", "id_number": person.id_number}
    for _ in range(my_registrations.QUERIES_PER_IP):
        assert (await post_form(client, URL, form)).status_code == 200
    refused = await post_form(client, URL, form)
    assert refused.status_code == 429
    assert re.search(r"查询次数过多，请于\d\d:\d\d后再试", refused.text)
    assert "是：目前已登记" not in refused.text
    assert f'value="{person.id_number}"' in refused.text


async def test_the_query_needs_the_csrf_token(client: AsyncTestClient) -> None:
    response = await client.post(URL, data={"name": "李明", "id_type": "resident_id", "id_number": "x"})
    assert response.status_code == 403


async def test_english_query(client: AsyncTestClient) -> None:
    person, _ = registered_person(client)
    await client.get("/?lang=en")
    response = await post_form(client, URL, {"name": "李明", "id_type": "resident_id", "id_number": person.id_number})
    assert "Yes: currently registered" in response.text
