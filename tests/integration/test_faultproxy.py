"""The fault proxy between boto3 and the sandbox cloud: transparent, faulty on demand, slow on demand."""
from __future__ import annotations

import functools
import http.client
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import boto3
import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.integration.cloud_harness import PRIMARY
from tests.support.faultproxy import FaultProxy

pytestmark = pytest.mark.integration

KEY_ID, SECRET = "faultproxy-key", "faultproxy-secret"
RETRYING = Config(retries={"mode": "standard", "max_attempts": 10})
# Every service govcloud provisions, by SigV4 signing name.
SERVICES = ("s3", "ec2", "iam", "sqs", "route53", "elasticloadbalancing", "logs", "kms")


@functools.cache
def _session() -> boto3.session.Session:
    # One session for the module: it loads each service model once.
    return boto3.session.Session(aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)


def _client(service: str, endpoint: str, config: Config | None = None) -> Any:
    return _session().client(service, region_name=PRIMARY, endpoint_url=endpoint, config=config)


def _bucket(s3: Any, name: str) -> None:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": PRIMARY})


def _pin_virtual_host(s3: Any, endpoint: str) -> None:
    """Sends virtual-host requests (Host: bucket.localhost:port) to `endpoint` without a DNS lookup."""
    def pin(request: AWSRequest, **_: Any) -> None:
        parts = urlsplit(request.url)
        request.headers["Host"] = parts.netloc  # what was signed
        request.url = urlunsplit(parts._replace(netloc=urlsplit(endpoint).netloc))
    s3.meta.events.register("before-send.s3", pin)


def _virtual_host_s3(proxy: FaultProxy) -> Any:
    # botocore falls back to path style for an IP endpoint, so the endpoint is a name.
    port = urlsplit(proxy.endpoint).port
    s3 = _client("s3", f"http://localhost:{port}", Config(s3={"addressing_style": "virtual"}))
    _pin_virtual_host(s3, proxy.endpoint)
    return s3


def test_refuses_an_upstream_off_the_loopback() -> None:
    for upstream in ("http://10.0.0.8:5000", "http://example.com:5000", "https://127.0.0.1:5000",
                     "http://[::ffff:8.8.8.8]:53"):
        with pytest.raises(ValueError, match=r"loopback|look like"):
            FaultProxy(upstream)
    with pytest.raises(ValueError, match="errors"):
        FaultProxy("http://127.0.0.1:5000", errors=("teapot",))
    FaultProxy("http://[::1]:5000")
    FaultProxy("http://localhost:5000")


def test_without_faults_every_service_passes_through(sandbox_endpoint: str,
                                                      unique: Callable[[str], str]) -> None:
    with FaultProxy(sandbox_endpoint, error_rate=0.0) as proxy:
        s3 = _client("s3", proxy.endpoint)
        bucket = unique("fp-docs")
        _bucket(s3, bucket)
        big = bytes(range(256)) * 12_000  # 3 MB: streamed, and sent after "100 Continue"
        s3.put_object(Bucket=bucket, Key="scan.pdf", Body=big)
        assert s3.get_object(Bucket=bucket, Key="scan.pdf")["Body"].read() == big
        assert s3.head_object(Bucket=bucket, Key="scan.pdf")["ContentLength"] == len(big)

        assert _client("ec2", proxy.endpoint).describe_availability_zones()["AvailabilityZones"]
        iam = _client("iam", proxy.endpoint)
        role = unique("fp-role")
        iam.create_role(RoleName=role, AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}')
        assert iam.get_role(RoleName=role)["Role"]["RoleName"] == role

        sqs = _client("sqs", proxy.endpoint)
        queue = sqs.create_queue(QueueName=unique("fp-queue"))["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody="申请已受理")
        assert sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"] == "申请已受理"

        route53 = _client("route53", proxy.endpoint)
        zone = route53.create_hosted_zone(Name=f"{unique('fp')}.gov.example.", CallerReference=unique("ref"))
        assert route53.get_hosted_zone(Id=zone["HostedZone"]["Id"])["HostedZone"]["Name"].endswith(".gov.example.")

        logs = _client("logs", proxy.endpoint)
        group = unique("/gov/fp")
        logs.create_log_group(logGroupName=group)
        assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]] == [group]
        assert "LoadBalancers" in _client("elbv2", proxy.endpoint).describe_load_balancers()
        kms = _client("kms", proxy.endpoint)
        assert kms.describe_key(KeyId=kms.create_key()["KeyMetadata"]["KeyId"])["KeyMetadata"]["Enabled"]

        calls = proxy.calls
        assert proxy.injected == 0 and proxy.forwarded == len(calls) and proxy.upstream_failures == 0
        assert all(status < 400 for _, _, status in calls), calls
        assert set(proxy.by_service) == set(SERVICES)
        assert proxy.connections < len(calls)  # boto3's pooled connections were kept alive


