"""A compiled yes/no validator for the JSON Schema subset our blueprints use.

jsonschema spends most of a validation building error machinery that a valid document
never needs. Valid documents (nearly all of them) take this fast path; only an invalid
one is handed to jsonschema for its precise errors. The compiler refuses any keyword it
does not implement, so the two can never silently disagree about a schema.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from govcloud.schema.patterns import compile_pattern

Check = Callable[[Any], bool]
_ANNOTATIONS = {"$schema", "$id", "title", "description", "default", "examples", "$comment"}


def _is_integer(v: Any) -> bool:
    return type(v) is int  # 2.0 is no count: range(2.0) fails; bool is not an int either


_TYPES: dict[str, Check] = {
    "object": lambda v: type(v) is dict,
    "array": lambda v: type(v) is list,
    "string": lambda v: type(v) is str,
    "integer": _is_integer,
    "number": lambda v: type(v) in (int, float),
    "boolean": lambda v: type(v) is bool,
    "null": lambda v: v is None,
}


def _equal(a: Any, b: Any) -> bool:
    """JSON Schema's equality (as jsonschema's): 1 and 1.0 are one number, true is not 1, and
    arrays and objects are equal item by item. const, enum and uniqueItems all use it."""
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    if type(a) in (int, float) and type(b) in (int, float):
        return bool(a == b)
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _unique(items: list[Any]) -> bool:
    seen: list[Any] = []
    for item in items:
        if any(_equal(item, s) for s in seen):
            return False
        seen.append(item)
    return True


_KEYWORDS = _ANNOTATIONS | {
    "type", "properties", "additionalProperties", "required", "const", "enum", "pattern",
    "minimum", "maximum", "items", "uniqueItems", "minItems", "minLength", "maxLength",
}
_TYPE_TESTS = {
    "object": "type(v) is dict", "array": "type(v) is list", "string": "type(v) is str",
    "integer": "type(v) is int", "number": "type(v) in _numeric", "boolean": "type(v) is bool",
    "null": "v is None",
}


class _Compiler:
    """Writes one Python function per schema node: every keyword test inline, each property
    value handed to its own node's function (a dozen calls a document, not a closure per keyword)."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {"_numeric": (int, float), "_unique": _unique, "_equal": _equal}
        self.source: list[str] = []
        self.tables: list[str] = []  # property dispatch dicts, bound once every function exists
        self.count = 0

    def constant(self, value: Any) -> str:
        name = f"_c{len(self.names)}"
        self.names[name] = value
        return name

    def node(self, schema: dict[str, Any]) -> str:
        unknown = set(schema) - _KEYWORDS
        if unknown:
            raise ValueError(f"the fast validator does not implement {sorted(unknown)}")
        self.count += 1
        name = f"_node{self.count}"
        tests: list[str] = []
        if "type" in schema:
            tests.append(f"if not ({_TYPE_TESTS[schema['type']]}): return False")
        if "const" in schema:
            c = self.constant(schema["const"])
            if type(schema["const"]) is str:  # a string equals only the same string
                tests.append(f"if type(v) is not str or v != {c}: return False")
            else:
                tests.append(f"if not _equal(v, {c}): return False")
        if "enum" in schema:
            if all(type(a) is str for a in schema["enum"]):
                c = self.constant(frozenset(schema["enum"]))
                tests.append(f"if type(v) is not str or v not in {c}: return False")
            else:
                c = self.constant(schema["enum"])
                tests.append(f"if not any(_equal(v, a) for a in {c}): return False")
        if "pattern" in schema:
            c = self.constant(compile_pattern(schema["pattern"]).search)
            tests.append(f"if type(v) is str and {c}(v) is None: return False")
        if "minLength" in schema:
            tests.append(f"if type(v) is str and len(v) < {self.constant(schema['minLength'])}: return False")
        if "maxLength" in schema:
            tests.append(f"if type(v) is str and len(v) > {self.constant(schema['maxLength'])}: return False")
        if "minimum" in schema:
            tests.append(f"if type(v) in _numeric and v < {self.constant(schema['minimum'])}: return False")
        if "maximum" in schema:
            tests.append(f"if type(v) in _numeric and v > {self.constant(schema['maximum'])}: return False")
        if "properties" in schema or "required" in schema or "additionalProperties" in schema:
            subs = {k: self.node(sub) for k, sub in schema.get("properties", {}).items()}
            props = f"_props{self.count}_{len(self.tables)}"
            self.tables.append(f"{props} = {{{', '.join(f'{self.constant(k)}: {f}' for k, f in subs.items())}}}")
            body = ["if type(v) is dict:"]
            for key in schema.get("required", ()):
                body.append(f"    if {self.constant(key)} not in v: return False")
            closed = schema.get("additionalProperties", True) is False
            body += ["    for key, value in v.items():",
                     f"        sub = {props}.get(key)",
                     "        if sub is None:",
                     "            " + ("return False" if closed else "continue"),
                     "        if not sub(value): return False"]
            tests.extend(body)
        if "items" in schema:
            item = self.node(schema["items"])
            tests += ["if type(v) is list:", "    for x in v:", f"        if not {item}(x): return False"]
        if "minItems" in schema:
            tests.append(f"if type(v) is list and len(v) < {self.constant(schema['minItems'])}: return False")
        if schema.get("uniqueItems"):
            tests.append("if type(v) is list and not _unique(v): return False")
        self.source += [f"def {name}(v):", *("    " + t for t in tests), "    return True", ""]
        return name


def compile_schema(schema: dict[str, Any]) -> Check:
    """A function telling whether an instance is valid under `schema`."""
    compiler = _Compiler()
    root = compiler.node(schema)
    names = dict(compiler.names)
    exec(compile("\n".join(compiler.source + compiler.tables), "<govcloud fast validator>", "exec"), names)
    check: Check = names[root]
    return check
