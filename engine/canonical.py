"""Canonical JSON: the one byte form of a value that records and seals are hashed over.

RFC 8785-like: object keys sorted, no whitespace, UTF-8, strings escaped as json.dumps
does with ensure_ascii=False (quote, backslash and control characters only). Two
departures, both so that a case keeps exactly what the engine read from it:

- Numbers are not rewritten as binary floats. The engine reads JSON numbers with a
  fraction or exponent as `Decimal`, so such a number is written as `str(Decimal)`:
  every digit and trailing zero is kept (`1.50` stays `1.50`, `0.1` stays `0.1`); only
  the exponent's spelling is normalised (`1e5` and `1E+5` are the same Decimal and are
  both written `1E+5`). Integers are written in plain decimal. Reading the canonical
  text back with the engine's parser gives an equal value with the same exponent, so
  the canonical form of the canonical form is itself. A binary float (never in a case
  or a decision, but accepted) is written as the Decimal of its shortest repr.
- Keys are sorted by code point (RFC 8785 sorts by UTF-16 code unit; the two orders
  differ only for keys that mix characters above U+FFFF with U+E000-U+FFFF).

NaN and infinities have no JSON form: encoding one raises ValueError."""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from json.encoder import encode_basestring  # type: ignore[attr-defined]  # the C escaper json.dumps uses
from typing import Any

from .json_input import _int  # the engine's integer reader: a record reads its case as the engine did

_FAST = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
_MARK = '"\\u0000"'  # how json writes the string "\0"


def sha256_hex(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def parse(text: str | bytes) -> Any:
    """JSON as the engine reads it (json_input.parse_case): numbers with a fraction or
    exponent as Decimal, and integers too long for int (Python refuses more than 4,300
    digits) as Decimal, with the engine's own integer reader."""
    return json.loads(text, parse_float=Decimal, parse_int=_int)


def dumps_fast(value: Any, may_hold_nul: bool) -> str:
    """`dumps(value)` through json's C encoder: each Decimal is encoded as a NUL string
    and then replaced by its digits. `may_hold_nul`: whether a string of the value may
    contain a NUL (then a string could look like a mark, and the exact Python encoder
    is used)."""
    if may_hold_nul:
        return dumps(value)
    marks: list[str] = []

    def mark(obj: Any) -> str:
        if not isinstance(obj, Decimal):
            raise TypeError(f"{type(obj).__name__} has no JSON form")
        marks.append(_decimal(obj))
        return "\0"

    encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False, default=mark)
    pieces = encoder.encode(value).split(_MARK)
    if len(pieces) != len(marks) + 1:
        return dumps(value)
    out = [pieces[0]]
    for number, piece in zip(marks, pieces[1:], strict=True):
        out.append(number)
        out.append(piece)
    return "".join(out)


def dumps(value: Any) -> str:
    """The canonical text of a JSON value that may hold Decimals."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


def dumps_native(value: Any) -> str:
    """The canonical text of a value made only of dict, list, str, int, bool and None
    (a decision as `to_dict()` gives it): json's C encoder, same bytes as `dumps`."""
    try:
        return _FAST.encode(value)
    except TypeError:  # a Decimal somewhere: the exact, slower path
        return dumps(value)


def canonical_bytes(value: Any) -> bytes:
    return dumps(value).encode("utf-8")


def _encode(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, Decimal):
        out.append(_decimal(value))
    elif isinstance(value, float):
        out.append(_decimal(Decimal(repr(value))))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key in sorted(value):
            if not isinstance(key, str):
                raise TypeError(f"object keys must be strings, not {type(key).__name__}")
            if not first:
                out.append(",")
            first = False
            out.append(encode_basestring(key))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} has no JSON form")


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} has no JSON form")
    return str(value)
