"""Security over HTTP: headers on every response, cookies, sessions only where needed, CSRF."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated

import pytest
from litestar import Litestar, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.testing import AsyncTestClient

from tests.support import (
    CSRF_FIELD,
    SESSION_COOKIE,
    csrf_token,
    post_form,
    serve,
    set_cookies,
    sign_in_as,
)
from web.settings import Settings

STATIC_FILE = "/static/htmx.min.js"
# Policies that never send a page's path (it may hold an acceptance number) to another site.
PRIVATE_REFERRER_POLICIES = ("same-origin", "no-referrer", "strict-origin", "strict-origin-when-cross-origin")


@pytest.mark.parametrize("path", ["/", "/healthz", STATIC_FILE, "/dev/clock", "/no-such-page"])
async def test_every_response_carries_the_security_headers(client: AsyncTestClient, path: str) -> None:
    response = await client.get(path)
    csp = response.headers["content-security-policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}

    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in PRIVATE_REFERRER_POLICIES
    assert response.headers["x-frame-options"] == "DENY"


async def test_an_error_page_carries_the_security_headers(client: AsyncTestClient) -> None:
    response = await client.post("/", data={"x": "1"})  # GET only: 405 (or 403 for the missing token)
    assert response.status_code >= 400
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def production_settings(settings: Settings) -> Settings:
    return replace(settings, app_env="production")


async def test_hsts_is_not_sent_outside_production(client: AsyncTestClient) -> None:
    assert "strict-transport-security" not in (await client.get("/")).headers


async def test_production_sends_hsts_and_secure_cookies(
    make_app: Callable[[Settings], Litestar], app_settings: Settings
) -> None:
    # One app runs per test (Tortoise has one global context), so no `client` fixture here.
    app = make_app(production_settings(app_settings))
    async with serve(app, base_url="https://testserver.local") as client:
        response = await client.get("/")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "secure" in set_cookies(response)["csrftoken"].lower()


@pytest.mark.parametrize("path", [STATIC_FILE, "/healthz"])
async def test_static_files_and_health_checks_never_write_a_session(
    client: AsyncTestClient, path: str
) -> None:
    # Bots and load balancers hit these: no session may be stored for them (STACK.md trap 5).
    assert SESSION_COOKIE not in set_cookies(await client.get(path))
    sign_in_as(client, "resident")
    assert SESSION_COOKIE not in set_cookies(await client.get(path))


async def test_anonymous_pages_write_no_session(client: AsyncTestClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert SESSION_COOKIE not in set_cookies(response)


async def test_cookies_are_http_only_and_same_site(client: AsyncTestClient) -> None:
    csrf_cookie = set_cookies(await client.get("/"))["csrftoken"].lower()
    assert "httponly" in csrf_cookie and "samesite=lax" in csrf_cookie


# There is no CSRF-protected form route yet (/logout comes with login; /dev is exempt), so these
# tests add one to the real app: same middleware, same CSRF settings.
@post("/csrf-probe", opt={"access": "public"}, sync_to_thread=False)
def csrf_probe(data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]) -> str:
    return "accepted"


@pytest.fixture
def form_client(app: Litestar, client: AsyncTestClient) -> AsyncTestClient:
    """The client of an app that has one CSRF-protected form route, POST /csrf-probe."""
    app.register(csrf_probe)
    return client


async def test_a_form_post_without_its_csrf_token_is_refused(form_client: AsyncTestClient) -> None:
    await form_client.get("/")  # the browser has the cookie, but the attacker's form has no token
    response = await form_client.post("/csrf-probe", data={"name": "x"})
    assert response.status_code == 403


async def test_a_form_post_with_a_forged_csrf_token_is_refused(form_client: AsyncTestClient) -> None:
    await form_client.get("/")
    response = await form_client.post("/csrf-probe", data={"name": "x", CSRF_FIELD: "0" * 64})
    assert response.status_code == 403


async def test_a_token_from_another_browser_is_refused(form_client: AsyncTestClient) -> None:
    attackers_token = await csrf_token(form_client)  # valid, but bound to the attacker's cookie
    form_client.cookies.clear()
    await form_client.get("/")  # the victim's browser, with a cookie of its own
    response = await form_client.post("/csrf-probe", data={"name": "x", CSRF_FIELD: attackers_token})
    assert response.status_code == 403


async def test_a_form_post_with_the_page_token_is_accepted(form_client: AsyncTestClient) -> None:
    response = await post_form(form_client, "/csrf-probe", {"name": "x"})
    assert response.status_code == 201
    assert response.text == "accepted"


async def test_htmx_requests_send_the_token_in_a_header(form_client: AsyncTestClient) -> None:
    token = await csrf_token(form_client)
    response = await form_client.post("/csrf-probe", data={"name": "x"}, headers={"x-csrftoken": token})
    assert response.status_code == 201


async def test_the_test_hooks_need_no_csrf_token(client: AsyncTestClient) -> None:
    # CONTRACT.md: QA scripts call /dev/ directly, without a page to read a token from.
    response = await client.post("/dev/clock", data={"today": ""}, follow_redirects=False)
    assert response.status_code == 303
