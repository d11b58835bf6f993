"""Typing slips of a Chinese input method that YAML reports only in general terms.

A full-width colon (`name：市水利局`), full-width digits (`mlps: ３`) and a tab in the
indentation each get a message that names the character, at its line and column. So do the
Unicode line breaks that YAML counts and editors do not (NEL, LINE and PARAGRAPH SEPARATOR,
pasted from a word processor): with one of them in a file, every line number YAML gives
after it is one off from what the editor shows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

FULL_WIDTH_DIGITS = "０１２３４５６７８９"
_TO_ASCII = str.maketrans(FULL_WIDTH_DIGITS + "．", "0123456789.")
# Line breaks to YAML (1.1, as PyYAML and libyaml read it), not to an editor.
LINE_BREAKS = {"\x85": "U+0085 NEXT LINE", "\u2028": "U+2028 LINE SEPARATOR", "\u2029": "U+2029 PARAGRAPH SEPARATOR"}
_ESCAPES = {"\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P"}
_SUSPECTS = ("\t", "：", *FULL_WIDTH_DIGITS, *LINE_BREAKS)
# A key at the start of a line (or of a list item, or inside a flow mapping) followed by '：'.
_KEY_COLON = re.compile(r"(?:^[ \t]*(?:-[ \t]+)*|[{,][ \t]*)([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*(：)")
# `key: value` where the plain value is a number typed with full-width digits (YAML reads text;
# an id such as a project number with them is valid text, and its pattern rule reports it).
_KEY_VALUE = re.compile(r"(?:^[ \t]*(?:-[ \t]+)*|[{,][ \t]*)([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*:[ \t]+"
                        r"(-?[0-9" + FULL_WIDTH_DIGITS + r"]*[" + FULL_WIDTH_DIGITS + r"][0-9" + FULL_WIDTH_DIGITS
                        + r"]*(?:[.．][0-9" + FULL_WIDTH_DIGITS + r"]+)?)[ \t]*(?=[,}\]#]|$)")


@dataclass(frozen=True)
class Slip:
    message: str
    line: int
    column: int
    hint: str


def _suspect(text: str) -> bool:
    """Whether `text` holds a tab, a full-width colon or digit, or a Unicode line break (str's
    `in` is much faster than re)."""
    return any(ch in text for ch in _SUSPECTS)


def _code(line: str) -> str:
    """The line without its comment (a '#' after a space or at the start, outside quotes)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def _suspect_lines(text: str) -> list[tuple[int, str]]:
    """(number, text) of each line holding a tab, a full-width colon or digit; found with str's
    own search, so the many lines without one (most of a file) are never looked at."""
    starts: set[int] = set()
    for ch in _SUSPECTS:
        i = text.find(ch)
        while i >= 0:
            starts.add(text.rfind("\n", 0, i) + 1)
            end = text.find("\n", i)
            i = text.find(ch, end) if end >= 0 else -1
    out = []
    for begin in sorted(starts):
        end = text.find("\n", begin)
        out.append((text.count("\n", 0, begin) + 1, text[begin:end if end >= 0 else len(text)]))
    return out


def slips(text: str) -> list[Slip]:
    """Every full-width colon after a key, full-width number, indenting tab and Unicode line
    break in `text`."""
    if not _suspect(text):  # nearly every file: a few substring scans, nothing else
        return []
    found: list[Slip] = []
    for number, raw in _suspect_lines(text):
        breaks = [(i, ch) for i, ch in enumerate(raw) if ch in LINE_BREAKS]  # in a comment too: it ends it
        if breaks:
            found.extend(Slip(f"{LINE_BREAKS[ch]}: a line break to YAML but not to an editor, so the line "
                              "numbers after it would not match", number, i + 1,
                              f"delete it; inside a double-quoted string write {_ESCAPES[ch]} for it")
                         for i, ch in breaks)
            continue
        line = _code(raw)
        indent = len(line) - len(line.lstrip(" \t-"))
        tab = line.find("\t", 0, indent)
        if tab >= 0 and line.strip():
            found.append(Slip("tab in the indentation; YAML indents with spaces only", number, tab + 1,
                              "replace the tab with spaces (blueprints indent by 2 spaces a level)"))
            continue
        for m in _KEY_COLON.finditer(line):
            key = m.group(1)
            found.append(Slip(f"full-width colon '：' after key '{key}'; YAML needs ':' followed by a space",
                              number, m.start(2) + 1,
                              f"type the ASCII colon (half-width input) and a space: `{key}: …`"))
        for m in _KEY_VALUE.finditer(line):
            key, value = m.group(1), m.group(2)
            found.append(Slip(f"full-width digits in '{value}', the value of '{key}'; YAML reads them as text",
                              number, m.start(2) + 1,
                              f"type ASCII digits (half-width input): `{key}: {value.translate(_TO_ASCII)}`"))
    return found
