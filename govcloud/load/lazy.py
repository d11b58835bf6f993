"""A department re-read from the cache without unpacking its document.

A cache entry keeps, beside a department file's documents, each department as plain data and
the locations a check of the whole city asks of every department (each system's function,
base database and consumed datasets, the department's code). A re-check builds the
department from that and gives it a `LazyDocument`: the document's data and marks are
unpacked from the entry only when something asks for them (a rule judging the department
again, a location not kept), so an unchanged file costs neither unpacking nor building.
"""
from __future__ import annotations

import marshal
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from typing import Any

from govcloud.load.marks import views
from govcloud.model import Department, Document, Location, Path
from govcloud.model.blueprint import (
    Backup,
    Compute,
    Database,
    Delegation,
    OATenant,
    Part,
    Quota,
    Share,
    SiteTenant,
    System,
)

# Every class a Department holds; a record names a class by its position here.
_CLASSES: tuple[type, ...] = (Department, System, Compute, Database, Backup, Share, Part, Quota, OATenant,
                              SiteTenant, Delegation)
_INDEX = {cls: i for i, cls in enumerate(_CLASSES)}
_NAMES = [tuple(f.name for f in fields(cls) if not (cls is Department and f.name == "doc")) for cls in _CLASSES]
Known = dict[Path, tuple[int, int]]


def _encoded(value: Any) -> Any:
    """A model value as marshal-able data: an instance as a list [class, *fields], a tuple as a tuple
    (a plain value, or a tuple of plain values, as it is)."""
    if type(value) is tuple:
        return tuple([_encoded(v) for v in value]) if any(_nested(v) for v in value) else value
    i = _INDEX.get(type(value))
    if i is None:
        return value
    state = value.__dict__
    return [i, *[_encoded(v) if _nested(v) else v for v in (state[name] for name in _NAMES[i])]]


def _nested(value: Any) -> bool:
    return type(value) is tuple or type(value) in _INDEX


_PLAIN = {"str", "int", "bool", "float", "str | None", "int | None", "bool | None", "float | None",
          "Path", "tuple[str, ...]"}  # kept as marshal gives them back
_ONE = re.compile(r"(\w+)( \| None)?")
_MANY = re.compile(r"tuple\[(\w+), \.\.\.\]")


def _kind(cls: type, name: str) -> tuple[str, int | None]:
    """How field `name` of `cls` is coded, by its annotation: ("plain"|"many"|"optional"|"one", class
    index) for a plain value or one of the model's classes, ("other", None) for anything else."""
    kind = next(f.type for f in fields(cls) if f.name == name)
    text = kind if isinstance(kind, str) else getattr(kind, "__name__", "")
    if text in _PLAIN:
        return "plain", None
    names = {c.__name__: i for i, c in enumerate(_CLASSES)}
    if (many := _MANY.fullmatch(text)) and many[1] in names:
        return "many", names[many[1]]
    if (one := _ONE.fullmatch(text)) and one[1] in names:
        return ("optional" if one[2] else "one"), names[one[1]]
    return "other", None


def _field(cls: type, name: str, k: int) -> str:
    """The expression that decodes field `name` (at `v[k]`) of a record of `cls`."""
    how, i = _kind(cls, name)
    if how == "plain":
        return f"v[{k}]"
    if how == "many":
        return f"tuple([B[{i}](x, None) for x in v[{k}]])"
    if how == "optional":
        return f"(None if v[{k}] is None else B[{i}](v[{k}], None))"
    if how == "one":
        return f"B[{i}](v[{k}], None)"
    return f"_decoded(v[{k}])"  # anything else: by the shape of the data


def _encoder(i: int) -> Callable[[Any], list[Any]]:
    """The encoder of class `i`'s instances, the mirror of its decoder (`_builder`)."""
    cls = _CLASSES[i]
    items = []
    for name in _NAMES[i]:
        how, j = _kind(cls, name)
        value = f"d[{name!r}]"
        items.append(value if how == "plain" else
                     f"tuple([E[{j}](x) for x in {value}])" if how == "many" else
                     f"(None if {value} is None else E[{j}]({value}))" if how == "optional" else
                     f"E[{j}]({value})" if how == "one" else f"_encoded({value})")
    source = f"def encode(o):\n    d = o.__dict__\n    return [{i}, {', '.join(items)}]\n"
    scope: dict[str, Any] = {"E": _ENCODERS, "_encoded": _encoded}
    exec(source, scope)  # as dataclasses makes __init__: source written above from the field names
    encode: Callable[[Any], list[Any]] = scope["encode"]
    return encode


