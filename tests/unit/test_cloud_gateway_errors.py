"""A 5xx whose body is an HTML page (a gateway in front of the cloud's API, or an emulator
that failed inside) is retried like any server error, for the XML query services too."""
from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from govcloud.cloud import clients

PAGE = b"<!doctype html>\n<html lang=en><title>502 Bad Gateway</title><h1>Bad Gateway</h1></html>\n"
FINAL = {  # the answer after the page: the service's own error document
    "iam": (404, (b"<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>no role"
                 b"</Message></Error><RequestId>r1</RequestId></ErrorResponse>")),
    "ec2": (400, (b"<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>no vpc</Message>"
                 b"</Error></Errors><RequestID>r1</RequestID></Response>")),
}


class _Gateway(http.server.ThreadingHTTPServer):
    """Answers the first `pages` requests with an HTML 502, then with FINAL[service]."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.service = "iam"
        self.requests = 0
        self.pages = 1


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Gateway

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests += 1
        status, body = (502, PAGE) if self.server.requests <= self.server.pages else FINAL[self.server.service]
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if status == 502 else "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[_Gateway]:
    server = _Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "sandbox")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sandbox")
    clients.reset()
    yield
    clients.reset()


@pytest.mark.parametrize(("service", "code"), [("iam", "NoSuchEntity"), ("ec2", "InvalidVpcID.NotFound")])
def test_an_html_5xx_is_retried_and_the_next_answer_counts(gateway: _Gateway, credentials: None,
                                                           service: str, code: str) -> None:
    gateway.service = service
    endpoint = f"http://127.0.0.1:{gateway.server_address[1]}"
    client = clients.client(service, "cn-north-1", endpoint)
    with pytest.raises(ClientError) as raised:
        client.get_role(RoleName="x") if service == "iam" else client.describe_vpcs(VpcIds=["vpc-1"])
    assert raised.value.response["Error"]["Code"] == code
    assert gateway.requests == 2  # the page was retried once, then the service's answer stood


def test_without_the_correction_the_sdk_gives_up_at_the_page(gateway: _Gateway, credentials: None) -> None:
    # The control: a plain client cannot parse the page and does not retry it.
    plain = boto3.client("iam", region_name="cn-north-1", endpoint_url=f"http://127.0.0.1:{gateway.server_address[1]}",
                         config=Config(retries={"mode": "standard", "max_attempts": 5}))
    with pytest.raises(ResponseParserError):
        plain.get_role(RoleName="x")
    assert gateway.requests == 1


def test_a_page_that_stays_is_an_error_naming_the_status(credentials: None) -> None:
    server = _Gateway()
    server.pages = 10 ** 6  # every answer is the page
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = boto3.client("iam", region_name="cn-north-1",
                              endpoint_url=f"http://127.0.0.1:{server.server_address[1]}",
                              config=Config(retries={"mode": "standard", "max_attempts": 2}))
        client.meta.events.register("before-parse", clients._gateway_errors)
        with pytest.raises(ClientError) as raised:
            client.get_role(RoleName="x")
    finally:
        server.shutdown()
        server.server_close()
    error = raised.value.response["Error"]
    assert error["Code"] == "HTTP502" and "answered HTTP 502" in error["Message"] and "Bad Gateway" in error["Message"]
