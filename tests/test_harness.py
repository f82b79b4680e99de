"""The test harness itself (tests/conftest.py): every test starts from the same clean state."""

from __future__ import annotations

from datetime import date

from litestar.testing import AsyncTestClient

from tests.support import run_db, sign_in_as
from web.services.seed import POINT_HOURS, read_streets

# The two tests below run in this order (pytest keeps file order): the first leaves traces behind,
# the second proves none of them reached it.


async def test_a_test_writes_to_every_kind_of_state(client: AsyncTestClient) -> None:
    from web.models import AcceptancePoint, Street

    async def write() -> None:
        await AcceptancePoint.all().update(hours="closed for the test")
        street = await Street.first()
        await Street.create(**{**dict(street), "code": "999999999", "name": "测试街道"})

    sign_in_as(client, "admin")
    run_db(client, write)
    await client.post("/dev/clock", data={"today": "2030-01-01"})
    assert run_db(client, client.app.state.clock.today) == date(2030, 1, 1)


async def test_the_next_test_starts_with_only_the_reference_data(client: AsyncTestClient) -> None:
    from web.models import AcceptancePoint, Account, Street

    async def state() -> tuple[int, int, set[str]]:
        hours = set(await AcceptancePoint.all().values_list("hours", flat=True))
        return await Account.all().count(), await Street.all().count(), hours

    accounts, streets, hours = run_db(client, state)
    assert accounts == 0
    assert streets == len(read_streets())
    assert hours == {POINT_HOURS}
    assert run_db(client, client.app.state.clock.override) is None


async def test_ids_restart_in_every_test(client: AsyncTestClient) -> None:
    assert sign_in_as(client, "resident").id == 1


async def test_service_tests_use_the_database_through_the_db_fixture(db: None) -> None:
    from web.models import Account, Street

    assert await Street.all().count() == len(read_streets())
    await Account.create(username="someone", password_hash="x", role="resident", mobile="13900000000")
    assert await Account.all().count() == 1


async def test_and_the_next_app_still_starts(client: AsyncTestClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert sign_in_as(client, "resident").id == 1
