"""A fault- and latency-injecting HTTP proxy between boto3 and the sandbox cloud.

    with FaultProxy("http://127.0.0.1:5000", error_rate=0.2, seed=7) as proxy:
        s3 = boto3.client("s3", endpoint_url=proxy.endpoint, ...)
        ...
        assert proxy.injected > 0

The proxy listens on 127.0.0.1 only and forwards to a loopback upstream only. Each request
is either forwarded unchanged (Host and Authorization included, so the SigV4 signature
stays valid; body and response streamed) after `latency` seconds, or, with probability
`error_rate`, answered by the proxy with an AWS error botocore's standard mode retries
(see tests.support.aws_errors). With probability `lost_rate` (for the services in
`lost_services`, every one when empty) a request is forwarded and done by the upstream,
but its answer is lost: the client gets a 500 instead, as from a gateway that timed out,
and botocore sends the same call again. The random draws come from one seeded generator,
so a serial run injects at the same calls every time.
"""
from __future__ import annotations

import contextlib
import http.client
import io
import ipaddress
import random
import select
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import NamedTuple, Self
from urllib.parse import urlsplit

from tests.support.aws_errors import ERROR_KINDS, InjectedError, error_response, protocol_of, service_of

__all__ = ["Call", "FaultProxy", "ServiceCounts"]

# Bodies up to this size are buffered, so a request can be resent on a fresh upstream connection.
_BUFFER_LIMIT = 1 << 20
_PIECE = 64 * 1024
_MAX_LINE = 64 * 1024
# Per-connection headers (RFC 9110 §7.6.1); Transfer-Encoding is kept because chunked
# request bodies are passed through byte for byte, trailers included.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "upgrade", "expect"})
_RESPONSE_HOP_BY_HOP = _HOP_BY_HOP | {"transfer-encoding"}


class Call(NamedTuple):
    method: str
    path: str  # the request target: path and query string
    status: int


