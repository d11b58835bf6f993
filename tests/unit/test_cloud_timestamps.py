"""The timestamps of the cloud's answers: read by the standard library where they are ISO 8601
with a zone, as botocore reads them otherwise, and the same instant either way."""
from __future__ import annotations

import datetime
import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.utils import parse_timestamp

from govcloud.cloud import clients

UTC = datetime.UTC


@pytest.mark.parametrize("value", [
    "2026-12-01T23:48:26.000Z", "2026-12-01T23:48:26Z", "2026-12-01T23:48:26+0000",
    "2026-12-01T23:48:26+08:00", "2026-12-01T23:48:26.5-05:00", "2026-12-01T23:48:26.123456789Z",
])
def test_iso_8601_with_a_zone_is_the_same_instant_as_botocore_reads_it(value: str) -> None:
    parsed = clients._timestamp(value)
    assert parsed == parse_timestamp(value) and parsed.utcoffset() == parse_timestamp(value).utcoffset()


@pytest.mark.parametrize("value", [
    "Tue, 01 Dec 2026 23:48:26 GMT",  # RFC 822 (S3's headers)
    1700000000, 1700000000.5, "1700000000",  # epoch seconds (the JSON protocols)
    "20261201",  # digits only: botocore reads epoch seconds, not a date
    "2026-12-01T23:48:26", "2026-12-01",  # no zone: whatever botocore makes of it
])
def test_anything_else_is_read_by_botocore(value: Any) -> None:
    assert clients._timestamp(value) == parse_timestamp(value)


class _Iam(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = (b"<GetRoleResponse><GetRoleResult><Role><Path>/</Path><RoleName>r</RoleName>"
                b"<RoleId>AROA1</RoleId><Arn>arn:aws-cn:iam::123456789012:role/r</Arn>"
                b"<CreateDate>2026-12-01T23:48:26Z</CreateDate></Role></GetRoleResult>"
                b"<ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetRoleResponse>")
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name, value in clients.SANDBOX_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Iam)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    clients.reset()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    clients.reset()
    server.shutdown()
    server.server_close()


def test_a_clients_answers_are_read_with_it(endpoint: str) -> None:
    role = clients.client("iam", "cn-north-1", endpoint).get_role(RoleName="r")["Role"]
    assert role["CreateDate"] == datetime.datetime(2026, 12, 1, 23, 48, 26, tzinfo=UTC)
    assert role["CreateDate"].tzinfo is UTC  # the standard library's zone: botocore's own parser gives dateutil's
