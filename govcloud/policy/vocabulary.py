"""The city's function vocabulary (policies/data/functions.yaml): ids, synonyms, shared platforms.

A blueprint's `function:` takes an id; a synonym is read as the id it stands for, so that
GC-DUP-001 and GC-DUP-003 compare what systems do, not the words departments chose. The
older `shared-platforms.yaml` form (`functions:` with id/title/platform) still counts: each
of its functions is provided by a shared platform.
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class Function:
    id: str
    name: str
    synonyms: tuple[str, ...] = ()
    platform: str | None = None     # the shared platform that provides it, if any


@dataclass(frozen=True)
class Vocabulary:
    functions: tuple[Function, ...]

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Vocabulary:
        """The vocabulary of a policy folder's data (empty when it has none)."""
        out: dict[str, Function] = {}
        for raw in (data.get("functions") or {}).get("functions") or ():
            out[raw["id"]] = Function(raw["id"], raw.get("name", raw["id"]), tuple(raw.get("synonyms", ())),
                                      raw.get("platform"))
        for raw in (data.get("shared-platforms") or {}).get("functions") or ():  # the older form
            known = out.get(raw["id"])
            if known is None or known.platform is None:
                out[raw["id"]] = Function(raw["id"], raw.get("title", raw["id"]),
                                          known.synonyms if known else (), raw.get("platform", raw["id"]))
        return cls(tuple(out.values()))

    @property
    def empty(self) -> bool:
        return not self.functions

    @cached_property
    def canonical(self) -> dict[str, str]:
        """Every id and synonym → its id (computed once: checks look terms up for every system)."""
        out = {f.id: f.id for f in self.functions}
        for f in self.functions:
            for s in f.synonyms:
                out.setdefault(s, f.id)
        return out

    @cached_property
    def by_id(self) -> dict[str, Function]:
        return {f.id: f for f in self.functions}

    def resolve(self, term: str) -> str:
        """The id a term stands for (an unknown term stands for itself)."""
        return self.canonical.get(term, term)

    def get(self, term: str) -> Function | None:
        return self.by_id.get(self.resolve(term))

    def shared_terms(self) -> list[str]:
        """Ids and synonyms of the functions a shared platform provides."""
        return sorted(t for t, i in self.canonical.items() if (f := self.get(i)) is not None and f.platform)

    def terms(self) -> list[str]:
        return sorted(self.canonical)

    @cached_property
    def _trigrams(self) -> dict[str, tuple[str, ...]]:
        """trigram → terms containing it: a suggestion compares a term with a few candidates only."""
        index: dict[str, list[str]] = {}
        for term in self.terms():
            for gram in _grams(term):
                index.setdefault(gram, []).append(term)
        return {gram: tuple(terms) for gram, terms in index.items()}

    def suggest(self, term: str) -> str | None:
        """The id closest to an unknown term, by its ids and synonyms (None when nothing is close).

        Candidates are the terms sharing the most trigrams with it; only those few are scored,
        so a city of thousands of unknown terms is not compared with the whole vocabulary each.
        """
        shared: dict[str, int] = {}
        for gram in _grams(term):
            for candidate in self._trigrams.get(gram, ()):
                shared[candidate] = shared.get(candidate, 0) + 1
        best = sorted(shared, key=lambda c: (-shared[c], c))[:CANDIDATES]
        close = difflib.get_close_matches(term, best, n=1, cutoff=0.75)
        if close:
            return self.resolve(close[0])
        # a word of the term that is itself a term (e.g. 'own-website-portal' → 'website')
        parts = [p for p in term.split("-") if p in self.canonical]
        return self.resolve(parts[0]) if parts else None


CANDIDATES = 4  # enough for a typo or a missing suffix; each costs a SequenceMatcher


def _grams(term: str) -> set[str]:
    padded = f"  {term} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}
