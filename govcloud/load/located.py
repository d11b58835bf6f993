"""Safe YAML with a location for every node.

The C composer (libyaml) builds the node graph; we construct plain data ourselves so
that we can (a) record where every key and value sat, (b) reject duplicate keys and
Python tags, and (c) bound alias expansion, which PyYAML would happily let explode.
"""
from __future__ import annotations

import math
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from sys import intern as _intern
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from govcloud.load.marks import BITS, KEY_SHIFT, views
from govcloud.load.typography import slips
from govcloud.model import Document, Finding, Location, Path, Severity

try:  # libyaml is ~10x faster; fall back to the pure-Python loader where it is absent
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class _Loader(_BaseLoader):
    """The C composer calls back into Python for every node; keep those calls cheap.

    It asks `resolve(kind, value, implicit)` for every untagged node: `slice` (a C type taking
    exactly three arguments) answers without running Python code and keeps what it was asked;
    `_tag` resolves a node's tag when the builder needs it, memoized (blueprints repeat the same
    scalars endlessly). Path resolvers, which we never register, are skipped the same way.
    """

    resolve = slice
    descend_resolver: Any = slice  # called with (parent, index) for every node: C, no Python frame
    ascend_resolver: Any = tuple   # called with nothing: C, returns the empty tuple


_resolve: Callable[[type[Node], str, tuple[bool, bool]], str] = Resolver().resolve
_resolved: dict[tuple[str, Any], str] = {}
_plain: dict[str, str] = {}


def _plain_tag(value: str) -> str:
    """The tag YAML's implicit rules give a plain scalar (memoized: blueprints repeat values)."""
    found = _plain.get(value)
    if found is None:
        found = _resolve(ScalarNode, value, (True, False))
        if len(_plain) < 100_000 and len(value) <= 64:
            _plain[value] = found
    return found


def _tag(node: Node) -> str:
    """A node's tag: as written, or as YAML's implicit rules resolve it (stored on the node)."""
    tag: Any = node.tag
    if type(tag) is not slice:
        return str(tag)
    if type(node) is ScalarNode:
        key = (node.value, tag.step)
        found = _resolved.get(key)
        if found is None:
            found = _resolve(ScalarNode, node.value, tag.step)
            if len(_resolved) < 100_000 and len(node.value) <= 64:
                _resolved[key] = found
    else:
        found = _TAG + ("seq" if type(node) is SequenceNode else "map")
    node.tag = found
    return str(found)


MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000  # per document, counting every alias expansion
MAX_DEPTH = 64
MAX_NUMBER = 2**53 - 1  # the largest integer JSON readers keep exactly; no blueprint needs more
RULE = "GC-SCHEMA"

_TAG = "tag:yaml.org,2002:"
_SCALARS = {
    _TAG + "str": SafeConstructor.construct_yaml_str,
    _TAG + "int": SafeConstructor.construct_yaml_int,
    _TAG + "float": SafeConstructor.construct_yaml_float,
    _TAG + "bool": SafeConstructor.construct_yaml_bool,
    _TAG + "null": SafeConstructor.construct_yaml_null,
}
_constructor = SafeConstructor()
_STR, _INT, _BOOL = _TAG + "str", _TAG + "int", _TAG + "bool"
_BOOLS = SafeConstructor.bool_values


