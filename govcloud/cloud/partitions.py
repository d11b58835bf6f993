"""Which ARN partition a region is in: the one rule for stacks, providers and ARNs (pure).

    partition("cn-north-1")     → aws-cn
    partition("us-gov-west-1")  → aws-us-gov
    partition("ap-east-1")      → aws       (and any name no other partition claims)

The prefixes are those of the SDK's own partition data (botocore's endpoints.json), read as
a table instead of from that 1 MB file; a test compares the two for every known region.
"""
from __future__ import annotations

# Longest prefix first: `us-isob-` before `us-iso-`.
_PREFIXES = (
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
    ("eusc-", "aws-eusc"),
    ("cn-", "aws-cn"),
)
DEFAULT = "aws"


def partition(region: str) -> str:
    """`aws-cn` for cn-north-1, `aws` for us-east-1…; ARNs are built from this."""
    for prefix, name in _PREFIXES:
        if region.startswith(prefix):
            return name
    return DEFAULT
