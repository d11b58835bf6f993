"""Where every node of a document sat: one table of packed integers, seen as two mappings.

A document keeps the (line, column) of every value and of every key that introduced one
(`Document.values` and `Document.keys`). As two dicts of tuples that is most of a loaded
city's memory; here each path has one int holding both marks (the key's in the high bits,
0 when the node has no key: the document itself and list items), and `Marks` shows either
half as the read-only mapping `Document` expects.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping

from govcloud.model import Path

BITS = 21                       # lines and columns of a file of at most 1 MiB fit in 21 bits
_MASK = (1 << BITS) - 1
KEY_SHIFT = 2 * BITS
_HALF = (1 << KEY_SHIFT) - 1


def mark(line: int, column: int) -> int:
    """A (line, column) as one half of a packed entry."""
    return (line << BITS) | column


class Marks(Mapping[Path, tuple[int, int]]):
    """The value marks (`key=False`) or key marks (`key=True`) of a packed table."""

    __slots__ = ("key", "table")

    def __init__(self, table: dict[Path, int], key: bool) -> None:
        self.table = table
        self.key = key

    def _half(self, packed: int) -> int:
        return packed >> KEY_SHIFT if self.key else packed & _HALF

    def __getitem__(self, path: Path) -> tuple[int, int]:
        half = self._half(self.table[path])
        if not half:
            raise KeyError(path)
        return half >> BITS, half & _MASK

    def get(self, path: Path, default: tuple[int, int] | None = None) -> tuple[int, int] | None:  # type: ignore[override]
        """`self[path]` or `default`, inline: locations are asked for thousands of times a check."""
        packed = self.table.get(path)
        if packed is None:
            return default
        half = packed >> KEY_SHIFT if self.key else packed & _HALF
        return (half >> BITS, half & _MASK) if half else default

    def __contains__(self, path: object) -> bool:
        packed = self.table.get(path)  # type: ignore[call-overload]
        return packed is not None and bool(self._half(packed))

    def __iter__(self) -> Iterator[Path]:
        if not self.key:
            return iter(self.table)
        return (p for p, packed in self.table.items() if packed >> KEY_SHIFT)

    def __len__(self) -> int:
        return len(self.table) if not self.key else sum(1 for _ in self)


def packed_table(values: Mapping[Path, tuple[int, int]], keys: Mapping[Path, tuple[int, int]]) -> dict[Path, int]:
    """The packed table of a document's two mappings (shared when they are already `Marks`)."""
    if isinstance(values, Marks) and isinstance(keys, Marks) and values.table is keys.table:
        return values.table
    table = {p: mark(*at) for p, at in values.items()}
    for p, at in keys.items():
        table[p] = table.get(p, 0) | (mark(*at) << KEY_SHIFT)
    return table


def views(table: dict[Path, int]) -> tuple[Marks, Marks]:
    """(values, keys) of a packed table."""
    return Marks(table, False), Marks(table, True)
