"""Regular expressions with JSON Schema's meaning, and a safety check for user-written ones.

JSON Schema `pattern`s are ECMA-262 expressions: `$` matches only at the very end and `\\d`
is `[0-9]`. Python's `re` differs on both (`$` also matches before a final newline, `\\d`
matches every Unicode digit), so a code `"slj\\n"` or a project number in full-width
digits would pass `^…$`. `compile_pattern` gives a pattern those ECMA meanings.

Patterns written by a city (`spec.projectPattern`) or a reviewer run against every
department: `check_safe` refuses the constructs that make a backtracking engine take
exponential time (backreferences, a quantified group holding another quantifier or an
alternation), so no pattern can hang `check`.
"""
from __future__ import annotations

import re
import warnings
from functools import lru_cache
from typing import Any

with warnings.catch_warnings():  # the parser is the only way to see a pattern's structure
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as sre
    import sre_parse

MAX_PATTERN_LENGTH = 256
MAX_VARIABLE_REPEATS = 4  # several variable-length runs in a row backtrack polynomially
_SIMPLE = {sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY, sre.CATEGORY, sre.AT}
_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT}


class PatternError(ValueError):
    """A pattern that does not compile, or that could take exponential time to match."""


def ecma(source: str) -> str:
    """`source` with every `$` outside a character class made to match only at the end."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            out.append(source[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if source[i + 1:i + 2] == "]" or source[i + 1:i + 3] == "^]":  # a leading ] is literal
                step = 2 if source[i + 1] == "]" else 3
                out.append(source[i:i + step])
                i += step
                continue
        elif ch == "$":
            out.append(r"\Z")
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


@lru_cache(maxsize=1024)
def compile_pattern(source: str) -> re.Pattern[str]:
    """`source` compiled with ECMA-262 meanings (ASCII classes, `$` only at the end)."""
    try:
        return re.compile(ecma(source), re.ASCII)
    except (re.error, RecursionError, OverflowError) as exc:
        raise PatternError(f"not a valid regular expression: {exc}") from None


def _body_is_simple(items: Any) -> bool:
    for op, av in items:
        if op is sre.SUBPATTERN:
            if not _body_is_simple(av[-1]):
                return False
        elif op not in _SIMPLE:
            return False
    return True


def _walk(items: Any, counts: list[int]) -> None:
    for op, av in items:
        if op in (sre.GROUPREF, sre.GROUPREF_EXISTS):
            raise PatternError("backreferences are not allowed")
        if op in _REPEATS:
            low, high, body = av
            if high != 1 and not _body_is_simple(body):
                raise PatternError("a repeated group may not hold another quantifier or an alternation "
                                   "(it can take exponential time to match)")
            if low != high:
                counts[0] += 1
            _walk(body, counts)
        elif op is sre.SUBPATTERN:
            _walk(av[-1], counts)
        elif op is sre.BRANCH:
            for branch in av[1]:
                _walk(branch, counts)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            _walk(av[1], counts)
        elif op is sre.ATOMIC_GROUP:
            _walk(av, counts)


def check_safe(source: str) -> re.Pattern[str]:
    """The compiled pattern, or PatternError if it is invalid or could match in exponential time."""
    if len(source) > MAX_PATTERN_LENGTH:
        raise PatternError(f"the pattern is {len(source)} characters; the limit is {MAX_PATTERN_LENGTH}")
    compiled = compile_pattern(source)
    try:
        tree = sre_parse.parse(ecma(source), re.ASCII)
    except (re.error, RecursionError, OverflowError) as exc:  # pragma: no cover - compile failed first
        raise PatternError(f"not a valid regular expression: {exc}") from None
    counts = [0]
    _walk(tree, counts)
    if counts[0] > MAX_VARIABLE_REPEATS:
        raise PatternError(f"more than {MAX_VARIABLE_REPEATS} variable-length repeats")
    return compiled