def test_s3_virtual_host_style_reaches_the_right_bucket(sandbox_endpoint: str,
                                                        unique: Callable[[str], str]) -> None:
    with FaultProxy(sandbox_endpoint, error_rate=0.0) as proxy:
        s3 = _virtual_host_s3(proxy)
        bucket = unique("fp-vhost")
        _bucket(s3, bucket)
        s3.put_object(Bucket=bucket, Key="notices/1.txt", Body=b"notice")
        assert s3.get_object(Bucket=bucket, Key="notices/1.txt")["Body"].read() == b"notice"
        assert all(path.startswith("/notices/") or path == "/" for _, path, _ in proxy.calls)
    direct = _client("s3", sandbox_endpoint)
    assert [o["Key"] for o in direct.list_objects_v2(Bucket=bucket)["Contents"]] == ["notices/1.txt"]


@dataclass(frozen=True)
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


class _Recorder(ThreadingHTTPServer):
    """An upstream that keeps what reached it and answers 200, chunked for paths under /chunked."""

    daemon_threads = True

    def __init__(self) -> None:
        self.received: list[Received] = []
        super().__init__(("127.0.0.1", 0), _RecorderHandler)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _RecorderHandler(BaseHTTPRequestHandler):
    server: _Recorder
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            body = self._dechunk()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append(Received(self.command, self.path, dict(self.headers.items()), body))
        self.send_response(200)
        if self.path.startswith("/chunked"):
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"first,", b"second,", b"third"):
                self.wfile.write(b"%X\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        # The query protocols need an XML document with the action's result; the others accept nothing.
        action = parse_qs(body.decode(errors="replace")).get("Action", [""])[0]
        reply = f"<{action}Response><{action}Result/></{action}Response>".encode() if action else b""
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_HEAD = do_PUT = do_POST = do_DELETE = do_GET

    def _dechunk(self) -> bytes:
        body = b""
        while size := int(self.rfile.readline().split(b";")[0], 16):
            body += self.rfile.read(size)
            self.rfile.readline()
        while (line := self.rfile.readline()).strip():
            name, _, value = line.decode().partition(":")
            self.headers[f"trailer-{name.strip()}"] = value.strip()
        return body

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[_Recorder]:
    server = _Recorder()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _signature_holds(request: Received) -> bool:
    """Recomputes the SigV4 signature from what reached the upstream, as a verifying server would."""
    authorization = request.headers["Authorization"]
    scope = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request", authorization)
    signed = re.search(r"SignedHeaders=([^,\s]+)", authorization)
    signature = re.search(r"Signature=([0-9a-f]+)", authorization)
    assert scope and signed and signature, authorization
    region, service = scope.groups()
    by_name = {name.lower(): value for name, value in request.headers.items()}
    rebuilt = AWSRequest(method=request.method, url=f"http://{by_name['host']}{request.target}",
                         headers={name: by_name[name] for name in signed.group(1).split(";")},
                         data=request.body)
    rebuilt.context["timestamp"] = by_name["x-amz-date"]
    signer = (S3SigV4Auth if service == "s3" else SigV4Auth)(Credentials(KEY_ID, SECRET), service, region)
    expected = signer.signature(signer.string_to_sign(rebuilt, signer.canonical_request(rebuilt)), rebuilt)
    return bool(expected == signature.group(1))


def test_signatures_still_verify_at_the_upstream(recorder: _Recorder) -> None:
    with FaultProxy(recorder.endpoint, error_rate=0.0) as proxy:
        port = urlsplit(proxy.endpoint).port
        _client("s3", proxy.endpoint).put_object(Bucket="permits", Key="a b/许可.txt", Body=b"x" * 1000)
        _virtual_host_s3(proxy).put_object(Bucket="permits", Key="vhost.txt", Body=b"y")
        _client("iam", proxy.endpoint).list_roles()
        _client("ec2", proxy.endpoint).describe_vpcs()
        _client("elbv2", proxy.endpoint).describe_load_balancers()
        _client("sqs", proxy.endpoint).list_queues()
        _client("logs", proxy.endpoint).describe_log_groups()
        _client("route53", proxy.endpoint).list_hosted_zones()
    hosts = [r.headers["Host"] for r in recorder.received]
    assert hosts[1].startswith("permits.localhost:")  # the virtual host arrived as signed
    assert all(host.endswith(f":{port}") for host in hosts)
    assert len(recorder.received) == 8
    assert [r.target for r in recorder.received if not _signature_holds(r)] == []


def test_chunked_bodies_stream_both_ways(recorder: _Recorder) -> None:
    pieces = [b"a" * 70_000, b"b" * 10, b"c" * 200_000]
    with FaultProxy(recorder.endpoint, error_rate=0.0) as proxy:
        connection = http.client.HTTPConnection("127.0.0.1", urlsplit(proxy.endpoint).port, timeout=10)
        for _ in range(2):  # the second request reuses the connection
            connection.request("PUT", "/chunked/upload?part=1", body=iter(pieces), encode_chunked=True,
                               headers={"Transfer-Encoding": "chunked", "Trailer": "x-amz-checksum-crc32"})
            response = connection.getresponse()
            assert response.status == 200 and response.getheader("Transfer-Encoding") == "chunked"
            assert response.read() == b"first,second,third"
        connection.close()
        assert proxy.connections == 1
    assert [r.body for r in recorder.received] == [b"".join(pieces)] * 2
    assert recorder.received[0].target == "/chunked/upload?part=1"


# The error code botocore parses out of each injected response (HEAD has no body: status only).
_EXPECTED_CODES = {
    "throttle": {"s3": "SlowDown", "s3-head": "503", "ec2": "RequestLimitExceeded", "iam": "Throttling",
                 "sqs": "RequestThrottled", "route53": "Throttling", "elbv2": "Throttling",
                 "logs": "ThrottlingException", "kms": "ThrottlingException"},
    "503": {"s3": "ServiceUnavailable", "s3-head": "503", "ec2": "Unavailable", "iam": "ServiceUnavailable",
            "sqs": "ServiceUnavailable", "route53": "ServiceUnavailable", "elbv2": "ServiceUnavailable",
            "logs": "ServiceUnavailable", "kms": "ServiceUnavailable"},
    "500": {"s3": "InternalError", "s3-head": "500", "ec2": "InternalError", "iam": "InternalFailure",
            "sqs": "InternalFailure", "route53": "InternalFailure", "elbv2": "InternalFailure",
            "logs": "InternalFailure", "kms": "InternalFailure"},
}


@pytest.mark.parametrize("kind", ["throttle", "503", "500"])
def test_every_injected_error_is_parsed_and_retried(sandbox_endpoint: str, kind: str) -> None:
    once = Config(retries={"mode": "standard", "max_attempts": 1})  # one retry, then give up
    with FaultProxy(sandbox_endpoint, error_rate=1.0, errors=(kind,), seed=1) as proxy:
        def client(service: str) -> Any:
            return _client(service, proxy.endpoint, once)
        calls: dict[str, Callable[[], object]] = {
            "s3": lambda: client("s3").list_objects_v2(Bucket="fp-anything"),
            "s3-head": lambda: client("s3").head_bucket(Bucket="fp-anything"),
            "ec2": lambda: client("ec2").describe_vpcs(),
            "iam": lambda: client("iam").list_roles(),
            "sqs": lambda: client("sqs").list_queues(),
            "route53": lambda: client("route53").list_hosted_zones(),
            "elbv2": lambda: client("elbv2").describe_load_balancers(),
            "logs": lambda: client("logs").describe_log_groups(),
            "kms": lambda: client("kms").list_keys(),
        }

        def failure(call: Callable[[], object]) -> dict[str, Any]:
            with pytest.raises(ClientError) as raised:
                call()
            return dict(raised.value.response)

        # In parallel: a throttle's first backoff is up to 1 s.
        with ThreadPoolExecutor(len(calls)) as pool:
            failures = dict(zip(calls, pool.map(failure, calls.values()), strict=False))
    assert {name: f["Error"]["Code"] for name, f in failures.items()} == _EXPECTED_CODES[kind]
    assert {f["ResponseMetadata"]["RetryAttempts"] for f in failures.values()} == {1}
    assert proxy.injected == 2 * len(calls) and proxy.forwarded == 0


def test_standard_retries_ride_out_a_20_percent_error_rate(sandbox_endpoint: str,
                                                           unique: Callable[[str], str]) -> None:
    bucket, role = unique("fp-retry"), unique("fp-retry-role")
    direct_s3 = _client("s3", sandbox_endpoint)
    _bucket(direct_s3, bucket)
    queue = _client("sqs", sandbox_endpoint).create_queue(QueueName=unique("fp-retry"))["QueueUrl"]
    _client("iam", sandbox_endpoint).create_role(
        RoleName=role, AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}')

    with FaultProxy(sandbox_endpoint, error_rate=0.2, seed=2026) as proxy:
        s3, iam, sqs, ec2 = (_client(name, proxy.endpoint, RETRYING) for name in ("s3", "iam", "sqs", "ec2"))
        work: list[Callable[[], Any]] = [
            functools.partial(s3.put_object, Bucket=bucket, Key=f"forms/{i:03}.json", Body=b'{"ok": true}')
            for i in range(100)]
        for i in range(50):
            work.append([functools.partial(iam.get_role, RoleName=role),
                         functools.partial(sqs.send_message, QueueUrl=queue, MessageBody=f"m{i}"),
                         ec2.describe_vpcs][i % 3])
        # Eight workers, as the engine applies in parallel; serially the throttle backoffs add up to ~10 s.
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda call: call(), work))
        attempts = proxy.forwarded + proxy.injected
        retried = sum(r["ResponseMetadata"]["RetryAttempts"] for r in results)
        assert proxy.forwarded == 150 and proxy.upstream_failures == 0
        assert 0.10 * attempts <= proxy.injected <= 0.35 * attempts, (proxy.injected, attempts)
        assert retried == proxy.injected  # every injected error was retried, nothing else was
        counts = proxy.by_service
        assert sum(c.injected for c in counts.values()) == proxy.injected
        assert len(proxy.calls) == attempts
        assert sorted(counts) == ["ec2", "iam", "s3", "sqs"]
    keys = direct_s3.list_objects_v2(Bucket=bucket, Prefix="forms/")["KeyCount"]
    assert keys == 100


