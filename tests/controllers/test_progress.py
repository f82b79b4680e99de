"""办证进度查询 (/progress) and the receipt check (/verify) over HTTP: status only, never personal data."""

from __future__ import annotations

import html
import re
from datetime import date

from httpx import Response
from litestar.testing import AsyncTestClient

from tests.housing import YUEHAI, make_person, point_of
from tests.permits import a_submitted_application
from tests.support import error_at, page_heading, post_form, run_db, sign_in_as
from web.models import PermitApplication
from web.services import progress
from web.services.receipts import sign_token

URL = "/progress"
TODAY = date(2026, 3, 18)


def an_application(client: AsyncTestClient, name: str = "李明") -> PermitApplication:
    async def make() -> PermitApplication:
        return await a_submitted_application(await make_person(name), await point_of(YUEHAI))

    run_db(client, lambda: client.app.state.clock.set_today(TODAY))
    return run_db(client, make)


def main_text(response: Response) -> str:
    main = response.text.split("<main", 1)[1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def secret_key(client: AsyncTestClient) -> str:
    return client.app.state.settings.secret_key


async def test_the_query_page_has_two_post_forms(client: AsyncTestClient) -> None:
    response = await client.get(URL)
    assert response.status_code == 200
    assert page_heading(response) == "查询办证进度"
    assert len(re.findall(r'<form method="post" action="/progress"', response.text)) == 2
    for field in ("acceptance_number", "name", "id_number"):
        assert re.search(rf'<label class="label" for="{field}">', response.text), field


async def test_by_acceptance_number_answers_state_point_and_date_only(client: AsyncTestClient) -> None:
    application = an_application(client)
    point = run_db(client, lambda: point_of(YUEHAI))
    response = await post_form(client, URL, {"by": "number", "acceptance_number": application.acceptance_number})
    assert response.status_code == 200
    text = main_text(response)
    assert "办理状态：已提交" in text
    assert point.name in text
    assert "2026年4月9日（按今日受理预估）" in text
    for personal in ("李明", application.id_number, application.residence_address, application.mobile,
                     application.hukou_address, point.address):
        assert personal not in response.text, personal


async def test_by_acceptance_number_typed_loosely(client: AsyncTestClient) -> None:
    application = an_application(client)
    typed = " " + (application.acceptance_number or "").lower() + " "
    response = await post_form(client, URL, {"by": "number", "acceptance_number": typed})
    assert "办理状态：已提交" in main_text(response)


async def test_an_unknown_number_finds_nothing(client: AsyncTestClient) -> None:
    an_application(client)
    response = await post_form(client, URL, {"by": "number", "acceptance_number": "SZ20990101000001"})
    assert response.status_code == 200
    assert "未查询到申请" in main_text(response)


async def test_by_name_and_id_number(client: AsyncTestClient) -> None:
    application = an_application(client)
    response = await post_form(client, URL, {"by": "person", "name": "李明", "id_number": application.id_number})
    assert response.status_code == 200
    text = main_text(response)
    assert "办理状态：已提交" in text
    assert application.acceptance_number not in text  # not even the number: only the state
    assert f'value="{application.id_number}"' in response.text  # what was typed stays in the form


async def test_a_wrong_name_gets_the_same_answer_as_an_unknown_person(client: AsyncTestClient) -> None:
    application = an_application(client)
    stranger = run_db(client, lambda: make_person("王芳"))
    wrong_name = await post_form(client, URL, {"by": "person", "name": "李四", "id_number": application.id_number})
    nobody = await post_form(client, URL, {"by": "person", "name": "王芳", "id_number": stranger.id_number})
    for response in (wrong_name, nobody):
        assert response.status_code == 200
        assert "未查询到申请" in main_text(response)
        assert "办理状态" not in main_text(response)


async def test_bad_input_gets_messages_beside_the_fields(client: AsyncTestClient) -> None:
    empty = await post_form(client, URL, {"by": "number", "acceptance_number": ""})
    assert empty.status_code == 400
    assert error_at(empty, "acceptance_number") == "请输入回执上的受理编号"
    assert "<title>错误：" in empty.text
    wrong = await post_form(client, URL, {"by": "number", "acceptance_number": "SZ123"})
    assert "SZ加14位数字" in error_at(wrong, "acceptance_number")
    person = await post_form(client, URL, {"by": "person", "name": "", "id_number": "430102199003070011"})
    assert person.status_code == 400
    assert error_at(person, "name") == "请输入证件上的姓名"
    assert error_at(person, "id_number")
    assert 'value="430102199003070011"' in person.text
    assert '<a href="#name">' in person.text  # the error summary links to the field


async def test_queries_are_limited_per_network_with_a_clear_message(client: AsyncTestClient) -> None:
    application = an_application(client)
    form = {"by": "number", "acceptance_number": application.acceptance_number}
    for _ in range(progress.QUERIES_PER_IP):
        assert (await post_form(client, URL, form)).status_code == 200
    refused = await post_form(client, URL, form)
    assert refused.status_code == 429
    assert re.search(r"查询次数过多，请于\d\d:\d\d后再试", refused.text)
    assert "办理状态" not in main_text(refused)


async def test_the_query_needs_the_csrf_token(client: AsyncTestClient) -> None:
    response = await client.post(URL, data={"by": "number", "acceptance_number": "SZ20260316000001"})
    assert response.status_code == 403


# --- /verify/{token}: the receipt's QR code ---------------------------------------------------------


async def test_a_genuine_receipt_shows_number_masked_name_state_and_point(client: AsyncTestClient) -> None:
    application = an_application(client, "李明")
    point = run_db(client, lambda: point_of(YUEHAI))
    token = sign_token(application.id, application.acceptance_number or "", secret_key=secret_key(client))
    response = await client.get(f"/verify/{token}")
    assert response.status_code == 200
    assert page_heading(response) == "回执真实有效"
    text = main_text(response)
    for expected in (application.acceptance_number, "李*", "已提交", point.name):
        assert expected in text, expected
    assert "李明" not in text and application.id_number not in response.text


async def test_a_tampered_receipt_is_not_genuine(client: AsyncTestClient) -> None:
    application = an_application(client)
    token = sign_token(application.id, application.acceptance_number or "", secret_key=secret_key(client))
    payload, mac = token.split(".")
    other = sign_token(application.id + 1, application.acceptance_number or "", secret_key="another" * 8)
    for forged in (f"{payload}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BB'}", other, "nonsense"):
        response = await client.get(f"/verify/{forged}")
        assert response.status_code == 404, forged
        assert page_heading(response) == "回执无效"
        assert application.acceptance_number not in response.text


async def test_the_receipt_pdf_link_verifies(client: AsyncTestClient) -> None:
    # The URL in the PDF's QR code is the one this page answers (the QR itself: tests/services/test_receipts.py).
    application = an_application(client)
    sign_in_as(client, "resident", person_id=application.person_id)  # type: ignore[attr-defined]
    page = await client.get(f"/me/applications/{application.id}/receipt")
    url = re.search(r"http://testserver\.local(/verify/[A-Za-z0-9_.-]+)", page.text)
    assert url, "no verify URL on the receipt page"
    assert (await client.get(url.group(1))).status_code == 200
