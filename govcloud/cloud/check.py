"""Input normalisation and validation shared by every provider's `check` (pure)."""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from govcloud.cloud.tags import GOVCLOUD, MANAGED_BY
from govcloud.cloud.types import Prop, ResourceType

# The SDK's placeholder for a value not known until apply (pulumi.runtime.rpc.UNKNOWN).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# Keys of the dynamic-provider machinery (`__provider`), never inputs of ours.
RESERVED_PREFIX = "__"

_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "bool": (bool,),
    "list": (list, tuple),
    "dict": (dict,),
    "tags": (dict,),
}


def user_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """The properties without the provider machinery's reserved keys."""
    return {k: _integral(v) for k, v in props.items() if not k.startswith(RESERVED_PREFIX)}


def _integral(value: Any) -> Any:
    """Whole floats back to ints: property values cross the engine as protobuf numbers (floats)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_integral(v) for v in value]
    return value


def _kind_failure(prop: Prop, value: Any) -> str | None:
    if value == UNKNOWN:
        return None
    expected = _PYTHON_TYPES[prop.kind]
    # bool is an int in Python; an int property given `true` is a mistake worth naming.
    if not isinstance(value, expected) or (prop.kind == "int" and isinstance(value, bool)):
        return f"must be {prop.kind}, got {type(value).__name__} {value!r}"
    if prop.choices and value not in prop.choices:
        return f"must be one of {', '.join(prop.choices)}, got {value!r}"
    if prop.kind == "tags" and isinstance(value, dict):
        bad = [k for k, v in value.items() if not isinstance(k, str) or not isinstance(v, str)]
        if bad:
            return f"tag keys and values must be strings: {', '.join(map(str, bad))}"
        if len(value) > 50:
            return f"at most 50 tags, got {len(value)}"
    return None


def normalise(rtype: ResourceType, news: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Defaults filled in, unknown keys rejected, kinds checked: (inputs, [(property, reason)])."""
    inputs = user_inputs(news)
    failures: list[tuple[str, str]] = []
    known = {p.name for p in rtype.props}
    outputs = set(rtype.outputs)
    result: dict[str, Any] = {}
    for key, value in inputs.items():
        if key in outputs and value is None:
            continue  # an output declared by the Resource class, not an input
        if key not in known:
            failures.append((key, f"unknown property of {rtype.token} (known: {', '.join(sorted(known))})"))
    for prop in rtype.props:
        value = inputs.get(prop.name)
        if value is None:
            if prop.required:
                failures.append((prop.name, f"required by {rtype.token}"))
                continue
            value = copy.deepcopy(prop.default)
        elif (reason := _kind_failure(prop, value)) is not None:
            failures.append((prop.name, reason))
            continue
        if isinstance(value, tuple):
            value = list(value)
        if value is not None:
            result[prop.name] = value
    if rtype.taggable:
        tags = dict(result.get("tags") or {})
        tags.setdefault(MANAGED_BY, GOVCLOUD)
        result["tags"] = tags
    return result, failures
