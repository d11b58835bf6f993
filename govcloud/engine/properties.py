"""Property values as the SDK sends them: plain JSON with secret wrappers and unknowns.

Inside the engine a property bag is a plain dict: strings, floats, bools, None, lists,
dicts, secret values wrapped the SDK's way (``{SIG_KEY: SECRET_SIG, "value": v}``) and
unknown values (preview only) as the SDK's ``UNKNOWN`` sentinel string.
"""
from __future__ import annotations

import json
from typing import Any

from google.protobuf import struct_pb2

# Re-exported: the rest of the engine reads the SDK's markers from here.
from govcloud.engine.sdk import PROVIDER_KEY as PROVIDER_KEY
from govcloud.engine.sdk import SECRET_SIG as SECRET_SIG
from govcloud.engine.sdk import SIG_KEY as SIG_KEY
from govcloud.engine.sdk import UNKNOWN as UNKNOWN

Props = dict[str, Any]


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def secret(value: Any) -> dict[str, Any]:
    return value if is_secret(value) else {SIG_KEY: SECRET_SIG, "value": value}


def reveal(value: Any) -> Any:
    """Strip every secret wrapper: providers get plain values (they do not accept secrets)."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return reveal(value.get("value"))
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return is_secret(value) or any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


def contains_unknown(value: Any) -> bool:
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def _from_value(value: Any) -> Any:
    # upb returns plain Python scalars; only nested Struct/ListValue need converting.
    if isinstance(value, struct_pb2.Struct):
        return from_struct(value)
    if isinstance(value, struct_pb2.ListValue):
        return [_from_value(v) for v in value]
    return value


def from_struct(struct: struct_pb2.Struct) -> Props:
    """Decode an RPC struct without resolving unknowns (cheaper than rpc.deserialize_properties)."""
    return {k: _from_value(v) for k, v in struct.items() if v is not None}


def to_struct(props: Props) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(props)
    return struct


def jsonable(value: Any) -> Any:
    """What a provider returned, as JSON values (tuples → lists, odd objects → str)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return json.loads(json.dumps(value, default=str))


def without_provider(props: Props) -> Props:
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


def mark_secret_outputs(outputs: Props, inputs: Props, extra: frozenset[str]) -> Props:
    """An output is secret when the same-named input was, or the program asked for it."""
    marked: Props = {}
    for key, value in outputs.items():
        if key in extra or is_secret(inputs.get(key)):
            marked[key] = secret(reveal(value))
        else:
            marked[key] = value
    return marked


def render(value: Any) -> Any:
    """A value safe to print or export as JSON: secrets masked, unknowns named."""
    if is_secret(value):
        return "[secret]"
    if value == UNKNOWN:
        return "(unknown)"
    if isinstance(value, dict):
        return {k: render(v) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v) for v in value]
    return value
