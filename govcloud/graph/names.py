"""Cloud names: valid for the service, unique per city and stack, stable, and tenant-scoped.

Every cloud name starts with the stack prefix `<city>-<stack>`. Names that allow `/` (EC2
Name tags, security groups, log groups, key aliases) are the prefix plus the node's
logical name, unique by construction. Names that do not:

| what | name |
|---|---|
| a system's bucket | `<prefix>-<code>-<system>` |
| a department's own (OA, site, policy, mailbox) | `<prefix>-<code>--<what>`: no system name starts with `-` |
| the department's role | `<prefix>-<code>` |
| city-level | `<prefix>-city-<what>`: `city` is therefore not a valid department code |
| an off-site copy | `<prefix>-city-dr-<the primary's name without the prefix>` |

So a department's IAM policy reaches its buckets by the prefix `<prefix>-<code>-`, and not
the off-site copies, which only the city's replication role writes. A name over a
service's limit is cut and ends in 8 hex digits of a hash of the full name, so it stays
unique and stable.
"""
from __future__ import annotations

import hashlib
import re

from govcloud.errors import GovcloudError
from govcloud.schema import cloudnames

CITY = "city"
PREFIX_MAX = 30  # leaves room for "-<16-char code>-" inside the 54 characters a bucket name keeps
BUCKET_MAX = cloudnames.BUCKET_MAX
IAM_ROLE_MAX = cloudnames.IAM_ROLE_NAME_MAX
IAM_POLICY_MAX = cloudnames.IAM_POLICY_NAME_MAX
QUEUE_MAX = cloudnames.QUEUE_NAME_MAX
ELB_MAX = cloudnames.ELB_NAME_MAX  # load balancers and target groups
SECURITY_GROUP_MAX = cloudnames.SECURITY_GROUP_NAME_MAX
_HASH = 8


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def slug(text: str) -> str:
    """Lowercase ASCII letters, digits and single hyphens: `Prod_East` → `prod-east`."""
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", text.lower(), flags=re.ASCII)).strip("-") or "x"


def checked(kind: str, name: str) -> str:
    """`name`, or GovcloudError if the cloud would refuse it as a `kind` (validation should
    have stopped the blueprint field that made it; this is the last line of defence)."""
    reason = cloudnames.problem(kind, name)
    if reason is not None:
        raise GovcloudError(f"the {kind} {name!r} {reason}", rule="GC-NAME",
                            hint="rename the city, stack, department or system it is made from")
    return name


def fit(name: str, limit: int) -> str:
    """`name`, or its head plus a hash of the whole when it exceeds `limit`."""
    if len(name) <= limit:
        return name
    head = name[: limit - _HASH - 1].rstrip("-.")
    return f"{head}-{digest(name)[:_HASH]}"


def stack_prefix(city: str, stack: str) -> str:
    return fit(slug(f"{city}-{stack}"), PREFIX_MAX)


class Names:
    """The cloud names of one city's stack."""

    def __init__(self, city: str, stack: str) -> None:
        self.prefix = stack_prefix(city, stack)

    def base(self, *parts: str) -> str:
        return "-".join((self.prefix, *parts))

    def city(self, *parts: str) -> str:
        return self.base(CITY, *parts)

    def own(self, code: str, what: str) -> tuple[str, ...]:
        """The name parts of a department's own resource that belongs to no system."""
        return (code, f"-{what}")

    def bucket(self, *parts: str) -> str:
        return checked("bucket", fit(self.base(*parts), BUCKET_MAX))

    def replica_bucket(self, *parts: str) -> str:
        return checked("bucket", fit(self.base(CITY, "dr", *parts), BUCKET_MAX))

    def bucket_scope(self, code: str) -> str:
        """The name prefix every bucket of department `code` starts with."""
        return self.base(code, "")

    def role(self, *parts: str) -> str:
        return checked("iam-role-name", fit(self.base(*parts), IAM_ROLE_MAX))

    def policy(self, *parts: str) -> str:
        return checked("iam-policy-name", fit(self.base(*parts), IAM_POLICY_MAX))

    def queue(self, *parts: str) -> str:
        return checked("queue-name", fit(self.base(*parts), QUEUE_MAX))

    def elb(self, *parts: str) -> str:
        return checked("elb-name", fit(self.base(*parts), ELB_MAX))

    def tagged(self, node: str) -> str:
        """EC2 Name tags and security group names: the node's logical name under the prefix."""
        return checked("security-group-name", fit(f"{self.prefix}/{node}", SECURITY_GROUP_MAX))

    def alias(self, node: str) -> str:
        return checked("kms-alias", f"alias/govcloud/{self.prefix}/{node}")

    def log_group(self, node: str) -> str:
        return checked("log-group", f"/govcloud/{self.prefix}/{node}")
