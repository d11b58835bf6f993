"""Realistic AWS error responses that botocore's standard retry mode retries.

Which service a request is for comes from its SigV4 credential scope; which wire protocol
it speaks comes from the request itself, so the error body has the shape botocore's parser
for that protocol expects (an unparsed body would leave only the status code to go on).

What botocore 1.44 retries in standard mode (botocore/retries/standard.py):
- the error codes Throttling, ThrottlingException, RequestLimitExceeded, SlowDown,
  RequestThrottled, TooManyRequestsException, ... (ThrottledRetryableChecker),
  backed off from 1 s;
- any HTTP 500, 502, 503 or 504 whatever the code (TransientRetryableChecker), backed off
  from 50 ms;
- an unmodelled HTTP 429.
Each retry also spends from a per-client quota of 500 (5 for a throttle, 14 otherwise) that
a success refunds; with a single client and an error rate of about 50 % or more the quota
runs dry and botocore raises the injected error without retrying it (RetryAttempts 0).
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from enum import Enum
from urllib.parse import parse_qs

__all__ = ["ERROR_KINDS", "InjectedError", "Protocol", "error_response", "protocol_of", "service_of"]

# "throttle": the service's rate-limit error; "503"/"500": a transient server-side failure.
ERROR_KINDS = ("throttle", "503", "500")

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")
# REST services whose errors are XML rather than JSON; every other REST service is JSON.
_REST_XML_SERVICES = frozenset({"route53", "cloudfront", "s3-control", "s3control"})


class Protocol(Enum):
    S3 = "s3"               # REST-XML with S3's bare <Error> document
    EC2 = "ec2"             # query API with EC2's <Response><Errors> document
    QUERY = "query"         # IAM, STS, ELBv2, SNS, ...: <ErrorResponse>
    REST_XML = "rest-xml"   # Route53, CloudFront: <ErrorResponse> as well
    JSON = "json"           # awsJson 1.0/1.1: SQS, KMS, Logs, ACM, ...
    REST_JSON = "rest-json"  # Lambda, API Gateway, ...


@dataclass(frozen=True)
class InjectedError:
    status: int
    reason: str
    code: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


def service_of(headers: dict[str, str], target: str) -> str:
    """The SigV4 signing name ("s3", "iam", "elasticloadbalancing"), or "unsigned"."""
    match = _CREDENTIAL_SCOPE.search(headers.get("authorization", ""))
    if match:
        return match.group(1)
    # Presigned URLs carry the scope in the query string instead.
    credential = parse_qs(target.partition("?")[2]).get("X-Amz-Credential", [""])[0]
    parts = credential.split("/")
    return parts[3] if len(parts) == 5 else "unsigned"


def protocol_of(service: str, target: str, headers: dict[str, str]) -> Protocol:
    """`headers` are lower-cased; `target` is the request line's path and query."""
    content_type = headers.get("content-type", "")
    if "x-amz-target" in headers or content_type.startswith("application/x-amz-json"):
        return Protocol.JSON
    if service in ("s3", "s3express"):
        return Protocol.S3
    if service == "ec2":
        return Protocol.EC2
    if content_type.startswith("application/x-www-form-urlencoded") or "Action=" in target:
        return Protocol.QUERY
    return Protocol.REST_XML if service in _REST_XML_SERVICES else Protocol.REST_JSON


