"""Exact money: Decimal end to end, to the fen, rounded half-up."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import overload

FEN = Decimal("0.01")
# A decimal string is ASCII digits with an optional point and fraction; nothing else
# that Decimal() would also read (full-width or Arabic-Indic digits, "1_000", " 1500 ",
# "+100", "1e3", "NaN"). The minus sign is read so that a negative figure gets its own
# error ("must not be negative") from the field's check, not a format error.
PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)


class NotPlainDecimal(ValueError):
    """A string that is not written as a plain decimal."""


def to_decimal(value: object) -> Decimal:
    """Read a JSON number, a plain decimal string or an int exactly. Floats go through
    their shortest repr, so 0.1 stays 0.1 rather than its binary expansion."""
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        if not PLAIN_DECIMAL.fullmatch(value):
            raise NotPlainDecimal(f"not a plain decimal number: {value!r}")
        result = Decimal(value)
    else:
        raise ValueError(f"expected a number or a decimal string, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError("must be a finite number")
    return result


def round_fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


@overload
def fmt(amount: Decimal) -> str: ...
@overload
def fmt(amount: None) -> None: ...
def fmt(amount: Decimal | None) -> str | None:
    """Decimal string for JSON: always two places for money."""
    return None if amount is None else str(round_fen(amount))
