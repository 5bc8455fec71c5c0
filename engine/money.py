"""Exact money: Decimal end to end, to the fen, rounded half-up."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import overload

FEN = Decimal("0.01")


def to_decimal(value: object) -> Decimal:
    """Read a JSON number, a decimal string or an int exactly. Floats go through
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
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
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
