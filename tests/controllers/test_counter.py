"""The counter over HTTP, through the forms a browser sends: real-name authentication, opening a unit
account, and the agent setting a password with the texted code and signing in."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

from httpx import Response
from litestar.testing import AsyncTestClient

from tests.support import create_account, page_heading, page_title, post_form, run_db, sign_in_as
from web.models import (
    AcceptancePoint,
    Account,
    AuditEntry,
    IdType,
    Person,
    Sex,
    SmsCode,
    SmsOutbox,
    SystemMessage,
    Unit,
)
from web.services.identity import make_credit_code, make_id_number

FUTIAN = "440304004"  # 福田街道
NANYUAN = "440304001"
ID_NUMBER = make_id_number("430102", date(1992, 6, 15), 135)
CREDIT_CODE = make_credit_code("91440300MA5TEXT01")
REAL_NAME = "/staff/counter/real-name"
NEW_UNIT = "/staff/counter/units/new"
PASSWORD = "Harbour-lights-88"


# --- helpers ---------------------------------------------------------------------------------------


def error_at(response: Response, field: str) -> str:
    """The message beside a field, without its visually hidden "错误：" prefix."""
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</p>', response.text, re.S)
    assert match, f"no error message at {field}:\n{response.text[:3000]}"
    text = re.sub(r'<span class="visually-hidden">.*?</span>', "", match.group(1), count=1)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def value_of(response: Response, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', response.text)
    assert match, f"no input {name}"
    return html.unescape(match.group(1))


def text_of(response: Response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def staff(client: AsyncTestClient, code: str = FUTIAN) -> Account:
    point = run_db(client, lambda: AcceptancePoint.get(code=code))
    return sign_in_as(client, "staff", point_id=point.id)


def a_resident(client: AsyncTestClient, **fields: object) -> tuple[Person, Account]:
    async def make() -> tuple[Person, Account]:
        person = await Person.create(id_type=IdType.RESIDENT_ID, id_number=ID_NUMBER, name="李明", sex=Sex.MALE)
        account = await create_account("resident", username="li_ming", person_id=person.id, mobile="13800001234",
                                       password_hash="x", **fields)
        return person, account

    return run_db(client, make)


def unit_form(**changes: str) -> dict[str, str]:
    form = {
        "unit_name": "深圳示范科技有限公司", "credit_code": CREDIT_CODE, "address": "深圳市福田区示范路8号",
        "contact_name": "陈静", "contact_phone": "0755-83001234", "agent_username": "shifan_hr",
        "agent_name": "陈静", "agent_mobile": "13912345678", "documents_checked": "1",
    }
    form.update(changes)
    return form


async def find(client: AsyncTestClient, id_number: str = ID_NUMBER) -> Response:
    return await post_form(client, REAL_NAME, {"step": "find", "id_number": id_number}, form_page=REAL_NAME)


async def confirm(client: AsyncTestClient, account: Account, **fields: str) -> Response:
    data = {"step": "confirm", "id_number": ID_NUMBER, "account_id": str(account.id), **fields}
    return await post_form(client, REAL_NAME, data, form_page=REAL_NAME)


# --- the menu -----------------------------------------------------------------------------------------


async def test_the_staff_desk_links_to_the_counter_menu_which_links_to_both_services(client: AsyncTestClient) -> None:
    staff(client)
    assert 'href="/staff/counter"' in (await client.get("/me")).text
    menu = await client.get("/staff/counter")
    assert page_heading(menu) == "柜台业务"
    assert f'href="{REAL_NAME}"' in menu.text and f'href="{NEW_UNIT}"' in menu.text


# --- real-name authentication --------------------------------------------------------------------------


async def test_staff_find_the_account_by_id_number_and_authenticate_it(client: AsyncTestClient) -> None:
    person, account = a_resident(client)
    member = staff(client)
    found = await find(client, ID_NUMBER.lower())
    assert found.status_code == 200
    shown = text_of(found)
    assert "li_ming" in shown and "李明" in shown and "138****1234" in shown and "未实名认证" in shown
    assert ID_NUMBER[:4] + "**********" + ID_NUMBER[-4:] in shown

    done = await confirm(client, account, checked_id_card="1", checked_mobile="1", mobile_last4="1234")
    assert done.status_code == 303 and done.headers["location"] == REAL_NAME
    assert "账号li_ming已通过实名认证" in text_of(await client.get(REAL_NAME))
    assert run_db(client, lambda: Account.get(id=account.id)).real_name_verified_at is not None
    entries = run_db(client, lambda: AuditEntry.filter(subject_id=person.id).order_by("id").values_list(
        "action", "actor_id"))
    assert entries == [("account.real_name_lookup", member.id), ("account.real_name_verify", member.id)]
    message = run_db(client, lambda: SystemMessage.get(account_id=account.id))
    assert message.title == "您的账号已通过实名认证" and "福田街道居住证受理点" in message.body


async def test_the_id_number_never_appears_in_a_url(client: AsyncTestClient) -> None:
    a_resident(client)
    staff(client)
    page = await client.get(REAL_NAME)
    assert 'method="post" action="/staff/counter/real-name"' in page.text
    found = await find(client)
    assert all(ID_NUMBER not in link for link in re.findall(r'(?:href|action)="([^"]*)"', found.text))


async def test_an_unknown_id_number_gets_a_clear_message_beside_the_field(client: AsyncTestClient) -> None:
    staff(client)
    unknown = make_id_number("440304", date(1990, 1, 1), 1)
    response = await find(client, unknown)
    assert response.status_code == 400
    assert page_title(response).startswith("错误：")
    assert error_at(response, "id_number").startswith("该身份证号码没有注册账号")
    assert value_of(response, "id_number") == unknown
    bad = await find(client, ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1"))
    assert error_at(bad, "id_number") == "该身份证号码无效，请与身份证逐位核对"
    assert run_db(client, lambda: AuditEntry.all().count()) == 0


async def test_both_checks_are_required_and_the_last_digits_must_match(client: AsyncTestClient) -> None:
    _, account = a_resident(client)
    staff(client)
    response = await confirm(client, account, mobile_last4="9999")
    assert response.status_code == 400 and page_title(response).startswith("错误：")
    assert error_at(response, "checked_id_card") == "请确认已核对申请人本人与其身份证"
    assert error_at(response, "checked_mobile") == "请确认已在申请人手机上核对该账号的手机号码"
    assert error_at(response, "mobile_last4").startswith("与该账号手机号码的后4位不符")
    assert value_of(response, "mobile_last4") == "9999"
    assert '<a href="#checked_id_card">' in response.text  # the error summary links to the field
    assert run_db(client, lambda: Account.get(id=account.id)).real_name_verified_at is None


async def test_an_authenticated_account_says_so_and_cannot_be_authenticated_again(client: AsyncTestClient) -> None:
    _, account = a_resident(client, real_name_verified_at=datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    staff(client)
    found = await find(client)
    assert "已于2026年1月5日 10:00:00实名认证" in text_of(found)
    assert 'name="step" value="confirm"' not in found.text
    again = await confirm(client, account, checked_id_card="1", checked_mobile="1")
    assert again.status_code == 200 and "本次未作任何更改" in text_of(again)
    assert run_db(client, lambda: SystemMessage.all().count()) == 0


# --- unit accounts -------------------------------------------------------------------------------------


async def open_unit(client: AsyncTestClient, **changes: str) -> Response:
    return await post_form(client, NEW_UNIT, unit_form(**changes), form_page=NEW_UNIT)


async def test_opening_a_unit_texts_the_agent_a_code_that_sets_a_password_to_sign_in_with(
    client: AsyncTestClient,
) -> None:
    member = staff(client)
    response = await open_unit(client)
    assert response.status_code == 303
    unit = run_db(client, lambda: Unit.get(credit_code=CREDIT_CODE))
    assert response.headers["location"] == f"/staff/counter/units/{unit.id}"
    page = await client.get(response.headers["location"])
    shown = text_of(page)
    assert "单位账号已开设" in shown and "设置密码的验证码已发送至经办人手机" in shown
    assert "shifan_hr" in shown and "陈静" in shown and "139****5678" in shown and "/account/setup" in shown
    agent = run_db(client, lambda: Account.get(username="shifan_hr"))
    assert (agent.role, agent.unit_id, unit.point_id) == ("unit_agent", unit.id, member.point_id)  # type: ignore[attr-defined]
    entry = run_db(client, lambda: AuditEntry.get(action="unit.open"))
    assert (entry.actor_id, entry.target_id) == (member.id, str(unit.id))
    message = run_db(client, lambda: SmsOutbox.get(mobile="13912345678", purpose="password_setup"))
    assert "shifan_hr" in message.body and "/account/setup" in message.body
    code = message.code
    assert code and code in message.body

    client.cookies.clear()  # the agent, on their own phone
    form = await client.get("/account/setup")
    assert page_heading(form) == "设置密码"
    wrong = await post_form(client, "/account/setup", {"username": "shifan_hr", "sms_code": "000000" if code != "000000" else "111111",
                                                       "password": PASSWORD, "password_confirm": PASSWORD},
                            form_page="/account/setup")
    assert wrong.status_code == 400 and page_title(wrong).startswith("错误：")
    assert error_at(wrong, "sms_code").startswith("验证码与用户名不匹配")
    assert value_of(wrong, "username") == "shifan_hr"
    done = await post_form(client, "/account/setup", {"username": "shifan_hr", "sms_code": code,
                                                      "password": PASSWORD, "password_confirm": PASSWORD},
                           form_page="/account/setup")
    assert done.status_code == 303 and done.headers["location"] == "/login"

    login = await post_form(client, "/login", {"platform": "permit", "username": "shifan_hr", "password": PASSWORD},
                            form_page="/login")
    assert login.headers["location"] == "/login/sms"  # the first sign-in asks for a code as well
    sign_in_code = (await client.get("/dev/sms/latest", params={"mobile": "13912345678"})).json()["code"]
    signed_in = await post_form(client, "/login/sms", {"sms_code": sign_in_code}, form_page="/login/sms")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/me"
    home = await client.get("/me")
    assert "深圳示范科技有限公司" in text_of(home)


async def test_a_bad_credit_code_is_explained_beside_the_field_and_everything_typed_is_kept(
    client: AsyncTestClient,
) -> None:
    staff(client)
    wrong_check = CREDIT_CODE[:17] + ("1" if CREDIT_CODE[17] != "1" else "2")
    response = await open_unit(client, credit_code=wrong_check)
    assert response.status_code == 400 and page_title(response).startswith("错误：")
    assert error_at(response, "credit_code").startswith("该统一社会信用代码无效")
    for name, value in unit_form(credit_code=wrong_check).items():
        if name != "documents_checked":
            assert value_of(response, name) == value
    assert 'name="documents_checked" type="checkbox" value="1" checked' in response.text
    assert run_db(client, lambda: Unit.all().count()) == 0
    forbidden = await open_unit(client, credit_code=CREDIT_CODE[:10] + "O" + CREDIT_CODE[11:])
    assert error_at(forbidden, "credit_code") == "统一社会信用代码只由数字和大写字母组成，不使用I、O、S、V、Z"


async def test_a_taken_credit_code_and_username_are_explained_beside_their_fields(client: AsyncTestClient) -> None:
    staff(client)
    assert (await open_unit(client)).status_code == 303
    response = await open_unit(client, agent_username="SHIFAN_HR", unit_name="另一家公司")
    assert response.status_code == 400
    assert error_at(response, "credit_code") == "该统一社会信用代码的单位已开设账号"
    assert error_at(response, "agent_username") == "该用户名已被使用，请换一个"
    assert value_of(response, "unit_name") == "另一家公司"
    assert run_db(client, lambda: Unit.all().count()) == 1


async def test_every_missing_field_is_listed_in_the_error_summary(client: AsyncTestClient) -> None:
    staff(client)
    response = await post_form(client, NEW_UNIT, {}, form_page=NEW_UNIT)
    assert response.status_code == 400
    summary = re.findall(r'<li><a href="#([a-z_]+)">', response.text)
    assert summary == ["unit_name", "credit_code", "address", "contact_name", "contact_phone",
                       "agent_username", "agent_name", "agent_mobile", "documents_checked"]


async def test_staff_without_a_point_are_told_they_cannot_open_units(client: AsyncTestClient) -> None:
    sign_in_as(client, "staff")
    page = await client.get(NEW_UNIT)
    assert page.status_code == 200 and "未归属任何受理点" in text_of(page)
    assert 'action="/staff/counter/units/new"' not in page.text
    refused = await open_unit(client)
    assert refused.status_code == 409
    assert run_db(client, lambda: Unit.all().count()) == 0


async def test_another_points_unit_is_404(client: AsyncTestClient) -> None:
    staff(client)
    await open_unit(client)
    unit = run_db(client, lambda: Unit.get(credit_code=CREDIT_CODE))
    agent = run_db(client, lambda: Account.get(username="shifan_hr"))
    staff(client, NANYUAN)
    assert (await client.get(f"/staff/counter/units/{unit.id}")).status_code == 404
    resend = await post_form(client, f"/staff/counter/units/{unit.id}/code", {"agent_id": str(agent.id)})
    assert resend.status_code == 404


async def test_staff_can_send_the_agent_a_new_code(client: AsyncTestClient) -> None:
    staff(client)
    await open_unit(client)
    unit = run_db(client, lambda: Unit.get(credit_code=CREDIT_CODE))
    agent = run_db(client, lambda: Account.get(username="shifan_hr"))
    page = f"/staff/counter/units/{unit.id}"
    too_soon = await post_form(client, f"{page}/code", {"agent_id": str(agent.id)}, form_page=page)
    assert too_soon.status_code == 303
    assert "该号码获取验证码未满1分钟" in text_of(await client.get(page))
    run_db(client, lambda: SmsOutbox.all().delete())
    # As if the code had been sent long ago: the limit of one a minute has passed.
    run_db(client, lambda: SmsCode.all().update(created_at=datetime(2020, 1, 1, tzinfo=UTC)))
    sent = await post_form(client, f"{page}/code", {"agent_id": str(agent.id)}, form_page=page)
    assert sent.status_code == 303
    assert "设置密码的验证码已发送至经办人手机" in text_of(await client.get(page))
    assert run_db(client, lambda: SmsOutbox.filter(purpose="password_setup").count()) == 1
