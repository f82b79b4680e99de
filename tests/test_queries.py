"""The query counter: counts the SQL statements a request runs, so pages can be held to a budget."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.support import QueryCounter, run_db


async def test_health_check_runs_one_query(client: AsyncTestClient, count_queries: QueryCounter) -> None:
    with count_queries() as queries:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert queries.count == 1, queries
    assert queries.statements[0].upper().startswith("SELECT 1")


async def test_start_page_runs_no_query(client: AsyncTestClient, count_queries: QueryCounter) -> None:
    with count_queries() as queries:
        response = await client.get("/")
    assert response.status_code == 200
    assert queries.count == 0, queries


async def test_counter_sees_orm_reads_and_writes_in_order(
    client: AsyncTestClient, count_queries: QueryCounter
) -> None:
    from web.models import SmsOutbox

    async def write_then_read() -> None:
        await SmsOutbox.create(mobile="13800138000", purpose="login", body="code 123456", code="123456")
        await SmsOutbox.filter(mobile="13800138000").count()

    with count_queries() as queries:
        run_db(client, write_then_read)
    assert queries.count == 2, queries
    assert queries.statements[0].upper().startswith("INSERT")
    assert queries.statements[1].upper().startswith("SELECT")
    assert "sms_outbox" in str(queries)


async def test_counter_counts_only_inside_its_block(
    client: AsyncTestClient, count_queries: QueryCounter
) -> None:
    await client.get("/healthz")
    with count_queries() as queries:
        pass
    await client.get("/healthz")
    assert queries.count == 0


# --- budgets of the pages every visitor sees --------------------------------------------------------

async def test_points_list_runs_one_query(client: AsyncTestClient, count_queries: QueryCounter) -> None:
    with count_queries() as queries:
        response = await client.get("/points")
    assert response.status_code == 200 and response.text.count('class="point"') == 74
    assert queries.count == 1, queries


async def test_login_page_runs_no_query_without_a_remembered_device(
    client: AsyncTestClient, count_queries: QueryCounter
) -> None:
    with count_queries() as queries:
        response = await client.get("/login")
    assert response.status_code == 200
    assert queries.count == 0, queries


async def test_a_signed_in_page_costs_the_account_and_the_unread_count(
    client: AsyncTestClient, count_queries: QueryCounter
) -> None:
    from tests.support import sign_in_as

    sign_in_as(client, "resident")
    with count_queries() as queries:
        response = await client.get("/")
    assert response.status_code == 200
    assert queries.count == 2, queries  # the account (guard) and the header's unread badge

    with count_queries() as queries:
        response = await client.get("/me")
    assert response.status_code == 200
    assert queries.count <= 4, queries
