"""`--format json`: exactly the check envelope, pretty-printed, Chinese kept readable."""
from __future__ import annotations

import json

from govcloud.policy.result import CheckResult


def render_json(result: CheckResult) -> str:
    return json.dumps(result.to_json(), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
