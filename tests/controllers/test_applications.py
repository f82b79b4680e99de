"""我的申请 over HTTP: the list, an application's progress and confirmation, its receipt and PDF."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pypdf
from litestar.testing import AsyncTestClient

from tests.housing import YUEHAI, make_person, point_of
from tests.permits import a_submitted_application, an_event
from tests.support import page_heading, run_db, sign_in_as
from web.models import ApplicationState, PermitApplication, Person

S = ApplicationState
TODAY = date(2026, 3, 18)


def resident(client: AsyncTestClient, name: str = "李明") -> Person:
    person = run_db(client, lambda: make_person(name))
    sign_in_as(client, "resident", platform="permit", person_id=person.id)
    return person


def set_today(client: AsyncTestClient, day: date) -> None:
    run_db(client, lambda: client.app.state.clock.set_today(day))


def submitted(client: AsyncTestClient, person: Person, **values: object) -> PermitApplication:
    async def make() -> PermitApplication:
        return await a_submitted_application(person, await point_of(YUEHAI), **values)

    return run_db(client, make)


def text_of(html: str) -> str:
    main = html.split("<main", 1)[1]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


async def test_my_applications_lists_number_kind_state_and_links(client: AsyncTestClient) -> None:
    person = resident(client)
    application = submitted(client, person)
    response = await client.get("/me/applications")
    assert response.status_code == 200
    assert page_heading(response) == "我的申请"
    text = text_of(response.text)
    assert application.acceptance_number in text
    assert "首次申领" in text and "已提交" in text
    assert f'href="/me/applications/{application.id}"' in response.text
    assert f'href="/me/applications/{application.id}/receipt"' in response.text
    assert "<caption" in response.text


async def test_without_applications_the_list_says_so(client: AsyncTestClient) -> None:
    resident(client)
    submitted(client, run_db(client, lambda: make_person("王芳")))  # someone else's
    response = await client.get("/me/applications")
    assert "您还没有申请居住证" in response.text
    assert "/me/applications/" not in response.text.split("<main", 1)[1].replace('href="/me"', "")


async def test_the_application_shows_its_timeline_and_expected_date(client: AsyncTestClient) -> None:
    set_today(client, TODAY)
    person = resident(client)
    application = submitted(client, person, state=S.UNDER_REVIEW,
                            accepted_at=datetime(2026, 3, 17, 1, tzinfo=UTC))

    async def events() -> None:
        await an_event(application, S.SUBMITTED, S.ACCEPTED, at=datetime(2026, 3, 17, 1, tzinfo=UTC))
        await an_event(application, S.ACCEPTED, S.UNDER_REVIEW, at=datetime(2026, 3, 17, 6, tzinfo=UTC))

    run_db(client, events)
    response = await client.get(f"/me/applications/{application.id}")
    assert response.status_code == 200
    assert page_heading(response) == f"申请{application.acceptance_number}"
    text = text_of(response.text)
    assert "申请已提交" not in text  # no confirmation panel without ?submitted=1
    assert "2026年4月8日" in text  # 15 working days after Tuesday 17 March (over Qingming)
    steps = re.findall(r'<li class="timeline__step timeline__step--(\w+)', response.text)
    assert steps == ["done", "done", "current", "upcoming", "upcoming", "upcoming", "upcoming"]
    assert 'aria-current="step"' in response.text
    assert "2026年3月17日 14:00:00" in text  # under review since, Shenzhen time
    assert "待缴费" not in text  # a free application never waits for payment


async def test_a_rejected_application_shows_the_reason(client: AsyncTestClient) -> None:
    person = resident(client)
    application = submitted(client, person, state=S.REJECTED)
    run_db(client, lambda: an_event(application, S.SUBMITTED, S.REJECTED, at=datetime(2026, 3, 17, tzinfo=UTC),
                                    reason="所选办理条件与社保记录不符"))
    text = text_of((await client.get(f"/me/applications/{application.id}")).text)
    assert "审核不通过" in text
    assert "原因：所选办理条件与社保记录不符" in text
    assert "不适用" in text  # no expected date any more


async def test_right_after_submitting_a_confirmation_panel_comes_first(client: AsyncTestClient) -> None:
    set_today(client, TODAY)
    person = resident(client)
    application = submitted(client, person)
    response = await client.get(f"/me/applications/{application.id}?submitted=1")
    assert response.status_code == 200
    assert page_heading(response) == "申请已提交"
    panel = response.text.split('class="panel"', 1)[1].split("</div>\n", 2)
    assert application.acceptance_number in "".join(panel[:2])
    text = text_of(response.text)
    assert "您的受理编号" in text
    assert "居民身份证和回执" in text
    point = run_db(client, lambda: point_of(YUEHAI))
    assert point.name in text and point.address in text
    assert "15个工作日" in text
    assert "首次申领免费" in text
    assert f'href="/me/applications/{application.id}/receipt"' in response.text
    assert f'href="/me/applications/{application.id}/receipt.pdf"' in response.text
    assert "2026年4月9日" in text  # the estimate if accepted today (Wednesday 18 March)


async def test_the_receipt_page_prints_without_inline_script(client: AsyncTestClient) -> None:
    person = resident(client)
    application = submitted(client, person)
    point = run_db(client, lambda: point_of(YUEHAI))
    response = await client.get(f"/me/applications/{application.id}/receipt")
    assert response.status_code == 200
    text = text_of(response.text)
    for expected in ("李明", application.acceptance_number, person.id_number[:4] + "**********", point.name,
                     point.address, "首次申领", "2026年3月16日", "居民身份证和本回执", "15个工作日"):
        assert expected in text, expected
    assert person.id_number not in response.text  # masked
    assert 'data-action="print"' in response.text and "onclick" not in response.text
    assert "<script>" not in response.text
    assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="receipt-qr-caption"', response.text)


async def test_the_receipt_pdf_downloads_with_the_acceptance_number(client: AsyncTestClient) -> None:
    person = resident(client)
    application = submitted(client, person)
    response = await client.get(f"/me/applications/{application.id}/receipt.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="receipt-{application.acceptance_number}.pdf"')
    text = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert application.acceptance_number in text and "李明" in text
    assert "http://testserver.local/verify/" in text.replace("\n", "")


async def test_someone_elses_application_is_not_found(client: AsyncTestClient) -> None:
    other = submitted(client, run_db(client, lambda: make_person("王芳")))
    resident(client)
    for url in (f"/me/applications/{other.id}", f"/me/applications/{other.id}?submitted=1",
                f"/me/applications/{other.id}/receipt", f"/me/applications/{other.id}/receipt.pdf"):
        response = await client.get(url)
        assert response.status_code == 404, url
        assert "王芳" not in response.text


async def test_a_resident_without_a_person_has_no_applications(client: AsyncTestClient) -> None:
    sign_in_as(client, "resident")
    response = await client.get("/me/applications")
    assert response.status_code == 200
    assert "您还没有申请居住证" in response.text


async def test_english_application_page(client: AsyncTestClient) -> None:
    person = resident(client)
    application = submitted(client, person)
    await client.get("/?lang=en")
    response = await client.get(f"/me/applications/{application.id}?submitted=1")
    assert page_heading(response) == "Application submitted"
    assert "First application" in response.text