def _builder(i: int) -> Callable[[list[Any], Document | None], Any]:
    """The decoder of class `i`'s records: its fields set in one dict display, each decoded as its
    annotation says (a third of the time of one generic loop over the values)."""
    cls = _CLASSES[i]
    items = [f"{name!r}: {_field(cls, name, k)}" for k, name in enumerate(_NAMES[i], start=1)]
    if cls is Department:
        items.append("'doc': doc")
    source = (f"def build(v, doc):\n    obj = new(cls)\n    obj.__dict__.update({{{', '.join(items)}}})\n"
              "    return obj\n")
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls, "_decoded": _decoded, "B": _BUILDERS}
    exec(source, scope)  # as dataclasses makes __init__: source written above from the field names
    built: Callable[[list[Any], Document | None], Any] = scope["build"]
    return built


def _decoded(value: Any, doc: Document | None = None) -> Any:
    """`_encoded`'s value again (the frozen dataclasses' __init__ only sets each field: skipped)."""
    if type(value) is list:
        return _BUILDERS[value[0]](value, doc)
    if type(value) is tuple and any(type(v) is list or type(v) is tuple for v in value):
        return tuple([_decoded(v) for v in value])
    return value


_BUILDERS: list[Callable[[list[Any], Document | None], Any]] = []
_ENCODERS: list[Callable[[Any], list[Any]]] = []
_BUILDERS.extend(_builder(i) for i in range(len(_CLASSES)))
_ENCODERS.extend(_encoder(i) for i in range(len(_CLASSES)))


def known_paths(dept: Department) -> list[Path]:
    """The paths whose locations the checks across departments ask of every department."""
    paths: list[Path] = [("metadata", "code")]
    for system in dept.systems:
        paths.append(system.path + ("function",))
        if system.base_database is not None:
            paths.append(system.path + ("baseDatabase",))
        paths.extend(system.path + ("consumes", i) for i in range(len(system.consumes)))
    return paths


def record(dept: Department) -> tuple[Any, Known]:
    """The department as plain data, with the locations of its `known_paths`."""
    known: Known = {}
    for path in known_paths(dept):
        at = dept.location_of(path)
        known[path] = (at.line, at.column)
    return _ENCODERS[0](dept), known


def recorded(dept: Department) -> tuple[Any, Known] | None:
    """`record(dept)`, or None when decoding it would not give the department back (a field of a
    shape the decoders do not know: its file is then unpacked and built as before)."""
    data, known = record(dept)
    again = _decoded(marshal.loads(marshal.dumps(data)), dept.doc)
    same = again == dept and [s.path for s in again.systems] == [s.path for s in dept.systems]
    return (data, known) if same else None


class _Unpacked:
    """The documents of one file, unpacked from its entry on first use (shared by its documents);
    `blob` is the packed documents, or what reads them from the entry (a file the cache's index
    knows is built without reading its entry)."""

    __slots__ = ("blob", "documents")

    def __init__(self, blob: bytes | Callable[[], bytes]) -> None:
        self.blob = blob
        self.documents: list[tuple[Any, Mapping[Path, tuple[int, int]], Mapping[Path, tuple[int, int]]]] | None = None

    def get(self, index: int) -> tuple[Any, Mapping[Path, tuple[int, int]], Mapping[Path, tuple[int, int]]]:
        if self.documents is None:
            blob = self.blob if isinstance(self.blob, bytes) else self.blob()
            self.documents = [(data, *views(table)) for _file, _index, data, table in marshal.loads(blob)]
            self.blob = b""
        return self.documents[index]


class LazyDocument(Document):
    """A Document whose data and marks are unpacked on first use; its kept locations answer at once."""

    def __init__(self, file: str, index: int, position: int, unpacked: _Unpacked, known: Known) -> None:
        # data, values and keys are left unset: __getattr__ fills them from the entry when read
        object.__setattr__(self, "file", file)
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "_position", position)
        object.__setattr__(self, "_unpacked", unpacked)
        object.__setattr__(self, "_known", known)

    def __getattr__(self, name: str) -> Any:
        if name not in ("data", "values", "keys"):
            raise AttributeError(name)
        data, values, keys = self._unpacked.get(self._position)
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "keys", keys)
        return getattr(self, name)

    def location_of(self, path: Sequence[str | int] = (), *, key: bool = False) -> Location:
        if not key:
            at = self._known.get(path if type(path) is tuple else tuple(path))
            if at is not None:
                return Location(self.file, at[0], at[1])
        return super().location_of(path, key=key)


def lazy_departments(blob: bytes | Callable[[], bytes], heads: Sequence[tuple[str, int]],
                     records: Sequence[tuple[Any, Known]]) -> list[tuple[LazyDocument, Department]]:
    """The (document, department) of each record of a file whose documents `blob` packs;
    `heads` are the documents' (file, index)."""
    unpacked = _Unpacked(blob)
    out = []
    for position, ((file, index), (data, known)) in enumerate(zip(heads, records, strict=True)):
        doc = LazyDocument(file, index, position, unpacked, known)
        dept = _decoded(data, doc)
        if type(dept) is not Department:
            raise ValueError("not a department record")
        out.append((doc, dept))
    return out
