"""What every formula kind shares: the context it computes in and what it returns.

A formula kind is Python (how a benefit is computed); every figure it uses is a
parameter of the program's rule file, looked up on the trigger date, and every
case value it reads is named in the rule file's [formula] table."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ..conditions import FactIndex, Match
from ..facts import FACT_SCHEMA, KIND_MONEY
from ..money import round_fen
from ..rulebook import Parameter, ParamValue, Program, RuleBook, _window_years
from ..trace import Trace, Value

CASH, IN_KIND = "cash", "in_kind"
EXACT, MAXIMUM = "exact", "maximum"


@dataclass(frozen=True)
class ParamUse:
    """A parameter row a computation used: its name, value and date. The rest (unit,
    source, flags) is in the rules, found again by name and date."""
    name: str
    value: str
    start: date

    @classmethod
    def of(cls, parameter: Parameter, row: ParamValue, name: str | None = None) -> ParamUse:
        return cls(name or parameter.name, param_text(row.value), row.start)


@dataclass
class Part:
    """One computed contribution to a payout line (lines of the same program,
    beneficiary, year, kind and basis are their parts added up)."""
    program: str
    beneficiary: str
    year: int
    kind: str
    basis: str
    amount: Decimal | None
    item: str
    binding: Match
    steps: list[dict[str, Any]] = field(default_factory=list)
    params: list[ParamUse] = field(default_factory=list)
    benefit: str | None = None          # the [formula] key of the rule file's benefit text
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """A check of the rule file's [[checks]] that the formula evaluated: an item that
    matched the conditions but fails an aggregate test (`refused`), or a plain note."""
    program: str
    beneficiary: str
    item: str | None
    check: str
    values: dict[str, Any]
    refused: bool


def param_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(param_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={param_text(v)}" for k, v in value.items())
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class Context:
    def __init__(self, book: RuleBook, program: Program, index: FactIndex, as_of: date):
        self.book, self.program, self.index, self.as_of = book, program, index, as_of
        self.parts: list[Part] = []
        self.checks: list[CheckResult] = []
        window = book.general["policy_window"].only
        self.window: tuple[date, date] = window.value
        self.window_years = _window_years(window.value)

    # parameters -----------------------------------------------------------------
    def parameter(self, name: str) -> Parameter:
        return self.book.parameter(self.program, name)

    def param(self, name: str, on: date, trace_name: str | None = None) -> tuple[Any, ParamUse]:
        parameter = self.parameter(name)
        row = parameter.at(on)
        return row.value, ParamUse.of(parameter, row, trace_name or name)

    def window_use(self) -> ParamUse:
        """The policy window, for formulas that check a computed trigger against it."""
        parameter = self.book.general["policy_window"]
        return ParamUse.of(parameter, parameter.only)

    def traced(self, name: str, on: date, pick: str | None = None) -> tuple[Value, ParamUse]:
        """A parameter as a step operand (its unit from the rule file), and its use.
        `pick` takes one entry of a table parameter (a level, a tier)."""
        value, use = self.param(name, on)
        if pick is not None:
            value, name = value[pick], f"{name}.{pick}"
        return Trace.param(value, name, self.parameter(use.name).unit), use

    # case values ----------------------------------------------------------------
    def get(self, binding: Match, key: str) -> Any:
        """A value named in [formula] (e.g. "purchase.total_price") from the binding."""
        alias, _, fname = self.program.formula[key].partition(".")
        fact = binding[alias]
        return None if fact is None else fact.get(fname)

    def ref_name(self, key: str) -> str:
        """The case-format name of a [formula] value, for the steps: type.field."""
        alias, _, fname = self.program.formula[key].partition(".")
        return f"{self.program.facts[alias].type}.{fname}"

    def path(self, binding: Match, alias: str | None = None) -> str:
        fact = binding[alias or self.program.candidate]
        return fact["path"]

    def beneficiary(self, binding: Match) -> str:
        fact = binding[self.program.beneficiary]
        return fact["id"]

    def by_beneficiary(self, matched: list[Match]) -> dict[str, list[Match]]:
        groups: dict[str, list[Match]] = defaultdict(list)
        for b in matched:
            groups[self.beneficiary(b)].append(b)
        return dict(sorted(groups.items()))

    # results --------------------------------------------------------------------
    def add(self, binding: Match, year: int, kind: str, basis: str, amount: Decimal | None,
            trace: Trace | None = None, params: list[ParamUse] | None = None, item: str | None = None,
            benefit: str | None = None, **detail: Any) -> None:
        if amount is not None:
            amount = round_fen(amount)
            if amount == 0 and kind == CASH:
                return  # brief: a cash line of 0.00 is not emitted; an in-kind line is, even at 0.00
        self.parts.append(Part(self.program.id, self.beneficiary(binding), year, kind, basis, amount,
                               item or self.path(binding), binding, trace.steps if trace else [],
                               params or [], benefit, detail))

    def check(self, binding: Match, check: str, refused: bool, item: str | None = None, **values: Any) -> None:
        if check not in self.program.checks:
            raise KeyError(f"{self.program.file}: the formula reports check {check!r}, which [[checks]] does not declare")
        self.checks.append(CheckResult(self.program.id, self.beneficiary(binding), item, check, values, refused))


def in_window(ctx: Context, day: date) -> bool:
    return ctx.window[0] <= day <= ctx.window[1]


def months_by_year(start: date, months: int) -> list[tuple[int, int, int]]:
    """(year, first month index, months in that year) for `months` consecutive months
    counted from the start's month (brief: month counting starts with the trigger's month)."""
    out: list[tuple[int, int, int]] = []
    year, month = start.year, start.month
    for i in range(months):
        if out and out[-1][0] == year:
            y, first, n = out[-1]
            out[-1] = (y, first, n + 1)
        else:
            out.append((year, i, 1))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def month_starts(start: date, months: int) -> list[date]:
    out = []
    year, month = start.year, start.month
    for _ in range(months):
        out.append(date(year, month, 1))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


@dataclass(frozen=True)
class FormulaKind:
    fn: Callable[[Context, list[Match]], None]
    values: tuple[str, ...] = ()        # [formula] keys naming case values ("alias.field")
    optional_values: tuple[str, ...] = ()
    params: tuple[str, ...] = ()        # parameters the program's file (or general) must have
    texts: tuple[str, ...] = ()         # [formula] keys holding {zh, en} texts
    param_keys: tuple[str, ...] = ()    # [formula] keys naming a parameter file (e.g. wage)
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> fact type the code reads
    # Case fields the code reads beyond the [formula] values, as "fact type.field" (the
    # items of the beneficiary it looks up itself); `xisai ask` asks for them.
    reads: tuple[str, ...] = ()
    # Per [[checks]] id, the placeholders whose value the rules fix, and where from
    # (window.start/end: dates, window.first_year/last_year): `rules show` fills them in.
    shows: dict[str, dict[str, str]] = field(default_factory=dict)


FORMULAS: dict[str, FormulaKind] = {}


def formula(name: str, **spec: Any):
    def register(fn):
        FORMULAS[name] = FormulaKind(fn, **spec)
        return fn
    return register


def value_of(ctx: Context, binding: Match, key: str, unit: str | None = None) -> Value:
    """A case value named in [formula] as a step operand; money fields read as CNY."""
    alias, _, fname = ctx.program.formula[key].partition(".")
    fact = binding[alias]
    if unit is None:
        kind = FACT_SCHEMA[fact["t"]].fields.get(fname)
        if kind != KIND_MONEY:
            raise ValueError(f"{ctx.program.file}: formula.{key} needs a unit ({fact['t']}.{fname} is not money)")
        unit = "CNY"
    return Trace.case_value(fact[fname], ctx.ref_name(key), unit, fact["path"])
