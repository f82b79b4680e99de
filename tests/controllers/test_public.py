"""Public pages over HTTP: the start page in both languages, the health check, the 404 page."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.support import page_heading, page_language, set_cookies

ENGLISH_HEADING = "Residence Registration and Residence Permit Service"
CHINESE_HEADING = "居住登记和居住证服务平台"


async def test_start_page_is_html_in_simplified_chinese_by_default(client: AsyncTestClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert page_language(response) == "zh-Hans"
    assert page_heading(response) == CHINESE_HEADING


async def test_start_page_offers_sign_in_and_register(client: AsyncTestClient) -> None:
    page = (await client.get("/")).text
    assert 'href="/login"' in page
    assert 'href="/register"' in page


async def test_lang_en_switches_to_english_and_the_cookie_keeps_it(client: AsyncTestClient) -> None:
    response = await client.get("/?lang=en")
    assert page_language(response) == "en"
    assert page_heading(response) == ENGLISH_HEADING
    assert "lang=en" in set_cookies(response)["lang"]

    following = await client.get("/")
    assert page_language(following) == "en"
    assert page_heading(following) == ENGLISH_HEADING


async def test_lang_zh_switches_back_to_chinese(client: AsyncTestClient) -> None:
    await client.get("/?lang=en")
    response = await client.get("/?lang=zh")
    assert page_language(response) == "zh-Hans"
    assert page_heading((await client.get("/"))) == CHINESE_HEADING


async def test_an_unknown_language_falls_back_to_chinese_without_a_cookie(client: AsyncTestClient) -> None:
    response = await client.get("/?lang=fr")
    assert page_language(response) == "zh-Hans"
    assert "lang" not in set_cookies(response)


async def test_health_check_reports_the_database(client: AsyncTestClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_unknown_page_is_a_404_in_the_site_layout(client: AsyncTestClient) -> None:
    response = await client.get("/no-such-page?lang=en")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert page_language(response) == "en"
    assert page_heading(response) == "Page not found"
    assert '<main id="main"' in response.text  # the layout of every page, not a bare error
    assert 'href="/"' in response.text


async def test_404_page_is_in_chinese_by_default(client: AsyncTestClient) -> None:
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert page_language(response) == "zh-Hans"
    assert page_heading(response) != "Page not found"
