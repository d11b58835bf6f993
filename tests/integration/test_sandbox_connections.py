"""The sandbox cloud keeps a connection open between calls, as a real endpoint does, and
never reads one request's leftover body as the next request.

werkzeug's server closes every connection after one answer because it cannot tell where
an unread body ends; the sandbox reads each body to its end before the next request line.
These tests speak HTTP on a raw connection, so that nothing reconnects behind their back.
"""
from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

import boto3
import pytest

from tests.integration.cloud_harness import PRIMARY

pytestmark = pytest.mark.integration

DATA = "/moto-api/config"  # a small answer without credentials; moto reads no GET body there


def _connect(endpoint: str) -> http.client.HTTPConnection:
    where = urlsplit(endpoint)
    return http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=10)


def _get(conn: http.client.HTTPConnection, body: bytes | None = None, **headers: str) -> http.client.HTTPResponse:
    conn.request("GET", DATA, body=body, headers=headers)
    answer = conn.getresponse()
    assert answer.status == 201, answer.read()[:300]  # moto answers its config with 201
    assert isinstance(json.loads(answer.read()), dict)
    return answer


def test_one_connection_carries_many_calls_and_unread_bodies(sandbox_endpoint: str) -> None:
    conn = _connect(sandbox_endpoint)
    try:
        _get(conn)
        first = conn.sock
        assert first is not None
        # A body the server never reads, then a request on the same connection right behind it.
        _get(conn, body=b"GET /not-a-request HTTP/1.1\r\n\r\n" + b"x" * 70_000)
        _get(conn, body=b"y" * 10, **{"Content-Type": "application/x-www-form-urlencoded"})
        answer = _get(conn)
        assert answer.getheader("Connection", "").lower() != "close"
        assert conn.sock is first, "the sandbox closed the connection between calls"
    finally:
        conn.close()


def test_a_chunked_body_is_read_to_its_last_chunk(sandbox_endpoint: str) -> None:
    conn = _connect(sandbox_endpoint)
    try:
        conn.request("GET", DATA, body=iter([b"a" * 5000, b"b" * 3]), encode_chunked=True,
                     headers={"Transfer-Encoding": "chunked"})
        answer = conn.getresponse()
        assert answer.status == 201
        answer.read()
        first = conn.sock
        _get(conn)
        assert conn.sock is first
    finally:
        conn.close()


def test_a_client_that_asks_to_close_is_closed(sandbox_endpoint: str) -> None:
    conn = _connect(sandbox_endpoint)
    try:
        answer = _get(conn, Connection="close")
        assert answer.getheader("Connection", "").lower() == "close"
        assert conn.sock is None  # http.client closes its side once the server said so
    finally:
        conn.close()
    where = urlsplit(sandbox_endpoint)
    with socket.create_connection((where.hostname, where.port), timeout=10) as raw:  # HTTP/1.0: one answer
        raw.sendall(f"GET {DATA} HTTP/1.0\r\nHost: {where.netloc}\r\n\r\n".encode())
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and b" 201 " in head.split(b"\r\n")[0], head[:200]
    assert isinstance(json.loads(body), dict)  # the whole answer, then the server closed


def test_head_and_large_answers_keep_their_framing(sandbox_endpoint: str) -> None:
    s3 = boto3.client("s3", region_name=PRIMARY, endpoint_url=sandbox_endpoint,
                      aws_access_key_id="sandbox", aws_secret_access_key="sandbox")
    bucket = "connections-framing"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": PRIMARY})
    big = bytes(range(256)) * 8192  # 2 MiB: sent with Expect: 100-continue
    s3.put_object(Bucket=bucket, Key="big", Body=big)
    for _ in range(3):  # HEAD answers carry the object's length and no body; the next call is not confused
        assert s3.head_object(Bucket=bucket, Key="big")["ContentLength"] == len(big)
        assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == big
    s3.delete_object(Bucket=bucket, Key="big")
    s3.delete_bucket(Bucket=bucket)
