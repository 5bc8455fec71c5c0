"""The rules' conditions read back in Python, to say why.

durable-rules decides which candidates match; it cannot say which condition failed
for the ones that do not. This module evaluates the same declared conditions on the
same facts, one by one, and returns each with the value found. The evaluation
checks that both agree on every candidate, so a divergence is an error, not a
silently different decision."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from .rulebook import Condition, Program

Fact = dict[str, Any]
Binding = dict[str, Fact | None]
Match = dict[str, Fact]  # a binding in which every alias found its fact (what formulas receive)


class Outcome(NamedTuple):
    """One condition (or one required fact) for one candidate (a tuple: made by the
    thousand per batch second, and never changed)."""
    id: str
    met: bool
    alias: str
    field: str | None
    actual: Any
    condition: Condition | None = None   # None: the alias found no fact
    expected: Any = None


class FactIndex:
    def __init__(self, facts: list[Fact]):
        self.by_fid: dict[int, Fact] = {}
        self.by_type: dict[str, list[Fact]] = {}
        self.add(facts)

    def add(self, facts: list[Fact]) -> None:
        for f in facts:
            self.by_fid[f["fid"]] = f
            self.by_type.setdefault(f["t"], []).append(f)
        self._by_value: dict[tuple[str, str], dict[Any, list[Fact]]] = {}

    def where(self, fact_type: str, field: str, value: Any) -> list[Fact]:
        """The facts of a type whose field equals value (an index built on first use)."""
        key = (fact_type, field)
        table = self._by_value.get(key)
        if table is None:
            table = {}
            for f in self.by_type.get(fact_type, []):
                table.setdefault(f.get(field), []).append(f)
            self._by_value[key] = table
        return table.get(value, [])

    def of(self, fact_type: str, owner: str | None = None) -> list[Fact]:
        found = self.by_type.get(fact_type, [])
        return found if owner is None else [f for f in found if f.get("owner") == owner]


def test(cond: Condition, actual: Any, expected: Any) -> bool:
    op = cond.op
    if op == "exists":
        return actual is not None
    if actual is None or expected is None:
        return False
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    if op == "lt":
        return actual < expected
    if op == "le":
        return actual <= expected
    if op == "gt":
        return actual > expected
    if op == "ge":
        return actual >= expected
    if op == "in":
        return actual in expected
    low, high = expected  # between, within, within_years
    return low <= actual <= high


def _expected(cond: Condition, binding: Binding) -> Any:
    if cond.ref is None:
        return cond.value
    other = binding.get(cond.ref[0])
    return None if other is None else other.get(cond.ref[1])


def candidate_bindings(program: Program, candidate: Fact, index: FactIndex) -> list[Binding]:
    """Every way the candidate joins the program's other aliases (an alias with no
    fact to join is bound to None)."""
    aliases = list(program.facts)[1:]

    def expand(partial: Binding, rest: list[str]) -> list[Binding]:
        if not rest:
            return [partial]
        alias, tail = rest[0], rest[1:]
        pattern = program.facts[alias]
        found: list[Fact | None] = []
        joined = [(own, partial.get(other), of) for own, other, of in pattern.joins]
        if not joined:
            found = list(index.of(pattern.type))
        elif all(fact is not None for _, fact, _ in joined):
            keys = [(own, fact.get(of)) for own, fact, of in joined if fact is not None]
            (own, value), others = keys[0], keys[1:]
            found = [f for f in index.where(pattern.type, own, value) if all(f.get(o) == v for o, v in others)]
        out = []
        for fact in found or [None]:
            out.extend(expand({**partial, alias: fact}, tail))
        return out

    return expand({program.candidate: candidate}, aliases)


def outcomes(program: Program, binding: Binding) -> list[Outcome]:
    out = []
    for alias, pattern in list(program.facts.items())[1:]:
        fact = binding.get(alias)
        if fact is None:
            out.append(Outcome(f"{alias}.present", False, alias, None, None))
        elif pattern.text:  # a required join worth saying when met; a talent enterprise shows its Q
            q = fact.get("q") if fact["t"] == "talent_enterprise" else None
            out.append(Outcome(f"{alias}.present", True, alias, "q" if q else None, q or True))
    for cond in program.conditions:
        fact = binding.get(cond.alias)
        actual = None if fact is None else fact.get(cond.field)
        expected = _expected(cond, binding)
        out.append(Outcome(cond.id, test(cond, actual, expected), cond.alias, cond.field, actual, cond, expected))
    return out


@dataclass(frozen=True)
class Assessment:
    candidate: Fact
    binding: Binding
    outcomes: list[Outcome]
    considered: bool
    eligible: bool

    @property
    def unmet(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.met]


def assess(program: Program, candidate: Fact, index: FactIndex) -> Assessment:
    """The binding that meets the most conditions (the first such, in fact order)."""
    best: tuple[int, Binding, list[Outcome]] | None = None
    for binding in candidate_bindings(program, candidate, index):
        results = outcomes(program, binding)
        met = sum(o.met for o in results)
        if best is None or met > best[0]:
            best = (met, binding, results)
    assert best is not None
    met, binding, results = best
    considered = all(o.met for o in results if o.condition is not None and o.condition.consider)
    return Assessment(candidate, binding, results, considered, met == len(results))
