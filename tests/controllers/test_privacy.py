"""谁查看了我的信息 over HTTP: a resident sees which offices looked at or acted on their data."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

from httpx import Response
from litestar.testing import AsyncTestClient

from tests.support import create_account, page_heading, run_db, sign_in_as
from web.models import AcceptancePoint, Account, IdType, Person, Sex, Unit
from web.services import audit, counter
from web.services.identity import make_credit_code, make_id_number

FUTIAN = "440304004"
ID_NUMBER = make_id_number("430102", date(1992, 6, 15), 135)


def rows(response: Response) -> list[list[str]]:
    """The table's body rows, cell texts."""
    body = re.search(r"<tbody>(.*?)</tbody>", response.text, re.S)
    assert body, response.text[:3000]
    return [
        [" ".join(html.unescape(re.sub(r"<[^>]+>", "", cell)).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def resident(client: AsyncTestClient) -> tuple[Person, Account]:
    person = run_db(client, lambda: Person.create(id_type=IdType.RESIDENT_ID, id_number=ID_NUMBER, name="李明", sex=Sex.MALE))
    return person, sign_in_as(client, "resident", person_id=person.id)


async def officials() -> tuple[Account, Account, Account]:
    point = await AcceptancePoint.get(code=FUTIAN)
    unit = await Unit.create(name="深圳示范科技有限公司", credit_code=make_credit_code("91440300MA5TEXT01"),
                             address="深圳", contact_name="陈静", contact_phone="13912345678", point=point)
    staff = await create_account("staff", username="wang_counter", point_id=point.id, password_hash="x")
    agent = await create_account("unit_agent", username="shifan_hr", unit_id=unit.id, password_hash="x")
    admin = await create_account("admin", username="root_admin", password_hash="x")
    return staff, agent, admin


async def test_a_resident_sees_the_offices_that_handled_their_data_newest_first(client: AsyncTestClient) -> None:
    person, account = resident(client)

    async def record() -> None:
        staff, agent, admin = await officials()
        await audit.record(actor=agent, action="application.submit", target_type="application", target_id=1,
                           subject_id=person.id)
        await audit.record(actor=staff, action="account.real_name_lookup", target_type="person",
                           target_id=person.id, subject_id=person.id)
        await audit.record(actor=staff, action="application.accept", target_type="application", target_id=1,
                           subject_id=person.id)
        await audit.record(actor=admin, action="person.export", subject_id=person.id)
        # Not shown: the resident's own actions, and other people's data.
        await audit.record(actor=account, action="application.submit", subject_id=person.id)
        other = await Person.create(id_type=IdType.RESIDENT_ID, id_number=make_id_number("440304", date(1990, 1, 1), 2),
                                    name="王芳")
        await audit.record(actor=staff, action="application.accept", subject_id=other.id)

    run_db(client, record)
    response = await client.get("/account/views")
    assert response.status_code == 200
    assert page_heading(response) == "谁查看了我的信息"
    assert [row[1:] for row in rows(response)] == [
        ["管理员", "使用了您的个人信息"],
        ["福田街道居住证受理点工作人员", "受理了您的居住证申请"],
        ["福田街道居住证受理点工作人员", "在柜台按您的身份证号码查询了您的账号"],
        ["深圳示范科技有限公司经办人", "为您提交了居住证申请"],
    ]
    for username in ("wang_counter", "shifan_hr", "root_admin"):  # offices, never officials
        assert username not in response.text
    assert all(row[0].startswith("20") for row in rows(response))  # when, in Shenzhen time


async def test_authentication_at_the_counter_shows_in_the_residents_list(client: AsyncTestClient) -> None:
    person, account = resident(client)

    async def authenticate() -> None:
        staff, _, _ = await officials()
        today = date(2026, 3, 2)
        await counter.look_up(ID_NUMBER, staff=staff, today=today, ip="")
        result = await counter.authenticate(ID_NUMBER, account.id, {"checked_id_card": "1", "checked_mobile": "1"},
                                            staff=staff, now=datetime.now(UTC), today=today, ip="")
        assert result.done

    run_db(client, authenticate)
    listed = [row[1:] for row in rows(await client.get("/account/views"))]
    assert listed == [["福田街道居住证受理点工作人员", "为您的账号办理了实名认证"],
                      ["福田街道居住证受理点工作人员", "在柜台按您的身份证号码查询了您的账号"]]


async def test_nobody_has_looked_yet(client: AsyncTestClient) -> None:
    resident(client)
    response = await client.get("/account/views")
    assert "暂无查看记录" in response.text and "<table" not in response.text


async def test_a_resident_without_a_person_sees_an_empty_list(client: AsyncTestClient) -> None:
    sign_in_as(client, "resident")
    assert "暂无查看记录" in (await client.get("/account/views")).text


async def test_personal_information_links_to_the_list_for_residents_only(client: AsyncTestClient) -> None:
    resident(client)
    assert 'href="/account/views"' in (await client.get("/account")).text
    sign_in_as(client, "staff")
    assert 'href="/account/views"' not in (await client.get("/account")).text
