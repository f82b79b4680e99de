"""The test hooks of CONTRACT.md over HTTP: the SMS outbox and the settable clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support import close_stores, run_db
from web.services.clock import SHENZHEN
from web.settings import Settings

MOBILE = "13800138000"


def send_sms(client: AsyncTestClient, mobile: str, code: str | None, purpose: str = "login") -> None:
    from web.models import SmsOutbox

    async def send() -> None:
        await SmsOutbox.create(mobile=mobile, purpose=purpose, body=f"您的验证码是 {code}", code=code)

    run_db(client, send)


async def test_latest_sms_gives_the_newest_code_for_the_number(client: AsyncTestClient) -> None:
    send_sms(client, MOBILE, "111111", purpose="register")
    send_sms(client, MOBILE, "222222")
    send_sms(client, "13900139000", "333333")

    response = await client.get("/dev/sms/latest", params={"mobile": MOBILE})

    assert response.status_code == 200
    body = response.json()
    assert body.keys() == {"mobile", "code", "purpose", "sent_at"}
    assert (body["mobile"], body["code"], body["purpose"]) == (MOBILE, "222222", "login")
    assert datetime.fromisoformat(body["sent_at"]).tzinfo is not None


async def test_latest_sms_skips_messages_without_a_code(client: AsyncTestClient) -> None:
    send_sms(client, MOBILE, "111111")
    send_sms(client, MOBILE, None, purpose="notice")

    assert (await client.get("/dev/sms/latest", params={"mobile": MOBILE})).json()["code"] == "111111"


async def test_latest_sms_is_404_when_none_was_sent(client: AsyncTestClient) -> None:
    send_sms(client, "13900139000", "333333")

    response = await client.get("/dev/sms/latest", params={"mobile": MOBILE})

    assert response.status_code == 404


async def test_sms_page_lists_the_messages_sent(client: AsyncTestClient) -> None:
    send_sms(client, MOBILE, "246810")

    response = await client.get("/dev/sms")

    assert response.status_code == 200
    assert MOBILE in response.text
    assert "246810" in response.text


def clock_today(client: AsyncTestClient) -> date:
    return run_db(client, client.app.state.clock.today)


async def test_clock_page_shows_the_real_date_by_default(client: AsyncTestClient) -> None:
    response = await client.get("/dev/clock")

    assert response.status_code == 200
    assert datetime.now(SHENZHEN).date().isoformat() in response.text
    assert clock_today(client) == datetime.now(SHENZHEN).date()


async def test_posting_a_date_sets_today(client: AsyncTestClient) -> None:
    # The hooks take no CSRF token (CONTRACT.md): a plain form post, as a QA script sends it.
    response = await client.post("/dev/clock", data={"today": "2027-02-01"}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/dev/clock"
    assert "2027-02-01" in (await client.get("/dev/clock")).text
    assert clock_today(client) == date(2027, 2, 1)


async def test_posting_an_empty_date_goes_back_to_the_real_date(client: AsyncTestClient) -> None:
    await client.post("/dev/clock", data={"today": "2027-02-01"})

    response = await client.post("/dev/clock", data={"today": ""}, follow_redirects=False)

    assert response.status_code == 303
    assert clock_today(client) == datetime.now(SHENZHEN).date()


async def test_an_invalid_date_is_a_400_with_a_message(client: AsyncTestClient) -> None:
    await client.post("/dev/clock", data={"today": "2027-02-01"})

    response = await client.post("/dev/clock?lang=en", data={"today": "2027-02-30"})

    assert response.status_code == 400
    assert "Enter a real date" in response.text
    assert "2027-02-30" in response.text
    assert clock_today(client) == date(2027, 2, 1)  # unchanged


async def test_the_clock_is_shared_by_every_app_on_the_same_store(
    client: AsyncTestClient, app: Litestar, make_app: Callable[[Settings], Litestar]
) -> None:
    # Several workers must agree on today: the date lives in the clock store, not in one process.
    await client.post("/dev/clock", data={"today": "2027-02-01"})
    other_worker = make_app(app.state.settings)
    try:
        assert run_db(client, other_worker.state.clock.today) == date(2027, 2, 1)
    finally:
        run_db(client, close_stores, other_worker)
