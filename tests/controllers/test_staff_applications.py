"""The acceptance point's permit applications over HTTP: the queue, search, one application, every action."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from httpx import Response
from litestar.testing import AsyncTestClient

from tests.housing import FUTIAN, YUEHAI, make_person, point_of
from tests.permits import a_submitted_application
from tests.support import count_queries, error_at, page_heading, page_title, post_form, run_db, sign_in_as
from web.models import (
    Account,
    ApplicationEvent,
    ApplicationState,
    AuditEntry,
    CoResident,
    PermitApplication,
    SystemMessage,
)
from web.services.application_flow import ACTIONS

S = ApplicationState
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ALL_CONFIRMED = {"applicant_present": "1", "identity_checked": "1", "form_signed": "1"}


# --- helpers ------------------------------------------------------------------------------------


def staff_of(client: AsyncTestClient, street: str = FUTIAN) -> Account:
    point = run_db(client, lambda: point_of(street))
    return sign_in_as(client, "staff", point_id=point.id)


def an_application(client: AsyncTestClient, street: str = FUTIAN, *, name: str = "王芳", minute: int = 0,
                   **values: Any) -> PermitApplication:
    async def make() -> PermitApplication:
        person = await make_person(name)
        if values.get("state", S.SUBMITTED) not in (S.SUBMITTED, S.DRAFT):
            values.setdefault("accepted_at", START + timedelta(days=1))
            values.setdefault("due_date", date(2030, 1, 1))
        return await a_submitted_application(person, await point_of(street),
                                             submitted_at=START + timedelta(minutes=minute), **values)

    return run_db(client, make)


def reload(client: AsyncTestClient, application: PermitApplication) -> PermitApplication:
    return run_db(client, lambda: PermitApplication.get(id=application.id))


def events_of(client: AsyncTestClient, application: PermitApplication) -> list[ApplicationEvent]:
    return run_db(client, lambda: ApplicationEvent.filter(application_id=application.id).order_by("id"))


def audit_actions(client: AsyncTestClient, application: PermitApplication) -> list[str]:
    async def read() -> list[str]:
        return await AuditEntry.filter(target_id=str(application.id)).order_by("id").values_list("action", flat=True)
    return run_db(client, read)


def messages_of(client: AsyncTestClient, application: PermitApplication) -> list[SystemMessage]:
    async def read() -> list[SystemMessage]:
        account = await Account.get(person_id=application.person_id)  # type: ignore[attr-defined]
        return await SystemMessage.filter(account_id=account.id).order_by("id")
    return run_db(client, read)


def linked_ids(response: Response) -> list[int]:
    return [int(found) for found in re.findall(r'href="/staff/applications/(\d+)"', response.text)]


async def act(client: AsyncTestClient, application: PermitApplication, action: str, **form: str) -> Response:
    return await post_form(client, f"/staff/applications/{application.id}/{action}", form)


# --- the queue ----------------------------------------------------------------------------------


async def test_queue_shows_only_the_staff_members_own_point(client: AsyncTestClient) -> None:
    ours = an_application(client, name="王芳")
    theirs = an_application(client, YUEHAI, name="李四")
    staff_of(client)
    response = await client.get("/staff/applications?state=submitted")
    assert response.status_code == 200
    assert page_heading(response) == "居住证申请"
    assert linked_ids(response) == [ours.id]
    assert ours.acceptance_number in response.text and "王芳" in response.text
    assert theirs.acceptance_number not in response.text
    assert ours.id_number not in response.text  # lists show masked ID numbers only


async def test_the_default_view_lists_the_overdue_first_marked(client: AsyncTestClient) -> None:
    submitted = an_application(client, minute=0)
    late = an_application(client, minute=5, state=S.UNDER_REVIEW, due_date=date(2026, 3, 20))
    run_db(client, lambda: client.app.state.clock.set_today(date(2026, 4, 1)))
    staff_of(client)
    response = await client.get("/staff/applications")
    assert linked_ids(response) == [late.id, submitted.id]
    assert response.text.count("已超时") == 1  # the late one's tag
    assert "1件申请已超过办理时限，排在最前。" in response.text


async def test_keyset_pages_follow_the_next_link_without_duplicates(client: AsyncTestClient) -> None:
    made = [an_application(client, minute=minute // 2) for minute in range(23)]  # pairs share a time
    staff_of(client)
    first = await client.get("/staff/applications?state=submitted")
    match = re.search(r'href="(/staff/applications\?state=submitted&amp;after=[^"]+)"', first.text)
    assert match, "no link to the next page"
    second = await client.get(html.unescape(match.group(1)))
    assert second.status_code == 200
    assert linked_ids(first) + linked_ids(second) == [application.id for application in made]
    assert 'href="/staff/applications?state=submitted">' in second.text  # back to the first page
    assert "&amp;after=" not in second.text  # the last page


async def test_a_garbled_cursor_or_tab_shows_the_first_page(client: AsyncTestClient) -> None:
    application = an_application(client)
    staff_of(client)
    for url in ("/staff/applications?after=nonsense", "/staff/applications?state=nonsense&after=s.x.1"):
        response = await client.get(url)
        assert response.status_code == 200
        assert linked_ids(response) == [application.id]


async def test_a_queue_page_costs_the_same_queries_however_many_rows(client: AsyncTestClient) -> None:
    for minute in range(3):
        an_application(client, minute=minute)
    staff_of(client)
    with count_queries() as few:
        await client.get("/staff/applications?state=submitted")
    for minute in range(3, 25):
        an_application(client, minute=minute)
    with count_queries() as many:
        first = await client.get("/staff/applications?state=submitted")
    match = re.search(r'after=([^"&]+)"', first.text)
    assert match
    with count_queries() as second:
        await client.get(f"/staff/applications?state=submitted&after={html.unescape(match.group(1))}")
    # the account, the unread badge, the point, two counts, one query for the tab's one state
    assert few.count == many.count == second.count == 6, str(many)
    with count_queries() as default:
        await client.get("/staff/applications")
    # the overdue part (one query per timed state), then one query per open state
    assert default.count == 5 + 5 + 7, str(default)


async def test_staff_without_a_point_see_an_explanation_and_no_application(client: AsyncTestClient) -> None:
    application = an_application(client)
    sign_in_as(client, "staff")
    response = await client.get("/staff/applications")
    assert response.status_code == 200
    assert "您的账号不属于任何受理点" in response.text
    assert (await client.get(f"/staff/applications/{application.id}")).status_code == 404


async def test_staff_home_shows_the_counts_and_links_to_both_queues(client: AsyncTestClient) -> None:
    an_application(client)
    an_application(client, state=S.ACCEPTED)
    staff_of(client)
    response = await client.get("/me")
    assert 'href="/staff/applications"' in response.text
    assert 'href="/staff"' in response.text
    assert re.search(r'href="/staff/applications\?state=submitted">已提交（待受理）</a>: 1', response.text)
    assert re.search(r'href="/staff/applications\?state=open">全部在办</a>: 2', response.text)


# --- search -------------------------------------------------------------------------------------


async def test_search_by_acceptance_number_name_or_id_number_is_a_post(client: AsyncTestClient) -> None:
    wang = an_application(client, name="王小明")
    other = an_application(client, name="李雷")
    elsewhere = an_application(client, YUEHAI, name="王小明")
    staff_of(client)
    for term in (wang.acceptance_number, "王小明", wang.id_number):
        response = await post_form(client, "/staff/applications/search", {"q": term}, form_page="/staff/applications")
        assert response.status_code == 200, term
        assert linked_ids(response) == [wang.id], term
        assert str(response.url).endswith("/staff/applications/search")  # no term in the address
    assert other.id not in linked_ids(response) and elsewhere.id not in linked_ids(response)
    assert f'value="{wang.id_number}"' in response.text  # the term stays in the field


async def test_an_empty_search_says_what_to_type(client: AsyncTestClient) -> None:
    staff_of(client)
    response = await post_form(client, "/staff/applications/search", {"q": "  "})
    assert response.status_code == 400
    assert error_at(response, "q") == "请输入受理编号、身份证号码或姓名"
    assert page_title(response).startswith("错误：")


# --- one application ----------------------------------------------------------------------------


async def test_the_page_shows_the_form_photo_family_facts_history_and_records_the_view(client: AsyncTestClient) -> None:
    application = an_application(client, corrected_fields=["hukou_address"])
    run_db(client, lambda: CoResident.create(application_id=application.id, name="李小红", relation="spouse",
                                             id_number="11010519491231002X"))
    staff = staff_of(client)
    response = await client.get(f"/staff/applications/{application.id}")
    assert response.status_code == 200
    assert page_heading(response) == f"申请{application.acceptance_number}"
    text = response.text
    assert application.id_number in text  # the applicant's, for the identity check at the counter
    assert "1101**********002X" in text and "11010519491231002X" not in text
    assert text.count("申请人已更正") == 1
    assert f'src="/staff/applications/{application.id}/photo"' in text
    assert "目前没有有效的居住登记" in text  # the registry facts beside the chosen condition
    assert "已提交" in text
    entry = run_db(client, lambda: AuditEntry.get(action="application.view"))
    assert (entry.actor_id, entry.subject_id) == (staff.id, application.person_id)  # type: ignore[attr-defined]
    photo = await client.get(f"/staff/applications/{application.id}/photo")
    assert photo.status_code == 200 and photo.headers["content-type"].startswith("image/svg+xml")
    assert "no-store" in photo.headers["cache-control"]


async def test_only_the_allowed_actions_are_offered(client: AsyncTestClient) -> None:
    submitted = an_application(client)
    in_production = an_application(client, state=S.IN_PRODUCTION)
    staff_of(client)
    text = (await client.get(f"/staff/applications/{submitted.id}")).text
    assert set(re.findall(rf'action="/staff/applications/{submitted.id}/(\w+)"', text)) == {"accept", "reject"}
    text = (await client.get(f"/staff/applications/{in_production.id}")).text
    assert re.findall(rf'action="/staff/applications/{in_production.id}/(\w+)"', text) == ["ready_for_collection"]


async def test_another_points_application_is_404_on_every_route(client: AsyncTestClient) -> None:
    theirs = an_application(client, YUEHAI)
    staff_of(client)
    assert (await client.get(f"/staff/applications/{theirs.id}")).status_code == 404
    assert (await client.get(f"/staff/applications/{theirs.id}/photo")).status_code == 404
    for action in ACTIONS:
        response = await act(client, theirs, action, reason_code="other", reason="x", **ALL_CONFIRMED)
        assert response.status_code == 404, action
    assert reload(client, theirs).state == S.SUBMITTED
    assert (await act(client, theirs, "withdraw")).status_code == 404  # no such action at all


# --- actions ------------------------------------------------------------------------------------


async def test_a_paid_application_walks_every_step_through_the_forms(client: AsyncTestClient) -> None:
    application = an_application(client, kind="renewal", fee_yuan=20)
    staff = staff_of(client)
    steps = [
        ("accept", ALL_CONFIRMED, S.ACCEPTED),
        ("start_review", {}, S.UNDER_REVIEW),
        ("approve", {}, S.APPROVED),
        ("to_production", {}, S.PENDING_PAYMENT),
        ("mark_paid", {}, S.IN_PRODUCTION),
        ("ready_for_collection", {}, S.READY_FOR_COLLECTION),
        ("collect", {"acceptance_number": f" {application.acceptance_number.lower()} "}, S.COLLECTED),  # type: ignore[union-attr]
    ]
    for number, (action, form, state) in enumerate(steps, 1):
        response = await act(client, application, action, **form)
        assert response.status_code == 303, (action, response.text[:2000])
        assert response.headers["location"] == f"/staff/applications/{application.id}"
        assert reload(client, application).state == state
        events = events_of(client, application)
        assert (events[-1].action, events[-1].to_state, events[-1].actor_id) == (action, state, staff.id)  # type: ignore[attr-defined]
        assert audit_actions(client, application)[-1] == f"application.{action}"
        assert len(messages_of(client, application)) == number
        page = await client.get(response.headers["location"])
        assert "成功" in page.text and application.acceptance_number in page.text  # the notice
    accepted = reload(client, application)
    assert accepted.due_date is not None and accepted.open_person_id is None


async def test_accepting_needs_every_confirmation_beside_its_box(client: AsyncTestClient) -> None:
    application = an_application(client)
    staff_of(client)
    response = await act(client, application, "accept", applicant_present="1")
    assert response.status_code == 400
    assert page_title(response).startswith("错误：")
    assert error_at(response, "identity_checked") == "请确认已核对申请人的身份证与申请信息一致"
    assert error_at(response, "form_signed") == "请确认申请人已在打印的申请表上签名"
    assert re.search(r'id="applicant_present"[^>]*checked', response.text)  # what was ticked stays ticked
    assert 'href="#form_signed"' in response.text  # the error summary links to the box
    assert reload(client, application).state == S.SUBMITTED
    assert messages_of(client, application) == []


async def test_rejecting_without_a_reason_keeps_what_was_typed(client: AsyncTestClient) -> None:
    application = an_application(client)
    staff_of(client)
    nothing = await act(client, application, "reject", reason_code="", reason="   ")
    assert nothing.status_code == 400
    assert error_at(nothing, "reason_code") == "请选择或填写不通过的原因"
    other = await act(client, application, "reject", reason_code="other", reason="")
    assert error_at(other, "reason") == "请填写不通过的原因"
    assert re.search(r'<option value="other" selected>', other.text)
    long = await act(client, application, "reject", reason_code="documents", reason="缺" * 600)
    assert error_at(long, "reason") == "原因不能超过500个字"
    assert "缺" * 600 in long.text
    assert reload(client, application).state == S.SUBMITTED


async def test_rejecting_with_a_reason_tells_the_applicant(client: AsyncTestClient) -> None:
    application = an_application(client)
    staff_of(client)
    response = await act(client, application, "reject", reason_code="photo", reason="相片背景不是白色")
    assert response.status_code == 303
    assert reload(client, application).state == S.REJECTED
    reason = "数码相片不合格或相片回执号无效：相片背景不是白色"
    assert events_of(client, application)[-1].reason == reason
    assert reason in messages_of(client, application)[-1].body
    page = await client.get(f"/staff/applications/{application.id}")
    assert reason in page.text  # in the history
    assert "此申请已办结" in page.text


async def test_collecting_needs_the_number_on_the_receipt(client: AsyncTestClient) -> None:
    application = an_application(client, state=S.READY_FOR_COLLECTION)
    staff_of(client)
    response = await act(client, application, "collect", acceptance_number="SZ20990101000000")
    assert response.status_code == 400
    assert "受理编号" in error_at(response, "acceptance_number")
    assert 'value="SZ20990101000000"' in response.text
    assert reload(client, application).state == S.READY_FOR_COLLECTION


async def test_a_second_click_on_the_same_step_is_refused_with_a_message(client: AsyncTestClient) -> None:
    application = an_application(client)
    staff_of(client)
    assert (await act(client, application, "accept", **ALL_CONFIRMED)).status_code == 303
    again = await act(client, application, "accept", **ALL_CONFIRMED)  # a colleague's page, a moment late
    assert again.status_code == 409
    assert "未作任何更改" in error_at(again, "actions") and "已受理" in error_at(again, "actions")
    assert len(events_of(client, application)) == 2
    skipped = await act(client, application, "collect", acceptance_number=application.acceptance_number or "")
    assert skipped.status_code == 409


async def test_actions_need_the_csrf_token(client: AsyncTestClient) -> None:
    application = an_application(client)
    staff_of(client)
    response = await client.post(f"/staff/applications/{application.id}/accept", data=ALL_CONFIRMED)
    assert response.status_code == 403
    assert reload(client, application).state == S.SUBMITTED


@pytest.mark.parametrize("path", ["/staff/applications", "/staff/applications/{id}"])
async def test_english_pages(client: AsyncTestClient, path: str) -> None:
    application = an_application(client, state=S.ACCEPTED)
    staff_of(client)
    response = await client.get(path.format(id=application.id) + "?lang=en")
    assert response.status_code == 200
    assert "Accepted" in response.text