@dataclass(frozen=True)
class ServiceCounts:
    forwarded: int = 0
    injected: int = 0


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 that delays and fails requests to a loopback upstream."""

    def __init__(self, upstream: str, error_rate: float = 0.2, latency: float = 0.0,
                 seed: int | None = None, errors: Sequence[str] = ("throttle", "503"),
                 *, upstream_timeout: float = 60.0, lost_rate: float = 0.0,
                 lost_services: Sequence[str] = ()) -> None:
        self._upstream_host, self._upstream_port = _loopback_address(upstream)
        self.upstream = upstream
        self.error_rate = error_rate
        self.latency = latency
        self.errors = errors
        self.upstream_timeout = upstream_timeout
        if not 0.0 <= lost_rate <= 1.0:
            raise ValueError(f"lost_rate must be within [0, 1], not {lost_rate}")
        self.lost_rate = float(lost_rate)
        self.lost_services = frozenset(lost_services)
        self._lost = 0
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._forwarded = self._injected = self._upstream_failures = self._connections = 0
        self._by_service: dict[str, ServiceCounts] = {}
        self._calls: list[Call] = []
        self._server: _Server | None = None
        self._serve_thread: threading.Thread | None = None

    # Assigned per benchmark phase, e.g. `proxy.error_rate = 0` while seeding fixtures.
    @property
    def error_rate(self) -> float:
        return self._error_rate

    @error_rate.setter
    def error_rate(self, value: float) -> None:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"error_rate must be within [0, 1], not {value}")
        self._error_rate = float(value)

    @property
    def errors(self) -> tuple[str, ...]:
        """The kinds to draw from, evenly: "throttle", "503" and/or "500" (see aws_errors)."""
        return self._errors

    @errors.setter
    def errors(self, value: Sequence[str]) -> None:
        kinds = tuple(value)
        if not kinds or set(kinds) - set(ERROR_KINDS):
            raise ValueError(f"errors must be a non-empty choice of {ERROR_KINDS}, not {value!r}")
        self._errors = kinds

    @property
    def latency(self) -> float:
        return self._latency

    @latency.setter
    def latency(self, value: float) -> None:
        if value < 0:
            raise ValueError(f"latency must not be negative, not {value}")
        self._latency = float(value)

    @property
    def endpoint(self) -> str:
        """The URL to give boto3 as endpoint_url, e.g. http://127.0.0.1:40123."""
        if self._server is None:
            raise RuntimeError("the proxy is not running; use it as a context manager")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        if self._server is not None:
            raise RuntimeError("the proxy is already running")
        self._server = _Server(self)
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
            name=f"faultproxy-{self._server.server_address[1]}", daemon=True)
        self._serve_thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stops accepting, closes every client connection and waits for the handlers."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections(timeout)
        if self._serve_thread is not None:
            self._serve_thread.join(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # Counters: each read takes the lock, so a value is never torn mid-update.
    @property
    def forwarded(self) -> int:
        """Requests passed to the upstream (whatever it answered)."""
        with self._lock:
            return self._forwarded

    @property
    def lost(self) -> int:
        """Requests the upstream did whose answer the client never saw (counted as forwarded too)."""
        with self._lock:
            return self._lost

    @property
    def injected(self) -> int:
        """Requests the proxy answered with an injected error instead of forwarding."""
        with self._lock:
            return self._injected

    @property
    def upstream_failures(self) -> int:
        """Forwarded requests the upstream never answered (the client got a 502)."""
        with self._lock:
            return self._upstream_failures

    @property
    def connections(self) -> int:
        """Client connections accepted; fewer than requests means keep-alive works."""
        with self._lock:
            return self._connections

    @property
    def by_service(self) -> dict[str, ServiceCounts]:
        """Counts per SigV4 signing name: "s3", "iam", "elasticloadbalancing", ..."""
        with self._lock:
            return dict(self._by_service)

    @property
    def calls(self) -> list[Call]:
        """Every request in the order they finished, as (method, path, status)."""
        with self._lock:
            return list(self._calls)

    def reset_counters(self) -> None:
        with self._lock:
            self._forwarded = self._injected = self._upstream_failures = self._connections = 0
            self._by_service.clear()
            self._calls.clear()

    def _draw(self) -> str | None:
        """The error kind to inject for the next request, or None to forward it."""
        with self._lock:
            if self._error_rate and self._random.random() < self._error_rate:
                return self._random.choice(self.errors)
            return None

    def _draw_lost(self, service: str) -> bool:
        """Whether the answer to this forwarded request is to be lost."""
        if not self.lost_rate or (self.lost_services and service not in self.lost_services):
            return False
        with self._lock:
            lost = self._random.random() < self.lost_rate
            self._lost += lost
            return lost

    def _record(self, service: str, call: Call, injected: bool, answered: bool = True) -> None:
        with self._lock:
            counts = self._by_service.get(service, ServiceCounts())
            if injected:
                self._injected += 1
                counts = ServiceCounts(counts.forwarded, counts.injected + 1)
            else:
                self._forwarded += 1
                self._upstream_failures += not answered
                counts = ServiceCounts(counts.forwarded + 1, counts.injected)
            self._by_service[service] = counts
            self._calls.append(call)

    def _count_connection(self) -> None:
        with self._lock:
            self._connections += 1

    def _open_upstream(self) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection(self._upstream_host, self._upstream_port,
                                                timeout=self.upstream_timeout)
        connection.connect()
        # Headers and body go out in separate writes; Nagle would hold the second one back.
        assert connection.sock is not None
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection


def _loopback_address(upstream: str) -> tuple[str, int]:
    """(host, port) of an http:// URL on the loopback; anything else is refused."""
    parts = urlsplit(upstream)
    if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"upstream must look like http://127.0.0.1:PORT, not {upstream!r}")
    host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False  # a name other than localhost would need a DNS lookup
    if not loopback:
        raise ValueError(f"the fault proxy only forwards to a loopback address, not {parts.hostname!r}")
    return host, parts.port or 80


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A burst of parallel boto3 workers connects at once; the default backlog of 5 would drop some.
    request_queue_size = 256

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        self._open: dict[socket.socket, threading.Thread] = {}
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        thread = threading.Thread(target=self.process_request_thread, args=(request, client_address),
                                  name="faultproxy-connection", daemon=True)
        with self._open_lock:
            self._open[request] = thread
        self.proxy._count_connection()
        thread.start()

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.pop(request, None)
        super().shutdown_request(request)

    def close_connections(self, timeout: float) -> None:
        """Wakes handlers idling on keep-alive connections, then waits for all of them."""
        with self._open_lock:
            open_ = list(self._open.items())
        for request, _ in open_:
            with contextlib.suppress(OSError):  # the client closed it already
                request.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for _, thread in open_:
            thread.join(max(0.0, deadline - time.monotonic()))


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # HTTP/1.1 keeps client connections open across requests (keep-alive).
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    # An idle client connection is dropped after this many seconds.
    timeout = 300
    _upstream: http.client.HTTPConnection | None = None

    def do_GET(self) -> None:
        self._relay()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass  # `proxy.calls` is the log; stderr would drown the test output

    def finish(self) -> None:
        if self._upstream is not None:
            self._upstream.close()
        super().finish()

    def _relay(self) -> None:
        proxy = self.server.proxy
        headers = {name.lower(): value for name, value in self.headers.items()}
        service = service_of(headers, self.path)
        kind = proxy._draw()
        body = self._request_body()
        if kind is not None:
            for _ in body if isinstance(body, Iterator) else ():
                pass  # the whole request must be read before the next one on this connection
            error = error_response(kind, protocol_of(service, self.path, headers), service,
                                   self.command, headers)
            self._send_injected(error)
            proxy._record(service, Call(self.command, self.path, error.status), injected=True)
            return
        if proxy.latency:
            time.sleep(proxy.latency)
        status, answered = self._forward(body, lose=proxy._draw_lost(service), service=service)
        proxy._record(service, Call(self.command, self.path, status), injected=False, answered=answered)

    def _request_body(self) -> bytes | Iterator[bytes]:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return _raw_chunks(self.rfile)
        length = int(self.headers.get("Content-Length") or 0)
        if length <= _BUFFER_LIMIT:
            return self.rfile.read(length) if length else b""
        return _exactly(self.rfile, length)

    def _forward_headers(self) -> list[tuple[str, str]]:
        # Headers the client named in Connection are per-connection too.
        named = {h.strip().lower() for h in self.headers.get("Connection", "").split(",")}
        headers = [(name, value) for name, value in self.headers.items()
                   if name.lower() not in _HOP_BY_HOP and name.lower() not in named]
        if self.headers.get("Host") is None:
            headers.append(("Host", f"{self.server.proxy._upstream_host}:{self.server.proxy._upstream_port}"))
        return headers

    def _upstream_connection(self, fresh: bool) -> http.client.HTTPConnection:
        current = self._upstream
        if current is not None and (fresh or current.sock is None or _readable(current.sock)):
            # Readable while idle means the upstream closed it (EOF) or broke the protocol.
            current.close()
            current = None
        if current is None:
            current = self._upstream = self.server.proxy._open_upstream()
        return current

    def _forward(self, body: bytes | Iterator[bytes], *, lose: bool = False, service: str = "") -> tuple[int, bool]:
        """Sends the request upstream and streams the answer back: (status sent, upstream answered).
        `lose`: the upstream's answer is read and dropped, and the client gets a 500."""
        headers = self._forward_headers()
        # A buffered body is sent again on a fresh connection when a kept-alive upstream
        # connection turns out stale while the request is sent; once it was sent, the
        # upstream may have done it, and it is never sent twice.
        attempts = 2 if isinstance(body, bytes) else 1
        for attempt in range(attempts):
            try:
                upstream = self._upstream_connection(fresh=attempt > 0 or not isinstance(body, bytes))
                upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    upstream.putheader(name, value)
                upstream.endheaders(body or None)
                break
            except (OSError, http.client.HTTPException) as error:
                self._drop_upstream()
                if attempt + 1 < attempts:
                    continue
                self.close_connection = True  # an unsent streamed body is left unread
                self._send_bad_gateway(error)
                return 502, False
        try:
            response = upstream.getresponse()
        except (OSError, http.client.HTTPException) as error:
            self._drop_upstream()
            self._send_bad_gateway(error)
            return 502, False
        if lose:
            response.read()
            if response.will_close:
                self._drop_upstream()
            headers_in = {name.lower(): value for name, value in self.headers.items()}
            self._send_injected(error_response("500", protocol_of(service, self.path, headers_in), service,
                                               self.command, headers_in))
            return 500, True
        try:
            self._send_upstream_response(response)
        except (OSError, http.client.HTTPException):
            # The client went away or the upstream broke off: neither connection is reusable.
            self._drop_upstream()
            self.close_connection = True
        return response.status, True

    def _send_upstream_response(self, response: http.client.HTTPResponse) -> None:
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in _RESPONSE_HOP_BY_HOP:
                self.send_header(name, value)
        if self.command == "HEAD" or response.status in (204, 304) or response.status < 200:
            self.end_headers()
            response.read()
            return
        if response.getheader("Content-Length") is not None:
            self.end_headers()
            while piece := response.read1(_PIECE):
                self.wfile.write(piece)
        elif self.request_version == "HTTP/1.1":
            # The upstream streamed (chunked or until close): stream it on as chunks.
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while piece := response.read1(_PIECE):
                self.wfile.write(b"%X\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.close_connection = True  # an HTTP/1.0 client reads until the connection closes
            self.end_headers()
            while piece := response.read1(_PIECE):
                self.wfile.write(piece)
        response.close()  # read to its end: the upstream connection can carry the next request
        if response.will_close:
            self._drop_upstream()

    def _send_injected(self, error: InjectedError) -> None:
        self.send_response_only(error.status, error.reason)
        for name, value in error.headers:
            self.send_header(name, value)
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Length", "0" if self.command == "HEAD" else str(len(error.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(error.body)

    def _send_bad_gateway(self, error: Exception) -> None:
        body = f"fault proxy: upstream {self.server.proxy.upstream} failed: {error!r}\n".encode()
        self.send_response_only(502, "Bad Gateway")
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _drop_upstream(self) -> None:
        if self._upstream is not None:
            self._upstream.close()
            self._upstream = None


def _readable(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _exactly(stream: io.BufferedIOBase, length: int) -> Iterator[bytes]:
    while length:
        piece = stream.read(min(length, _PIECE))
        if not piece:
            raise ConnectionError("the client closed the connection mid-body")
        length -= len(piece)
        yield piece


def _raw_chunks(stream: io.BufferedIOBase) -> Iterator[bytes]:
    """A chunked body exactly as received, framing and trailers included, ending where it ends."""
    while True:
        line = stream.readline(_MAX_LINE)
        if not line.endswith(b"\n"):
            raise ConnectionError("the client sent a malformed chunk size line")
        yield line
        size = int(line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            break
        yield from _exactly(stream, size + 2)  # the chunk and its CRLF
    while True:
        line = stream.readline(_MAX_LINE)
        yield line
        if line.strip() == b"":
            return
