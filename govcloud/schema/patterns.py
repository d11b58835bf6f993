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
from collections.abc import Callable
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


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


_CATEGORIES: dict[Any, Callable[[str], bool]] = {
    sre.CATEGORY_DIGIT: str.isdigit, sre.CATEGORY_SPACE: str.isspace, sre.CATEGORY_WORD: _is_word,
}


def _may_match(item: tuple[Any, Any], ch: str) -> bool:
    """Whether one single-character item could match `ch` (True when unsure)."""
    op, av = item
    if op is sre.LITERAL:
        return bool(av == ord(ch))
    if op is sre.NOT_LITERAL:
        return bool(av != ord(ch))
    if op is sre.IN:
        hit, negate = False, False
        for sub_op, sub_av in av:
            if sub_op is sre.NEGATE:
                negate = True
            elif sub_op is sre.LITERAL:
                hit = hit or sub_av == ord(ch)
            elif sub_op is sre.RANGE:
                hit = hit or sub_av[0] <= ord(ch) <= sub_av[1]
            elif sub_op is sre.CATEGORY and sub_av in _CATEGORIES:
                hit = hit or _CATEGORIES[sub_av](ch)
            else:
                return True
        return hit != negate
    return True


def _delimited(body: Any) -> bool:
    """`-[A-Z0-9]+` and the like: each round starts with a character nothing else in it can match,
    so the rounds split one way only and repeating the group cannot backtrack exponentially."""
    items = list(body)
    while len(items) == 1 and items[0][0] is sre.SUBPATTERN:
        items = list(items[0][1][-1])
    if not items or items[0][0] is not sre.LITERAL:
        return False
    first = chr(items[0][1])
    for op, av in items[1:]:
        if op in _REPEATS:
            inner = list(av[2])
            if len(inner) != 1 or inner[0][0] not in _SIMPLE or _may_match(inner[0], first):
                return False
        elif op not in _SIMPLE or (op is not sre.AT and _may_match((op, av), first)):
            return False
    return True


def _walk(items: Any, counts: list[int]) -> None:
    for op, av in items:
        if op in (sre.GROUPREF, sre.GROUPREF_EXISTS):
            raise PatternError("backreferences are not allowed")
        if op in _REPEATS:
            low, high, body = av
            if high != 1 and not (_body_is_simple(body) or _delimited(body)):
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
