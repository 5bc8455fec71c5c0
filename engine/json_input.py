"""Case text to JSON data: every input ends in data or in errors that name the field.

`json.loads` alone recurses once per nesting level (100,000 `[` end in RecursionError),
lets a duplicated key win silently, and turns a 5,000-digit integer into a ValueError.
Here: nesting is measured by an iterative scan before parsing, duplicate keys and
unpaired surrogates are errors with their path, numbers are read exactly (floats as
Decimal, over-long integers as Decimal so that the field's own check refuses them)."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from .case_checks import CaseError

# Deepest level a case may nest (the format itself needs 6: case, enterprises, an
# enterprise, incubator, years, a year). Well under the depth at which Python's
# parser or pydantic would recurse out.
MAX_DEPTH = 64
# Longest integer literal read as int; longer ones (Python refuses above 4,300 digits)
# become Decimal, which every count and money check then refuses with the field's path.
MAX_INT_DIGITS = 100
ROOT = "(case)"
# Longest case text read, in bytes: some hundred times the largest case the matcher takes,
# so that a stream without end (/dev/zero, a pipe) is refused rather than read forever.
MAX_BYTES = 64 * 1024 * 1024

# A JSON string (escapes included), a bracket, or a lone quote (an unterminated string).
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},"]', re.DOTALL)
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89abcdefABCDEF]")


class CaseInputError(ValueError):
    """The text is not a case's JSON; `errors` say where and why."""

    def __init__(self, errors: list[CaseError]):
        super().__init__("; ".join(f"{e.path}: {e.code}" for e in errors))
        self.errors = errors


