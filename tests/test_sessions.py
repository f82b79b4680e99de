"""Sessions written back key by key: a slow request does not undo what a faster one saved."""

from __future__ import annotations

from litestar import Litestar, Request, get
from litestar.params import FromQuery
from litestar.serialization import decode_json, encode_json
from litestar.testing import AsyncTestClient

from tests.support import SESSION_COOKIE, SESSION_STORE


@get("/probe/session/set", opt={"access": "public"})
async def set_key(request: Request, key: FromQuery[str], value: FromQuery[str]) -> dict[str, str]:
    request.session[key] = value
    return {}


@get("/probe/session/slow", opt={"access": "public"})
async def slow_request(request: Request) -> dict[str, str]:
    """Loads the session, then, while it works, another request saves a new draft; then it sets a key."""
    store = request.app.stores.get(SESSION_STORE)
    session_id = request.cookies[SESSION_COOKIE]
    meanwhile = decode_json(await store.get(session_id))
    meanwhile["draft"] = "step2"  # what the faster request wrote
    await store.set(session_id, encode_json(meanwhile))
    request.session["checked"] = "yes"
    return {}


@get("/probe/session", opt={"access": "public"})
async def read_session(request: Request) -> dict[str, str]:
    return {key: str(value) for key, value in request.session.items()}


async def test_a_slow_request_keeps_what_a_faster_one_saved(app: Litestar, client: AsyncTestClient) -> None:
    for handler in (set_key, slow_request, read_session):
        app.register(handler)
    await client.get("/probe/session/set", params={"key": "draft", "value": "step1"})

    await client.get("/probe/session/slow")

    assert (await client.get("/probe/session")).json() == {"draft": "step2", "checked": "yes"}


async def test_a_key_removed_by_a_request_is_removed(app: Litestar, client: AsyncTestClient) -> None:
    @get("/probe/session/pop", opt={"access": "public"})
    async def pop_key(request: Request) -> dict[str, str]:
        request.session.pop("draft", None)
        return {}

    for handler in (set_key, pop_key, read_session):
        app.register(handler)
    await client.get("/probe/session/set", params={"key": "draft", "value": "step1"})
    await client.get("/probe/session/set", params={"key": "other", "value": "x"})

    await client.get("/probe/session/pop")

    assert (await client.get("/probe/session")).json() == {"other": "x"}