# (status, code, message) per protocol and kind, as the real services send them.
_ERRORS: dict[Protocol, dict[str, tuple[int, str, str]]] = {
    Protocol.S3: {"throttle": (503, "SlowDown", "Please reduce your request rate."),
                  "503": (503, "ServiceUnavailable", "Please reduce your request rate."),
                  "500": (500, "InternalError", "We encountered an internal error. Please try again.")},
    # EC2 answers RequestLimitExceeded with 503, unlike the other query services.
    Protocol.EC2: {"throttle": (503, "RequestLimitExceeded", "Request limit exceeded."),
                   "503": (503, "Unavailable", "The server is overloaded and can't handle the request."),
                   "500": (500, "InternalError", "An internal error has occurred.")},
    Protocol.QUERY: {"throttle": (400, "Throttling", "Rate exceeded"),
                     "503": (503, "ServiceUnavailable", "Service is unavailable"),
                     "500": (500, "InternalFailure", "An internal error has occurred")},
    Protocol.REST_XML: {"throttle": (400, "Throttling", "Rate exceeded"),
                        "503": (503, "ServiceUnavailable", "Service is unavailable"),
                        "500": (500, "InternalFailure", "An internal error has occurred")},
    Protocol.JSON: {"throttle": (400, "ThrottlingException", "Rate exceeded"),
                    "503": (503, "ServiceUnavailable", "Service is unavailable"),
                    "500": (500, "InternalFailure", "An internal error has occurred")},
    Protocol.REST_JSON: {"throttle": (429, "TooManyRequestsException", "Rate exceeded"),
                         "503": (503, "ServiceUnavailableException", "Service is unavailable"),
                         "500": (500, "InternalFailure", "An internal error has occurred")},
}
# The codes a service that moved off the query protocol (SQS, CloudWatch) still reports,
# in the x-amzn-query-error header, to clients that send x-amzn-query-mode.
_QUERY_COMPATIBLE_CODES = {"ThrottlingException": "Throttling;Sender",
                           "ServiceUnavailable": "ServiceUnavailable;Receiver",
                           "InternalFailure": "InternalFailure;Receiver"}
_SQS_THROTTLED = "RequestThrottled;Sender"
_REASONS = {400: "Bad Request", 429: "Too Many Requests", 500: "Internal Server Error",
            503: "Service Unavailable"}


def error_response(kind: str, protocol: Protocol, service: str, method: str,
                   headers: dict[str, str]) -> InjectedError:
    """The error `kind` (one of ERROR_KINDS) as `protocol`'s service would send it."""
    status, code, message = _ERRORS[protocol][kind]
    if method == "HEAD" and status == 400:
        # A HEAD response has no body, so botocore sees only the status and would not retry a 400.
        status = 503
    request_id = str(uuid.uuid4())
    sender = "Sender" if status < 500 else "Receiver"
    extra: list[tuple[str, str]] = []
    if protocol is Protocol.S3:
        content_type = "application/xml"
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                f"<Message>{message}</Message><RequestId>{request_id}</RequestId>"
                f"<HostId>{uuid.uuid4().hex}</HostId></Error>").encode()
        extra = [("x-amz-request-id", request_id), ("x-amz-id-2", uuid.uuid4().hex)]
    elif protocol is Protocol.EC2:
        content_type = "text/xml;charset=UTF-8"
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
                f"<Message>{message}</Message></Error></Errors>"
                f"<RequestID>{request_id}</RequestID></Response>").encode()
    elif protocol in (Protocol.QUERY, Protocol.REST_XML):
        content_type = "text/xml"
        body = (f"<ErrorResponse><Error><Type>{sender}</Type><Code>{code}</Code>"
                f"<Message>{message}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode()
        extra = [("x-amzn-RequestId", request_id)]
    elif protocol is Protocol.JSON:
        content_type = headers.get("content-type") or "application/x-amz-json-1.1"
        body = json.dumps({"__type": code, "message": message}).encode()
        extra = [("x-amzn-RequestId", request_id)]
    else:
        content_type = "application/json"
        body = json.dumps({"message": message}).encode()
        extra = [("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", f"{code}:")]
    if protocol is Protocol.JSON and headers.get("x-amzn-query-mode") == "true":
        legacy = _SQS_THROTTLED if service == "sqs" and kind == "throttle" else _QUERY_COMPATIBLE_CODES[code]
        extra.append(("x-amzn-query-error", legacy))
    return InjectedError(status=status, reason=_REASONS[status], code=code,
                         headers=(("Content-Type", content_type), *extra), body=body)

