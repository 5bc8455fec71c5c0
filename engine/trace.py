"""Computation steps that can be replayed.

A formula computes through a `Trace`: every intermediate value is a step with its
operation, its operands (case values, parameters or earlier steps) and its result.
The steps go into the decision as data; `replay` recomputes them, so a test (or an
auditor) can check that the steps really give the line's amount."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .money import round_fen

OPS = ("mul", "min", "max", "sum", "round")


@dataclass(frozen=True)
class Value:
    amount: Decimal
    ref: dict[str, Any]  # how a step names this operand


class Trace:
    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []

    # operands -------------------------------------------------------------
    # `unit` says how a value reads: "CNY" (money), "ratio", "m2", "months", ...
    @staticmethod
    def case_value(value: Decimal | int, field: str, unit: str, path: str | None = None) -> Value:
        ref: dict[str, Any] = {"value": str(value), "field": field, "unit": unit}
        if path:
            ref["path"] = path
        return Value(Decimal(value), ref)

    @staticmethod
    def param(value: Decimal | int, name: str, unit: str, **extra: Any) -> Value:
        return Value(Decimal(value), {"value": str(value), "param": name, "unit": unit, **extra})

    @staticmethod
    def count(value: int, label: str, unit: str = "months", **detail: Any) -> Value:
        """A count the formula derived (months in a year, ...), with what it counts."""
        return Value(Decimal(value), {"value": str(value), "count": label, "unit": unit, **detail})

    # operations -----------------------------------------------------------
    def _step(self, op: str, label: str, args: list[Value], result: Decimal, **detail: Any) -> Value:
        n = len(self.steps) + 1
        self.steps.append({"n": n, "op": op, "label": label, "args": [a.ref for a in args],
                           "result": str(result), **detail})
        return Value(result, {"value": str(result), "step": n})

    def mul(self, label: str, *args: Value, **detail: Any) -> Value:
        result = Decimal(1)
        for a in args:
            result *= a.amount
        return self._step("mul", label, list(args), result, **detail)

    def round(self, label: str, a: Value) -> Value:
        return self._step("round", label, [a], round_fen(a.amount))

    def min(self, label: str, *args: Value, **detail: Any) -> Value:
        return self._step("min", label, list(args), min(a.amount for a in args), **detail)

    def sum(self, label: str, args: list[Value], **detail: Any) -> Value:
        return self._step("sum", label, args, sum((a.amount for a in args), Decimal(0)), **detail)


def replay(steps: list[dict[str, Any]]) -> dict[int, Decimal]:
    """Recompute every step from its operands; raise if a recorded result differs."""
    results: dict[int, Decimal] = {}
    for step in steps:
        args = [results[a["step"]] if "step" in a else Decimal(a["value"]) for a in step["args"]]
        op = step["op"]
        if op == "mul":
            value = Decimal(1)
            for a in args:
                value *= a
        elif op == "min":
            value = min(args)
        elif op == "max":
            value = max(args)
        elif op == "sum":
            value = sum(args, Decimal(0))
        elif op == "round":
            value = round_fen(args[0])
        else:
            raise ValueError(f"unknown step operation {op!r}")
        if value != Decimal(step["result"]):
            raise ValueError(f"step {step['n']} ({step['label']}) gives {value}, recorded {step['result']}")
        results[step["n"]] = value
    return results
