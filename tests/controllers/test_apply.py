"""The residence-permit application wizard over HTTP (/apply), through the forms a browser sends."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from httpx import Response
from litestar.testing import AsyncTestClient

from tests.housing import FUTIAN, make_house, make_registration
from tests.permits import a_submitted_application
from tests.support import CSRF_FIELD, csrf_token, page_heading, post_form, run_db, sign_in_as
from web.models import (
    Account,
    ApplicationEvent,
    ApplicationState,
    CoResident,
    Draft,
    IdType,
    InsuranceMonth,
    PermitApplication,
    Person,
    Sex,
)
from web.services.dates import add_months
from web.services.identity import make_id_number

TODAY = date(2026, 3, 16)
APPLICANT_ID = make_id_number("430102", date(1990, 3, 7), 135)  # odd sequence: a man
SPOUSE_ID = make_id_number("450103", date(1991, 6, 1), 246)
CHILD_ID = make_id_number("440304", date(2018, 9, 1), 112)
YUEHAI = "440305007"  # 粤海街道, 南山区
HTMX = {"HX-Request": "true"}


# --- helpers ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fixed_today(client: AsyncTestClient) -> None:
    run_db(client, client.app.state.clock.set_today, TODAY)


def applicant(
    client: AsyncTestClient, *, street: str = FUTIAN, months: int = 13, insured: int = 12, registered: bool = True,
    **account_fields: Any,
) -> tuple[Account, Person]:
    """A resident registered at `street` for `months` months with `insured` months of social insurance."""

    async def create() -> Person:
        person = await Person.create(
            id_type=IdType.RESIDENT_ID, id_number=APPLICANT_ID, name="张伟", sex=Sex.MALE, ethnicity="01",
            birth_date=date(1990, 3, 7), hukou_address="湖南省长沙市芙蓉区五一大道100号", mobile="13912345678",
        )  # fmt: skip
        if registered:
            await make_registration(person, house=await make_house(street), start=add_months(TODAY, -months))
        for back in range(1, insured + 1):
            await InsuranceMonth.create(id_number=APPLICANT_ID, month=add_months(TODAY.replace(day=1), -back))
        return person

    person = run_db(client, create)
    return sign_in_as(client, "resident", person=person, **account_fields), person


PERSONAL = {
    "name": "张伟", "sex": "M", "ethnicity": "01", "birth_date": "1990-03-07", "id_number": APPLICANT_ID,
    "hukou_address": "湖南省长沙市芙蓉区五一大道100号", "mobile": "13912345678", "education": "bachelor",
    "workplace": "深圳示范科技有限公司",
}  # fmt: skip
FAMILY = {"family_name": ["李娜", "张小明"], "family_relation": ["spouse", "child"],
          "family_id_number": [SPOUSE_ID, CHILD_ID]}  # fmt: skip


async def answer(client: AsyncTestClient, step: str, data: dict[str, Any], **headers: str) -> Response:
    """POST one step as the browser sends it (with the page's CSRF token)."""
    if headers:
        token = await csrf_token(client, "/")
        return await client.post(f"/apply/{step}", data={**data, CSRF_FIELD: token}, headers=headers)
    return await post_form(client, f"/apply/{step}", data)


async def walk_to_check(client: AsyncTestClient, *, stop_at: str = "check", **overrides: dict[str, Any]) -> None:
    """Answer the steps before `stop_at` without JavaScript, each ending in a 303 to the next one."""
    steps = [
        ("condition", {"condition": "residence_and_insurance"}, "/apply/personal-details"),
        ("personal-details", PERSONAL, "/apply/photo-number"),
        ("photo-number", {"photo_number": "PH2026ABC1"}, "/apply/family"),
        ("family", FAMILY, "/apply/acceptance-point"),
        ("acceptance-point", {"acceptance_point": FUTIAN}, "/apply/check"),
    ]
    for slug, data, following in steps:
        if slug == stop_at:
            return
        response = await answer(client, slug, {**data, **overrides.get(slug, {})})
        assert response.status_code == 303, (slug, response.text[:3000])
        assert response.headers["location"] == following


def value_of(response: Response, field: str) -> str | None:
    match = re.search(rf'<input[^>]*id="{field}"[^>]*>', response.text, re.S)
    if not match:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else None


def checked(response: Response, name: str) -> str | None:
    for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', response.text, re.S):
        if " checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
    return None


def error_at(response: Response, field: str) -> str:
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</p>', response.text, re.S)
    assert match, f"no error at {field}:\n{response.text[:5000]}"
    text = re.sub(r'<span class="visually-hidden">.*?</span>', "", match.group(1), count=1)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def title(response: Response) -> str:
    match = re.search(r"<title>(.*?)</title>", response.text, re.S)
    assert match
    return html.unescape(match.group(1))


def token_of(response: Response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.text)
    assert match, response.text[:3000]
    return match.group(1)


def applications_of(client: AsyncTestClient, person: Person) -> list[PermitApplication]:
    return run_db(client, lambda: PermitApplication.filter(person_id=person.id).order_by("id"))


def draft_of(client: AsyncTestClient, account: Account) -> Draft | None:
    return run_db(client, lambda: Draft.get_or_none(account_id=account.id, kind="permit_application"))


# --- the whole wizard without JavaScript ------------------------------------------------------------


async def test_a_resident_in_futian_applies_through_every_step_without_javascript(client: AsyncTestClient) -> None:
    account, person = applicant(client)

    start = await client.get("/apply")
    assert start.status_code == 200 and page_heading(start) == "办理条件"
    assert "按现有记录：符合" in start.text and "/permit/eligibility" in start.text
    assert "下一步" in start.text and "第1步，共6步" in start.text

    assert (await answer(client, "condition", {"condition": "residence_and_insurance"})).headers["location"] == (
        "/apply/personal-details"
    )
    personal = await client.get("/apply/personal-details")
    # Prefilled from the profile, and the workplace from the declaration that registered the person.
    assert value_of(personal, "name") == "张伟" and value_of(personal, "id_number") == APPLICANT_ID
    assert value_of(personal, "workplace") == "深圳示范科技有限公司" and checked(personal, "sex") == "M"
    assert "福田街道测试花园" in personal.text and "上一步" in personal.text

    response = await answer(client, "personal-details", {**PERSONAL, "workplace": "深圳新科技有限公司"})
    assert response.headers["location"] == "/apply/photo-number"
    photo = await answer(client, "photo-number", {"photo_number": " ph2026abc1 "})
    assert photo.headers["location"] == "/apply/family"

    # No family row yet: "add" posts the form back and the page gains a row (no JavaScript needed).
    added = await answer(client, "family", {"family_action": "add"})
    assert added.status_code == 200 and 'id="family_name-1"' in added.text and 'id="family_name-2"' not in added.text
    assert (await answer(client, "family", FAMILY)).headers["location"] == "/apply/acceptance-point"

    points = await client.get("/apply/acceptance-point")
    names = re.findall(r'name="acceptance_point" type="radio" value="(\d+)"', points.text)
    assert names[0] == FUTIAN and checked(points, "acceptance_point") == FUTIAN
    assert len(names) == 10 and all(code.startswith("440304") for code in names)  # 福田区 only
    assert "推荐" in points.text and "福田街道居住证受理点" in points.text and "公里" in points.text
    chosen = await answer(client, "acceptance-point", {"acceptance_point": FUTIAN})
    assert chosen.headers["location"] == "/apply/check"

    check = await client.get("/apply/check")
    assert check.status_code == 200 and page_heading(check) == "核对信息"
    for shown in ("深圳新科技有限公司", "PH2026ABC1", "李娜", "张小明", "配偶", "子女", "福田街道居住证受理点", "首次申领免费"):
        assert shown in check.text, shown
    assert 'href="/apply/personal-details?return=check"' in check.text and "修改" in check.text
    assert '<img src="/apply/photo"' in check.text

    response = await post_form(client, "/apply/submit", {"token": token_of(check)})

    [application] = applications_of(client, person)
    assert response.status_code == 303
    assert response.headers["location"] == f"/me/applications/{application.id}?submitted=1"
    assert application.state == ApplicationState.SUBMITTED and application.kind == "first"
    assert re.fullmatch(r"SZ20260316\d{6}", application.acceptance_number or "")
    assert application.photo_number == "PH2026ABC1" and application.education == "bachelor"
    assert application.corrected_fields == ["workplace"]  # education was empty: completed, not corrected
    assert application.residence_address.startswith("深圳市福田区福田街道测试花园") and application.house_code
    assert application.point_id is not None and application.fee_yuan == 0 and application.submitted_at is not None
    assert application.draft_token == token_of(check) and application.submitted_by_id == account.id
    family = run_db(client, lambda: CoResident.filter(application_id=application.id).order_by("id"))
    assert [(row.name, row.relation, row.id_number) for row in family] == [
        ("李娜", "spouse", SPOUSE_ID), ("张小明", "child", CHILD_ID)]
    [event] = run_db(client, lambda: ApplicationEvent.filter(application_id=application.id))
    assert (event.from_state, event.to_state, event.action, event.actor_id) == (
        None, ApplicationState.SUBMITTED, "submit", account.id)
    assert draft_of(client, account) is None
    assert APPLICANT_ID not in response.headers["location"]


async def test_get_apply_resumes_at_the_first_unanswered_step_and_start_again_discards(client: AsyncTestClient) -> None:
    account, _ = applicant(client)
    await answer(client, "condition", {"condition": "talent"})
    await answer(client, "personal-details", {**PERSONAL, "education": "master"})

    # Another device: the same account, the draft lives on the server.
    resumed = await client.get("/apply")
    assert page_heading(resumed) == "数码相片"
    back = await client.get("/apply/personal-details")
    assert back.status_code == 200 and 'value="master" selected' in back.text
    assert checked(await client.get("/apply/condition"), "condition") == "talent"
    # A step after the first unanswered one does not open yet.
    ahead = await client.get("/apply/acceptance-point", follow_redirects=False)
    assert ahead.status_code == 303 and ahead.headers["location"] == "/apply"

    restarted = await post_form(client, "/apply/restart")
    assert restarted.status_code == 303 and restarted.headers["location"] == "/apply"
    fresh = await client.get("/apply")
    assert page_heading(fresh) == "办理条件" and checked(fresh, "condition") is None
    assert draft_of(client, account) is not None  # a new draft, prefilled again


# --- errors keep what was typed ---------------------------------------------------------------------


async def test_errors_are_shown_beside_the_fields_and_keep_what_was_typed(client: AsyncTestClient) -> None:
    applicant(client)
    await answer(client, "condition", {"condition": "residence_and_insurance"})
    typed = {**PERSONAL, "birth_date": "1990-02-30", "mobile": "12345", "education": "", "workplace": "某某公司"}

    response = await answer(client, "personal-details", typed)

    assert response.status_code == 400 and title(response).startswith("错误：")
    assert error_at(response, "birth_date") and error_at(response, "mobile") and error_at(response, "education")
    assert value_of(response, "birth_date") == "1990-02-30" and value_of(response, "mobile") == "12345"
    assert value_of(response, "workplace") == "某某公司"
    assert 'href="#birth_date"' in response.text  # the error summary links to the field
    assert re.search(r'aria-describedby="[^"]*birth_date-error"', response.text)
    # Saved too: another device shows the same typed values.
    again = await client.get("/apply/personal-details")
    assert value_of(again, "mobile") == "12345"


async def test_a_bad_photo_number_and_a_bad_family_id_number_are_refused(client: AsyncTestClient) -> None:
    applicant(client)
    await answer(client, "condition", {"condition": "student"})
    await answer(client, "personal-details", PERSONAL)

    bad_photo = await answer(client, "photo-number", {"photo_number": "AB-12"})
    assert bad_photo.status_code == 400 and "6至32位字母或数字" in error_at(bad_photo, "photo_number")
    assert value_of(bad_photo, "photo_number") == "AB-12"
    await answer(client, "photo-number", {"photo_number": "PH2026ABC1"})

    family = {"family_name": ["李娜", "张伟"], "family_relation": ["spouse", "other"],
              "family_id_number": [SPOUSE_ID[:-1] + ("0" if SPOUSE_ID[-1] != "0" else "1"), APPLICANT_ID]}
    response = await answer(client, "family", family)
    assert response.status_code == 400
    assert "无效" in error_at(response, "family_id_number-1")
    assert "本人" in error_at(response, "family_id_number-2")
    assert value_of(response, "family_name-2") == "张伟"


async def test_a_point_outside_the_district_is_refused(client: AsyncTestClient) -> None:
    applicant(client)
    await walk_to_check(client, stop_at="acceptance-point")
    response = await answer(client, "acceptance-point", {"acceptance_point": YUEHAI})
    assert response.status_code == 400 and "福田区" in error_at(response, "acceptance_point")
    assert checked(response, "acceptance_point") == FUTIAN  # the list is offered again, nearest chosen


# --- htmx -------------------------------------------------------------------------------------------


async def test_htmx_gets_the_step_fragment_with_errors_inside_and_the_next_step_after(client: AsyncTestClient) -> None:
    applicant(client)
    await client.get("/apply")
    headers = {**HTMX, "x-csrftoken": client.cookies.get("csrftoken", "")}

    wrong = await answer(client, "condition", {}, **headers)
    assert wrong.status_code == 200 and "<html" not in wrong.text and 'id="apply-step"' in wrong.text
    assert "请选择办理条件" in wrong.text and "<title>错误：" in wrong.text

    right = await answer(client, "condition", {"condition": "talent"}, **headers)
    assert right.status_code == 200 and "<html" not in right.text
    assert right.headers.get("hx-push-url") == "/apply/personal-details" and 'name="workplace"' in right.text


async def test_htmx_family_rows_are_added_and_removed_as_a_partial(client: AsyncTestClient) -> None:
    applicant(client)
    await client.get("/apply")
    headers = {**HTMX, "x-csrftoken": client.cookies.get("csrftoken", "")}
    rows = await client.post("/apply/family/rows", data={**FAMILY, "family_action": "add"}, headers=headers)
    assert rows.status_code == 200 and rows.text.lstrip().startswith('<div id="family-rows"')
    assert 'id="family_name-3"' in rows.text and value_of(rows, "family_name-2") == "张小明"
    removed = await client.post("/apply/family/rows", data={**FAMILY, "family_action": "remove-1"}, headers=headers)
    assert value_of(removed, "family_name-1") == "张小明" and 'id="family_name-2"' not in removed.text


async def test_my_location_reranks_the_points(client: AsyncTestClient) -> None:
    applicant(client)
    await walk_to_check(client)
    # Near 梅林 (22.57, 114.05): the 梅林街道 point comes first and is marked 推荐.
    partial = await client.get("/apply/points", params={"lat": "22.571", "lng": "114.051"}, headers=HTMX)
    assert partial.status_code == 200 and partial.text.lstrip().startswith('<div id="point-list"')
    codes = re.findall(r'name="acceptance_point" type="radio" value="(\d+)"', partial.text)
    assert codes[0] == "440304007" and checked(partial, "acceptance_point") == "440304007"
    nonsense = await client.get("/apply/points", params={"lat": "nan", "lng": "x"}, headers=HTMX)
    assert re.findall(r'value="(\d+)"', nonsense.text)[0] == FUTIAN  # back to the address


# --- submitting exactly once -------------------------------------------------------------------------


async def test_a_second_click_and_a_replayed_token_end_on_the_same_application(client: AsyncTestClient) -> None:
    _, person = applicant(client)
    await walk_to_check(client)
    token = token_of(await client.get("/apply/check"))
    first = await post_form(client, "/apply/submit", {"token": token})
    second = await post_form(client, "/apply/submit", {"token": token})
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(applications_of(client, person)) == 1


async def test_a_tampered_token_is_refused_and_nothing_typed_is_lost(client: AsyncTestClient) -> None:
    account, person = applicant(client)
    await walk_to_check(client)
    check = await client.get("/apply/check")

    response = await post_form(client, "/apply/submit", {"token": "forged-" + token_of(check)})

    assert response.status_code == 400 and "已提交过或已过期" in response.text
    assert applications_of(client, person) == [] and draft_of(client, account) is not None
    again = await post_form(client, "/apply/submit", {"token": token_of(response)})
    assert again.status_code == 303 and len(applications_of(client, person)) == 1


async def test_an_open_application_sends_the_person_to_it(client: AsyncTestClient) -> None:
    _, person = applicant(client)
    existing = run_db(client, lambda: a_submitted_application(person))
    response = await client.get("/apply")
    assert response.status_code == 200 and page_heading(response) == "您已有正在办理的申请"
    assert f'href="/me/applications/{existing.id}"' in response.text and existing.acceptance_number in response.text
    submitted = await post_form(client, "/apply/submit", {"token": "whatever"})
    assert submitted.status_code == 303 and submitted.headers["location"] == "/apply"


@pytest.mark.parametrize(("registered", "heading"), [(False, "请先办理居住登记")])
async def test_without_a_registration_the_page_says_why_and_where_to_go(
    client: AsyncTestClient, registered: bool, heading: str
) -> None:
    applicant(client, registered=registered)
    response = await client.get("/apply")
    assert response.status_code == 200 and page_heading(response) == heading
    assert 'href="/registration"' in response.text and 'href="/permit/eligibility"' in response.text


async def test_without_a_person_the_page_says_why(client: AsyncTestClient) -> None:
    sign_in_as(client, "resident")
    response = await client.get("/apply")
    assert response.status_code == 200 and page_heading(response) == "尚无您的个人信息"


# --- the photo ---------------------------------------------------------------------------------------


async def test_the_photo_is_the_one_of_the_drafts_number_only(client: AsyncTestClient) -> None:
    applicant(client)
    assert (await client.get("/apply/photo")).status_code == 404  # no number yet
    await answer(client, "condition", {"condition": "student"})
    await answer(client, "personal-details", PERSONAL)
    looked_up = await answer(client, "photo-number", {"photo_number": "PH2026ABC1", "action": "lookup"})
    assert looked_up.status_code == 200 and '<img src="/apply/photo"' in looked_up.text
    photo = await client.get("/apply/photo", params={"number": "SOMEONEELSE1"})
    assert photo.status_code == 200 and photo.headers["content-type"].startswith("image/")
    assert b"PH2026ABC1" in photo.content and b"SOMEONEELSE1" not in photo.content
    assert "no-store" in photo.headers["cache-control"]


async def test_submit_without_authentication_after_a_permit_is_refused(client: AsyncTestClient) -> None:
    _, person = applicant(client)

    async def collected() -> None:
        await a_submitted_application(person, state=ApplicationState.COLLECTED,
                                      submitted_at=datetime(2024, 1, 2, tzinfo=UTC))

    run_db(client, collected)
    response = await client.get("/apply")
    assert page_heading(response) == "需要实名认证" and 'href="/points"' in response.text


# --- moving between steps -----------------------------------------------------------------------------


async def test_change_from_the_check_page_returns_to_it_after_saving(client: AsyncTestClient) -> None:
    applicant(client)
    await walk_to_check(client)
    page = await client.get("/apply/personal-details", params={"return": "check"})
    assert '<input type="hidden" name="return" value="check">' in page.text and "保存并返回核对信息" in page.text
    assert 'href="/apply/check"' in page.text  # the back link too

    response = await answer(client, "personal-details", {**PERSONAL, "mobile": "13700001111", "return": "check"})

    assert response.status_code == 303 and response.headers["location"] == "/apply/check"
    assert "13700001111" in (await client.get("/apply/check")).text


async def test_previous_step_keeps_what_was_typed_without_complaining(client: AsyncTestClient) -> None:
    applicant(client)
    await walk_to_check(client, stop_at="photo-number")
    response = await answer(client, "photo-number", {"photo_number": "AB", "action": "back"})
    assert response.status_code == 303 and response.headers["location"] == "/apply/personal-details"
    page = await client.get("/apply/photo-number")
    assert value_of(page, "photo_number") == "AB" and 'id="photo_number-error"' not in page.text


async def test_an_authenticated_account_cannot_change_name_or_id_number(client: AsyncTestClient) -> None:
    _, person = applicant(client, real_name_verified_at=datetime(2026, 1, 5, tzinfo=UTC))
    await answer(client, "condition", {"condition": "residence_and_insurance"})
    page = await client.get("/apply/personal-details")
    assert 'name="name"' not in page.text and 'name="id_number"' not in page.text
    assert "4301**********1357" in page.text and APPLICANT_ID not in page.text  # masked, shown only
    await answer(client, "personal-details", {**PERSONAL, "name": "李四", "id_number": SPOUSE_ID})
    await walk_to_check(client, **{"personal-details": {"name": "李四"}}, stop_at="check")
    check = await client.get("/apply/check")
    response = await post_form(client, "/apply/submit", {"token": token_of(check)})
    [application] = applications_of(client, person)
    assert response.status_code == 303 and application.name == "张伟" and application.id_number == APPLICANT_ID
    assert application.corrected_fields == []


async def test_a_move_to_another_district_reopens_the_point_step(client: AsyncTestClient) -> None:
    _, person = applicant(client)
    await walk_to_check(client)

    async def move_to_nanshan() -> None:
        from web.models import Registration

        current = await Registration.get(person_id=person.id, end_date__isnull=True)
        current.end_date = add_months(TODAY, -1)
        await current.save()
        await make_registration(person, house=await make_house(YUEHAI), start=add_months(TODAY, -1))

    run_db(client, move_to_nanshan)
    response = await client.get("/apply/check", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/apply/acceptance-point"
    page = await client.get("/apply/acceptance-point")
    assert "相关信息发生了变化" in page.text and "南山区" in error_at(page, "acceptance_point")
    assert (checked(page, "acceptance_point") or "").startswith("440305")  # a 南山区 point now


async def test_htmx_submit_is_told_where_to_go(client: AsyncTestClient) -> None:
    _, person = applicant(client)
    await walk_to_check(client)
    token = token_of(await client.get("/apply/check"))
    headers = {**HTMX, "x-csrftoken": client.cookies.get("csrftoken", "")}
    response = await client.post("/apply/submit", data={"token": token}, headers=headers)
    [application] = applications_of(client, person)
    assert response.status_code == 200
    assert response.headers["hx-redirect"] == f"/me/applications/{application.id}?submitted=1"


async def test_without_javascript_my_location_is_a_whole_page(client: AsyncTestClient) -> None:
    applicant(client)
    await walk_to_check(client, stop_at="acceptance-point")
    page = await client.get("/apply/points", params={"lat": "22.571", "lng": "114.051"})
    assert page.status_code == 200 and "<html" in page.text and "按与您当前位置的距离排列" in page.text
    assert 'class="button button--secondary apply-locate" hidden' in (await client.get("/apply/acceptance-point")).text
