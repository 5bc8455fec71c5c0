"""The finance summary of a batch, accumulated line by line as the output is written.

Language-neutral data: counts, program ids, years, and money as Decimal (written as
decimal strings). Per program and year: the beneficiaries, the cash split into exact
and maximum amounts, the in-kind lines and their values. A beneficiary is an entity
of one case (ids are local to a case), so the count is the sum over decisions of the
distinct beneficiaries each has for that program and year: memory stays flat however
long the batch. The state is small and is saved in each checkpoint of the run record.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..money import fmt
from ..rulebook import RuleBook
from .line import STATUS_ERROR, Tally

FIRST_LINES_KEPT = 100
SUMMARY_FORMAT = "xisai-batch-summary/1"
ZERO = Decimal(0)


@dataclass
class Cell:
    """One program in one year."""
    beneficiaries: int = 0
    cash_lines: int = 0
    cash_exact: Decimal = ZERO
    cash_maximum: Decimal = ZERO
    in_kind_lines: int = 0
    in_kind_valued: int = 0        # in-kind lines with a value (others have none)
    in_kind_value: Decimal = ZERO

    @property
    def cash_total(self) -> Decimal:
        return self.cash_exact + self.cash_maximum

    def add(self, other: Cell) -> None:
        self.beneficiaries += other.beneficiaries
        self.cash_lines += other.cash_lines
        self.cash_exact += other.cash_exact
        self.cash_maximum += other.cash_maximum
        self.in_kind_lines += other.in_kind_lines
        self.in_kind_valued += other.in_kind_valued
        self.in_kind_value += other.in_kind_value

    def to_dict(self) -> dict[str, Any]:
        return {"beneficiaries": self.beneficiaries, "cash_lines": self.cash_lines,
                "cash_total": fmt(self.cash_total), "cash_exact": fmt(self.cash_exact),
                "cash_maximum": fmt(self.cash_maximum), "in_kind_lines": self.in_kind_lines,
                "in_kind_valued_lines": self.in_kind_valued, "in_kind_value": fmt(self.in_kind_value)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cell:
        return cls(data["beneficiaries"], data["cash_lines"], Decimal(data["cash_exact"]), Decimal(data["cash_maximum"]),
                   data["in_kind_lines"], data["in_kind_valued_lines"], Decimal(data["in_kind_value"]))


@dataclass
class Summary:
    read: int = 0
    ok: int = 0
    invalid: int = 0
    error: int = 0
    beneficiaries: int = 0         # per decision, distinct over all its programs and years
    cells: dict[tuple[str, int], Cell] = field(default_factory=dict)
    first_invalid: list[int] = field(default_factory=list)
    first_error: list[int] = field(default_factory=list)

    def add(self, line_no: int, tally: Tally) -> None:
        status, payouts = tally
        self.read += 1
        if status == "ok":
            self.ok += 1
        elif status == STATUS_ERROR:
            self.error += 1
            if len(self.first_error) < FIRST_LINES_KEPT:
                self.first_error.append(line_no)
        else:
            self.invalid += 1
            if len(self.first_invalid) < FIRST_LINES_KEPT:
                self.first_invalid.append(line_no)
        seen: set[tuple[str, int, str]] = set()
        for program, year, kind, basis, beneficiary, amount in payouts:
            cell = self.cells.get((program, year))
            if cell is None:
                cell = self.cells[(program, year)] = Cell()
            if (program, year, beneficiary) not in seen:
                seen.add((program, year, beneficiary))
                cell.beneficiaries += 1
            value = Decimal(amount) if amount is not None else None
            if kind == "cash":
                cell.cash_lines += 1
                if value is not None:
                    if basis == "exact":
                        cell.cash_exact += value
                    else:
                        cell.cash_maximum += value
            else:
                cell.in_kind_lines += 1
                if value is not None:
                    cell.in_kind_valued += 1
                    cell.in_kind_value += value
        self.beneficiaries += len({b for _, _, b in seen})

    def rows(self, book: RuleBook | None = None) -> list[tuple[str, int, Cell]]:
        """(program, year, cell) in the rule book's program order, then by year."""
        order = {p.id: i for i, p in enumerate(book.programs)} if book else {}
        keys = sorted(self.cells, key=lambda k: (order.get(k[0], len(order)), k[0], k[1]))
        return [(program, year, self.cells[(program, year)]) for program, year in keys]

    def total(self) -> Cell:
        out = Cell()
        for cell in self.cells.values():
            out.add(cell)
        out.beneficiaries = self.beneficiaries
        return out

    # --- the checkpoint's copy ---------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        return {"read": self.read, "ok": self.ok, "invalid": self.invalid, "error": self.error,
                "beneficiaries": self.beneficiaries, "first_invalid": self.first_invalid, "first_error": self.first_error,
                "cells": [[p, y, c.to_dict()] for (p, y), c in sorted(self.cells.items())]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Summary:
        return cls(state["read"], state["ok"], state["invalid"], state["error"], state["beneficiaries"],
                   {(p, y): Cell.from_dict(c) for p, y, c in state["cells"]},
                   list(state["first_invalid"]), list(state["first_error"]))

    # --- the finance file (--summary-json) -----------------------------------------
    def to_dict(self, book: RuleBook, run: dict[str, Any]) -> dict[str, Any]:
        programs = []
        for program, year, cell in self.rows(book):
            try:
                title = dict(book.program(program).title)
            except KeyError:
                title = {}
            programs.append({"program": program, "title": title, "year": year, **cell.to_dict()})
        return {"format": SUMMARY_FORMAT, "run": run,
                "cases": {"read": self.read, "ok": self.ok, "invalid": self.invalid, "error": self.error},
                "first_invalid_lines": self.first_invalid, "first_error_lines": self.first_error,
                "programs": programs, "total": self.total().to_dict()}