class LoadError(Exception):
    """A problem that stops a file (or one document of it) from loading."""

    def __init__(self, message: str, line: int, column: int, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.line, self.column, self.hint = message, line, column, hint


@dataclass(frozen=True)
class LoadedFile:
    path: str
    documents: tuple[Document, ...]
    findings: tuple[Finding, ...]


def _finding(path: str, err: LoadError) -> Finding:
    return Finding(RULE, Severity.ERROR, err.message, Location(path, err.line, err.column), hint=err.hint)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _too_big(node: ScalarNode) -> LoadError:
    return LoadError(f"number {_shown(node.value)} is too large (the limit is {MAX_NUMBER})", *_mark(node))


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Turns one composed document into data + location tables."""

    def __init__(self) -> None:
        self.table: dict[Path, int] = {}  # packed marks (govcloud/load/marks.py)
        self.values, self.keys = views(self.table)
        self.problems: list[LoadError] = []
        self.budget = MAX_NODES

    def build(self, node: Node, path: Path, depth: int = 0) -> Any:
        self.budget -= 1
        mark = node.start_mark
        if type(node) is ScalarNode and self.budget >= 0:  # the hot path: a plain scalar
            self.table[path] = ((mark.line + 1) << BITS) | (mark.column + 1)
            if _tag(node) == _STR:
                value = node.value
                # one string object for a value the city repeats (networks, images…), in memory and cache
                return _intern(value) if len(value) <= 40 else value
            return self._scalar(node)
        if self.budget < 0:
            line, col = _mark(node)
            raise LoadError(
                f"document expands to more than {MAX_NODES} nodes (alias bomb?)", line, col,
                "blueprints do not need deep aliasing; write the values out",
            )
        if depth > MAX_DEPTH:
            line, col = _mark(node)
            raise LoadError(f"nesting deeper than {MAX_DEPTH} levels", line, col)
        self.table[path] = ((mark.line + 1) << BITS) | (mark.column + 1)
        written: Any = node.tag
        if type(written) is slice:  # untagged: a mapping or list is what its kind says
            if type(node) is MappingNode:
                return self._mapping(node, path, depth)
            if type(node) is SequenceNode:
                return [self.build(child, path + (i,), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if isinstance(node, SequenceNode):
            self._check_tag(node, "seq")
            return [self.build(child, path + (i,), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, MappingNode):
            self._check_tag(node, "map")
            return self._mapping(node, path, depth)
        raise LoadError(f"unsupported YAML node {type(node).__name__}", *_mark(node))  # pragma: no cover

    def _check_tag(self, node: Node, kind: str) -> None:
        if _tag(node) != _TAG + kind:
            raise LoadError(f"unsupported tag {node.tag!r}", *_mark(node), "only plain YAML is allowed")

    def _scalar(self, node: ScalarNode) -> Any:
        tag = _tag(node)
        if tag == _STR:
            return node.value
        if tag == _INT and node.value.isdigit() and (node.value[0] != "0" or node.value == "0") \
                and len(node.value) < 16:
            return int(node.value)  # the common case; octal, hex, 1_000 and huge take the slow path
        if tag == _BOOL:
            return _BOOLS[node.value.lower()]
        if tag == _TAG + "timestamp":
            return node.value  # dates stay strings; JSON Schema checks their format
        construct = _SCALARS.get(node.tag)
        if construct is None:
            raise LoadError(f"unsupported tag {node.tag!r}", *_mark(node), "only plain YAML is allowed")
        if tag == _INT and len(node.value) > 64:  # int() of thousands of digits is slow, then refused
            raise _too_big(node)
        try:
            value = construct(_constructor, node)
        except (ConstructorError, ValueError) as exc:
            raise LoadError(f"invalid scalar {_shown(node.value)}: {exc}", *_mark(node)) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise LoadError(f"{_shown(node.value)} is not a finite number", *_mark(node),
                            "write a number; .nan and .inf are not allowed")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
            raise _too_big(node)
        return value

    def _pairs(self, node: MappingNode, depth: int) -> Iterator[tuple[ScalarNode, Node, bool]]:
        """Key/value node pairs with merge keys (`<<`) expanded; the bool says 'merged'."""
        for key, value in node.value:
            if _tag(key) == _TAG + "merge":
                sources = value.value if isinstance(value, SequenceNode) else [value]
                for source in sources:
                    if not isinstance(source, MappingNode) or depth > MAX_DEPTH:
                        raise LoadError("a merge key (<<) needs a mapping", *_mark(source))
                    self.budget -= len(source.value)
                    for pair in self._pairs(source, depth + 1):
                        yield pair[0], pair[1], True
                continue
            if not isinstance(key, ScalarNode):
                raise LoadError("mapping keys must be plain strings", *_mark(key))
            yield key, value, False

    def _mapping(self, node: MappingNode, path: Path, depth: int) -> dict[str, Any]:
        """The common mapping (plain keys, no merge key) in one loop, its plain string values
        inline; anything else is left to `_merging`, from the mapping's start."""
        out: dict[str, Any] = {}
        table = self.table
        budget, problems = self.budget, len(self.problems)
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode:
                break
            tag: Any = key_node.tag
            if type(tag) is slice and tag.step[0]:  # plain: resolved by YAML's implicit rules
                tag = _plain_tag(key_node.value)
                if tag != _STR:
                    break
            elif type(tag) is not slice:
                break
            key = _intern(key_node.value)  # every document has the same few dozen keys
            if key in out:
                break  # a duplicate: reported by the general path
            child = path + (key,)
            at = key_node.start_mark
            keyed = (((at.line + 1) << BITS) | (at.column + 1)) << KEY_SHIFT
            if type(value_node) is ScalarNode and self.budget > 0:
                tag = value_node.tag
                if type(tag) is slice and (not tag.step[0] or _plain_tag(value_node.value) == _STR):
                    self.budget -= 1
                    mark = value_node.start_mark
                    table[child] = keyed | ((mark.line + 1) << BITS) | (mark.column + 1)
                    value = value_node.value
                    out[key] = _intern(value) if len(value) <= 40 else value
                    continue
            out[key] = self.build(value_node, child, depth + 1)
            table[child] |= keyed
        else:
            return out
        self.budget = budget
        del self.problems[problems:]
        return self._merging(node, path, depth)

    def _merging(self, node: MappingNode, path: Path, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: dict[str, Node] = {}
        for key_node, value_node, from_merge in self._pairs(node, depth):
            if _tag(key_node) not in _SCALARS and key_node.tag != _TAG + "timestamp":
                raise LoadError(f"unsupported tag {key_node.tag!r}", *_mark(key_node))
            key = _intern(key_node.value)  # every document has the same few dozen keys
            if key in out:
                if from_merge:
                    continue  # explicit keys win over merged ones
                if key in merged:
                    del merged[key]
                else:
                    first = self.keys[path + (key,)]
                    self.problems.append(LoadError(
                        f"duplicate key {key!r} (first defined at line {first[0]})",
                        *_mark(key_node), "remove one of the two",
                    ))
                    continue
            if from_merge:
                merged[key] = value_node
            child = path + (key,)
            out[key] = self.build(value_node, child, depth + 1)
            at = key_node.start_mark
            self.table[child] |= (((at.line + 1) << BITS) | (at.column + 1)) << KEY_SHIFT
        return out


def _offset_to_mark(raw: bytes, offset: int) -> tuple[int, int]:
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    return line, len(raw[start:offset].decode("utf-8", "replace")) + 1


def decode(raw: bytes) -> str:
    """UTF-8 text of a file (a BOM is dropped), or LoadError at the first bad byte."""
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError(
            f"file is {len(raw)} bytes; the limit is {MAX_FILE_BYTES}", 1, 1,
            "split the blueprint or remove generated content",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _offset_to_mark(raw, exc.start)
        raise LoadError(
            f"file is not UTF-8 (byte 0x{raw[exc.start]:02x})", line, col,
            "save the file as UTF-8 (GBK/GB18030 is not accepted)",
        ) from None
    return text.removeprefix("\ufeff")


def parse(text: str, path: str) -> LoadedFile:
    """Parse YAML text into located documents; problems become GC-SCHEMA findings."""
    documents: list[Document] = []
    findings: list[Finding] = []
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        err = LoadError("file is empty", 1, 1, "a blueprint needs apiVersion, kind, metadata and spec")
        return LoadedFile(path, (), (_finding(path, err),))
    found = slips(text)  # a full-width colon or digit, a tab: named, before YAML's general words
    if found:
        return LoadedFile(path, (), tuple(_finding(path, LoadError(s.message, s.line, s.column, s.hint))
                                          for s in found))
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_Loader)):
            if node is None or (isinstance(node, ScalarNode) and _tag(node) == _TAG + "null"):
                line, col = _mark(node) if node is not None else (1, 1)
                findings.append(_finding(path, LoadError(f"document {index + 1} is empty", line, col)))
                continue
            builder = _Builder()
            try:
                data = builder.build(node, ())
            except LoadError as err:
                findings.append(_finding(path, err))
                continue
            except RecursionError:
                findings.append(_finding(path, LoadError("nesting too deep", *_mark(node))))
                continue
            findings.extend(_finding(path, p) for p in builder.problems)
            documents.append(Document(path, index, data, builder.values, builder.keys))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "syntax error"
        findings.append(_finding(path, LoadError(
            f"invalid YAML: {problem}", line, col, "check indentation, colons and quotes",
        )))
    except yaml.YAMLError as exc:
        findings.append(_finding(path, LoadError(f"invalid YAML: {exc}", 1, 1)))
    return LoadedFile(path, tuple(documents), tuple(findings))


Signature = tuple[int, int, int, int, int]  # device, inode, size, mtime and ctime (ns) of a file


def signature(info: os.stat_result) -> Signature:
    """What changes whenever a file's content may have: its identity, size and both times (the
    ctime moves on every write and cannot be set back, even where a tool restores the mtime)."""
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES, or LoadError (OSError if unreadable).

    Opened without blocking, so a FIFO named `x.yaml` is refused instead of waiting forever
    for a writer; a device or socket is refused the same way.
    """
    return read_signed(path)[0]


def read_signed(path: str | os.PathLike[str]) -> tuple[bytes, Signature | None]:
    """`read_bytes`, with the file's `signature` when it held still while read (None when it
    changed meanwhile: the bytes may then be of no single version of it)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LoadError("not a regular file (a FIFO, socket or device)", 1, 1,
                            "blueprints are plain files")
        if info.st_size > MAX_FILE_BYTES:  # never read a huge file into memory just to refuse it
            raise LoadError(f"file is {info.st_size} bytes; the limit is {MAX_FILE_BYTES}", 1, 1,
                            "split the blueprint or remove generated content")
        chunks = []
        left = MAX_FILE_BYTES + 1
        while left > 0:  # unbuffered: one read for a blueprint (a file may grow while read)
            chunk = os.read(fd, min(left, max(info.st_size + 1, 4096)))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        before, after = signature(info), signature(os.fstat(fd))
        return b"".join(chunks), before if before == after else None
    finally:
        os.close(fd)


def load_file(path: str | os.PathLike[str], display: str | None = None) -> LoadedFile:
    """Read, decode and parse one YAML file."""
    shown = display if display is not None else os.fspath(path)
    try:
        text = decode(read_bytes(path))
    except LoadError as problem:
        return LoadedFile(shown, (), (_finding(shown, problem),))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return LoadedFile(shown, (), (_finding(shown, LoadError(f"cannot read file: {reason}", 1, 1)),))
    return parse(text, shown)
