"""The cloud's naming and length rules, in one place (the services' API references).

The sandbox accepts names the real cloud refuses; a name refused halfway through an
apply leaves the city half-built. Validation checks the fields that names are made from,
the graph checks every name it builds, and providers may check again before a call.

Each rule is `problem(kind, value) -> str | None`: None when the cloud accepts `value`,
else the reason in a few words. `KINDS` lists the kinds; `property_problems(token, props)`
checks a resource's inputs by `PROPERTY_RULES` (type token → property → kind).

| kind | rule |
|---|---|
| bucket | S3 general purpose bucket: 3-63 of `a-z 0-9 . -`, alphanumeric at both ends, no `..`, no IP address (†) |
| security-group-name | EC2: 1-255 of `a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$*`, not starting `sg-` |
| security-group-description | EC2: 0-255 of the same characters (ASCII only) |
| iam-role-name | IAM: 1-64 of `\\w+=,.@-` (ASCII) |
| iam-policy-name | IAM: 1-128 of `\\w+=,.@-` (ASCII) |
| iam-description | IAM role/policy description: 0-1,000 of tab, LF, CR and U+0020-U+00FF (Latin-1) |
| dns-name | Route 53 / ACM: labels of 1-63 `a-z 0-9 -`, not starting or ending with `-`; 253 in all |
| certificate-name | ACM / X.509: the common name is at most 64 characters, and a DNS name |
| certificate-subject | X.509 subject fields (CN, O) of the city's CA: 1-64 characters |
| elb-name | ELB load balancer / target group: 1-32 alphanumerics and `-`, no `-` at an end, no `internal-` start |
| queue-name | SQS: 1-80 of `A-Za-z0-9_-` |
| log-group | CloudWatch Logs: 1-512 of `A-Za-z0-9._-/#` |
| kms-alias | KMS: `alias/` + `A-Za-z0-9/_-`, at most 256, not `alias/aws/…` |
| kms-description | KMS key description: at most 8,192 characters |
| zone-comment | Route 53 hosted zone comment: at most 256 characters |
| secret-name | Secrets Manager: 1-512 of `A-Za-z0-9/_+=.@-`, not ending in `-` + six characters (the ARN's suffix) |
| secret-description | Secrets Manager: at most 2,048 characters |
| tag-key | 1-128 of letters, digits, spaces and `_.:/=+-@`, not starting `aws:` |
| tag-value | 0-256 of letters, digits, spaces and `_.:/=+-@` |

(†) nor a reserved prefix (`xn--`, `sthree-`, `amzn-s3-demo-`) or suffix (`-s3alias`, `--ol-s3`,
`.mrap`, `--x-s3`).
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any

BUCKET_MIN, BUCKET_MAX = 3, 63
SECURITY_GROUP_NAME_MAX = 255
SECURITY_GROUP_DESCRIPTION_MAX = 255
IAM_ROLE_NAME_MAX = 64
IAM_POLICY_NAME_MAX = 128
IAM_DESCRIPTION_MAX = 1000
DNS_LABEL_MAX = 63
DNS_NAME_MAX = 253
CERTIFICATE_NAME_MAX = 64  # RFC 5280 ub-common-name: a longer name fits only a SAN
CERTIFICATE_SUBJECT_MAX = 64  # ub-common-name and ub-organization-name
ELB_NAME_MAX = 32
QUEUE_NAME_MAX = 80
LOG_GROUP_MAX = 512
KMS_ALIAS_MAX = 256
KMS_DESCRIPTION_MAX = 8192
ZONE_COMMENT_MAX = 256
SECRET_NAME_MAX = 512
SECRET_DESCRIPTION_MAX = 2048
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256

_BUCKET_CHARS = re.compile(r"\A[a-z0-9.-]+\Z", re.ASCII)
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3")
_EC2_TEXT = re.compile(r"\A[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*\Z", re.ASCII)
_IAM_NAME = re.compile(r"\A[A-Za-z0-9_+=,.@-]+\Z", re.ASCII)
_LATIN1 = re.compile(r"\A[\t\n\r\u0020-\u00ff]*\Z")
_DNS_LABEL = re.compile(r"\A[a-z0-9]([a-z0-9-]*[a-z0-9])?\Z", re.ASCII)
_ELB = re.compile(r"\A[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\Z", re.ASCII)
_QUEUE = re.compile(r"\A[A-Za-z0-9_-]+\Z", re.ASCII)
_LOG_GROUP = re.compile(r"\A[A-Za-z0-9._/#-]+\Z", re.ASCII)
_SECRET = re.compile(r"\A[A-Za-z0-9/_+=.@-]+\Z", re.ASCII)
_ARN_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}\Z", re.ASCII)
_KMS_ALIAS = re.compile(r"\Aalias/[A-Za-z0-9/_-]+\Z", re.ASCII)
_TAG_EXTRA = set(" _.:/=+-@")

Rule = Callable[[str], "str | None"]


def _length(value: str, low: int, high: int) -> str | None:
    if len(value) < low:
        return "is empty" if low == 1 else f"is shorter than {low} characters"
    if len(value) > high:
        return f"is {len(value)} characters; the limit is {high}"
    return None


def bucket(name: str) -> str | None:
    if (problem := _length(name, BUCKET_MIN, BUCKET_MAX)) is not None:
        return problem
    if not _BUCKET_CHARS.match(name):
        return "may hold only lowercase letters, digits, dots and hyphens"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "must start and end with a letter or digit"
    if ".." in name:
        return "must not contain two adjacent dots"
    if name.count(".") == 3 and name.replace(".", "").isdigit():  # else no IPv4 address: skip the exception
        try:
            ipaddress.IPv4Address(name)
            return "must not be formatted as an IP address"
        except ValueError:
            pass
    for prefix in _BUCKET_PREFIXES:
        if name.startswith(prefix):
            return f"must not start with {prefix!r}"
    for suffix in _BUCKET_SUFFIXES:
        if name.endswith(suffix):
            return f"must not end with {suffix!r}"
    return None


def security_group_name(name: str) -> str | None:
    if (problem := _length(name, 1, SECURITY_GROUP_NAME_MAX)) is not None:
        return problem
    if name.lower().startswith("sg-"):
        return "must not start with 'sg-'"
    if not _EC2_TEXT.match(name):
        return "may hold only ASCII letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*"
    return None


def security_group_description(text: str) -> str | None:
    if (problem := _length(text, 0, SECURITY_GROUP_DESCRIPTION_MAX)) is not None:
        return problem
    if not _EC2_TEXT.match(text):
        return "may hold only ASCII letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*"
    return None


def _iam_name(limit: int) -> Rule:
    def rule(name: str) -> str | None:
        if (problem := _length(name, 1, limit)) is not None:
            return problem
        if not _IAM_NAME.match(name):
            return "may hold only ASCII letters, digits and _+=,.@-"
        return None
    return rule


iam_role_name = _iam_name(IAM_ROLE_NAME_MAX)
iam_policy_name = _iam_name(IAM_POLICY_NAME_MAX)


def iam_description(text: str) -> str | None:
    if (problem := _length(text, 0, IAM_DESCRIPTION_MAX)) is not None:
        return problem
    if not _LATIN1.match(text):
        return "may hold only Latin-1 characters (no Chinese)"
    return None


def dns_name(name: str) -> str | None:
    if (problem := _length(name, 1, DNS_NAME_MAX)) is not None:
        return problem
    for label in name.split("."):
        if len(label) > DNS_LABEL_MAX:
            return f"has a label of {len(label)} characters; the limit is {DNS_LABEL_MAX}"
        if not _DNS_LABEL.match(label):
            return f"has an invalid label {label!r} (letters, digits and inner hyphens only)"
    return None


def certificate_name(name: str) -> str | None:
    if len(name) > CERTIFICATE_NAME_MAX:
        return f"is {len(name)} characters; a certificate's common name holds at most {CERTIFICATE_NAME_MAX}"
    # A wildcard may stand for the whole first label only (`*.foshan.gov.cn`), as ACM allows.
    return dns_name(name.removeprefix("*."))


def certificate_subject(text: str) -> str | None:
    return _length(text, 1, CERTIFICATE_SUBJECT_MAX)


def elb_name(name: str) -> str | None:
    if (problem := _length(name, 1, ELB_NAME_MAX)) is not None:
        return problem
    if not _ELB.match(name):
        return "may hold only letters, digits and inner hyphens"
    if name.startswith("internal-"):
        return "must not start with 'internal-'"
    return None


def _matching(pattern: re.Pattern[str], limit: int, what: str, low: int = 1) -> Rule:
    def rule(value: str) -> str | None:
        if (problem := _length(value, low, limit)) is not None:
            return problem
        return None if pattern.match(value) else f"may hold only {what}"
    return rule


queue_name = _matching(_QUEUE, QUEUE_NAME_MAX, "ASCII letters, digits, _ and -")
log_group = _matching(_LOG_GROUP, LOG_GROUP_MAX, "ASCII letters, digits and ._-/#")


def kms_alias(name: str) -> str | None:
    if (problem := _matching(_KMS_ALIAS, KMS_ALIAS_MAX, "'alias/' and ASCII letters, digits, /_-")(name)):
        return problem
    return "must not start with 'alias/aws/'" if name.startswith("alias/aws/") else None


def kms_description(text: str) -> str | None:
    return _length(text, 0, KMS_DESCRIPTION_MAX)


def zone_comment(text: str) -> str | None:
    return _length(text, 0, ZONE_COMMENT_MAX)


def secret_name(name: str) -> str | None:
    if (problem := _matching(_SECRET, SECRET_NAME_MAX, "ASCII letters, digits and /_+=.@-")(name)):
        return problem
    if _ARN_SUFFIX.search(name):  # a partial-ARN lookup would take it for the random suffix
        return "must not end with a hyphen and six characters"
    return None


def secret_description(text: str) -> str | None:
    return _length(text, 0, SECRET_DESCRIPTION_MAX)


def _tag_chars(text: str) -> bool:
    return all(ch.isalnum() or (ch.isspace() and ch.isprintable()) or ch in _TAG_EXTRA for ch in text)


def tag_key(key: str) -> str | None:
    if (problem := _length(key, 1, TAG_KEY_MAX)) is not None:
        return problem
    if key.lower().startswith("aws:"):
        return "must not start with 'aws:'"
    return None if _tag_chars(key) else "may hold only letters, digits, spaces and _.:/=+-@"


def tag_value(value: str) -> str | None:
    if (problem := _length(value, 0, TAG_VALUE_MAX)) is not None:
        return problem
    return None if _tag_chars(value) else "may hold only letters, digits, spaces and _.:/=+-@"


def as_tag_value(text: str) -> str:
    """`text` made a valid tag value: other characters become spaces, cut to the limit."""
    cleaned = "".join(ch if _tag_chars(ch) else " " for ch in text)
    return " ".join(cleaned.split())[:TAG_VALUE_MAX]


RULES: dict[str, Rule] = {
    "bucket": bucket,
    "security-group-name": security_group_name,
    "security-group-description": security_group_description,
    "iam-role-name": iam_role_name,
    "iam-policy-name": iam_policy_name,
    "iam-description": iam_description,
    "dns-name": dns_name,
    "certificate-name": certificate_name,
    "certificate-subject": certificate_subject,
    "elb-name": elb_name,
    "queue-name": queue_name,
    "log-group": log_group,
    "kms-alias": kms_alias,
    "kms-description": kms_description,
    "zone-comment": zone_comment,
    "secret-name": secret_name,
    "secret-description": secret_description,
    "tag-key": tag_key,
    "tag-value": tag_value,
}
KINDS = tuple(RULES)


# The cloud's rule for each named property of each resource type (the catalogue's tokens,
# govcloud.cloud.types); EC2 Name tags of VPCs, subnets, instances and volumes are tag values.
PROPERTY_RULES: dict[str, dict[str, str]] = {
    "govcloud:network:Vpc": {"name": "tag-value"},
    "govcloud:network:Subnet": {"name": "tag-value"},
    "govcloud:compute:Instance": {"name": "tag-value"},
    "govcloud:compute:Volume": {"name": "tag-value"},
    "govcloud:network:SecurityGroup": {"name": "security-group-name", "description": "security-group-description"},
    "govcloud:storage:Bucket": {"name": "bucket"},
    "govcloud:keys:Key": {"alias": "kms-alias", "description": "kms-description"},
    "govcloud:identity:Role": {"name": "iam-role-name", "description": "iam-description"},
    "govcloud:identity:Policy": {"name": "iam-policy-name", "description": "iam-description"},
    "govcloud:identity:InstanceProfile": {"name": "iam-policy-name"},  # 128 of the IAM name characters
    "govcloud:messaging:Queue": {"name": "queue-name"},
    "govcloud:dns:Zone": {"name": "dns-name", "comment": "zone-comment"},
    "govcloud:dns:Record": {"name": "dns-name"},
    "govcloud:certificates:CityCA": {"common_name": "certificate-subject", "organization": "certificate-subject"},
    "govcloud:certificates:Certificate": {"domain_name": "certificate-name"},
    "govcloud:certificates:PublicCertificate": {"domain_name": "certificate-name"},
    "govcloud:loadbalancing:LoadBalancer": {"name": "elb-name"},
    "govcloud:loadbalancing:TargetGroup": {"name": "elb-name"},
    "govcloud:logs:LogGroup": {"name": "log-group"},
    "govcloud:secrets:Secret": {"name": "secret-name", "description": "secret-description"},
}


def property_problems(token: str, props: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(property, reason) for every name, description or tag in `props` of a `token`
    resource the cloud would refuse; values not known yet (not strings) are skipped."""
    out: list[tuple[str, str]] = []
    for prop, kind in PROPERTY_RULES.get(token, {}).items():
        value = props.get(prop)
        if isinstance(value, str) and (reason := problem(kind, value)) is not None:
            out.append((prop, f"{value!r} {reason}"))
    for name in props.get("subject_alternative_names") or ():
        if isinstance(name, str) and (reason := problem("certificate-name", name)) is not None:
            out.append(("subject_alternative_names", f"{name!r} {reason}"))
    tags = props.get("tags")
    for key, value in (tags.items() if isinstance(tags, Mapping) else ()):
        for kind, text in (("tag-key", key), ("tag-value", value)):
            if isinstance(text, str) and (reason := problem(kind, text)) is not None:
                out.append((f"tags.{key}", f"{text!r} {reason}"))
    return out


def problem(kind: str, value: str) -> str | None:
    """Why the cloud would refuse `value` as a `kind` (see KINDS), or None if it accepts it."""
    return RULES[kind](value)


def check(kind: str, value: str) -> None:
    """ValueError (with the reason) if the cloud would refuse `value` as a `kind`."""
    reason = problem(kind, value)
    if reason is not None:
        raise ValueError(f"{kind} {value!r} {reason}")
