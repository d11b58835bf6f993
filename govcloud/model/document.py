"""A parsed YAML document: plain data plus where every node sat in its file."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from govcloud.model.location import Location

Path = tuple[str | int, ...]


@dataclass(frozen=True, eq=False)
class Document:
    """One YAML document of a file.

    `data` holds plain dicts, lists and scalars (what JSON Schema sees); `values` maps a
    path such as ("spec", "systems", 0, "mlps") to the (line, column) of that value and
    `keys` to the (line, column) of the key that introduced it.
    """

    file: str
    index: int
    data: Any
    values: Mapping[Path, tuple[int, int]] = field(repr=False)
    keys: Mapping[Path, tuple[int, int]] = field(repr=False)

    def location_of(self, path: Sequence[str | int] = (), *, key: bool = False) -> Location:
        """The location of `path`, or of its nearest ancestor that exists."""
        p: Path = tuple(path)
        while True:
            at = (self.keys.get(p) if key else None) or self.values.get(p)  # one lookup: findings ask thousands
            if at is not None:
                return Location(self.file, at[0], at[1])
            if not p:
                return Location(self.file, 1, 1)
            p = p[:-1]

    def get(self, path: Sequence[str | int], default: Any = None) -> Any:
        node = self.data
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return default
        return node