def parse_case(text: str | bytes) -> Any:
    """Parse a case's JSON text, or raise CaseInputError with coded errors."""
    if len(text) > MAX_BYTES:  # for a str, characters: never more than its UTF-8 bytes
        raise CaseInputError([CaseError(ROOT, "too_long", {"limit": str(MAX_BYTES)})])
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CaseInputError([CaseError(ROOT, "encoding", {"position": str(exc.start)})]) from None
    elif _SURROGATE.search(text):  # only a str handed to the API can carry these raw (UTF-8 cannot)
        raise CaseInputError([CaseError(ROOT, "surrogate")])
    text = text.removeprefix("\ufeff")  # a byte-order mark some editors write
    if _too_deep(text):
        raise CaseInputError([CaseError(_deep_path(text) or ROOT, "too_deep", {"limit": str(MAX_DEPTH)})])
    duplicates: list[bool] = []

    def pairs_to_dict(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            duplicates.append(True)
            return _Duplicated(pairs)
        return out

    try:
        data = json.loads(text, parse_float=Decimal, parse_int=_int, parse_constant=_not_json,
                          object_pairs_hook=pairs_to_dict)
    except json.JSONDecodeError as exc:
        raise CaseInputError([CaseError(ROOT, "json", {"detail": exc.msg, "line": str(exc.lineno), "column": str(exc.colno)})]) from None
    except _Constant as exc:  # NaN, Infinity: Python's json reads them, JSON has no such number
        raise CaseInputError([CaseError(ROOT, "json_constant", {"literal": exc.args[0]})]) from None
    errors: list[CaseError] = []
    if duplicates:
        errors += [CaseError(path, "duplicate_key", {"key": _printable(key)}) for path, key in _duplicate_keys(data)]
    if _ESCAPED_SURROGATE.search(text):
        errors += [CaseError(path or ROOT, "surrogate") for path in _surrogates(data)]
    if errors:
        raise CaseInputError(errors)
    return data


class _Constant(ValueError):
    pass


def _not_json(literal: str) -> Any:
    raise _Constant(literal)


def _int(literal: str) -> int | Decimal:
    digits = len(literal) - literal.startswith("-")
    return int(literal) if digits <= MAX_INT_DIGITS else Decimal(literal)


class _Duplicated(dict):
    """An object in which some key appears more than once (the last value kept)."""

    def __init__(self, pairs: list[tuple[str, Any]]):
        super().__init__(pairs)
        seen: set[str] = set()
        self.repeated: list[str] = []
        for key, _ in pairs:
            if key in seen and key not in self.repeated:
                self.repeated.append(key)
            seen.add(key)


# --- nesting --------------------------------------------------------------------------

def _too_deep(text: str) -> bool:
    """Whether arrays and objects nest deeper than MAX_DEPTH, without recursion."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False  # cannot nest deeper than it opens: small cases stop here
    # Strings out, then only brackets; each pass of the regex (in C) takes out the
    # innermost pairs, so a balanced text empties in as many passes as it is deep.
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for _ in range(MAX_DEPTH):
        inner = _INNERMOST.sub("", brackets)
        if not inner:
            return False
        if inner == brackets:
            return _scan_depth(text) > MAX_DEPTH  # unbalanced: how deep it got (json.loads will say why)
        brackets = inner
    return True


def _scan_depth(text: str) -> int:
    """The deepest nesting reached, token by token (strings skipped)."""
    depth = deepest = 0
    for m in _TOKEN.finditer(text):
        ch = text[m.start()]
        if ch == "[" or ch == "{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif ch == "]" or ch == "}":
            depth -= 1
        elif m.end() - m.start() == 1 and ch == '"':
            break  # an unterminated string: json.loads will say where
    return deepest


def _deep_path(text: str) -> str:
    """The path of the first array or object that opens beyond MAX_DEPTH."""
    stack: list[list[Any]] = []  # per open container: [bracket, key or index, expecting a key]
    for m in _TOKEN.finditer(text):
        token = m.group()
        ch = token[0]
        if ch == "[" or ch == "{":
            if len(stack) >= MAX_DEPTH:
                return _path(stack)
            stack.append([ch, 0, True] if ch == "[" else [ch, "", True])
        elif ch == "]" or ch == "}":
            if stack:
                stack.pop()
        elif ch == ",":
            if stack:
                top = stack[-1]
                if top[0] == "[":
                    top[1] += 1
                else:
                    top[2] = True
        elif len(token) == 1:
            break  # an unterminated string
        elif stack and stack[-1][0] == "{" and stack[-1][2]:
            stack[-1][1] = _key(token)
            stack[-1][2] = False
    return ""


def _key(token: str) -> str:
    if "\\" not in token:
        return token[1:-1]
    try:
        return str(json.loads(token))
    except ValueError:
        return token[1:-1]


def _path(stack: list[list[Any]]) -> str:
    path = ""
    for bracket, at, _ in stack:
        path = f"{path}[{at}]" if bracket == "[" else _join(path, at)
    return path


def _join(path: str, key: str) -> str:
    return f"{path}.{_printable(key)}" if path else _printable(key)


def _printable(key: str) -> str:
    """A key as it can appear in a path: an unpaired surrogate written as its escape."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", key)


# --- walks over parsed data (depth is bounded by now) ----------------------------------

def _nodes(data: Any) -> Iterator[tuple[str, Any]]:
    """Every (path, value) of the data, containers before their contents."""
    todo: list[tuple[str, Any]] = [("", data)]
    while todo:
        path, node = todo.pop()
        yield path, node
        if isinstance(node, dict):
            children = [(_join(path, k), v) for k, v in node.items()]
        elif isinstance(node, list):
            children = [(f"{path}[{i}]", v) for i, v in enumerate(node)]
        else:
            continue
        todo.extend(reversed(children))


def _duplicate_keys(data: Any) -> list[tuple[str, str]]:
    return [(_join(path, key), key)
            for path, node in _nodes(data) if isinstance(node, _Duplicated) for key in node.repeated]


def _surrogates(data: Any) -> list[str]:
    """Paths of strings (values or keys) holding an unpaired surrogate, which no
    UTF-8 output can carry."""
    found = []
    for path, node in _nodes(data):
        if isinstance(node, str) and _SURROGATE.search(node):
            found.append(path)
        elif isinstance(node, dict):
            found += [_join(path, k) for k in node if _SURROGATE.search(k)]
    return found
