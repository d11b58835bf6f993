"""How many examples the property and fuzz tests draw.

The suite runs a fixed, modest sample; `GOVCLOUD_FUZZ_EXAMPLES=N` runs N per test (scaled
where a test draws fewer by design) and explores new inputs at length.
"""
from __future__ import annotations

import os

LONG = int(os.environ.get("GOVCLOUD_FUZZ_EXAMPLES", "0"))


def examples(suite: int) -> int:
    """`suite` examples in the suite's run, GOVCLOUD_FUZZ_EXAMPLES when that is set."""
    return LONG or suite
