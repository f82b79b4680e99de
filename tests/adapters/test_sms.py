"""SMS gateways (web/adapters/sms.py): the outbox, the log, and a real HTTP gateway on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from web.adapters.sms import (
    HttpGateway,
    LogGateway,
    OutboxGateway,
    SmsDeliveryError,
    build_sms_gateway,
)
from web.models import SmsOutbox
from web.services.sms import message_text
from web.settings import Settings

MOBILE = "13800138000"
BODY = message_text("123456", "login")  # the real message: Chinese, 【】 and full-width punctuation


@dataclass
class FakeGateway:
    """What the local HTTP server saw, and how it answers."""

    port: int
    status: int = 200
    paths: list[str] = field(default_factory=list)
    slow: threading.Event = field(default_factory=threading.Event)  # set: answer at once
    template: str = ""

    def __post_init__(self) -> None:
        self.slow.set()
        self.template = f"http://127.0.0.1:{self.port}/send?to={{mobile}}&text={{text}}"

    def received(self) -> dict[str, list[str]]:
        (path,) = self.paths
        return parse_qs(urlsplit(path).query, keep_blank_values=True)


@pytest.fixture
def gateway_server() -> Iterator[FakeGateway]:
    """A tiny SMS gateway on 127.0.0.1: records each GET and answers with `status`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeGateway(port=server.server_address[1])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.paths.append(self.path)
            fake.slow.wait(timeout=5)
            try:
                self.send_response(fake.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:  # the client gave up waiting (the timeout test)
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.slow.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- outbox and log ---------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["123456", None], ids=["with-code", "without-code"])
async def test_the_outbox_keeps_each_message_with_its_code(db: None, code: str | None) -> None:
    await OutboxGateway().send(MOBILE, BODY, purpose="register", code=code)

    rows = await SmsOutbox.all().values("mobile", "body", "purpose", "code")
    assert rows == [{"mobile": MOBILE, "body": BODY, "purpose": "register", "code": code}]


async def test_the_log_gateway_logs_the_mobile_the_purpose_and_the_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="web.adapters.sms")

    await LogGateway().send(MOBILE, BODY, purpose="reset_password", code="123456")

    (record,) = [r for r in caplog.records if r.name == "web.adapters.sms"]
    assert record.levelno == logging.INFO
    assert MOBILE in record.getMessage() and "reset_password" in record.getMessage()
    assert BODY in record.getMessage()


# --- HTTP gateway ------------------------------------------------------------------------------

async def test_the_http_gateway_sends_the_mobile_and_the_url_encoded_text(gateway_server: FakeGateway) -> None:
    await HttpGateway(gateway_server.template).send(MOBILE, BODY, purpose="login", code="123456")

    (path,) = gateway_server.paths
    assert path.startswith(f"/send?to={MOBILE}&text=%E3%80%90")  # 【 as UTF-8, percent-encoded
    assert gateway_server.received() == {"to": [MOBILE], "text": [BODY]}


@pytest.mark.parametrize(
    "body", ["a&b=c", "1+1 = 2", "50% #1?", "a/b", " spaces ", "验证码：123456。"], ids=str
)
async def test_the_text_arrives_intact_whatever_characters_it_holds(gateway_server: FakeGateway, body: str) -> None:
    await HttpGateway(gateway_server.template).send(MOBILE, body, purpose="login", code=None)

    assert gateway_server.received() == {"to": [MOBILE], "text": [body]}


async def test_the_template_may_put_the_mobile_in_the_path(gateway_server: FakeGateway) -> None:
    template = f"http://127.0.0.1:{gateway_server.port}/numbers/{{mobile}}/messages?body={{text}}"

    await HttpGateway(template).send(MOBILE, "hi there", purpose="login", code=None)

    assert gateway_server.paths == [f"/numbers/{MOBILE}/messages?body=hi%20there"]


@pytest.mark.parametrize("status", [200, 201, 204])
async def test_a_2xx_answer_is_a_delivery(gateway_server: FakeGateway, status: int) -> None:
    gateway_server.status = status

    await HttpGateway(gateway_server.template).send(MOBILE, BODY, purpose="login", code=None)

    assert len(gateway_server.paths) == 1


@pytest.mark.parametrize("status", [400, 403, 404, 429, 500, 502, 503])
async def test_an_error_answer_raises_sms_delivery_error(gateway_server: FakeGateway, status: int) -> None:
    gateway_server.status = status

    with pytest.raises(SmsDeliveryError, match=str(status)):
        await HttpGateway(gateway_server.template).send(MOBILE, BODY, purpose="login", code=None)


async def test_a_refused_connection_raises_sms_delivery_error() -> None:
    template = f"http://127.0.0.1:{closed_port()}/send?to={{mobile}}&text={{text}}"

    with pytest.raises(SmsDeliveryError):
        await HttpGateway(template).send(MOBILE, BODY, purpose="login", code=None)


async def test_a_gateway_slower_than_the_timeout_raises_sms_delivery_error(gateway_server: FakeGateway) -> None:
    gateway_server.slow.clear()

    with pytest.raises(SmsDeliveryError):
        await HttpGateway(gateway_server.template, timeout=0.2).send(MOBILE, BODY, purpose="login", code=None)


# --- choosing the gateway ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("backend", "url", "kind"),
    [
        ("outbox", None, OutboxGateway),
        ("log", None, LogGateway),
        ("http", "https://sms.example.cn/send?to={mobile}&text={text}", HttpGateway),
    ],
)
def test_build_sms_gateway_picks_the_backend_of_the_settings(backend: str, url: str | None, kind: type) -> None:
    settings = Settings(app_env="test", secret_key="x" * 32, sms_backend=backend, sms_http_url=url)

    gateway = build_sms_gateway(settings)

    assert type(gateway) is kind
    if url:
        assert isinstance(gateway, HttpGateway) and gateway.url_template == url


def test_the_outbox_is_the_default_gateway() -> None:
    assert type(build_sms_gateway(Settings(app_env="test", secret_key="x" * 32))) is OutboxGateway