def test_a_lost_answer_was_done_upstream_and_the_call_is_sent_again(sandbox_endpoint: str,
                                                                      unique: Callable[[str], str]) -> None:
    role = unique("fp-lost-role")
    twice = Config(retries={"mode": "standard", "max_attempts": 1})  # one retry, then give up
    with FaultProxy(sandbox_endpoint, error_rate=0.0, lost_rate=1.0, lost_services=("iam",), seed=3) as proxy:
        with pytest.raises(ClientError) as raised:
            _client("iam", proxy.endpoint, twice).create_role(
                RoleName=role, AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}')
        _client("sqs", proxy.endpoint).list_queues()  # not a lost service: answered
        assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 1
    # Counted once the proxy has stopped: a handler counts a call after it has answered.
    assert (proxy.lost, proxy.forwarded, proxy.injected) == (2, 3, 0)
    # The first attempt made the role; the second was refused as a duplicate, unseen.
    assert _client("iam", sandbox_endpoint).get_role(RoleName=role)["Role"]["RoleName"] == role


def test_latency_is_added_to_every_forwarded_call(sandbox_endpoint: str) -> None:
    with FaultProxy(sandbox_endpoint, error_rate=0.0, latency=0.05) as proxy:
        sqs = _client("sqs", proxy.endpoint)
        sqs.list_queues()  # the connection is set up before the clock starts
        started = time.monotonic()
        for _ in range(20):
            sqs.list_queues()
        elapsed = time.monotonic() - started
    # Read once the proxy has stopped: a handler counts a call after it has sent the answer,
    # so the count taken right after the last answer can still miss that call.
    assert elapsed >= 20 * 0.05, elapsed  # at least the added latency; more is the machine's load
    assert proxy.forwarded >= 21, proxy.forwarded  # each call went through the proxy (a retry adds one)


