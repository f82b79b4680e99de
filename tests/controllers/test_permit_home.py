"""我的居住证 (/me on the permit platform): eligibility, 立即办理, the newest application, the card."""

from __future__ import annotations

from datetime import date

from litestar.testing import AsyncTestClient

from tests.housing import make_person
from tests.permits import a_submitted_application
from tests.support import QueryCounter, run_db, sign_in_as
from web.models import ApplicationState, Permit, Person


def resident(client: AsyncTestClient) -> Person:
    person = run_db(client, lambda: make_person("李明"))
    sign_in_as(client, "resident", platform="permit", person_id=person.id)
    return person


async def test_a_resident_without_applications_is_offered_the_eligibility_query_and_to_apply(
    client: AsyncTestClient,
) -> None:
    resident(client)
    page = await client.get("/me")
    assert page.status_code == 200
    assert 'href="/permit/eligibility"' in page.text and 'href="/apply"' in page.text
    assert "立即办理" in page.text and "您还没有提交过申请" in page.text


async def test_an_open_application_shows_its_number_and_state_and_no_second_apply(client: AsyncTestClient) -> None:
    person = resident(client)
    application = run_db(client, lambda: a_submitted_application(person, state=ApplicationState.ACCEPTED))
    page = await client.get("/me")
    assert application.acceptance_number in page.text and "已受理" in page.text
    assert f'href="/me/applications/{application.id}"' in page.text
    assert 'href="/apply"' not in page.text and "正在办理的申请" in page.text


async def test_a_rejected_application_lets_the_resident_apply_again(client: AsyncTestClient) -> None:
    person = resident(client)
    run_db(client, lambda: a_submitted_application(person, state=ApplicationState.REJECTED))
    page = await client.get("/me")
    assert "审核不通过" in page.text and 'href="/apply"' in page.text


async def test_a_holder_sees_the_card_and_its_endorsement_facts(client: AsyncTestClient) -> None:
    person = resident(client)

    async def a_permit() -> Permit:
        permit = Permit(number="440300202600001", person=person, issued_on=date(2025, 12, 1), anchor_date=date(2025, 12, 1))
        await permit.save()
        return permit

    run_db(client, a_permit)
    page = await client.get("/me")
    assert "440300202600001" in page.text and "正常" in page.text
    assert 'href="/apply"' not in page.text and "您已持有居住证" in page.text


async def test_the_home_costs_a_fixed_number_of_queries(client: AsyncTestClient, count_queries: QueryCounter) -> None:
    person = resident(client)
    with count_queries() as none:
        await client.get("/me")
    run_db(client, lambda: a_submitted_application(person, state=ApplicationState.REJECTED))
    run_db(client, lambda: a_submitted_application(person))
    with count_queries() as two:
        await client.get("/me")
    assert none.count == two.count <= 6, two
