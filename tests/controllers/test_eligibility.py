"""办证资格查询 over HTTP: what a resident sees for each condition, and what it costs."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from litestar.testing import AsyncTestClient

from tests.housing import make_person, make_registration
from tests.support import QueryCounter, page_heading, run_db, sign_in_as
from web.models import Account, InsuranceMonth
from web.services.dates import add_months

TODAY = date(2026, 3, 15)
URL = "/permit/eligibility"


@pytest.fixture(autouse=True)
def fixed_today(client: AsyncTestClient) -> None:
    run_db(client, client.app.state.clock.set_today, TODAY)


def resident(client: AsyncTestClient, *, registered_months: int | None, insurance_months: int) -> Account:
    """A signed-in resident registered for `registered_months` (None: never) with insurance paid
    for the `insurance_months` calendar months up to last month, like the seeded demo resident."""

    async def create() -> int:
        person = await make_person("李明")
        if registered_months is not None:
            await make_registration(person, start=add_months(TODAY, -registered_months))
        this_month = TODAY.replace(day=1)
        await InsuranceMonth.bulk_create([
            InsuranceMonth(id_number=person.id_number, month=add_months(this_month, -n))
            for n in range(1, insurance_months + 1)
        ])  # fmt: skip
        return person.id

    return sign_in_as(client, "resident", person_id=run_db(client, create))


def text(body: str) -> str:
    """The page as a reader sees it: no tags, one space between words."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def section(body: str, heading_id: str) -> str:
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', body, re.S)
    assert match, f"no section {heading_id}"
    return text(match.group(0))


async def test_the_demo_resident_qualifies_and_is_offered_to_apply(client: AsyncTestClient) -> None:
    resident(client, registered_months=13, insurance_months=12)

    response = await client.get(URL)

    assert response.status_code == 200 and page_heading(response) == "办证资格查询"
    page = text(response.text)
    assert "您符合居住证申领条件" in page
    assert "自 2025年2月15日 起连续13个整月" in page
    main = section(response.text, "condition-residence_and_insurance")
    assert "稳定居所和稳定就业" in main and "已符合" in main and "尚缺条件" not in main
    assert re.search(r'<a href="/apply" class="button[^"]*"[^>]*>\s*立即办理', response.text)


async def test_eleven_months_shows_what_is_missing_and_the_day(client: AsyncTestClient) -> None:
    resident(client, registered_months=11, insurance_months=12)

    response = await client.get(URL)

    main = section(response.text, "condition-residence_and_insurance")
    assert "尚未符合" in main
    assert "连续居住登记满12个月：您目前为11个整月。" in main
    assert "社会保险" not in main.split("尚缺条件")[1].split("您将于")[0]  # insurance is not missing
    assert "您将于 2026年4月15日 起符合此条件" in main
    assert '<time datetime="2026-04-15">' in response.text
    # Talent and students need only the current registration: applying stays open, with a warning.
    assert "目前仅可按人才引进或全日制就读条件申领" in text(response.text)
    assert "已符合" in section(response.text, "condition-talent")
    assert 'href="/apply"' in response.text


async def test_missing_insurance_months_are_counted_for_the_resident(client: AsyncTestClient) -> None:
    resident(client, registered_months=24, insurance_months=10)

    response = await client.get(URL)

    main = section(response.text, "condition-residence_and_insurance")
    assert "连续缴纳社会保险满12个月（您目前为10个整月）" in main
    assert "最近24个月内累计缴纳满18个月（您目前为10个整月）" in main
    assert "您将于 2026年5月1日 起符合此条件" in main


async def test_without_a_registration_nothing_is_met_and_registration_is_linked(client: AsyncTestClient) -> None:
    resident(client, registered_months=None, insurance_months=12)

    response = await client.get(URL)

    assert response.status_code == 200
    assert "您暂不符合申领条件" in text(response.text)
    assert 'href="/registration"' in response.text
    assert "有效的居住登记" in section(response.text, "condition-student")
    assert 'href="/apply"' not in response.text


async def test_an_account_without_a_person_is_told_why(client: AsyncTestClient) -> None:
    sign_in_as(client, "resident")

    response = await client.get(URL)

    assert response.status_code == 200
    assert "您的账号尚未关联身份证件" in text(response.text)
    assert 'href="/registration"' in response.text and 'href="/apply"' not in response.text


async def test_the_page_in_english(client: AsyncTestClient) -> None:
    resident(client, registered_months=13, insurance_months=12)

    response = await client.get(URL, params={"lang": "en"})

    assert page_heading(response) == "Residence permit eligibility"
    assert "You can apply for a residence permit" in text(response.text)
    assert "13 whole months without a break, since 15 February 2025" in text(response.text)


async def test_the_page_runs_a_few_queries(client: AsyncTestClient, count_queries: QueryCounter) -> None:
    resident(client, registered_months=13, insurance_months=12)

    with count_queries() as queries:
        response = await client.get(URL)

    assert response.status_code == 200
    # account and unread messages (the guard), the person, registrations, insurance months
    assert queries.count <= 5, queries