def test_64_concurrent_keep_alive_connections_and_a_clean_shutdown(sandbox_endpoint: str) -> None:
    clients, rounds = 64, 3
    start = threading.Barrier(clients)
    with FaultProxy(sandbox_endpoint, error_rate=0.0, latency=0.25) as proxy:
        port = urlsplit(proxy.endpoint).port
        connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=20) for _ in range(clients)]

        spans: list[tuple[float, float]] = []

        def converse(connection: http.client.HTTPConnection) -> list[int]:
            start.wait()
            statuses = []
            for _ in range(rounds):
                began = time.monotonic()
                connection.request("GET", "/moto-api/")
                response = connection.getresponse()
                response.read()
                spans.append((began, time.monotonic()))
                statuses.append(response.status)
            return statuses

        with ThreadPoolExecutor(clients) as pool:
            statuses = [s for batch in pool.map(converse, connections) for s in batch]
        assert statuses == [200] * clients * rounds
        # The proxy serves the connections side by side: many requests were in flight at one
        # moment (one at a time, never more than one would be), however slow the machine.
        events = sorted([(t, 1) for t, _ in spans] + [(t, -1) for _, t in spans], key=lambda e: (e[0], e[1]))
        in_flight = peak = 0
        for _, step in events:
            in_flight += step
            peak = max(peak, in_flight)
        assert peak >= clients // 2, peak
        assert proxy.connections == clients and proxy.forwarded == clients * rounds
    # Leaving the block closed the idle keep-alive connections and ended every handler thread.
    assert not [t for t in threading.enumerate() if t.name.startswith("faultproxy")]
    with pytest.raises(OSError):
        connections[0].request("GET", "/moto-api/")
        connections[0].getresponse()
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()
